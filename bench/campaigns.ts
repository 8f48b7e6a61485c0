/**
 * A hot source on every partition (`npm run bench campaigns`): one address spraying 10,000 users at once arrives on
 * all 32 partitions of the hub, and 32 writers update that source's rows concurrently. Measured against Azurite on
 * loopback: the campaign rows' conflicts and round trips per source per batch (each writer writes its own shard once
 * without a read, reads the source's shards in one query, and writes the campaign row once per campaign event), beside
 * a baseline in the same run: the one-row design, where every batch reads the source's single row and writes it back
 * under its ETag, retrying on 412 — what a single row does under this race.
 */
import { RestError, TableClient } from '@azure/data-tables';

import { startLocalAzurite } from '../cli/localAzurite';
import { DEFAULT_CAMPAIGN_POLICY } from '../shared/campaign/campaignPolicy';
import { CampaignCache } from '../shared/campaignRows/campaignCache';
import { TableCampaignStore } from '../shared/campaignRows/tableCampaignStore';
import { CampaignStats, emptyCampaignStats, runCampaignStep } from '../shared/pipeline/campaignStep';
import type { SignInEvent } from '../shared/signin/signInEvent';
import { createTableClient } from '../shared/state/createTableClient';
import { TableRowStore } from '../shared/state/tableRowStore';
import type { UserRow } from '../shared/userRow/userRow';
import { UserRows } from '../shared/userRow/userRows';
import { RequestCounter } from '../test/support/azuriteTables';

const WRITERS = 32;
const USERS = 10_000;
const USERS_PER_BATCH = 100;
const T0 = Date.parse('2026-11-02T09:00:00Z');
const SOURCE = '45.141.87.19';
/** A hosting network, not a shared carrier: the address, its /24, the network with the tool's agent and alone all key. */
const ASN = 208091;
const AGENT = 'python-requests/2.31.0';

const userId = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** One declined prompt from the hot source for each user index of the batch, within minutes. */
function batchOf(from: number, to: number): Map<string, SignInEvent[]> {
    const byUser = new Map<string, SignInEvent[]>();
    for (let i = from; i < to; i++) {
        byUser.set(userId(i), [
            {
                userId: userId(i),
                userPrincipalName: `user${i}@contoso.com`,
                time: T0 + (i % 600) * 1000,
                kind: 'push-denied',
                ipAddress: SOURCE,
                asn: ASN,
                userAgent: AGENT,
                recordId: `row${i}`,
                keys: [`i:row${i}`, `r:req${i}`],
            },
        ]);
    }
    return byUser;
}

/** Writer w's batches: its share of the users (an Event Hub partition's), USERS_PER_BATCH at a time. */
function batchesOf(w: number): Array<Map<string, SignInEvent[]>> {
    const out: Array<Map<string, SignInEvent[]>> = [];
    const per = Math.ceil(USERS / WRITERS);
    for (let from = w * per; from < Math.min(USERS, (w + 1) * per); from += USERS_PER_BATCH) {
        out.push(batchOf(from, Math.min(USERS, (w + 1) * per, from + USERS_PER_BATCH)));
    }
    return out;
}

async function campaignRows(client: TableClient, counter: RequestCounter) {
    const total: CampaignStats = emptyCampaignStats();
    let batches = 0;
    counter.reset();
    const started = process.hrtime.bigint();
    await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
            const store = new TableCampaignStore(client);
            const rows = new UserRows({ store: new TableRowStore<UserRow>(client), windowMs: 10 * 60_000 });
            const cache = new CampaignCache();
            for (const batch of batchesOf(w)) {
                const r = await runCampaignStep(batch, () => false, {
                    campaigns: { store, policy: DEFAULT_CAMPAIGN_POLICY, cache, notify: false },
                    rows,
                    windowMs: 10 * 60_000,
                    shard: String(w),
                    now: () => T0 + 3_600_000,
                });
                if (r.failures.length > 0) throw r.failures[0]!.error;
                for (const k of Object.keys(total) as Array<keyof CampaignStats>) total[k] += r.stats[k];
                batches++;
            }
        }),
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    const requests = [...counter.byUser].filter(([k]) => k.startsWith('campaign-')).reduce((a, [, c]) => a + c, 0);
    return { total, batches, requests, ms };
}

/** The baseline: one row per source, read and written back under its ETag by every batch, retried on 412. */
async function singleRow(client: TableClient) {
    const sources = ['address', 'network', 'asn-agent', 'asn'];
    let requests = 0;
    let conflicts = 0;
    let batches = 0;
    const started = process.hrtime.bigint();
    await Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
            for (const batch of batchesOf(w)) {
                batches++;
                await Promise.all(
                    sources.map(async (partitionKey) => {
                        for (;;) {
                            requests++;
                            let row: { users: string; etag: string } | undefined;
                            try {
                                row = await client.getEntity<{ users: string }>(partitionKey, 'source');
                            } catch (e) {
                                if (!(e instanceof RestError && e.statusCode === 404)) throw e;
                            }
                            // The row holds a count, not the list (a list would pass 1 MiB): the race is the same.
                            const users = Number(row?.users ?? 0) + batch.size;
                            const entity = { partitionKey, rowKey: 'source', users: String(users) };
                            requests++;
                            try {
                                if (row) await client.updateEntity(entity, 'Replace', { etag: row.etag });
                                else await client.createEntity(entity);
                                return;
                            } catch (e) {
                                if (!(e instanceof RestError && (e.statusCode === 412 || e.statusCode === 409)))
                                    throw e;
                                conflicts++;
                            }
                        }
                    }),
                );
            }
        }),
    );
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    return { requests, conflicts, perSourceBatch: batches * sources.length, ms };
}

export async function hotSource(): Promise<void> {
    const azurite = await startLocalAzurite();
    try {
        const counter = new RequestCounter();
        const table = (name: string, withCounter: boolean) =>
            createTableClient(
                { kind: 'connectionString', connectionString: azurite.connectionString, tableName: name },
                undefined,
                withCounter ? { additionalPolicies: [{ policy: counter.policy, position: 'perCall' }] } : {},
            );
        const baseTable = table('benchHotSourceBaseline', false);
        await baseTable.createTable();
        const base = await singleRow(baseTable);
        const rowsTable = table('benchHotSource', true);
        await rowsTable.createTable();
        const r = await campaignRows(rowsTable, counter);
        const per = (n: number, d: number) => (n / Math.max(1, d)).toFixed(2);
        console.log(
            `\n# A hot source on every partition (Azurite): ${USERS.toLocaleString('en-US')} users sprayed from one address, ${WRITERS} writers at once, ${USERS_PER_BATCH} users a batch`,
        );
        console.log(
            `one row per source, read + ETag write (baseline)  ${base.perSourceBatch} source-batches: ${per(base.conflicts, base.perSourceBatch)} conflicts and ${per(base.requests, base.perSourceBatch)} round trips per source per batch  ${base.ms.toFixed(0)} ms`,
        );
        console.log(
            `campaign rows (a shard per writer)                ${r.total.sources} source-batches in ${r.batches} batches: ${per(r.total.conflicts, r.total.sources)} shard conflicts, ${per(r.total.headConflicts, r.total.sources)} campaign-row races and ${per(r.requests, r.total.sources)} round trips per source per batch  ${r.ms.toFixed(0)} ms`,
        );
        console.log(
            `  shard writes ${r.total.shardWrites}, shard reads ${r.total.shardReads}, source reads ${r.total.sourceReads}, campaign-row writes ${r.total.headWrites}, races lost ${r.total.headConflicts}; ${r.requests} requests to campaign rows; ${r.total.memberships} users given a push-spray incident`,
        );
    } finally {
        await azurite.stop();
    }
}
