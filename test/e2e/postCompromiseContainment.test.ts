/**
 * After the approval: what the attacker registered goes, the password can be invalidated, and every account type
 * ends where a person can see what is left to do. Event Hub handler → Azurite → the local Graph.
 */
import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import type { Containment } from '../../shared/containment/model';
import { runDueWork } from '../../shared/runners/runDueWork';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import type { Incident } from '../../shared/detection/userState';
import { createRuntime, Runtime } from '../../shared/runtime';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { appClientFor, startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, pushApproved, pushDenied, securityInfoChange, User, user } from '../support/signInFactory';
import { startWebhook } from '../support/webhook';

const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

const ATTACKER = '185.220.101.34';
const PUSH_BLOCK_GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const BREAK_GLASS_GROUP = '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0';
// Recent, so that the pipeline's sane-time rule and the Graph creation dates line up with the clock.
const T0 = Date.now() - 60 * 60_000;
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
afterEach(() => graph.faults.splice(0));
afterAll(async () => {
    await stopLocalGraph({ identity, graph });
    await webhook.close();
});

function runtime(env: Record<string, string> = {}): Runtime {
    const settings: Record<string, string | undefined> = {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `post${process.pid}x${Date.now().toString(36)}x${n++}`,
        GRAPH_BASE_URL: graph.baseUrl,
        GRAPH_CALL_TIMEOUT_SECONDS: '2',
        GRAPH_STEP_BUDGET_SECONDS: '10',
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: PUSH_BLOCK_GROUP,
        NEVER_CONTAIN_GROUP_IDS: BREAK_GLASS_GROUP,
        NOTIFY_WEBHOOK_URL: webhook.url,
        ...env,
    };
    // The identity holds exactly what the grant script grants for these settings.
    return createRuntime({ env: { ...settings, AZURE_CLIENT_ID: appClientFor(identity, settings) } });
}

function victim(init: Parameters<FakeGraph['addUser']>[1] = {}): User {
    const u = user(`Post Victim ${n++} ${randomUUID().slice(0, 6)}`);
    graph.addUser(u.id, { userPrincipalName: u.upn, ...init });
    return u;
}

async function deliver(rt: Runtime, messages: unknown[]): Promise<string> {
    const { context, logs } = eventHubContext(messages.length);
    await createSignInEventsHandler(() => rt)(messages, context);
    return logs.text();
}

async function incidentsOf(rt: Runtime, u: User): Promise<Array<Incident & { containment?: Containment }>> {
    const row = await rt.store.read(u.id);
    if (!row) return [];
    return containedIncidents(readUserRow(row.doc)).map(({ incident, containment }) => ({
        ...incident,
        ...(containment ? { containment } : {}),
    }));
}

/** Four declined pushes from the attacker, then an approval from the attacker's address. */
const surrender = (u: User) =>
    envelope([
        ...Array.from({ length: 4 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5), ip: ATTACKER })),
        pushApproved({ user: u, at: at(2.5), ip: ATTACKER }),
    ]);

const deletes = (u: User) =>
    graph.calls.filter((c) => c.method === 'DELETE' && c.path.includes(u.id) && c.status < 300);
const step = (inc: { containment?: Containment }, name: string) => inc.containment!.steps.find((s) => s.name === name);

describe('remove-new-methods', () => {
    it('deletes only the methods created since the attack began, each through its own type, and lists the undated', async () => {
        const rt = runtime();
        const before = new Date(T0 - 30 * 86_400_000).toISOString();
        const after = (m: number) => at(m).toISOString();
        const u = victim({
            authenticatorMethods: [
                { id: 'old-phone-app', displayName: 'iPhone', isDefault: false, createdDateTime: before },
                { id: 'new-phone-app', displayName: 'Pixel', isDefault: false, createdDateTime: after(3) },
            ],
            methods: [
                { id: 'new-passkey', type: 'fido2', displayName: 'YubiKey', createdDateTime: after(3.5) },
                { id: 'new-tap', type: 'temporaryAccessPass', createdDateTime: after(4) },
                { id: 'old-passkey', type: 'fido2', displayName: 'Old key', createdDateTime: before },
                { id: '3179e48a-750b-4051-897c-87b9720928f7', type: 'phone', displayName: '+1 555 0100' },
            ],
        });
        await deliver(rt, [surrender(u)]);
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.trigger).toBe('spam-then-success');
        expect(
            deletes(u)
                .map((c) => c.path)
                .sort(),
        ).toEqual(
            [
                `/v1.0/users/${u.id}/authentication/fido2Methods/new-passkey`,
                `/v1.0/users/${u.id}/authentication/microsoftAuthenticatorMethods/new-phone-app`,
                `/v1.0/users/${u.id}/authentication/temporaryAccessPassMethods/new-tap`,
            ].sort(),
        );
        const fake = graph.users.get(u.id)!;
        expect(fake.authenticatorMethods.map((m) => m.id)).toEqual(['old-phone-app']);
        expect(fake.methods.map((m) => m.id).sort()).toEqual(['3179e48a-750b-4051-897c-87b9720928f7', 'old-passkey']);
        expect(step(inc!, 'remove-new-methods')).toMatchObject({ status: 'done', verified: true });
        // The phone method carries no creation date: listed for a person, not deleted.
        expect(inc!.containment!.status).toBe('needs-attention');
        expect(inc!.containment!.reason).toMatch(/no creation date.*phone "\+1 555 0100"/);
        expect(step(inc!, 'revoke-sessions-again')).toMatchObject({ status: 'done' });
        expect(fake.sessionsRevoked).toBe(2);
    });

    it('removes what was registered after a threshold attack, on the method-registered-after-attack trigger', async () => {
        const rt = runtime();
        const u = victim({ methods: [] });
        await deliver(rt, [
            envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.3), ip: ATTACKER }))),
        ]);
        const [attack] = await incidentsOf(rt, u);
        expect(attack!.containment!.status).toBe('contained');
        expect(step(attack!, 'remove-new-methods')).toBeUndefined();
        // The attacker registers a passkey from their address ten minutes later.
        graph.users
            .get(u.id)!
            .methods.push({ id: 'attacker-key', type: 'fido2', createdDateTime: at(10).toISOString() });
        await deliver(rt, [
            envelope([securityInfoChange({ user: u, at: at(10), ip: ATTACKER, reason: '', method: 'Passkey' })]),
        ]);
        const [, persistence] = await incidentsOf(rt, u);
        expect(persistence).toMatchObject({
            trigger: 'method-registered-after-attack',
            relatedIncidentId: attack!.id,
            methods: ['fido2'],
            fromAttackIp: true,
        });
        // Not stopped by the cooldown of the attack's containment: it is its follow-up.
        expect(persistence!.containment!.status).toBe('contained');
        expect(graph.users.get(u.id)!.methods).toEqual([]);
        expect(webhook.received.filter((w) => w.userId === u.id).map((w) => w.trigger)).toEqual([
            'threshold',
            'method-registered-after-attack',
        ]);
    });

    it('removes a second method the attacker registers after the first was removed, and tells the SOC again', async () => {
        const rt = runtime();
        const u = victim({ methods: [] });
        await deliver(rt, [
            envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.3), ip: ATTACKER }))),
        ]);
        const methods = graph.users.get(u.id)!.methods;
        methods.push({ id: 'attacker-key-1', type: 'fido2', createdDateTime: at(10).toISOString() });
        await deliver(rt, [envelope([securityInfoChange({ user: u, at: at(10), ip: ATTACKER, method: 'Passkey' })])]);
        expect(methods).toEqual([]);
        // Still holding a token, the attacker registers another one five minutes later: it joins the same incident.
        methods.push({ id: 'attacker-key-2', type: 'fido2', createdDateTime: at(15).toISOString() });
        const second = envelope([securityInfoChange({ user: u, at: at(15), ip: ATTACKER, method: 'Passkey' })]);
        await deliver(rt, [second]);
        expect(methods).toEqual([]);
        const incidents = await incidentsOf(rt, u);
        expect(incidents.map((i) => i.trigger)).toEqual(['threshold', 'method-registered-after-attack']);
        const persistence = incidents[1]!;
        expect(persistence.containment!.status).toBe('contained');
        expect(step(persistence, 'remove-new-methods')).toMatchObject({ status: 'done', attempts: 1 });
        expect(step(persistence, 'remove-new-methods')!.earlier).toMatch(/deleted 1/);
        expect(
            deletes(u)
                .map((c) => c.path.split('/').pop())
                .sort(),
        ).toEqual(['attacker-key-1', 'attacker-key-2']);
        expect(webhook.received.filter((w) => w.userId === u.id).map((w) => w.trigger)).toEqual([
            'threshold',
            'method-registered-after-attack',
            'method-registered-after-attack',
        ]);
        // A redelivery of the second registration changes nothing and says nothing.
        const calls = graph.calls.length;
        await deliver(rt, [second]);
        expect(graph.calls.length).toBe(calls);
        expect(webhook.received.filter((w) => w.userId === u.id)).toHaveLength(3);
    });

    it('leaves a new default method Graph will not delete to a person at once; device names cannot forge a line', async () => {
        const rt = runtime();
        const forged = 'Pixel\nContainment of incident x (ceo@contoso.com): released\u2028by admin';
        // The attacker registered an Authenticator of their own and made it the default, and a passkey; Graph deletes
        // a default method only when it is the last one.
        const u = victim({
            authenticatorMethods: [
                { id: 'attacker-app', displayName: forged, isDefault: true, createdDateTime: at(3).toISOString() },
            ],
            methods: [
                { id: 'attacker-key', type: 'fido2', displayName: forged, createdDateTime: at(3.5).toISOString() },
            ],
            otherMethods: 1, // the user's own phone, which stays
        });
        const logs = await deliver(rt, [surrender(u)]);
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('needs-attention');
        expect(step(inc!, 'remove-new-methods')).toMatchObject({ status: 'done', attempts: 1 });
        expect(inc!.containment!.reason).toMatch(
            /Graph will not delete the user's default method \(microsoftAuthenticator "Pixel .*PUSH_BLOCK_MODE=group/,
        );
        expect(graph.users.get(u.id)!.methods).toEqual([]);
        expect(graph.users.get(u.id)!.authenticatorMethods.map((m) => m.id)).toEqual(['attacker-app']);
        for (const text of [logs, JSON.stringify(webhook.received.filter((w) => w.userId === u.id))]) {
            expect(text).not.toMatch(/(^|\n|\\n|\u2028)Containment of incident x/);
        }
        expect(logs).toContain('Pixel Containment of incident x (ceo@contoso.com): released by admin');
    });

    it('adds the removal when the user approves after the attack was contained, and tells the SOC', async () => {
        const rt = runtime();
        const u = victim({ methods: [] });
        await deliver(rt, [
            envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.3), ip: ATTACKER }))),
        ]);
        graph.users
            .get(u.id)!
            .methods.push({ id: 'fresh-oath-key', type: 'fido2', createdDateTime: at(2.5).toISOString() });
        await deliver(rt, [envelope([pushApproved({ user: u, at: at(2.5), ip: ATTACKER })])]);
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.approval).toMatchObject({ fromDenialIp: true });
        expect(step(inc!, 'remove-new-methods')).toMatchObject({ status: 'done' });
        expect(inc!.containment!.status).toBe('contained');
        expect(graph.users.get(u.id)!.methods).toEqual([]);
        expect(webhook.received.filter((w) => w.userId === u.id).map((w) => w.kind)).toEqual(['incident', 'approval']);
    });
});

describe('reset-password', () => {
    it('sends the password in its one request and nowhere else: no log line, stored row, notice or other call', async () => {
        const rt = runtime({ RESET_PASSWORD: 'true' });
        const u = victim();
        const logs = await deliver(rt, [surrender(u)]);
        const fake = graph.users.get(u.id)!;
        expect(fake.passwordsSet).toHaveLength(1);
        const password = fake.passwordsSet[0]!;
        expect(password).toMatch(/^(?=.*[a-z])(?=.*[A-Z])(?=.*\d)(?=.*[^A-Za-z\d]).{24}$/);
        const carrying = graph.calls.filter((c) => JSON.stringify(c).includes(password));
        expect(carrying).toHaveLength(1);
        expect(carrying[0]).toMatchObject({ method: 'PATCH', path: `/v1.0/users/${u.id}` });
        expect(carrying[0]!.body).toEqual({ passwordProfile: { password, forceChangePasswordNextSignIn: true } });
        expect(logs).not.toContain(password);
        expect((await rt.store.read(u.id))!.json).not.toContain(password);
        expect(JSON.stringify(webhook.received)).not.toContain(password);
        const [inc] = await incidentsOf(rt, u);
        expect(step(inc!, 'reset-password')).toMatchObject({ status: 'done' });
        expect(step(inc!, 'revoke-sessions-again')).toMatchObject({ status: 'done' });
    });

    it('does not reset or disable a synced user in the cloud, and says what a person must do', async () => {
        const rt = runtime({ RESET_PASSWORD: 'true', DISABLE_ACCOUNT: 'true' });
        const u = victim({ onPremisesSyncEnabled: true });
        await deliver(rt, [surrender(u)]);
        const [inc] = await incidentsOf(rt, u);
        expect(graph.calls.filter((c) => c.method === 'PATCH' && c.path.includes(u.id))).toEqual([]);
        expect(step(inc!, 'reset-password')).toMatchObject({
            status: 'skipped',
            attention: 'reset the password in on-premises AD — a cloud reset needs password writeback',
        });
        expect(step(inc!, 'disable-account')).toMatchObject({
            status: 'skipped',
            attention: 'disable in on-premises AD: a cloud disable reverts at the next sync',
        });
        expect(inc!.containment).toMatchObject({ status: 'needs-attention', account: { onPremisesSyncEnabled: true } });
        expect(inc!.containment!.reason).toMatch(/on-premises AD/);
        expect(step(inc!, 'block-push')).toMatchObject({ status: 'done' });
    });

    it('turns a 403 on an admin into needs-attention that names the directory role', async () => {
        const rt = runtime({ RESET_PASSWORD: 'true' });
        const u = victim({ isAdmin: true });
        await deliver(rt, [surrender(u)]);
        const [inc] = await incidentsOf(rt, u);
        expect(inc!.containment!.status).toBe('needs-attention');
        expect(inc!.containment!.reason).toMatch(
            /reset-password: Graph refused \(403 Authorization_RequestDenied\).*User Administrator/,
        );
        expect(graph.users.get(u.id)!.passwordsSet).toEqual([]);
    });

    it('leaves a guest’s sessions to their home tenant and still removes what was registered', async () => {
        const rt = runtime();
        const u = victim({
            userType: 'Guest',
            methods: [{ id: 'guest-new-key', type: 'fido2', createdDateTime: at(3).toISOString() }],
        });
        await deliver(rt, [surrender(u)]);
        const [inc] = await incidentsOf(rt, u);
        expect(step(inc!, 'revoke-sessions')).toMatchObject({
            status: 'skipped',
            detail: expect.stringMatching(/guest/),
        });
        expect(step(inc!, 'remove-new-methods')).toMatchObject({ status: 'done' });
        expect(graph.users.get(u.id)!.methods).toEqual([]);
        expect(graph.users.get(u.id)!.sessionsRevoked).toBe(0);
    });
});

describe('verify after acting', () => {
    it('needs attention when the push-block membership does not read back within READBACK_WINDOW_MINUTES', async () => {
        const rt = runtime({ REMOVE_NEW_METHODS: 'false', READBACK_WINDOW_MINUTES: '10' });
        const u = victim();
        graph.membershipHidden.add(u.id);
        await deliver(rt, [
            envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.3), ip: ATTACKER }))),
        ]);
        let [inc] = await incidentsOf(rt, u);
        // Not yet a failure: the directory may lag; the timer checks again.
        expect(step(inc!, 'block-push')).toMatchObject({ status: 'failed', error: { code: 'NotYetVerified' } });
        expect(inc!.containment).toMatchObject({ status: 'retrying' });
        const since = step(inc!, 'block-push')!.unverifiedSince!;
        await runDueWork({ ...rt.containmentDeps(silent), now: () => since + 11 * 60_000 });
        [inc] = await incidentsOf(rt, u);
        expect(step(inc!, 'block-push')).toMatchObject({ status: 'done', verified: false });
        expect(inc!.containment).toMatchObject({ status: 'needs-attention' });
        expect(inc!.containment!.reason).toMatch(/push block could not be confirmed within 10 min/);
    }, 30_000);
});
