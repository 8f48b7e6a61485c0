import { Readable } from 'node:stream';

import { readSignInMessages } from '../../cli/readInput';
import { emptyBatchResult } from '../../shared/pipeline/batchResult';
import { parseMessages } from '../../shared/pipeline/parseMessages';
import { USER_SIGNIN_CATEGORIES } from '../../shared/signin/parseSignIn';
import { pushDenied, user } from '../support/signInFactory';

const alex = user('Alex Doe');
const at = (i: number) => new Date(Date.parse('2026-11-02T09:00:00Z') + i * 1000);
const records = (n: number) => Array.from({ length: n }, (_, i) => pushDenied({ user: alex, at: at(i) }));

/** Reads `text` split into awkward chunks and counts records and rejections as the pipeline would. */
async function readAll(text: string, chunkSize = 7) {
    const chunks: Buffer[] = [];
    const bytes = Buffer.from(text);
    for (let i = 0; i < bytes.length; i += chunkSize) chunks.push(bytes.subarray(i, i + chunkSize));
    const messages: unknown[] = [];
    for await (const m of readSignInMessages(Readable.from(chunks))) messages.push(m);
    const result = emptyBatchResult();
    const byUser = parseMessages(messages, { categories: new Set(USER_SIGNIN_CATEGORIES) }, result);
    return { events: [...byUser.values()].flat().length, rejected: result.rejectedByReason, messages: messages.length };
}

describe('readSignInMessages', () => {
    it('reads NDJSON of records', async () => {
        const text = records(3)
            .map((r) => JSON.stringify(r))
            .join('\n');
        expect(await readAll(text)).toMatchObject({ events: 3, rejected: {} });
    });

    it('reads NDJSON of envelopes, with CRLF and blank lines', async () => {
        const text =
            [JSON.stringify({ records: records(2) }), '', JSON.stringify({ records: records(3) })].join('\r\n') +
            '\r\n';
        expect(await readAll(text)).toMatchObject({ events: 5, rejected: {} });
    });

    it('reads one pretty-printed Event Hub envelope', async () => {
        expect(await readAll(JSON.stringify({ records: records(4) }, null, 2))).toMatchObject({
            events: 4,
            rejected: {},
        });
    });

    it('reads a one-line envelope', async () => {
        expect(await readAll(JSON.stringify({ records: records(4) }), 1000)).toMatchObject({ events: 4 });
    });

    it('reads a JSON array of records and a JSON array of envelopes', async () => {
        expect(await readAll(JSON.stringify(records(3), null, 1))).toMatchObject({ events: 3 });
        expect(await readAll(JSON.stringify([{ records: records(2) }, { records: records(1) }]))).toMatchObject({
            events: 3,
        });
    });

    it('reads Graph pages, including concatenated ones', async () => {
        const page = (n: number) => ({
            '@odata.context': 'https://graph.microsoft.com/v1.0/$metadata#auditLogs/signIns',
            value: records(n).map((r: any) => r.properties),
            '@odata.nextLink': 'https://graph.microsoft.com/v1.0/auditLogs/signIns?$skiptoken=x',
        });
        expect(await readAll(JSON.stringify(page(2), null, 2))).toMatchObject({ events: 2 });
        expect(await readAll(`${JSON.stringify(page(2), null, 2)}\n${JSON.stringify(page(3), null, 2)}`)).toMatchObject(
            { events: 5 },
        );
    });

    it('counts broken NDJSON lines as rejected and reads the rest', async () => {
        const lines = records(3).map((r) => JSON.stringify(r));
        lines.splice(1, 0, '{"records": [ {"broken"', 'garbage', '{"time": "x"}');
        const out = await readAll(lines.join('\n'));
        expect(out.events).toBe(3);
        expect(out.rejected).toEqual({ 'invalid-json': 2, 'missing-result-code': 1 });
    });

    it('reads NDJSON whose first line is broken', async () => {
        const lines = ['{"records": [1,2}', ...records(2).map((r) => JSON.stringify(r))];
        expect(await readAll(lines.join('\n'))).toMatchObject({ events: 2, rejected: { 'invalid-json': 1 } });
    });

    it('counts a truncated document as one rejection after what it could read', async () => {
        const text = JSON.stringify({ records: records(3) });
        const out = await readAll(text.slice(0, text.length - 200));
        expect(out.events).toBe(2);
        expect(out.rejected).toEqual({ 'invalid-json': 1 });
    });

    it('treats a __proto__ key in a streamed document as data, not a prototype', async () => {
        const r: any = records(1)[0];
        delete r.properties.userId;
        const text = JSON.stringify({ records: [r] }, null, 1).replace(
            '"properties": {',
            `"properties": {"__proto__": {"userId": "${alex.id}"},`,
        );
        expect(await readAll(text)).toMatchObject({ events: 0, rejected: { 'missing-user-id': 1 } });
    });

    it('yields nothing for an empty input', async () => {
        expect(await readAll('  \n')).toEqual({ events: 0, rejected: {}, messages: 0 });
    });
});
