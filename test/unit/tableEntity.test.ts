import { entitySize, ROW_BUDGET_BYTES, rowSize, toRowEntity } from '../../shared/state/tableEntity';
import { WriteRejectedError } from '../../shared/errors';
import { azureVerdict } from '../support/azureTableLimits';

const USER = '0f8fad5b-d9cb-469f-a165-70867728950e';
const index = { lastEventTime: 1_700_000_000_000, incidentCount: 3, pendingWork: true };
const entityOf = (json: string) => toRowEntity(USER, json, index, '7c9e6679-7425-40de-944b-e07fc1f90ae7');

/** The entity as the service receives it (data-tables' JSON: dates and numbers annotated). */
function asSent(e: ReturnType<typeof entityOf>): Record<string, unknown> {
    const { partitionKey, rowKey, lastEventTime, ...rest } = e;
    return {
        PartitionKey: partitionKey,
        RowKey: rowKey,
        ...rest,
        lastEventTime: lastEventTime.toISOString(),
        'lastEventTime@odata.type': 'Edm.DateTime',
    };
}

describe('the row size rule (Azure’s formula)', () => {
    it.each([0, 1, 29_999, 30_000, 30_001, 250_000, 480_000])(
        'rowSize agrees with the entity it becomes (%i characters, within the budget)',
        (n) => {
            const json = 'x'.repeat(n);
            expect(rowSize(USER, json)).toBeLessThanOrEqual(ROW_BUDGET_BYTES);
            expect(rowSize(USER, json)).toBe(entitySize(entityOf(json)));
        },
    );

    it.each([492_000, 500_000, 1_000_000])(
        'refuses a document over the budget as EntityTooLarge, naming its size (%i characters)',
        (n) => {
            const json = 'x'.repeat(n);
            expect(rowSize(USER, json)).toBeGreaterThan(ROW_BUDGET_BYTES);
            expect(() => entityOf(json)).toThrow(
                expect.objectContaining({
                    serviceCode: 'EntityTooLarge',
                    message: expect.stringContaining(`would take ${rowSize(USER, json)} bytes`),
                }),
            );
        },
    );

    it('never counts less than the service does, for ASCII and for non-Latin text', () => {
        for (const text of ['x'.repeat(200_000), '應'.repeat(200_000), '😀'.repeat(100_000)]) {
            const json = JSON.stringify({ text });
            expect(rowSize(USER, json)).toBeGreaterThanOrEqual(azureVerdict(asSent(entityOf(json))).size);
        }
    });

    it('counts UTF-16 units, so that non-Latin text takes its real room (not its UTF-8 bytes)', () => {
        const latin = JSON.stringify({ t: 'x'.repeat(100_000) });
        const cjk = JSON.stringify({ t: '應'.repeat(100_000) });
        expect(rowSize(USER, cjk)).toBe(rowSize(USER, latin));
        expect(Buffer.byteLength(cjk)).toBeGreaterThan(Buffer.byteLength(latin) * 2);
    });

    it('keeps every property under 64 KiB and the whole row under the budget, else refuses as EntityTooLarge', () => {
        const json = '應'.repeat(400_000);
        const e = entityOf(json);
        const verdict = azureVerdict(asSent(e));
        expect(verdict.code).toBeUndefined();
        expect(verdict.size).toBeLessThanOrEqual(ROW_BUDGET_BYTES);
        const tooBig = '應'.repeat(500_000);
        expect(() => entityOf(tooBig)).toThrow(WriteRejectedError);
        expect(azureVerdict(asSent({ ...e, d0: tooBig })).code).toBe('PropertyValueTooLarge');
    });
});

describe('chunks of a row', () => {
    /** A lone surrogate: half of a pair, alone at either end of a chunk. */
    const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;
    const chunksOf = (json: string) => {
        const e = entityOf(json) as unknown as Record<string, unknown>;
        const out: string[] = [];
        for (let i = 0; typeof e[`d${i}`] === 'string'; i++) out.push(e[`d${i}`] as string);
        return out;
    };

    it.each([
        ['a pair across the first boundary', JSON.stringify({ s: 'a'.repeat(29_993) + '😀'.repeat(10) })],
        ['pairs across every boundary', JSON.stringify({ s: 'a' + '😀'.repeat(150_000) })],
        ['pairs that end exactly on a boundary', JSON.stringify({ s: 'abcd' + '😀'.repeat(150_000) })],
    ])('never splits a surrogate pair between two chunks: %s', (_name, json) => {
        const chunks = chunksOf(json);
        expect(chunks.length).toBeGreaterThan(1);
        for (const c of chunks) {
            expect(c).not.toMatch(LONE_SURROGATE);
            expect(c.length).toBeLessThanOrEqual(30_000);
        }
        expect(chunks.join('')).toBe(json);
        expect(rowSize(USER, json)).toBe(entitySize(entityOf(json)));
    });
});
