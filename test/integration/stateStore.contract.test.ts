import { emptyUserState, UserState } from '../../shared/detection/userState';
import { ConcurrencyConflictError } from '../../shared/errors';
import { MemoryStateStore } from '../../shared/state/memoryStateStore';
import type { UserStateStore } from '../../shared/state/stateStore';
import { TableStateStore } from '../../shared/state/tableStateStore';
import { updateUserState } from '../../shared/state/updateUserState';
import { azuriteTableClient } from '../support/azuriteTables';

const USER = '0f8fad5b-d9cb-469f-a165-70867728950e';

function withAttempts(state: UserState, n: number): UserState {
    return {
        ...state,
        lastEventTime: 1_700_000_000_000 + n,
        attempts: Array.from({ length: n }, (_, i) => ({
            keys: [`i:${'r'.repeat(60)}${i}`, `r:${'q'.repeat(60)}${i}`],
            t: 1_700_000_000_000 + i,
            kind: 'push-denied' as const,
            ip: '203.0.113.7',
            app: 'OfficeHome',
            rids: [`${'r'.repeat(60)}${i}`],
        })),
    };
}

const stores: Array<[string, () => Promise<UserStateStore>]> = [
    [
        'TableStateStore on Azurite',
        async () => {
            const store = new TableStateStore(azuriteTableClient());
            await store.ensureTable();
            return store;
        },
    ],
    ['MemoryStateStore', async () => new MemoryStateStore()],
];

describe.each(stores)('%s (state store contract)', (_name, make) => {
    let store: UserStateStore;
    beforeEach(async () => {
        store = await make();
    });

    it('reads nothing for an unknown user', async () => {
        expect(await store.read(USER)).toBeUndefined();
    });

    it('creates, reads back and updates with the etag', async () => {
        const etag = await store.write(withAttempts(emptyUserState(USER), 3), undefined);
        const read = await store.read(USER);
        expect(read?.state).toEqual(withAttempts(emptyUserState(USER), 3));
        expect(read?.etag).toBe(etag);
        await store.write(withAttempts(emptyUserState(USER), 4), read!.etag);
        expect((await store.read(USER))?.state.attempts).toHaveLength(4);
    });

    it('refuses a second create and a write with a stale etag', async () => {
        await store.write(emptyUserState(USER), undefined);
        await expect(store.write(emptyUserState(USER), undefined)).rejects.toBeInstanceOf(ConcurrencyConflictError);
        const read = await store.read(USER);
        await store.write(withAttempts(emptyUserState(USER), 1), read!.etag);
        await expect(store.write(withAttempts(emptyUserState(USER), 2), read!.etag)).rejects.toBeInstanceOf(
            ConcurrencyConflictError,
        );
    });

    it('stores a large state across chunks and shrinks it again without leftovers', async () => {
        const big = withAttempts(emptyUserState(USER), 2000);
        expect(JSON.stringify(big).length).toBeGreaterThan(200_000);
        await store.write(big, undefined);
        const read = await store.read(USER);
        expect(read?.state).toEqual(big);
        await store.write(withAttempts(emptyUserState(USER), 1), read!.etag);
        expect((await store.read(USER))?.state).toEqual(withAttempts(emptyUserState(USER), 1));
    });

    it('deletes only with the current etag', async () => {
        await store.write(emptyUserState(USER), undefined);
        const read = await store.read(USER);
        await store.write(withAttempts(emptyUserState(USER), 1), read!.etag);
        await expect(store.delete(USER, read!.etag)).rejects.toBeInstanceOf(ConcurrencyConflictError);
        await store.delete(USER, (await store.read(USER))!.etag);
        expect(await store.read(USER)).toBeUndefined();
    });

    it('lists users, optionally only those with incidents', async () => {
        const other = '1f8fad5b-d9cb-469f-a165-70867728950e';
        await store.write(emptyUserState(USER), undefined);
        const withIncident = emptyUserState(other);
        withIncident.incidents.push({
            id: 'x',
            userId: other,
            trigger: 'threshold',
            denials: 5,
            timeouts: 0,
            fraudReports: 0,
            firstSeen: 1,
            lastSeen: 2,
            triggeredAt: 2,
            detectedAt: 3,
            ipAddresses: [],
            apps: [],
            evidence: [],
        });
        await store.write(withIncident, undefined);
        const all: string[] = [];
        for await (const v of store.list()) all.push(v.state.userId);
        const incidents: string[] = [];
        for await (const v of store.list({ withIncidents: true })) incidents.push(v.state.userId);
        expect(all.sort()).toEqual([USER, other].sort());
        expect(incidents).toEqual([other]);
    });

    it('loses no update when 20 writers increment one row concurrently', async () => {
        await Promise.all(
            Array.from({ length: 20 }, (_, i) =>
                updateUserState(
                    store,
                    USER,
                    (current) => {
                        const state = current?.state ?? emptyUserState(USER);
                        return {
                            state: {
                                ...state,
                                lastEventTime: state.lastEventTime + 1,
                                attempts: [
                                    ...state.attempts,
                                    { keys: [`w${i}`], t: i, kind: 'push-denied' as const, rids: [] },
                                ],
                            },
                            result: undefined,
                        };
                    },
                    { maxAttempts: 100 },
                ),
            ),
        );
        const final = await store.read(USER);
        expect(final?.state.lastEventTime).toBe(20);
        expect(final?.state.attempts.map((a) => a.keys[0]).sort()).toEqual(
            Array.from({ length: 20 }, (_, i) => `w${i}`).sort(),
        );
    });
});
