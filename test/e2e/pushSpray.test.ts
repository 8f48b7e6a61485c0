/**
 * Push spray end to end, as the Functions host runs it: one source's prompts arrive on several partitions at once
 * (concurrent invocations, each with a runtime of its own, one table), through Azurite and the local HTTPS Graph. One
 * campaign, each sprayed user contained as one circuit-breaker decision, one Teams card; what is not an attacker stays
 * quiet; above CAMPAIGN_MAX_USERS only approvers are contained; the source range is blocked and unblocked.
 */
import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import type { Incident } from '../../shared/detection/userState';
import type { Containment } from '../../shared/containment/model';
import { releaseUser } from '../../shared/runners/release';
import { runDueWork } from '../../shared/runners/runDueWork';
import { createRuntime, Runtime } from '../../shared/runtime';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import type { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { eventHubContext } from '../support/host';
import { appClientFor, startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { envelope, pushDenied, User } from '../support/signInFactory';
import { ATTACKER, at, ownAddressDeclines, sprayedUsers, sprayRecords } from '../support/spray';
import { startWebhook } from '../support/webhook';

const PUSH_BLOCK_GROUP = '7a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2e';
const BREAK_GLASS_GROUP = '2b2c3d4e-5f60-4172-8394-a5b6c7d8e9f1';
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

let identity: FakeIdentity;
let graph: FakeGraph;
let webhook: Awaited<ReturnType<typeof startWebhook>>;
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: PUSH_BLOCK_GROUP }));
    webhook = await startWebhook();
    graph.addGroup(BREAK_GLASS_GROUP, 'SG-Break-Glass');
});
afterAll(async () => {
    await stopLocalGraph({ identity, graph });
    await webhook.close();
});

function settings(env: Record<string, string> = {}): Record<string, string | undefined> {
    return {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `spray${process.pid}x${Date.now().toString(36)}x${n++}`,
        GRAPH_BASE_URL: graph.baseUrl,
        GRAPH_CALL_TIMEOUT_SECONDS: '2',
        GRAPH_STEP_BUDGET_SECONDS: '8',
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: PUSH_BLOCK_GROUP,
        NOTIFY_WEBHOOK_URL: webhook.url,
        NOTIFY_FORMAT: 'teams',
        NEVER_CONTAIN_GROUP_IDS: BREAK_GLASS_GROUP,
        MAX_CONTAINMENTS_PER_HOUR: '3',
        ...env,
    };
}

/** A runtime per instance, on one table, as the identity holding what the grant script grants for these settings. */
function instance(s: Record<string, string | undefined>): Runtime {
    return createRuntime({ env: { ...s, AZURE_CLIENT_ID: appClientFor(identity, s) } });
}

function known(users: readonly User[]): void {
    for (const u of users) graph.addUser(u.id, { userPrincipalName: u.upn });
}

/** Deals the records round-robin to `partitions` concurrent invocations, each its own instance and partition. */
async function deliverOnPartitions(
    s: Record<string, string | undefined>,
    records: ReadonlyArray<Record<string, unknown>>,
    partitions: number,
): Promise<Runtime[]> {
    const batches: unknown[][] = Array.from({ length: partitions }, () => []);
    records.forEach((r, i) => batches[i % partitions]!.push(envelope([r])));
    const runtimes = batches.map(() => instance(s));
    await runtimes[0]!.ready();
    await Promise.all(
        batches.map((b, i) =>
            createSignInEventsHandler(() => runtimes[i]!)(b, eventHubContext(b.length, String(i)).context),
        ),
    );
    return runtimes;
}

async function incidentsOf(rt: Runtime, u: User): Promise<Array<Incident & { containment?: Containment }>> {
    const row = await rt.store.read(u.id);
    if (!row) return [];
    return containedIncidents(readUserRow(row.doc)).map(({ incident, containment }) => ({
        ...incident,
        ...(containment ? { containment } : {}),
    }));
}

const cards = (campaignIdOrSource: string) =>
    webhook.received.filter(
        (m) => JSON.stringify(m).includes(campaignIdOrSource) && JSON.stringify(m).includes('Push spray campaign'),
    );

describe('push spray through the Event Hub handler', () => {
    it('one source on four partitions at once: one campaign, every user contained as one breaker decision, one card', async () => {
        const s = settings();
        const users = sprayedUsers(30, `spray ${randomUUID().slice(0, 6)}`);
        known(users);
        const breakGlass = users[5]!;
        graph.groups.get(BREAK_GLASS_GROUP)!.members.add(breakGlass.id);
        const runtimes = await deliverOnPartitions(s, sprayRecords(users), 4);
        const rt = runtimes[0]!;
        await runDueWork(rt.containmentDeps(silent));
        const all = await Promise.all(users.map((u) => incidentsOf(rt, u)));
        const campaignIds = new Set(all.flat().map((i) => i.campaignId));
        expect(campaignIds.size).toBe(1);
        for (const [i, incidents] of all.entries()) {
            expect({ user: users[i]!.upn, incidents: incidents.length }).toEqual({ user: users[i]!.upn, incidents: 1 });
            expect(incidents[0]).toMatchObject({ trigger: 'push-spray', denials: 1, timeouts: 1 });
            // The breaker allows 3 an hour: the campaign is one decision, so all 30 are contained; break-glass wins.
            expect(incidents[0]!.containment).toMatchObject({
                status: users[i] === breakGlass ? 'not-contained' : 'contained',
            });
        }
        const breaker = await rt.breaker.peek(Date.now());
        expect(breaker).toBe(1);
        for (const u of users) {
            expect(graph.groups.get(PUSH_BLOCK_GROUP)!.members.has(u.id)).toBe(u !== breakGlass);
        }
        // One Teams card for the campaign, none per sprayed user.
        const campaignId = [...campaignIds][0]!;
        expect(cards(campaignId)).toHaveLength(1);
        expect(JSON.stringify(cards(campaignId)[0])).toContain(ATTACKER.ip);
        expect(
            webhook.received.filter((m) => users.some((u) => JSON.stringify(m).includes(`Push spray on ${u.upn}`))),
        ).toEqual([]);
    });

    it('a gateway with hundreds of users behind a trusted range, or a trusted named location, stays quiet', async () => {
        const s = settings({ TRUSTED_SOURCE_RANGES: '45.141.87.0/24' });
        const users = sprayedUsers(200, `gateway ${randomUUID().slice(0, 6)}`);
        const runtimes = await deliverOnPartitions(s, sprayRecords(users), 2);
        const named = sprayedUsers(40, `named ${randomUUID().slice(0, 6)}`);
        const trusted = sprayRecords(named, { source: { ip: '198.18.0.9' } }).map((r) => {
            (r.properties as Record<string, unknown>).networkLocationDetails = [
                { networkType: 'trustedNamedLocation', networkNames: ['HQ'] },
            ];
            return r;
        });
        await deliverOnPartitions({ ...s, STATE_TABLE_NAME: s.STATE_TABLE_NAME }, trusted, 2);
        const incidents = (await Promise.all([...users, ...named].map((u) => incidentsOf(runtimes[0]!, u)))).flat();
        expect(incidents).toEqual([]);
    });

    it('people declining once each from their own addresses stay quiet', async () => {
        const s = settings();
        const runtimes = await deliverOnPartitions(s, ownAddressDeclines(60), 3);
        let rows = 0;
        for await (const listed of runtimes[0]!.userRows.list({ withIncidents: true }))
            if (!('error' in listed)) rows++;
        expect(rows).toBe(0);
    });

    it('above CAMPAIGN_MAX_USERS only the user who approved is contained; break-glass is never touched', async () => {
        const s = settings({ CAMPAIGN_MAX_USERS: '5' });
        const users = sprayedUsers(12, `capped ${randomUUID().slice(0, 6)}`);
        known(users);
        graph.groups.get(BREAK_GLASS_GROUP)!.members.add(users[0]!.id);
        const runtimes = await deliverOnPartitions(s, sprayRecords(users, { approver: 3 }), 2);
        const rt = runtimes[0]!;
        await runDueWork(rt.containmentDeps(silent));
        const by = await Promise.all(users.map(async (u) => ({ u, incidents: await incidentsOf(rt, u) })));
        const approver = by[3]!.incidents[0]!;
        expect(approver.approval).toBeDefined();
        expect(approver.containment).toMatchObject({ status: 'contained' });
        const held = by.filter((x, i) => i !== 3 && x.incidents.length > 0);
        // Users up to the cap have incidents that need attention; the rest are counted on the campaign only.
        expect(held.length).toBeLessThanOrEqual(5);
        for (const { incidents } of held) {
            expect(incidents[0]!.containment).toMatchObject({
                status: expect.stringMatching(/needs-attention|not-contained/),
            });
        }
        expect(graph.groups.get(PUSH_BLOCK_GROUP)!.members.has(users[0]!.id)).toBe(false);
        const campaignId = approver.campaignId!;
        // (Campaign ids name the source and the window's start: this test's spray has the same as the first test's.)
        expect(JSON.stringify(cards(campaignId).at(-1))).toMatch(/NEEDS ATTENTION/);
    });
});

describe('blocking the source (BLOCK_CAMPAIGN_SOURCES)', () => {
    it("adds the address to the block named location, keeps the tenant's own ranges, and a release takes it out", async () => {
        const locationId = randomUUID();
        graph.namedLocations.set(locationId, {
            displayName: 'MFA responder: blocked campaign sources',
            isTrusted: false,
            ranges: ['192.0.2.0/24', '203.0.113.0/24'],
            createdDateTime: new Date().toISOString(),
            modifiedDateTime: new Date().toISOString(),
        });
        const s = settings({ BLOCK_CAMPAIGN_SOURCES: 'true', BLOCK_LOCATION_ID: locationId });
        const users = sprayedUsers(12, `blocked ${randomUUID().slice(0, 6)}`);
        known(users);
        const [rt] = await deliverOnPartitions(s, sprayRecords(users), 1);
        const location = graph.namedLocations.get(locationId)!;
        expect(location.ranges).toEqual(
            expect.arrayContaining(['192.0.2.0/24', '203.0.113.0/24', `${ATTACKER.ip}/32`]),
        );
        await releaseUser(users[0]!.id, { by: 'soc@contoso.com', reason: 'verified' }, rt!.containmentDeps(silent));
        expect(location.ranges).not.toContain(`${ATTACKER.ip}/32`);
        expect(location.ranges).toEqual(expect.arrayContaining(['192.0.2.0/24', '203.0.113.0/24']));
    });

    it('never writes the named location in dry-run', async () => {
        const locationId = randomUUID();
        graph.namedLocations.set(locationId, {
            displayName: 'x',
            isTrusted: false,
            ranges: ['192.0.2.0/24'],
            createdDateTime: new Date().toISOString(),
            modifiedDateTime: new Date().toISOString(),
        });
        const s = settings({
            CONTAINMENT_MODE: 'dry-run',
            BLOCK_CAMPAIGN_SOURCES: 'true',
            BLOCK_LOCATION_ID: locationId,
        });
        await deliverOnPartitions(s, sprayRecords(sprayedUsers(12, `dry ${randomUUID().slice(0, 6)}`)), 1);
        expect(graph.namedLocations.get(locationId)!.ranges).toEqual(['192.0.2.0/24']);
        expect(graph.calls.filter((c) => c.path.includes(locationId))).toEqual([]);
    });
});

it('redelivering the spray changes nothing: no new incident, no second card, no Graph write', async () => {
    const s = settings();
    const users = sprayedUsers(15, `again ${randomUUID().slice(0, 6)}`);
    known(users);
    const records = sprayRecords(users);
    const [rt] = await deliverOnPartitions(s, records, 1);
    const before = await Promise.all(users.map((u) => rt!.store.read(u.id)));
    const received = webhook.received.length;
    const writes = graph.writes().length;
    await createSignInEventsHandler(() => rt!)(
        records.map((r) => envelope([r])),
        eventHubContext(records.length, '0').context,
    );
    const after = await Promise.all(users.map((u) => rt!.store.read(u.id)));
    expect(after.map((r) => r?.etag)).toEqual(before.map((r) => r?.etag));
    expect(webhook.received.length).toBe(received);
    expect(graph.writes().length).toBe(writes);
    // A late prompt of one more user joins the campaign.
    const late = sprayedUsers(1, `late ${randomUUID().slice(0, 6)}`);
    known(late);
    await createSignInEventsHandler(() => rt!)(
        [
            envelope([
                pushDenied({
                    user: late[0]!,
                    at: at(55),
                    ip: ATTACKER.ip,
                    asn: ATTACKER.asn,
                    userAgent: ATTACKER.userAgent,
                }),
            ]),
        ],
        eventHubContext(1, '0').context,
    );
    expect((await incidentsOf(rt!, late[0]!))[0]).toMatchObject({ trigger: 'push-spray' });
});
