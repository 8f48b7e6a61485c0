/**
 * The circuit breaker's Table adapter against Azurite, behind an endpoint that enforces Azure's entity limits: a high
 * cap fits in a small row, concurrent instances all get their turn and together are granted exactly the cap, a lost
 * acknowledgement takes one slot, and a row that cannot be read is an error (the containment then needs attention),
 * never a guess.
 */
import { TableClient } from '@azure/data-tables';

import { TableCircuitBreaker } from '../../shared/runners/tableCircuitBreaker';
import { StateStoreError } from '../../shared/errors';
import { createTableClient } from '../../shared/state/createTableClient';
import { AzureTableLimits, startAzureTableLimits } from '../support/azureTableLimits';
import { azuriteTableEndpoint } from '../support/azuriteTables';

const MIN = 60_000;
let limits: AzureTableLimits;
let n = 0;

beforeAll(async () => {
    limits = await startAzureTableLimits(azuriteTableEndpoint());
});
afterAll(() => limits.close());

async function table(): Promise<TableClient> {
    const client = createTableClient(
        {
            kind: 'connectionString',
            connectionString: limits.connectionString,
            tableName: `brk${process.pid}x${Date.now().toString(36)}x${n++}`,
        },
        undefined,
    );
    await client.createTable();
    return client;
}

const stored = async (client: TableClient) => {
    const row = await client.getEntity<{ counts: string }>('tenant', 'circuit-breaker');
    return { text: row.counts, counts: JSON.parse(row.counts) as Record<string, number> };
};
const sum = (counts: Record<string, number>) => Object.values(counts).reduce((s, x) => s + x, 0);

describe('TableCircuitBreaker', () => {
    it('at cap 5,000: 700 containments within one hour are all allowed, in a row of at most 60 small entries', async () => {
        const client = await table();
        const breaker = new TableCircuitBreaker(client);
        const start = Date.now();
        const refusedBefore = limits.refused.length;
        const seen: number[] = [];
        // Twelve a minute: 700 containments within 59 minutes (a slot store of one entry each broke at the 607th).
        for (let i = 0; i < 700; i++) {
            const d = await breaker.tryAcquire({ now: start + Math.floor(i / 12) * MIN, max: 5000 });
            expect(d.acquired).toBe(true);
            seen.push(d.inLastHour);
        }
        expect(seen).toEqual(Array.from({ length: 700 }, (_, i) => i + 1));
        expect(limits.refused.length).toBe(refusedBefore);
        const { text, counts } = await stored(client);
        expect(sum(counts)).toBe(700);
        expect(Object.keys(counts).length).toBeLessThanOrEqual(60);
        expect(text.length).toBeLessThan(1500);
    });

    it('at cap 1: one containment an hour, and another once its minute has left the window', async () => {
        const breaker = new TableCircuitBreaker(await table());
        const now = Date.now();
        expect(await breaker.tryAcquire({ now: now, max: 1 })).toEqual({ acquired: true, inLastHour: 1, held: [] });
        expect(await breaker.tryAcquire({ now: now + 30 * MIN, max: 1 })).toEqual({
            acquired: false,
            inLastHour: 1,
            held: [],
        });
        expect(await breaker.tryAcquire({ now: now + 61 * MIN, max: 1 })).toEqual({
            acquired: true,
            inLastHour: 1,
            held: [],
        });
    });

    it('four instances taking slots back to back: none gives up on the contended row, and no slot is lost', async () => {
        const client = await table();
        const now = Date.now();
        const results = await Promise.allSettled(
            [0, 1, 2, 3].map(async () => {
                const breaker = new TableCircuitBreaker(client);
                const slots: number[] = [];
                for (let i = 0; i < 25; i++) {
                    const d = await breaker.tryAcquire({ now, max: 5000 });
                    expect(d.acquired).toBe(true);
                    slots.push(d.inLastHour);
                }
                return slots;
            }),
        );
        // Before the backoff came ahead of the re-read, the instance that had just won kept winning and the others
        // gave up with ConcurrencyConflictError ("row kept changing"): their containments would need attention.
        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        // Each acquisition saw its own count: a write that overwrote another's would repeat one and lose a slot.
        const slots = results.flatMap((r) => (r.status === 'fulfilled' ? r.value : []));
        expect([...slots].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
        expect((await stored(client)).counts).toEqual({ [String(Math.floor(now / MIN))]: 100 });
    });

    it('at cap 12, eight instances racing for 40 slots: exactly 12 are granted, the rest refused, 12 stored', async () => {
        const client = await table();
        const now = Date.now();
        const CAP = 12;
        const decisions = await Promise.all(
            Array.from({ length: 8 }, async () => {
                const breaker = new TableCircuitBreaker(client);
                const mine: Array<{ acquired: boolean; inLastHour: number }> = [];
                for (let i = 0; i < 5; i++) mine.push(await breaker.tryAcquire({ now, max: CAP }));
                return mine;
            }),
        ).then((all) => all.flat());
        const granted = decisions.filter((d) => d.acquired);
        const refused = decisions.filter((d) => !d.acquired);
        expect(granted.map((d) => d.inLastHour).sort((a, b) => a - b)).toEqual(
            Array.from({ length: CAP }, (_, i) => i + 1),
        );
        expect(refused).toEqual(
            Array.from({ length: 40 - CAP }, () => ({ acquired: false, inLastHour: CAP, held: [] })),
        );
        expect((await stored(client)).counts).toEqual({ [String(Math.floor(now / MIN))]: CAP });
        expect(await new TableCircuitBreaker(client).peek(now)).toBe(CAP);
    });

    it('a write that landed but whose answer was lost takes one slot, not two', async () => {
        const client = await table();
        const breaker = new TableCircuitBreaker(client);
        const now = Date.now();
        await breaker.tryAcquire({ now: now, max: 10 });
        limits.loseAcknowledgement('tenant', 1);
        expect(await breaker.tryAcquire({ now: now, max: 10 })).toEqual({ acquired: true, inLastHour: 2, held: [] });
        expect(sum((await stored(client)).counts)).toBe(2);
    });

    it('shares one slot per share key across instances, and a row of many keys and held users stays within Azure limits', async () => {
        const client = await table();
        const now = Date.now();
        const refusedBefore = limits.refused.length;
        const [a, b] = [new TableCircuitBreaker(client), new TableCircuitBreaker(client)];
        expect(await a.tryAcquire({ now, max: 3, shareKey: 'campaign:c1' })).toMatchObject({
            acquired: true,
            inLastHour: 1,
        });
        expect(await b.tryAcquire({ now, max: 3, shareKey: 'campaign:c1' })).toMatchObject({
            shared: true,
            inLastHour: 1,
        });
        // A thousand other keys of 300 characters, then held users of 200: the row keeps the newest, bounded.
        for (let i = 0; i < 1000; i++) {
            await a.tryAcquire({ now: now + 1000, max: 10_000, shareKey: `campaign:${'k'.repeat(300)}${i}` });
        }
        for (let i = 0; i < 60; i++) {
            const d = await b.tryAcquire({ now: now + 2000, max: 1, holder: `${i}-${'h'.repeat(200)}@contoso.com` });
            expect(d.acquired).toBe(false);
        }
        const row = await client.getEntity<{ shared: string; held: string }>('tenant', 'circuit-breaker');
        expect(Object.keys(JSON.parse(row.shared) as object)).toHaveLength(256);
        expect(JSON.parse(row.held) as unknown[]).toHaveLength(25);
        expect(limits.refused.length).toBe(refusedBefore);
        // A high-confidence request is never held, and is counted.
        const high = await b.tryAcquire({ now: now + 3000, max: 1, confidence: 'high', holder: 'victim@contoso.com' });
        expect(high).toMatchObject({ acquired: true, overCap: true, inLastHour: 1002 });
    });

    it('a row it cannot read, or a table it cannot write, is an error, never a free slot', async () => {
        const client = await table();
        await client.createEntity({
            partitionKey: 'tenant',
            rowKey: 'circuit-breaker',
            counts: '{"2993',
            writeId: 'x',
        });
        await expect(new TableCircuitBreaker(client).tryAcquire({ now: Date.now(), max: 10 })).rejects.toBeInstanceOf(
            StateStoreError,
        );
        const other = await table();
        limits.refuseUser('tenant', 'AuthorizationPermissionMismatch', 403);
        try {
            await expect(
                new TableCircuitBreaker(other).tryAcquire({ now: Date.now(), max: 10 }),
            ).rejects.toBeInstanceOf(StateStoreError);
        } finally {
            limits.refuseUser('tenant', 'AuthorizationPermissionMismatch', 403, 0);
        }
    });
});
