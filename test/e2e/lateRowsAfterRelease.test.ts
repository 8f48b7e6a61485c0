/**
 * Entra delivers some MFA rows minutes to hours late, and Event Hubs delivers at least once. Rows of an attack the SOC
 * already released, dated before the release, arrive after it: they belong to the released attack and must never
 * put the released user back into the push-block group.
 */
import { randomUUID } from 'node:crypto';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { createReleaseHandler } from '../../functions/admin';
import { RELEASE_KEY_ENV, RELEASE_KEY_HEADERS } from '../support/releaseKey';
import { createSignInEventsHandler } from '../../functions/signInEvents';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { createRuntime } from '../../shared/runtime';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, pushApproved, pushDenied, user } from '../support/signInFactory';

const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const ATTACKER = '185.220.101.34';
const T0 = Date.now() - 60 * 60_000;
const at = (m: number) => new Date(T0 + m * 60_000);

let identity: FakeIdentity;
let graph: FakeGraph;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
});

afterAll(async () => {
    await stopLocalGraph({ identity, graph });
});

/** A live responder on its own table, contained through the local Graph. */
function liveResponder(table: string) {
    return createRuntime({
        env: {
            STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
            STATE_TABLE_NAME: `${table}${process.pid}`,
            AZURE_CLIENT_ID: identity.clientId,
            GRAPH_BASE_URL: graph.baseUrl,
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: GROUP,
            NEVER_CONTAIN: 'breakglass@contoso.com',
        },
    });
}

/** The SOC releases the user through the admin endpoint. */
async function release(rt: ReturnType<typeof createRuntime>, userId: string, reason: string): Promise<number> {
    const response = await createReleaseHandler(() => rt, { env: RELEASE_KEY_ENV })(
        new HttpRequest({
            method: 'POST',
            url: 'http://localhost/api/users/release',
            headers: RELEASE_KEY_HEADERS,
            params: { userId },
            body: { string: JSON.stringify({ reason }) },
        }),
        new InvocationContext({ functionName: 'admin', logHandler: () => undefined }),
    );
    return response.status ?? 200;
}

it('late and redelivered rows of a released attack join it and leave the released user unblocked', async () => {
    // Prepare: a live responder, and an attack of 12 prompts over 6 minutes of which 6 rows arrive on time.
    const rt = liveResponder('lateRelease');
    const u = user(`Late Rows ${randomUUID().slice(0, 6)}`);
    graph.addUser(u.id, { userPrincipalName: u.upn });
    const handler = createSignInEventsHandler(() => rt);
    const rows = Array.from({ length: 12 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5), ip: ATTACKER }));
    const onTime = [envelope(rows.filter((_, i) => i % 2 === 0))];
    await handler(onTime, eventHubContext(1).context);
    expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);

    // The SOC verifies with the user and releases them.
    expect(await release(rt, u.id, 'verified by phone')).toBe(200);
    expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(false);

    // Act: Entra delivers the other 6 rows of the same attack (all dated before the release), then the hub
    // redelivers the first batch.
    const late = eventHubContext(1);
    await handler([envelope(rows.filter((_, i) => i % 2 === 1))], late.context);
    await handler(onTime, eventHubContext(1).context);

    // Assess: one incident, still released, counting all 12 prompts; the user was not blocked again.
    const incidents = containedIncidents(readUserRow((await rt.store.read(u.id))!.doc));
    expect(incidents).toHaveLength(1);
    expect(incidents[0]!.incident).toMatchObject({ denials: 12, closedAt: expect.any(Number) });
    expect(incidents[0]!.containment!.status).toBe('released');
    expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(false);
    expect(late.logs.text()).not.toMatch(/MFA push attack detected/);
}, 60_000);

it('a late approval of a released attack, dated before the release, is a new incident contained at once', async () => {
    // Prepare: the attack's first rows open an incident and block push; the SOC releases the user (who says they
    // denied everything). A minute before the release the user had approved a push; its row arrives afterwards.
    const rt = liveResponder('lateApproval');
    const u = user(`Late Approval ${randomUUID().slice(0, 6)}`);
    graph.addUser(u.id, { userPrincipalName: u.upn });
    const handler = createSignInEventsHandler(() => rt);
    const start = Date.now() - 8 * 60_000;
    const when = (m: number) => new Date(start + m * 60_000);
    const rows = Array.from({ length: 12 }, (_, i) => pushDenied({ user: u, at: when(i * 0.5), ip: ATTACKER }));
    await handler([envelope(rows.slice(0, 6))], eventHubContext(1).context);
    expect(await release(rt, u.id, 'user says they denied all')).toBe(200);
    expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(false);
    const revokes = () => graph.calls.filter((c) => c.path.endsWith(`/users/${u.id}/revokeSignInSessions`)).length;
    const before = revokes();

    // Act: the rest of the attack arrives late, with the approval dated before the release.
    const late = eventHubContext(1);
    await handler([envelope([...rows.slice(6), pushApproved({ user: u, at: when(7), ip: ATTACKER })])], late.context);

    // Assess: the released incident took the late denials; a new spam-then-success incident, linked to it, is
    // announced and contained (sessions revoked again, push blocked again).
    const incidents = containedIncidents(readUserRow((await rt.store.read(u.id))!.doc));
    const [first, second] = incidents;
    expect(incidents).toHaveLength(2);
    expect(first!.incident).toMatchObject({ denials: 12, closedAt: expect.any(Number) });
    expect(first!.containment!.status).toBe('released');
    expect(second!.incident).toMatchObject({
        trigger: 'spam-then-success',
        relatedIncidentId: first!.incident.id,
        approval: { fromDenialIp: true },
    });
    expect(second!.containment!.status).toBe('contained');
    expect(revokes()).toBeGreaterThan(before);
    expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
    expect(late.logs.text()).toMatch(/MFA push attack detected: .*"trigger":"spam-then-success"/);
}, 60_000);
