/**
 * A local stand-in for the Azure Monitor Logs Ingestion API, over HTTPS with a certificate made at test time, as the
 * service and its SDK behave (https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview,
 * @azure/monitor-ingestion's operations and policies):
 *
 * - `POST /dataCollectionRules/{immutableId}/streams/{stream}?api-version=2023-01-01`; a missing api-version is a 400;
 *   an unknown rule a 404; a stream the rule does not declare a 400.
 * - `Authorization: Bearer` with a token the local managed identity endpoint issued for `https://monitor.azure.com`,
 *   else 401.
 * - The body is a JSON array, gzip-compressed when `Content-Encoding: gzip` says so (the SDK always compresses); more
 *   than 1 MB (compressed or not) is a 413.
 * - Success is 204 with no body, and only 204. Errors carry `{"error":{"code","message"}}`; 429 and 503 carry
 *   Retry-After. Faults (403 before a role assignment applies, 429, 413, 500, a dropped connection) on demand.
 *
 * Like the service, a 204 does not prove the rows land: a column the stream does not declare, or a value of the wrong
 * type, is dropped silently there. Here it is recorded in `problems`, so that a test can assert there are none.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

import type { ColumnType } from '../../shared/sentinel/sentinelRow';
import type { FakeIdentity } from './fakeGraph';
import { localhostCertificate } from './localTls';

export interface IngestionCall {
    readonly path: string;
    readonly apiVersion: string | null;
    readonly contentEncoding: string | undefined;
    readonly status: number;
    readonly rows: number;
    readonly at: number;
}

export interface IngestionFault {
    /** HTTP status to answer, 'reset' to drop the connection, or 'hang' to never answer. */
    readonly status: number | 'reset' | 'hang';
    readonly code?: string;
    readonly message?: string;
    /** Seconds, sent as Retry-After. */
    readonly retryAfter?: number;
    times: number;
}

export interface FakeLogsIngestion {
    /** https://localhost:<port>: what LOGS_INGESTION_ENDPOINT is set to. */
    readonly endpoint: string;
    readonly ruleId: string;
    readonly stream: string;
    /** Trust this for the client's TLS (`tlsOptions` of the Logs Ingestion client). */
    readonly ca: string;
    /** Rows accepted (answered 204), in order. */
    readonly rows: Array<Record<string, unknown>>;
    readonly calls: IngestionCall[];
    /** What the service would have dropped silently: undeclared columns and values of the wrong type. */
    readonly problems: string[];
    fail(fault: Omit<IngestionFault, 'times'> & { times?: number }): void;
    close(): Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;
const AUDIENCE = 'https://monitor.azure.com';

function fits(type: ColumnType, value: unknown): boolean {
    if (value === null) return true;
    switch (type) {
        case 'string':
            return typeof value === 'string';
        case 'int':
        case 'long':
            return Number.isInteger(value);
        case 'real':
            return typeof value === 'number';
        case 'boolean':
            return typeof value === 'boolean';
        case 'datetime':
            return typeof value === 'string' && /^\d{4}-\d\d-\d\dT/.test(value) && !Number.isNaN(Date.parse(value));
        case 'dynamic':
            return true;
    }
}

function error(res: ServerResponse, status: number, code: string, message: string, headers = {}): number {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify({ error: { code, message } }));
    return status;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        req.on('data', (d: Buffer) => chunks.push(d));
        req.on('end', () => resolve(Buffer.concat(chunks)));
        req.on('error', reject);
    });
}

export async function startFakeLogsIngestion(options: {
    identity: FakeIdentity;
    /** The stream's column declaration (name and type), as the data collection rule declares it. */
    columns: ReadonlyArray<{ readonly name: string; readonly type: ColumnType }>;
    ruleId?: string;
    stream?: string;
}): Promise<FakeLogsIngestion> {
    const ruleId = options.ruleId ?? 'dcr-0123456789abcdef0123456789abcdef';
    const stream = options.stream ?? 'Custom-MfaFatigueIncidents_CL';
    const declared = new Map(options.columns.map((c) => [c.name, c.type]));
    const pems = await localhostCertificate();
    const rows: Array<Record<string, unknown>> = [];
    const calls: IngestionCall[] = [];
    const problems: string[] = [];
    const faults: IngestionFault[] = [];
    const accepted = new WeakMap<IncomingMessage, number>();

    /** Answers one request; returns its status ('reset': the connection is to be dropped) and the rows it took. */
    async function handle(req: IncomingMessage, res: ServerResponse): Promise<number | 'reset' | 'hang'> {
        const url = new URL(req.url ?? '/', 'https://localhost');
        const body = await readBody(req);
        if (req.method !== 'POST') return error(res, 405, 'MethodNotAllowed', 'Only POST is supported.');
        if (!url.searchParams.get('api-version')) {
            return error(res, 400, 'MissingApiVersionParameter', 'The api-version query parameter is required.');
        }
        const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
        if (!auth || options.identity.issued.get(auth[1]!) !== AUDIENCE) {
            return error(res, 401, 'InvalidToken', `A bearer token for the audience ${AUDIENCE} is required.`);
        }
        const m = /^\/dataCollectionRules\/([^/]+)\/streams\/([^/]+)$/.exec(url.pathname);
        if (!m || decodeURIComponent(m[1]!) !== ruleId) {
            return error(res, 404, 'NotFound', 'Data collection rule with immutable Id not found.');
        }
        if (decodeURIComponent(m[2]!) !== stream) {
            return error(res, 400, 'InvalidStream', `Stream ${m[2]} is not declared in the data collection rule.`);
        }
        const fault = faults.find((f) => f.times > 0);
        if (fault) {
            fault.times--;
            if (fault.status === 'reset' || fault.status === 'hang') return fault.status;
            return error(
                res,
                fault.status,
                fault.code ?? 'OperationFailed',
                fault.message ?? `Injected ${fault.status}.`,
                fault.retryAfter !== undefined ? { 'retry-after': String(fault.retryAfter) } : {},
            );
        }
        if (body.length > MAX_BODY_BYTES) {
            return error(res, 413, 'ContentLengthLimitExceeded', 'The maximum message size is 1 MB per call.');
        }
        let text: Buffer;
        try {
            text = req.headers['content-encoding'] === 'gzip' ? gunzipSync(body) : body;
        } catch {
            return error(res, 400, 'InvalidContentEncoding', 'The body is not valid gzip.');
        }
        if (text.length > MAX_BODY_BYTES) {
            return error(res, 413, 'ContentLengthLimitExceeded', 'The maximum message size is 1 MB per call.');
        }
        let parsed: unknown;
        try {
            parsed = JSON.parse(text.toString('utf8'));
        } catch {
            return error(res, 400, 'InvalidPayload', 'The body is not valid JSON.');
        }
        if (!Array.isArray(parsed) || parsed.some((r) => typeof r !== 'object' || r === null || Array.isArray(r))) {
            return error(res, 400, 'InvalidPayload', 'The body must be a JSON array of objects.');
        }
        for (const row of parsed as Array<Record<string, unknown>>) {
            for (const [name, value] of Object.entries(row)) {
                const type = declared.get(name);
                if (!type) problems.push(`column ${name} is not declared in the stream`);
                else if (!fits(type, value)) problems.push(`column ${name} (${type}) got ${JSON.stringify(value)}`);
            }
            if (row.TimeGenerated === undefined) problems.push('a row has no TimeGenerated');
            rows.push(row);
        }
        accepted.set(req, parsed.length);
        res.writeHead(204);
        res.end();
        return 204;
    }

    const server = createServer({ key: pems.key, cert: pems.cert }, (req, res) => {
        void handle(req, res)
            .then((status) => {
                const encoding = req.headers['content-encoding'];
                calls.push({
                    path: new URL(req.url ?? '/', 'https://localhost').pathname,
                    apiVersion: new URL(req.url ?? '/', 'https://localhost').searchParams.get('api-version'),
                    contentEncoding: typeof encoding === 'string' ? encoding : undefined,
                    status: typeof status === 'number' ? status : 0,
                    rows: accepted.get(req) ?? 0,
                    at: Date.now(),
                });
                if (status === 'reset') req.socket.destroy();
            })
            .catch((e: unknown) => error(res, 500, 'InternalServerError', String(e)));
    });
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    const port = await new Promise<number>((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
    return {
        endpoint: `https://localhost:${port}`,
        ruleId,
        stream,
        ca: pems.cert,
        rows,
        calls,
        problems,
        fail: (f) => faults.push({ ...f, times: f.times ?? 1 }),
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}
