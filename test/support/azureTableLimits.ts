/**
 * A Table endpoint that enforces Azure's entity limits, in front of Azurite (which counts differently and lets larger
 * rows through). Written from the service's documentation, independently of the product's own size rule, so that
 * the two check each other:
 * - size: 4 bytes + 2 × (PartitionKey + RowKey length) + for each property 8 + 2 × name length + its value (a string
 *   4 + 2 × UTF-16 length, Int32 4, Int64/Double/DateTime 8, Guid 16, Boolean 1, Binary 4 + bytes); at most 1 MiB
 *   (https://learn.microsoft.com/rest/api/storageservices/understanding-the-table-service-data-model);
 * - a string or binary property at most 64 KiB; at most 252 properties besides the system ones;
 * - errors as the service sends them: 400 with an OData JSON error of code EntityTooLarge, PropertyValueTooLarge or
 *   TooManyProperties (https://learn.microsoft.com/rest/api/storageservices/table-service-error-codes).
 * Faults can be injected per user (PartitionKey): a code and status answered instead of forwarding, or a lost
 * acknowledgement (the write is forwarded, then its answer replaced by a 503, as a dropped connection would).
 */
import { randomUUID } from 'node:crypto';
import { createServer, IncomingMessage, request, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export const AZURE_MAX_ENTITY_BYTES = 1024 * 1024;
export const AZURE_MAX_PROPERTY_BYTES = 64 * 1024;
export const AZURE_MAX_CUSTOM_PROPERTIES = 252;

const SYSTEM = new Set(['PartitionKey', 'RowKey', 'Timestamp', 'odata.etag', 'odata.metadata']);

function valueSize(value: unknown, type: string | undefined): number {
    switch (type) {
        case 'Edm.DateTime':
        case 'Edm.Int64':
        case 'Edm.Double':
            return 8;
        case 'Edm.Guid':
            return 16;
        case 'Edm.Int32':
            return 4;
        case 'Edm.Boolean':
            return 1;
        case 'Edm.Binary':
            return 4 + Buffer.from(String(value), 'base64').length;
    }
    if (typeof value === 'string') return 4 + 2 * value.length;
    if (typeof value === 'boolean') return 1;
    if (typeof value === 'number') return Number.isInteger(value) ? 4 : 8;
    return 0;
}

/** The size Azure gives this JSON entity, and the first limit it breaks. */
export function azureVerdict(entity: Record<string, unknown>): { size: number; code?: string; message?: string } {
    const key = (v: unknown) => (typeof v === 'string' ? v : '');
    let size = 4 + 2 * (key(entity.PartitionKey).length + key(entity.RowKey).length);
    let custom = 0;
    for (const [name, value] of Object.entries(entity)) {
        if (name.includes('@odata.') || SYSTEM.has(name)) continue;
        custom++;
        const type = entity[`${name}@odata.type`] as string | undefined;
        const v = valueSize(value, type);
        if ((typeof value === 'string' || type === 'Edm.Binary') && v - 4 > AZURE_MAX_PROPERTY_BYTES) {
            return {
                size,
                code: 'PropertyValueTooLarge',
                message:
                    'The property value exceeds the maximum allowed size (64KB). If the property value is a string, it is UTF-16 encoded and the maximum number of characters should be 32K or less.',
            };
        }
        size += 8 + 2 * name.length + v;
    }
    if (custom > AZURE_MAX_CUSTOM_PROPERTIES) {
        return {
            size,
            code: 'TooManyProperties',
            message: 'The number of properties exceeds the maximum allowed (252).',
        };
    }
    if (size > AZURE_MAX_ENTITY_BYTES) {
        return { size, code: 'EntityTooLarge', message: 'The entity is larger than the maximum size permitted.' };
    }
    return { size };
}

export interface AzureTableLimits {
    /** Connection string of Azurite's dev account, through this endpoint. */
    readonly connectionString: string;
    /** Entities refused so far, with Azure's code. */
    readonly refused: Array<{ partitionKey: string; code: string; size: number }>;
    /** Largest accepted entity, by Azure's formula. */
    readonly largest: { size: number };
    /** The next `times` writes of this user are answered with this error instead (a poisoned row). */
    refuseUser(partitionKey: string, code: string, status?: number, times?: number): void;
    /** The next `times` writes of this user land, but their answer is lost (a 503 instead). */
    loseAcknowledgement(partitionKey: string, times?: number): void;
    close(): Promise<void>;
}

const DEV_ACCOUNT = 'devstoreaccount1';
const DEV_KEY = 'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

function odataError(res: ServerResponse, status: number, code: string, message: string): void {
    const requestId = randomUUID();
    res.writeHead(status, {
        'content-type': 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8',
        'x-ms-request-id': requestId,
        'x-ms-error-code': code,
    });
    res.end(
        JSON.stringify({
            'odata.error': {
                code,
                message: {
                    lang: 'en-US',
                    value: `${message}\nRequestId:${requestId}\nTime:${new Date().toISOString()}`,
                },
            },
        }),
    );
}

function readBody(req: IncomingMessage): Promise<Buffer> {
    return new Promise((resolve, reject) => {
        const parts: Buffer[] = [];
        req.on('data', (d: Buffer) => parts.push(d));
        req.on('end', () => resolve(Buffer.concat(parts)));
        req.on('error', reject);
    });
}

/** Starts the endpoint in front of an Azurite Table service (`tableEndpoint` ends with /devstoreaccount1). */
export async function startAzureTableLimits(tableEndpoint: string): Promise<AzureTableLimits> {
    const target = new URL(tableEndpoint);
    const refused: AzureTableLimits['refused'] = [];
    const largest = { size: 0 };
    const poison = new Map<string, { code: string; status: number; times: number }>();
    const lostAcks = new Map<string, number>();

    const server = createServer((req, res) => {
        void (async () => {
            const body = await readBody(req);
            const isWrite =
                req.method === 'POST' || req.method === 'PUT' || req.method === 'MERGE' || req.method === 'PATCH';
            let partitionKey: string | undefined;
            if (isWrite && body.length > 0 && /json/i.test(req.headers['content-type'] ?? '')) {
                let entity: Record<string, unknown> | undefined;
                try {
                    entity = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
                } catch {
                    entity = undefined;
                }
                // A PUT/MERGE names its keys in the URL; a POST carries them in the body.
                const keys = /\(PartitionKey='([^']*)',RowKey='([^']*)'\)/.exec(decodeURIComponent(req.url ?? ''));
                if (entity && typeof entity === 'object' && !Array.isArray(entity) && !('TableName' in entity)) {
                    const full = { PartitionKey: keys?.[1], RowKey: keys?.[2], ...entity };
                    partitionKey = String(full.PartitionKey ?? '');
                    const injected = poison.get(partitionKey);
                    if (injected && injected.times > 0) {
                        injected.times--;
                        refused.push({ partitionKey, code: injected.code, size: 0 });
                        return odataError(res, injected.status, injected.code, `Injected ${injected.code}.`);
                    }
                    const verdict = azureVerdict(full);
                    if (verdict.code) {
                        refused.push({ partitionKey, code: verdict.code, size: verdict.size });
                        return odataError(res, 400, verdict.code, verdict.message!);
                    }
                    largest.size = Math.max(largest.size, verdict.size);
                }
            }
            const forward = request(
                {
                    host: target.hostname,
                    port: target.port,
                    method: req.method,
                    path: req.url,
                    headers: { ...req.headers, host: target.host },
                },
                (upstream) => {
                    const lost = partitionKey !== undefined ? (lostAcks.get(partitionKey) ?? 0) : 0;
                    if (lost > 0 && (upstream.statusCode ?? 500) < 300) {
                        lostAcks.set(partitionKey!, lost - 1);
                        upstream.resume();
                        return odataError(res, 503, 'ServerBusy', 'The server is busy (the answer was lost).');
                    }
                    res.writeHead(upstream.statusCode ?? 502, upstream.headers);
                    upstream.pipe(res);
                },
            );
            forward.on('error', (e) => odataError(res, 502, 'BadGateway', String(e)));
            forward.end(body);
        })();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    return {
        connectionString: `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};TableEndpoint=http://127.0.0.1:${port}/${DEV_ACCOUNT};`,
        refused,
        largest,
        refuseUser: (pk, code, status = 400, times = Number.POSITIVE_INFINITY) =>
            poison.set(pk, { code, status, times }),
        loseAcknowledgement: (pk, times = 1) => lostAcks.set(pk, times),
        close: () =>
            new Promise<void>((resolve) => {
                server.closeAllConnections();
                server.close(() => resolve());
            }),
    };
}
