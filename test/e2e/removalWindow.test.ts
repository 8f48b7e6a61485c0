/**
 * Removal never takes the user's own methods (issue 17, item 6), through the Event Hub handler in live mode against
 * Azurite and the local Graph: the attack starts where a person would date it, not at a chain of sparse prompts hours
 * earlier; a follow-up of a released attack never removes what the user registered after the release; every removed
 * method is listed on the incident with its type and creation time.
 */
import { randomUUID } from 'node:crypto';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import type { Containment } from '../../shared/containment/model';
import type { Incident } from '../../shared/detection/userState';
import { releaseUser } from '../../shared/runners/release';
import { createRuntime, Runtime } from '../../shared/runtime';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { eventHubContext } from '../support/host';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import {
    envelope,
    pushApproved,
    pushDenied,
    pushTimeout,
    securityInfoChange,
    User,
    user,
} from '../support/signInFactory';

const ATTACKER = '185.220.101.34';
const HOME = '198.51.100.23';
const PUSH_BLOCK_GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const BREAK_GLASS_GROUP = '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0';
const silent = { log: () => undefined, warn: () => undefined, error: () => undefined };

let identity: FakeIdentity;
let graph: FakeGraph;
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: PUSH_BLOCK_GROUP }));
    graph.addGroup(BREAK_GLASS_GROUP, 'SG-Break-Glass');
});
afterAll(() => stopLocalGraph({ identity, graph }));

function runtime(): Runtime {
    return createRuntime({
        env: {
            STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
            STATE_TABLE_NAME: `removal${process.pid}x${Date.now().toString(36)}x${n++}`,
            AZURE_CLIENT_ID: identity.clientId,
            GRAPH_BASE_URL: graph.baseUrl,
            GRAPH_CALL_TIMEOUT_SECONDS: '2',
            GRAPH_STEP_BUDGET_SECONDS: '8',
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: PUSH_BLOCK_GROUP,
            NEVER_CONTAIN_GROUP_IDS: BREAK_GLASS_GROUP,
        },
    });
}

async function deliver(rt: Runtime, records: unknown[]): Promise<void> {
    const { context } = eventHubContext(1);
    await createSignInEventsHandler(() => rt)([envelope(records)], context);
}

async function incidentsOf(rt: Runtime, u: User): Promise<Array<Incident & { containment?: Containment }>> {
    const row = await rt.store.read(u.id);
    if (!row) return [];
    return containedIncidents(readUserRow(row.doc)).map(({ incident, containment }) => ({
        ...incident,
        ...(containment ? { containment } : {}),
    }));
}

const deleted = (u: User) =>
    graph.calls
        .filter((c) => c.method === 'DELETE' && c.path.includes(`/users/${u.id}/authentication/`) && c.status < 300)
        .map((c) => c.path.split('/').pop());

describe('the removal window', () => {
    it('keeps the security key the user registered during hours of sparse prompts before a burst', async () => {
        const rt = runtime();
        const t0 = Date.now() - 6 * 3_600_000;
        const at = (m: number) => new Date(t0 + m * 60_000);
        const u = user(`Sparse ${n++} ${randomUUID().slice(0, 6)}`);
        graph.addUser(u.id, {
            userPrincipalName: u.upn,
            authenticatorMethods: [
                {
                    id: 'attacker-app',
                    displayName: 'Attacker phone',
                    isDefault: false,
                    createdDateTime: at(272).toISOString(),
                },
            ],
            methods: [
                { id: 'own-key', type: 'fido2', displayName: 'YubiKey 5', createdDateTime: at(120).toISOString() },
            ],
        });
        // Unanswered prompts nine minutes apart for 4.4 hours (the user's laptop, below the long threshold) chain by
        // gaps under the 10-minute window; the user registers a security key two hours in.
        for (let i = 0; i < 30; i++) await deliver(rt, [pushTimeout({ user: u, at: at(i * 9), ip: HOME })]);
        await deliver(rt, [
            securityInfoChange({
                user: u,
                at: at(120),
                ip: HOME,
                reason: 'User registered Fido2 Authentication Method',
            }),
        ]);
        // Then a burst from the attacker, the approval, and the attacker's Authenticator.
        await deliver(rt, [
            ...Array.from({ length: 5 }, (_, i) => pushDenied({ user: u, at: at(266 + i * 0.5), ip: ATTACKER })),
            pushApproved({ user: u, at: at(270), ip: ATTACKER }),
        ]);
        await deliver(rt, [securityInfoChange({ user: u, at: at(272), ip: ATTACKER })]);

        const incidents = await incidentsOf(rt, u);
        const attack = incidents[0]!;
        expect(attack.firstSeen).toBeLessThan(at(200).getTime());
        expect(attack.attackStart).toBeGreaterThanOrEqual(at(266).getTime() - 60 * 60_000);
        // The key is the user's: never linked to the attack, never deleted.
        expect(incidents.map((i) => i.trigger)).toEqual([attack.trigger, 'method-registered-after-attack']);
        expect(deleted(u)).toEqual(['attacker-app']);
        expect(graph.users.get(u.id)!.methods.map((m) => m.id)).toEqual(['own-key']);
        // Listed on the incident whose removal took it (the approval's), with its type and creation time.
        const removal = attack.containment!.steps.find((s) => s.name === 'remove-new-methods')!;
        expect(removal.removed).toEqual([
            { type: 'microsoftAuthenticator', createdAt: at(272).getTime(), displayName: 'Attacker phone' },
        ]);
        expect(removal.detail).toMatch(
            new RegExp(`microsoftAuthenticator "Attacker phone" created ${at(272).toISOString()}`),
        );
    });

    it('a late audit row after a release removes what was registered before it, never what the user re-registered after', async () => {
        const rt = runtime();
        const t0 = Date.now() - 2 * 3_600_000;
        const at = (m: number) => new Date(t0 + m * 60_000);
        const u = user(`Released ${n++} ${randomUUID().slice(0, 6)}`);
        graph.addUser(u.id, { userPrincipalName: u.upn });
        await deliver(rt, [
            ...Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5), ip: ATTACKER })),
        ]);
        await releaseUser(
            u.id,
            { by: 'soc@contoso.com', reason: 'verified' },
            { ...rt.containmentDeps(silent), graph: rt.graph() },
        );
        const released = (await incidentsOf(rt, u))[0]!;
        // The attacker had added a Temporary Access Pass during the attack; the user re-registers Authenticator after
        // the release.
        const releasedAt = released.closedAt!;
        const fake = graph.users.get(u.id)!;
        fake.methods.push({ id: 'attacker-tap', type: 'temporaryAccessPass', createdDateTime: at(4).toISOString() });
        fake.authenticatorMethods.push({
            id: 'own-app',
            displayName: 'My iPhone',
            isDefault: true,
            createdDateTime: new Date(releasedAt + 60_000).toISOString(),
        });
        // The audit row of the pass arrives late, after the release, dated before it.
        await deliver(rt, [
            securityInfoChange({
                user: u,
                at: at(4),
                by: user('Rogue Admin'),
                ip: ATTACKER,
                activity: 'Admin registered security info',
                reason: 'Admin registered temporary access pass method for user',
            }),
        ]);
        const followUp = (await incidentsOf(rt, u)).find((i) => i.trigger === 'method-registered-after-attack')!;
        expect(followUp).toMatchObject({ attackReleasedAt: releasedAt, methods: ['temporaryAccessPass'] });
        expect(deleted(u)).toEqual(['attacker-tap']);
        expect(fake.authenticatorMethods.map((m) => m.id)).toContain('own-app');
        const removal = followUp.containment!.steps.find((s) => s.name === 'remove-new-methods')!;
        expect(removal.detail).toMatch(
            /kept 1 registered after the release \(the user's own\): microsoftAuthenticator "My iPhone"/,
        );
    });
});
