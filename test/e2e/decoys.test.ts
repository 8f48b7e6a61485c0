/**
 * Decoys cannot spend the victim's protection (issue 17, item 3), through the Event Hub handler in live mode against
 * Azurite and the local Graph: ten low-value accounts, each sent ten pushes nobody answers, spend
 * MAX_CONTAINMENTS_PER_HOUR; the real victim, bombed next, approves from the attacking address and is contained. The
 * open breaker is itself a High notice naming the users it held.
 */
import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import type { Containment } from '../../shared/containment/model';
import type { Incident } from '../../shared/detection/userState';
import { createRuntime, Runtime } from '../../shared/runtime';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { eventHubContext } from '../support/host';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import {
    envelope,
    fraudReport,
    pushApproved,
    pushDenied,
    pushTimeout,
    securityInfoChange,
    User,
    user,
} from '../support/signInFactory';
import { startWebhook } from '../support/webhook';

const ATTACKER = '185.220.101.34';
const PUSH_BLOCK_GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const BREAK_GLASS_GROUP = '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0';
// Recent, so that the pipeline's sane-time rule and the Graph creation dates line up with the clock.
const T0 = Date.now() - 90 * 60_000;
const at = (m: number) => new Date(T0 + m * 60_000);

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

/** Default settings, live: MAX_CONTAINMENTS_PER_HOUR is 10. */
function runtime(): Runtime {
    return createRuntime({
        env: {
            STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
            STATE_TABLE_NAME: `decoy${process.pid}x${Date.now().toString(36)}x${n++}`,
            AZURE_CLIENT_ID: identity.clientId,
            GRAPH_BASE_URL: graph.baseUrl,
            GRAPH_CALL_TIMEOUT_SECONDS: '2',
            GRAPH_STEP_BUDGET_SECONDS: '8',
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: PUSH_BLOCK_GROUP,
            NOTIFY_WEBHOOK_URL: webhook.url,
            NEVER_CONTAIN_GROUP_IDS: BREAK_GLASS_GROUP,
        },
    });
}

function account(name: string): User {
    const u = user(`${name} ${n++} ${randomUUID().slice(0, 6)}`);
    graph.addUser(u.id, { userPrincipalName: u.upn });
    return u;
}

async function deliver(rt: Runtime, messages: unknown[]): Promise<void> {
    const { context } = eventHubContext(messages.length);
    await createSignInEventsHandler(() => rt)(messages, context);
}

async function incidentsOf(rt: Runtime, u: User): Promise<Array<Incident & { containment?: Containment }>> {
    const row = await rt.store.read(u.id);
    if (!row) return [];
    return containedIncidents(readUserRow(row.doc)).map(({ incident, containment }) => ({
        ...incident,
        ...(containment ? { containment } : {}),
    }));
}

const blocked = (u: User) =>
    graph.calls.some(
        (c) =>
            c.path === `/v1.0/groups/${PUSH_BLOCK_GROUP}/members/$ref` &&
            JSON.stringify(c.body).includes(u.id) &&
            c.status === 204,
    );
const revoked = (u: User) =>
    graph.calls.some((c) => c.path === `/v1.0/users/${u.id}/revokeSignInSessions` && c.status === 200);

/**
 * Ten decoys, each sent ten pushes nobody answers (weight 0.5 each: each reaches the threshold of 5), each from an
 * address of its own in a /24 of its own: from one address they would be one push-spray campaign, which takes one
 * breaker slot however many users it prompts (issue 20), and could not spend the cap at all.
 */
async function spendTheBreaker(rt: Runtime): Promise<User[]> {
    const decoys = Array.from({ length: 10 }, (_, d) => account(`Decoy ${d}`));
    for (const [d, u] of decoys.entries()) {
        const ip = `185.220.${110 + d}.34`;
        await deliver(rt, [
            envelope(Array.from({ length: 10 }, (_, i) => pushTimeout({ user: u, at: at(d * 4 + i * 0.3), ip }))),
        ]);
    }
    for (const u of decoys) expect((await incidentsOf(rt, u))[0]?.containment?.status).toBe('contained');
    return decoys;
}

const sixDeclines = (u: User, start: number) =>
    Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(start + i * 0.5), ip: ATTACKER }));

describe('decoys cannot spend the victim’s protection', () => {
    it('ten decoys × ten timeouts spend the breaker; the victim who approves from the attacking address is contained', async () => {
        const rt = runtime();
        await spendTheBreaker(rt);
        const victim = account('Victim');
        await deliver(rt, [
            envelope([...sixDeclines(victim, 50), pushApproved({ user: victim, at: at(53.5), ip: ATTACKER })]),
        ]);

        const [inc] = await incidentsOf(rt, victim);
        expect(inc!.approval).toMatchObject({ ipAddress: ATTACKER, sameSource: 'address' });
        expect(inc!.containment!.status).toBe('contained');
        expect(inc!.containment!.steps.find((s) => s.name === 'circuit-breaker')!.detail).toMatch(
            /high confidence \(the user approved a prompt from the attacking address\): contained past the cap, containment 11/,
        );
        expect(revoked(victim)).toBe(true);
        expect(blocked(victim)).toBe(true);
    });

    it('holds the victim while only declines are known, as a High notice naming the held users; the approval that follows contains', async () => {
        const rt = runtime();
        await spendTheBreaker(rt);
        const victim = account('Victim');
        const bystander = account('Bystander');
        await deliver(rt, [envelope(sixDeclines(bystander, 45))]);
        await deliver(rt, [envelope(sixDeclines(victim, 50))]);

        const [held] = await incidentsOf(rt, victim);
        expect(held!.containment).toMatchObject({
            status: 'not-contained',
            heldByBreaker: { users: [bystander.upn, victim.upn] },
        });
        expect(held!.containment!.reason).toMatch(
            /possible decoy flood or false-positive storm; held this hour: .*bystander.*victim/i,
        );
        expect(blocked(victim)).toBe(false);
        const notice = webhook.received.filter((w) => w.userId === victim.id).at(-1)!;
        expect(notice.severity).toBe('High');
        expect(String(notice.text)).toMatch(/possible decoy flood or false-positive storm/);

        // The victim gives in, from the attacking address: contained, whatever the breaker says.
        await deliver(rt, [envelope([pushApproved({ user: victim, at: at(54), ip: ATTACKER })])]);
        const [after] = await incidentsOf(rt, victim);
        expect(after!.containment!.status).toBe('contained');
        expect(after!.containment!.heldByBreaker).toBeUndefined();
        expect(revoked(victim)).toBe(true);
        expect(blocked(victim)).toBe(true);
        // The bystander, normal confidence, stays held.
        expect((await incidentsOf(rt, bystander))[0]!.containment!.status).toBe('not-contained');
    });

    it('contains a fraud report, and a method registered after an attack, past the cap', async () => {
        const rt = runtime();
        await spendTheBreaker(rt);
        const reporter = account('Reporter');
        await deliver(rt, [envelope([fraudReport({ user: reporter, at: at(50), ip: ATTACKER })])]);
        expect((await incidentsOf(rt, reporter))[0]!.containment!.status).toBe('contained');

        // An attack held by the breaker, then a registration after it: the follow-up is contained.
        const victim = account('Persisted');
        await deliver(rt, [envelope(sixDeclines(victim, 55))]);
        await deliver(rt, [envelope([securityInfoChange({ user: victim, at: at(59), ip: ATTACKER })])]);
        const incidents = await incidentsOf(rt, victim);
        expect(incidents.map((i) => [i.trigger, i.containment!.status])).toEqual([
            ['threshold', 'not-contained'],
            ['method-registered-after-attack', 'contained'],
        ]);
        expect(incidents[1]!.methods).toEqual(['microsoftAuthenticator']);
    });
});
