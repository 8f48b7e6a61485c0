import { ConcurrencyConflictError, WriteRejectedError } from '../../shared/errors';
import { createTableClient } from '../../shared/state/createTableClient';
import { MemoryRowStore } from '../../shared/state/memoryRowStore';
import type { RowStore } from '../../shared/state/rowStore';
import { ROW_BUDGET_BYTES, RowIndex, rowSize } from '../../shared/state/tableEntity';
import { TableRowStore } from '../../shared/state/tableRowStore';
import { updateRow } from '../../shared/state/updateRow';
import { asciiJsonBodies, azuriteTableClient, azuriteTableEndpoint } from '../support/azuriteTables';
import { AzureTableLimits, startAzureTableLimits } from '../support/azureTableLimits';

const USER = '0f8fad5b-d9cb-469f-a165-70867728950e';
const OTHER = '1f8fad5b-d9cb-469f-a165-70867728950e';

interface Doc {
    items: string[];
}

const index = (o: Partial<RowIndex> = {}): RowIndex => ({
    lastEventTime: 1_700_000_000_000,
    incidentCount: 0,
    pendingWork: false,
    ...o,
});
const doc = (n: number, text = 'r'.repeat(60)): Doc => ({ items: Array.from({ length: n }, (_, i) => `${text}${i}`) });
/**
 * The largest document of items of this text whose row fits the budget, found by bisection: quickly, since a client
 * left idle longer than Azurite's keep-alive (5 s) writes into a closed socket (EPIPE) on its next request.
 */
function largestFitting(text: string): Doc {
    const fitsIn = (n: number) => rowSize(USER, JSON.stringify(doc(n, text))) <= ROW_BUDGET_BYTES;
    let low = 1;
    let high = 2;
    while (fitsIn(high)) high *= 2;
    while (high - low > 1) {
        const mid = Math.floor((low + high) / 2);
        if (fitsIn(mid)) low = mid;
        else high = mid;
    }
    return doc(low, text);
}
let writes = 0;
const opts = (etag?: string, o: Partial<RowIndex> = {}) => ({
    ...(etag ? { etag } : {}),
    index: index(o),
    writeId: `w${writes++}`,
});

let limits: AzureTableLimits;
beforeAll(async () => {
    limits = await startAzureTableLimits(azuriteTableEndpoint());
});
afterAll(() => limits.close());

let n = 0;
async function tableBehindAzureLimits(): Promise<TableRowStore<Doc>> {
    const store = new TableRowStore<Doc>(
        createTableClient(
            {
                kind: 'connectionString',
                connectionString: limits.connectionString,
                tableName: `limits${process.pid}x${n++}`,
            },
            undefined,
            { additionalPolicies: [{ policy: asciiJsonBodies, position: 'perCall' }] },
        ),
    );
    await store.ensureTable();
    return store;
}

/** Every store is compared by content, exactly; the Table ones send ASCII bodies (see `asciiJsonBodies`). */
const stores: Array<[string, () => Promise<RowStore<Doc>>]> = [
    [
        'TableRowStore on Azurite',
        async () => {
            const store = new TableRowStore<Doc>(
                azuriteTableClient({ additionalPolicies: [{ policy: asciiJsonBodies, position: 'perCall' }] }),
            );
            await store.ensureTable();
            return store;
        },
    ],
    ['TableRowStore behind Azure’s limits', tableBehindAzureLimits],
    ['MemoryRowStore', async () => new MemoryRowStore<Doc>()],
];

describe.each(stores)('%s (row store contract)', (name, make) => {
    let store: RowStore<Doc>;
    beforeEach(async () => {
        store = await make();
    });

    it('reads nothing for an unknown user', async () => {
        expect(await store.read(USER)).toBeUndefined();
    });

    it('creates, reads back (with the write id) and updates with the etag', async () => {
        const created = opts();
        const etag = await store.write(USER, doc(3), created);
        const read = await store.read(USER);
        expect(read).toEqual({ doc: doc(3), json: JSON.stringify(doc(3)), etag, writeId: created.writeId });
        const updated = opts(read!.etag);
        const newEtag = await store.write(USER, doc(4), updated);
        expect(newEtag).not.toBe(etag);
        expect(await store.read(USER)).toEqual({
            doc: doc(4),
            json: JSON.stringify(doc(4)),
            etag: newEtag,
            writeId: updated.writeId,
        });
    });

    it('refuses a second create and a write with a stale etag', async () => {
        await store.write(USER, doc(0), opts());
        await expect(store.write(USER, doc(5), opts())).rejects.toBeInstanceOf(ConcurrencyConflictError);
        const read = await store.read(USER);
        expect(read?.doc).toEqual(doc(0));
        await store.write(USER, doc(1), opts(read!.etag));
        await expect(store.write(USER, doc(2), opts(read!.etag))).rejects.toBeInstanceOf(ConcurrencyConflictError);
        // Neither refused write landed.
        expect((await store.read(USER))?.doc).toEqual(doc(1));
    });

    it('stores a large document across chunks and shrinks it again without leftovers', async () => {
        const big = doc(4000);
        expect(JSON.stringify(big).length).toBeGreaterThan(200_000);
        await store.write(USER, big, opts());
        const read = await store.read(USER);
        expect(read?.doc).toEqual(big);
        await store.write(USER, doc(1), opts(read!.etag));
        expect((await store.read(USER))?.doc).toEqual(doc(1));
    });

    it('takes a row just within the budget by Azure’s formula, non-Latin text counted as UTF-16', async () => {
        // Each of these characters is 3 bytes of UTF-8 but 2 of UTF-16: Azure's count, not Azurite's.
        const fits = largestFitting('應'.repeat(500));
        expect(rowSize(USER, JSON.stringify(doc(fits.items.length + 1, '應'.repeat(500))))).toBeGreaterThan(
            ROW_BUDGET_BYTES,
        );
        const refusedBefore = limits.refused.length;
        await store.write(USER, fits, opts());
        const read = await store.read(USER);
        expect(read?.doc).toEqual(fits);
        expect(read?.json).toBe(JSON.stringify(fits));
        if (name.includes('Azure’s limits')) {
            expect(limits.refused.length).toBe(refusedBefore);
            expect(limits.largest.size).toBeGreaterThan(ROW_BUDGET_BYTES - 2_000);
        }
    });

    it('refuses a row over the budget before sending it, as EntityTooLarge', async () => {
        const tooBig = doc(1000, '應'.repeat(500));
        expect(rowSize(USER, JSON.stringify(tooBig))).toBeGreaterThan(ROW_BUDGET_BYTES);
        const error = await store.write(USER, tooBig, opts()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WriteRejectedError);
        expect(error).toMatchObject({ serviceCode: 'EntityTooLarge' });
        expect(await store.read(USER)).toBeUndefined();
    });

    it('deletes only with the current etag', async () => {
        await store.write(USER, doc(0), opts());
        const read = await store.read(USER);
        await store.write(USER, doc(1), opts(read!.etag));
        await expect(store.delete(USER, read!.etag)).rejects.toBeInstanceOf(ConcurrencyConflictError);
        await store.delete(USER, (await store.read(USER))!.etag);
        expect(await store.read(USER)).toBeUndefined();
    });

    it('lists rows, filtered on the index its callers wrote', async () => {
        await store.write(USER, doc(0), opts());
        await store.write(OTHER, doc(1), opts(undefined, { incidentCount: 1, pendingWork: true }));
        const ids = async (o?: Parameters<RowStore<Doc>['list']>[0]) => {
            const out: string[] = [];
            for await (const listed of store.list(o)) out.push(listed.userId);
            return out.sort();
        };
        expect(await ids()).toEqual([USER, OTHER].sort());
        expect(await ids({ withIncidents: true })).toEqual([OTHER]);
        expect(await ids({ pendingWork: true })).toEqual([OTHER]);
    });

    it('sets a row aside only at the version read; then it is gone from reads and listings, and starts afresh', async () => {
        await store.write(USER, doc(2), opts(undefined, { incidentCount: 1, pendingWork: true }));
        const stale = await store.read(USER);
        await store.write(USER, doc(3), opts(stale!.etag, { incidentCount: 1, pendingWork: true }));
        await expect(store.setAside(USER, stale!.etag, 'a test')).rejects.toBeInstanceOf(ConcurrencyConflictError);

        const current = await store.read(USER);
        const keptAs = await store.setAside(USER, current!.etag, 'a test');

        expect(keptAs).toMatch(/^unreadable-/);
        expect(await store.read(USER)).toBeUndefined();
        for await (const listed of store.list()) expect(listed.userId).not.toBe(USER);
        await expect(store.setAside(USER, current!.etag, 'a test')).rejects.toBeInstanceOf(ConcurrencyConflictError);
        await store.write(USER, doc(0), opts());
        expect((await store.read(USER))?.doc).toEqual(doc(0));
    });

    it('loses no update when 20 writers append to one row concurrently', async () => {
        await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
                updateRow<Doc, void>(
                    store,
                    USER,
                    (current) => ({
                        write: { doc: { items: [...(current?.doc.items ?? []), `w${i}`] }, index: index() },
                        result: undefined,
                    }),
                    { maxAttempts: 100 },
                ),
            ),
        );
        expect((await store.read(USER))?.doc.items.sort()).toEqual(
            Array.from({ length: 20 }, (_, i) => `w${i}`).sort(),
        );
    });
});

describe('TableRowStore against Azure’s behaviour', () => {
    it('recognises its own write when the acknowledgement is lost (the retry answers 409), and says so once', async () => {
        const store = await tableBehindAzureLimits();
        limits.loseAcknowledgement(USER, 1);
        let mutations = 0;
        const result = await updateRow<Doc, string>(store, USER, () => {
            mutations++;
            return { write: { doc: doc(2), index: index() }, result: `opened ${mutations}` };
        });
        // The first attempt landed; its result comes back, and the mutation was not applied a second time.
        expect(result).toBe('opened 1');
        expect(mutations).toBe(1);
        expect((await store.read(USER))?.doc).toEqual(doc(2));
    });

    it('reports a write the service refuses for good as WriteRejectedError with the service’s code', async () => {
        const store = await tableBehindAzureLimits();
        limits.refuseUser(OTHER, 'InvalidInput', 400, 1);
        const error = await store.write(OTHER, doc(1), opts()).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(WriteRejectedError);
        expect(error).toMatchObject({ serviceCode: 'InvalidInput', status: 400 });
        expect((error as Error).message).toMatch(/InvalidInput/);
    });

    it('lists every readable row and reports an unreadable one as an error, without stopping', async () => {
        const client = azuriteTableClient();
        const store = new TableRowStore<Doc>(client);
        await store.ensureTable();
        await store.write(USER, doc(1), opts());
        await client.createEntity({ partitionKey: OTHER, rowKey: 'state', d0: '{"items": [broken' });
        const listed: Array<{ userId: string; ok: boolean }> = [];
        for await (const l of store.list()) listed.push({ userId: l.userId, ok: 'row' in l });
        expect(listed.sort((a, b) => a.userId.localeCompare(b.userId))).toEqual([
            { userId: USER, ok: true },
            { userId: OTHER, ok: false },
        ]);
    });
});
