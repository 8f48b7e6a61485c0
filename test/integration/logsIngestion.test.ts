/**
 * The Logs Ingestion adapter (the real @azure/monitor-ingestion client and ManagedIdentityCredential) against the
 * local endpoint, and the local endpoint against the service's documented behaviour, so that the end-to-end tests
 * stand on something faithful.
 */
import { request } from 'node:https';
import { gzipSync } from 'node:zlib';

import { ManagedIdentityCredential } from '@azure/identity';

import { SentinelRowSendError } from '../../shared/sentinel/sentinelRowSender';
import { SENTINEL_ROW_COLUMNS, SentinelRow } from '../../shared/sentinel/sentinelRow';
import { audienceOf, logsIngestionSender } from '../../shared/sentinel/logsIngestion';
import { FakeIdentity, startFakeIdentity } from '../support/fakeGraph';
import { FakeLogsIngestion, startFakeLogsIngestion } from '../support/fakeLogsIngestion';

let identity: FakeIdentity;
let service: FakeLogsIngestion;

beforeAll(async () => {
    identity = await startFakeIdentity();
    service = await startFakeLogsIngestion({ identity, columns: SENTINEL_ROW_COLUMNS });
    process.env.IDENTITY_ENDPOINT = identity.endpoint;
    process.env.IDENTITY_HEADER = identity.secret;
});

afterAll(async () => {
    await service.close();
    await identity.close();
});

const credential = () => new ManagedIdentityCredential({ clientId: identity.clientId });
const target = () => ({ endpoint: service.endpoint, ruleId: service.ruleId, stream: service.stream });
const client = (overrides: Partial<ReturnType<typeof target>> = {}, timeoutMs?: number) =>
    logsIngestionSender({ ...target(), ...overrides }, credential(), {
        clientOptions: { tlsOptions: { ca: service.ca } },
        ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    });

function row(i: number, padding = 0): SentinelRow {
    const r = Object.fromEntries(SENTINEL_ROW_COLUMNS.map((c) => [c.name, null])) as SentinelRow;
    return {
        ...r,
        TimeGenerated: new Date().toISOString(),
        RowId: `incident-${i}/contained`,
        IncidentId: `incident-${i}`,
        Sequence: 1,
        Summary: 'x'.repeat(padding),
    };
}

/** A request as anyone could send it, to see the endpoint's own answers. */
function raw(
    path: string,
    body: Buffer,
    headers: Record<string, string>,
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
    const url = new URL(path, service.endpoint);
    return new Promise((resolve, reject) => {
        const req = request(url, { method: 'POST', headers, ca: service.ca }, (res) => {
            let text = '';
            res.on('data', (d: Buffer) => (text += d.toString()));
            res.on('end', () => resolve({ status: res.statusCode!, body: text, headers: res.headers }));
        });
        req.on('error', reject);
        req.end(body);
    });
}

async function monitorToken(): Promise<string> {
    return (await credential().getToken('https://monitor.azure.com/.default')).token;
}

const streamPath = () => `/dataCollectionRules/${service.ruleId}/streams/${service.stream}`;

describe('the local Logs Ingestion endpoint', () => {
    it('answers 204 with no body to a gzip or plain JSON array, with api-version and a token for Azure Monitor', async () => {
        const token = await monitorToken();
        const json = Buffer.from(JSON.stringify([row(1)]));
        const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const plain = await raw(`${streamPath()}?api-version=2023-01-01`, json, headers);
        expect(plain).toMatchObject({ status: 204, body: '' });
        const zipped = await raw(`${streamPath()}?api-version=2023-01-01`, gzipSync(json), {
            ...headers,
            'content-encoding': 'gzip',
        });
        expect(zipped.status).toBe(204);
    });

    it('refuses what the service refuses, with its error body', async () => {
        const token = await monitorToken();
        const body = Buffer.from(JSON.stringify([row(1)]));
        const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
        const noVersion = await raw(streamPath(), body, auth);
        expect(noVersion.status).toBe(400);
        expect(JSON.parse(noVersion.body)).toEqual({
            error: { code: expect.any(String), message: expect.any(String) },
        });
        expect((await raw(`${streamPath()}?api-version=2023-01-01`, body, {})).status).toBe(401);
        // A token for another audience (Graph) is no token for Azure Monitor.
        const graphToken = (await credential().getToken('https://graph.microsoft.com/.default')).token;
        expect(
            (await raw(`${streamPath()}?api-version=2023-01-01`, body, { authorization: `Bearer ${graphToken}` }))
                .status,
        ).toBe(401);
        const big = Buffer.from(JSON.stringify([row(1, 1_100_000)]));
        expect((await raw(`${streamPath()}?api-version=2023-01-01`, big, auth)).status).toBe(413);
        const notArray = await raw(`${streamPath()}?api-version=2023-01-01`, Buffer.from('{"a":1}'), auth);
        expect(notArray.status).toBe(400);
    });
});

describe('logsIngestionSender (the adapter)', () => {
    it('asks the managed identity for https://monitor.azure.com, and the cloud follows the endpoint', async () => {
        // An identity of its own: tokens are cached per process and client id.
        const fresh = new ManagedIdentityCredential({ clientId: identity.addClient() });
        const before = identity.issued.size;
        await logsIngestionSender(target(), fresh, { clientOptions: { tlsOptions: { ca: service.ca } } })([row(1)]);
        expect([...identity.issued.values()].slice(before)).toEqual(['https://monitor.azure.com']);
        expect(audienceOf('https://dcr-x.westeurope-1.ingest.monitor.azure.com')).toBe('https://monitor.azure.com');
        expect(audienceOf('https://dcr-x.usgovvirginia-1.ingest.monitor.azure.us')).toBe('https://monitor.azure.us');
        expect(audienceOf('https://dcr-x.chinanorth3-1.ingest.monitor.azure.cn')).toBe('https://monitor.azure.cn');
    });

    it('splits a large upload into calls of at most 1 MB, every row arriving once', async () => {
        const before = service.rows.length;
        const callsBefore = service.calls.length;
        const rows = Array.from({ length: 3000 }, (_, i) => row(i, 500));
        await client()(rows);
        const calls = service.calls.slice(callsBefore);
        expect(calls.length).toBeGreaterThan(1);
        expect(calls.every((c) => c.status === 204 && c.contentEncoding === 'gzip')).toBe(true);
        expect(calls.reduce((sum, c) => sum + c.rows, 0)).toBe(3000);
        expect(service.rows.slice(before).map((r) => r.RowId)).toEqual(rows.map((r) => r.RowId));
    });

    it.each([
        [{ status: 403, code: 'Forbidden' }, { status: 403, code: 'Forbidden' }, undefined],
        [{ status: 429, code: 'TooManyRequests', retryAfter: 42 }, { status: 429, code: 'TooManyRequests' }, 42_000],
        [{ status: 503, retryAfter: 7 }, { status: 503, code: 'OperationFailed' }, 7_000],
        [{ status: 413, code: 'ContentLengthLimitExceeded' }, { status: 413 }, undefined],
    ] as const)(
        'rejects %p with the status and code, at once (the timer retries)',
        async (fault, error, retryAfter) => {
            service.fail(fault);
            const callsBefore = service.calls.length;
            const e = await client()([row(1)]).catch((x: unknown) => x);
            expect(e).toBeInstanceOf(SentinelRowSendError);
            expect((e as SentinelRowSendError).error).toMatchObject(error);
            expect((e as SentinelRowSendError).retryAfterMs).toBe(retryAfter);
            expect(service.calls.length - callsBefore).toBe(1);
        },
    );

    it('names a stream or rule the service does not know, a dropped connection and a silent one', async () => {
        const stream = await client({ stream: 'Custom-Nope_CL' })([row(1)]).catch((x: unknown) => x);
        expect((stream as SentinelRowSendError).error).toMatchObject({ status: 400, code: 'InvalidStream' });
        const rule = await client({ ruleId: 'dcr-ffffffffffffffffffffffffffffffff' })([row(1)]).catch(
            (x: unknown) => x,
        );
        expect((rule as SentinelRowSendError).error).toMatchObject({ status: 404 });
        service.fail({ status: 'reset' });
        const reset = await client()([row(1)]).catch((x: unknown) => x);
        expect((reset as SentinelRowSendError).error.status).toBeUndefined();
        service.fail({ status: 'hang' });
        const hang = await client({}, 300)([row(1)]).catch((x: unknown) => x);
        expect((hang as SentinelRowSendError).error).toMatchObject({ code: 'Timeout' });
    });

    it('gives up in time when the managed identity endpoint never answers (the event handler must not wait)', async () => {
        const stuck = new ManagedIdentityCredential({ clientId: identity.addClient() });
        identity.hang = 1;
        const send = logsIngestionSender(target(), stuck, {
            clientOptions: { tlsOptions: { ca: service.ca } },
            timeoutMs: 300,
        });
        const e = await send([row(1)]).catch((x: unknown) => x);
        expect((e as SentinelRowSendError).error).toMatchObject({ code: 'Timeout' });
        identity.hang = 0;
    });
});
