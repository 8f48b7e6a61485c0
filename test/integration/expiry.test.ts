import { MemoryCircuitBreaker } from '../../shared/containment/circuitBreaker';
import { runDueWork } from '../../shared/runners/runDueWork';
import type { ContainmentDeps } from '../../shared/runners/containmentDeps';
import type { UserRow } from '../../shared/userRow/userRow';
import { UserRows } from '../../shared/userRow/userRows';
import { loadContainmentConfig } from '../../shared/settings/containment';
import { DEFAULT_POLICY } from '../../shared/detection/policy';
import { processSignInBatch } from '../../shared/pipeline/processSignInBatch';
import { USER_SIGNIN_CATEGORIES } from '../../shared/signin/parseSignIn';
import { TableRowStore } from '../../shared/state/tableRowStore';
import { azuriteTableClient } from '../support/azuriteTables';
import { putRecord, stateRecord } from '../support/records';
import { envelope, pushDenied, user } from '../support/signInFactory';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

describe('idle state expiry (timer, Azurite)', () => {
    it('forgets idle users, keeps recent ones and those with recent incidents', async () => {
        const store = new TableRowStore<UserRow>(azuriteTableClient());
        await store.ensureTable();
        const now = Date.parse('2026-11-27T12:00:00Z');
        const hour = 3_600_000;
        const idle = user('Idle User');
        const active = user('Active User');
        const attacked = user('Attacked User');
        await putRecord(store, stateRecord(idle.id, { lastEventTime: now - 30 * hour }));
        await putRecord(store, stateRecord(active.id, { lastEventTime: now - 2 * hour }));
        const at = (m: number) => new Date(now - 30 * hour + m * 60_000);
        const config = loadContainmentConfig({});
        const rows = new UserRows({ store, windowMs: DEFAULT_POLICY.windowMs, containment: config });
        await processSignInBatch(
            [envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: attacked, at: at(i) })))],
            {
                rows,
                policy: DEFAULT_POLICY,
                categories: new Set(USER_SIGNIN_CATEGORIES),
                now: () => now - 30 * hour,
            },
        );
        const deps: ContainmentDeps = {
            rows,
            config,
            breaker: new MemoryCircuitBreaker(),
            logger: silent,
            leaseMs: 180_000,
            now: () => now,
        };
        const result = await runDueWork(deps, { idleMs: 24 * hour });
        expect(result.expired).toBe(1);
        expect(await store.read(idle.id)).toBeUndefined();
        expect((await store.read(active.id))?.doc.state).toMatchObject({
            userId: active.id,
            lastEventTime: now - 2 * hour,
        });
        expect((await store.read(attacked.id))?.doc.state).toMatchObject({
            userId: attacked.id,
            incidents: [expect.objectContaining({ userId: attacked.id, trigger: 'threshold' })],
        });
        // Thirty days after its incident, the attacked user's row goes too.
        await runDueWork({ ...deps, now: () => now + 31 * 24 * hour }, { idleMs: 24 * hour });
        expect(await store.read(attacked.id)).toBeUndefined();
    });
});
