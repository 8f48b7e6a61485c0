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
        'rowSize agrees with the entity it becomes (%i characters)',
        (n) => {
            const json = 'x'.repeat(n);
            if (rowSize(USER, json) > ROW_BUDGET_BYTES) return;
            expect(rowSize(USER, json)).toBe(entitySize(entityOf(json)));
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
