/**
 * Campaign rows against Azurite, behind an endpoint that enforces Azure's entity limits: a hostile source with 100,000
 * users stays within them (the rest counted, the decision still made), 32 writers on one hot source lose nothing and
 * do not contend, a redelivery writes nothing, and the block list serialises changes of the named location.
 */
import { TableClient } from '@azure/data-tables';

import { DEFAULT_CAMPAIGN_POLICY } from '../../shared/campaign/campaignPolicy';
import { mergeShards } from '../../shared/campaign/sourceView';
import { CampaignCache } from '../../shared/campaignRows/campaignCache';
import { TableCampaignStore } from '../../shared/campaignRows/tableCampaignStore';
import { runCampaignStep } from '../../shared/pipeline/campaignStep';
import type { SignInEvent } from '../../shared/signin/signInEvent';
import { createTableClient } from '../../shared/state/createTableClient';
import { TableRowStore } from '../../shared/state/tableRowStore';
import type { UserRow } from '../../shared/userRow/userRow';
import { UserRows } from '../../shared/userRow/userRows';
import { AZURE_MAX_ENTITY_BYTES, AzureTableLimits, startAzureTableLimits } from '../support/azureTableLimits';
import { azuriteTableEndpoint, RequestCounter } from '../support/azuriteTables';

const T0 = Date.parse('2026-11-02T09:00:00Z');
const SOURCE = '45.141.87.19';
const policy = DEFAULT_CAMPAIGN_POLICY;
let limits: AzureTableLimits;
let n = 0;

beforeAll(async () => {
    limits = await startAzureTableLimits(azuriteTableEndpoint());
});
afterAll(() => limits.close());

async function table(counter?: RequestCounter): Promise<TableClient> {
    const client = createTableClient(
        {
            kind: 'connectionString',
            connectionString: limits.connectionString,
            tableName: `cmp${process.pid}x${Date.now().toString(36)}x${n++}`,
        },
        undefined,
        counter ? { additionalPolicies: [{ policy: counter.policy, position: 'perCall' }] } : {},
    );
    await client.createTable();
    return client;
}

const userId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** One declined prompt from the source for each user index, within the hour. */
function events(from: number, to: number, kind: SignInEvent['kind'] = 'push-denied'): Map<string, SignInEvent[]> {
    const byUser = new Map<string, SignInEvent[]>();
    for (let i = from; i < to; i++) {
        byUser.set(userId(i), [
            {
                userId: userId(i),
                userPrincipalName: `user${i}@contoso.com`,
                time: T0 + (i % 3000) * 1000,
                kind,
                ipAddress: SOURCE,
                asn: 8075,
                recordId: `row${i}`,
                keys: [`i:row${i}`, `r:req${i}-${kind}`],
            },
        ]);
    }
    return byUser;
}

function step(client: TableClient, shard: string, cache = new CampaignCache()) {
    const store = new TableCampaignStore(client);
    const rows = new UserRows({ store: new TableRowStore<UserRow>(client), windowMs: 10 * 60_000 });
    return {
        store,
        run: (byUser: Map<string, SignInEvent[]>) =>
            runCampaignStep(byUser, () => false, {
                campaigns: { store, policy, cache, notify: false },
                rows,
                windowMs: 10 * 60_000,
                shard,
                now: () => T0 + 4 * 3_600_000,
            }),
    };
}

describe('campaign rows within Azure’s limits', () => {
    it('a hostile source with 100,000 users: every row fits, the users are counted, approvers still get incidents', async () => {
        const client = await table();
        const refusedBefore = limits.refused.length;
        const writers = [0, 1, 2, 3].map((s) => step(client, String(s)));
        for (let from = 0; from < 100_000; from += 5_000) {
            const r = await writers[(from / 5_000) % 4]!.run(events(from, from + 5_000));
            expect(r.failures).toEqual([]);
            expect(r.refused).toEqual([]);
        }
        // Three of them approve a prompt from the source, late.
        const approvers = [12_345, 54_321, 99_999];
        const approved = await writers[1]!.run(
            new Map(approvers.map((i) => [userId(i), events(i, i + 1, 'mfa-approved').get(userId(i))!])),
        );
        expect(limits.refused.length).toBe(refusedBefore);
        expect(limits.largest.size).toBeLessThanOrEqual(AZURE_MAX_ENTITY_BYTES);
        const rows = await writers[0]!.store.readSource(`address:${SOURCE}`);
        expect(rows.shards.length).toBeLessThanOrEqual(4);
        const merged = mergeShards(rows.shards);
        expect(merged.overflow).toBe(true);
        expect(Math.abs(merged.estimatedUsers - 100_000) / 100_000).toBeLessThan(0.08);
        expect(rows.head?.doc).toMatchObject({ overCap: true, key: { type: 'address', value: SOURCE } });
        const view = approved.campaigns.find((c) => c.source.type === 'address')!;
        expect(view).toMatchObject({ estimated: true, severity: 'High', containment: 'needs-attention' });
        expect(view.userCount).toBeGreaterThan(90_000);
        // Incidents: the first CAMPAIGN_MAX_USERS, and every approver, whatever the crowd.
        const incidents = approved.newIncidents.concat(approved.updatedIncidents);
        for (const i of approvers) {
            expect(incidents.find((x) => x.incident.userId === userId(i))?.incident.approval).toBeDefined();
        }
    }, 180_000);
});

describe('a hot source on every partition', () => {
    it('32 writers at once: no conflict on a shard, nothing lost, two round trips per source per batch', async () => {
        const counter = new RequestCounter();
        const client = await table(counter);
        const writers = Array.from({ length: 32 }, (_, s) => step(client, String(s)));
        counter.reset();
        const rounds = 2;
        const total = {
            conflicts: 0,
            headConflicts: 0,
            sources: 0,
            shardReads: 0,
            shardWrites: 0,
            sourceReads: 0,
            headWrites: 0,
        };
        for (let round = 0; round < rounds; round++) {
            const results = await Promise.all(
                writers.map((w, s) => w.run(events(round * 320 + s * 10, round * 320 + s * 10 + 3))),
            );
            for (const r of results) {
                expect(r.failures).toEqual([]);
                for (const k of Object.keys(total) as Array<keyof typeof total>) total[k] += r.stats[k];
            }
        }
        expect(total.conflicts).toBe(0);
        // Racing to open the campaign, and to mark it past the cap: each writer at most once per event.
        expect(total.headConflicts).toBeLessThanOrEqual(2 * 31);
        const merged = mergeShards((await writers[0]!.store.readSource(`address:${SOURCE}`)).shards);
        expect(merged.users.length).toBe(rounds * 32 * 3);
        // Per source per batch: this writer's shard written once without a read, the source read once; once per
        // campaign event, the campaign row written (and read again by the writers who lost the race).
        expect(total.shardWrites).toBe(total.sources);
        expect(total.shardReads).toBe(0);
        expect(total.sourceReads).toBe(total.sources + total.headConflicts);
        const campaignRequests = [...counter.byUser]
            .filter(([k]) => k.startsWith('campaign-'))
            .reduce((a, [, c]) => a + c, 0);
        const counted = total.shardWrites + total.sourceReads + total.headWrites;
        // (An SDK retry of a request Azurite dropped under this load counts once more on the wire.)
        expect(campaignRequests).toBeGreaterThanOrEqual(counted);
        expect(campaignRequests).toBeLessThanOrEqual(counted * 1.02);
    });

    it('writers sharing shards (a partition moved to another instance) lose nothing either', async () => {
        const client = await table();
        const writers = Array.from({ length: 16 }, (_, s) => step(client, String(s % 4)));
        const results = await Promise.all(writers.map((w, s) => w.run(events(s * 5, s * 5 + 5))));
        expect(results.flatMap((r) => r.failures)).toEqual([]);
        const merged = mergeShards((await writers[0]!.store.readSource(`address:${SOURCE}`)).shards);
        expect(merged.users.length).toBe(80);
    });

    it('a redelivered batch writes no source row', async () => {
        const counter = new RequestCounter();
        const client = await table(counter);
        const w = step(client, '0');
        const batch = events(0, 12);
        const first = await w.run(batch);
        expect(first.stats.shardWrites).toBeGreaterThan(0);
        counter.reset();
        const again = await w.run(batch);
        expect(again.stats).toMatchObject({ shardWrites: 0, sourceReads: 0, memberships: 0 });
        expect([...counter.byUser.keys()].filter((k) => k.startsWith('campaign-'))).toEqual([]);
    });
});
