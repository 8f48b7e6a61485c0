/**
 * Issue 17's evasions, each reproduced through the Event Hub handler as the Functions host calls it, in live mode
 * against Azurite and the local Graph, with default settings otherwise: slow pacing, number matching and texts counted
 * as `other`, factor-giving changes the audit stream logs in other words, and two methods under one correlation id.
 * Each benign shape the issue names stays quiet: no incident, no Graph write. (Decoys: decoys.test.ts; what the
 * removal may take: removalWindow.test.ts.)
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
    GENERIC_500121,
    mfaFailed,
    pushApproved,
    pushDenied,
    pushTimeout,
    securityInfoChange,
    User,
    user,
    wrongNumber,
} from '../support/signInFactory';
import { startWebhook } from '../support/webhook';

const ATTACKER = '185.220.101.34';
const HOME = '198.51.100.23';
const PUSH_BLOCK_GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
const BREAK_GLASS_GROUP = '1b2c3d4e-5f60-4172-8394-a5b6c7d8e9f0';

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

function runtime(): Runtime {
    return createRuntime({
        env: {
            STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
            STATE_TABLE_NAME: `evade${process.pid}x${Date.now().toString(36)}x${n++}`,
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

function account(name: string, init: Parameters<FakeGraph['addUser']>[1] = {}): User {
    const u = user(`${name} ${n++} ${randomUUID().slice(0, 6)}`);
    graph.addUser(u.id, { userPrincipalName: u.upn, ...init });
    return u;
}

async function deliver(rt: Runtime, records: unknown[]): Promise<void> {
    const { context } = eventHubContext(1);
    await createSignInEventsHandler(() => rt)([envelope(records)], context);
}

/** One batch per record, in time order: a stream as it arrives, over hours. */
async function stream(rt: Runtime, records: Array<Record<string, unknown>>): Promise<void> {
    for (const r of records) await deliver(rt, [r]);
}

async function incidentsOf(rt: Runtime, u: User): Promise<Array<Incident & { containment?: Containment }>> {
    const row = await rt.store.read(u.id);
    if (!row) return [];
    return containedIncidents(readUserRow(row.doc)).map(({ incident, containment }) => ({
        ...incident,
        ...(containment ? { containment } : {}),
    }));
}

const writesFor = (u: User) =>
    graph.writes().filter((c) => c.path.includes(u.id) || JSON.stringify(c.body ?? '').includes(u.id));
const deletes = (u: User) =>
    graph.calls.filter(
        (c) => c.method === 'DELETE' && c.path.includes(`/users/${u.id}/authentication/`) && c.status < 300,
    );

describe('slow pacing', () => {
    it('24 prompts five minutes apart (16 declined, 8 unanswered), then an approval from that address: contained', async () => {
        const rt = runtime();
        const t0 = Date.now() - 3 * 3_600_000;
        const at = (m: number) => new Date(t0 + m * 60_000);
        const u = account('Paced');
        await stream(rt, [
            ...Array.from({ length: 24 }, (_, i) =>
                (i % 3 === 2 ? pushTimeout : pushDenied)({ user: u, at: at(i * 5), ip: ATTACKER }),
            ),
            pushApproved({ user: u, at: at(121), ip: ATTACKER }),
        ]);
        const [inc] = await incidentsOf(rt, u);
        expect(inc).toMatchObject({ trigger: 'sustained', denials: 16, timeouts: 8 });
        expect(inc!.approval).toMatchObject({ ipAddress: ATTACKER, sameSource: 'address' });
        expect(inc!.containment!.status).toBe('contained');
        expect(inc!.containment!.steps.map((s) => s.name)).toContain('remove-new-methods');
        expect(graph.groups.get(PUSH_BLOCK_GROUP)!.members.has(u.id)).toBe(true);
    });

    it('20 declines nine minutes apart: one incident, contained', async () => {
        const rt = runtime();
        const t0 = Date.now() - 4 * 3_600_000;
        const u = account('Nine Minutes');
        await stream(
            rt,
            Array.from({ length: 20 }, (_, i) =>
                pushDenied({ user: u, at: new Date(t0 + i * 9 * 60_000), ip: ATTACKER }),
            ),
        );
        const incidents = await incidentsOf(rt, u);
        expect(incidents.map((i) => [i.trigger, i.denials, i.containment!.status])).toEqual([
            ['sustained', 20, 'contained'],
        ]);
    });

    it('stays quiet for a mis-tap a day for a week, two mis-taps then an approval, and a phone in a drawer for an afternoon', async () => {
        const rt = runtime();
        const t0 = Date.now() - 8 * 86_400_000;
        const at = (m: number) => new Date(t0 + m * 60_000);
        const [weekly, twice, drawer] = [account('Mis-tapper'), account('Twice'), account('Drawer')];
        await stream(rt, [
            ...Array.from({ length: 7 }, (_, d) => [
                pushDenied({ user: weekly, at: at(d * 1440 + 540), ip: HOME }),
                pushApproved({ user: weekly, at: at(d * 1440 + 541), ip: HOME }),
            ]).flat(),
            pushDenied({ user: twice, at: at(8000), ip: HOME }),
            pushDenied({ user: twice, at: at(8001), ip: HOME }),
            pushApproved({ user: twice, at: at(8002), ip: HOME }),
            ...Array.from({ length: 21 }, (_, i) => pushTimeout({ user: drawer, at: at(9000 + i * 15), ip: HOME })),
            pushApproved({ user: drawer, at: at(9000 + 21 * 15), ip: HOME }),
        ]);
        for (const u of [weekly, twice, drawer]) {
            expect(await incidentsOf(rt, u)).toEqual([]);
            expect(writesFor(u)).toEqual([]);
        }
    });
});

describe('every failure text counted by meaning', () => {
    it('six wrong numbers in six minutes open an incident and contain', async () => {
        const rt = runtime();
        const t0 = Date.now() - 30 * 60_000;
        const u = account('Wrong Number');
        await deliver(
            rt,
            Array.from({ length: 6 }, (_, i) => wrongNumber({ user: u, at: new Date(t0 + i * 60_000), ip: ATTACKER })),
        );
        const [inc] = await incidentsOf(rt, u);
        expect(inc).toMatchObject({ trigger: 'threshold', denials: 6 });
        expect(inc!.containment!.status).toBe('contained');
    });

    it('counts the generic 500121 with no steps, and duplicate attempts once per sign-in, as failed prompts', async () => {
        const rt = runtime();
        const t0 = Date.now() - 30 * 60_000;
        const at = (s: number) => new Date(t0 + s * 1000);
        const u = account('Unknown Outcomes');
        // Ten sign-ins, each logged as two "duplicate authentication attempt" rows (Azure-Sentinel #9092), and ten
        // generic 500121 rows with an empty authenticationDetails (Azure-Sentinel #13176).
        const duplicates = Array.from({ length: 10 }, (_, i) => {
            const correlationId = randomUUID();
            return [0, 3].map((s) =>
                mfaFailed({ user: u, at: at(i * 20 + s), ip: ATTACKER, correlationId }, null, {
                    method: 'Mobile app notification',
                    detail: 'MFA denied; duplicate authentication attempt',
                }),
            );
        }).flat();
        await deliver(rt, duplicates.slice(0, 8));
        // Four sign-ins so far weigh 2: nothing yet.
        expect(await incidentsOf(rt, u)).toEqual([]);
        await deliver(rt, [
            ...duplicates.slice(8),
            ...Array.from({ length: 4 }, (_, i) =>
                mfaFailed({ user: u, at: at(210 + i * 10), ip: ATTACKER }, GENERIC_500121),
            ),
        ]);
        const [inc] = await incidentsOf(rt, u);
        // Twenty duplicate rows are ten prompts, and four generic ones four: 14 × 0.5 reaches the threshold of 5.
        expect(inc).toMatchObject({ trigger: 'threshold', unknownOutcomes: 14 });
        expect(inc!.containment!.status).toBe('contained');
    });
});

describe('every factor-giving change after an attack', () => {
    /** Three declines and an approval from the attacker: a spam-then-success incident, contained. */
    const surrender = (u: User, at: (m: number) => Date) => [
        ...Array.from({ length: 3 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5), ip: ATTACKER })),
        pushApproved({ user: u, at: at(2), ip: ATTACKER }),
    ];

    it.each([
        [
            'User updated security info (phone changed)',
            { activity: 'User updated security info', reason: 'User updated phone number' },
            ['phone'],
        ],
        [
            'Admin updated security info',
            { activity: 'Admin updated security info', reason: 'Admin updated Authenticator App' },
            ['microsoftAuthenticator'],
        ],
        [
            'User changed default security info',
            { activity: 'User changed default security info', reason: '' },
            ['unknown'],
        ],
        [
            'Update user with StrongAuthenticationPhoneAppDetail',
            {
                activity: 'Update user',
                modified: [
                    {
                        displayName: 'StrongAuthenticationPhoneAppDetail',
                        oldValue: '[]',
                        newValue: '[{"DeviceName":"Pixel 8"}]',
                    },
                ],
            },
            ['microsoftAuthenticator'],
        ],
        [
            'Update user with StrongAuthenticationMethod',
            {
                activity: 'Update user.',
                modified: [
                    {
                        displayName: 'StrongAuthenticationMethod',
                        oldValue: '[]',
                        newValue: '[{"MethodType":6,"Default":true},{"MethodType":"OneWaySMS"}]',
                    },
                ],
            },
            ['phone'],
        ],
    ])(
        '%s opens method-registered-after-attack with its methods, and the removal runs',
        async (_label, change, methods) => {
            const rt = runtime();
            const t0 = Date.now() - 60 * 60_000;
            const at = (m: number) => new Date(t0 + m * 60_000);
            const u = account('Changed');
            await deliver(rt, surrender(u, at));
            await deliver(rt, [securityInfoChange({ user: u, at: at(6), ip: ATTACKER, ...change })]);
            const incidents = await incidentsOf(rt, u);
            expect(incidents.map((i) => i.trigger)).toEqual(['spam-then-success', 'method-registered-after-attack']);
            expect(incidents[1]).toMatchObject({ methods, fromAttackIp: true, relatedIncidentId: incidents[0]!.id });
            expect(incidents[1]!.changes![0]).toMatch(new RegExp(`^${change.activity.replace('.', '\\.')}`));
            expect(incidents[1]!.containment!.steps.find((s) => s.name === 'remove-new-methods')!.status).toBe('done');
            expect(webhook.received.some((w) => w.incidentId === incidents[1]!.id)).toBe(true);
        },
    );

    it('records a deletion, and an Update user that touches no way to authenticate, without alerting', async () => {
        const rt = runtime();
        const t0 = Date.now() - 60 * 60_000;
        const at = (m: number) => new Date(t0 + m * 60_000);
        const u = account('Deleted');
        await deliver(rt, surrender(u, at));
        await deliver(rt, [
            securityInfoChange({
                user: u,
                at: at(6),
                ip: ATTACKER,
                activity: 'User deleted security info',
                reason: 'User deleted Authenticator App',
            }),
            securityInfoChange({
                user: u,
                at: at(7),
                activity: 'Update user',
                modified: [{ displayName: 'Department', oldValue: '"A"', newValue: '"B"' }],
            }),
            securityInfoChange({
                user: u,
                at: at(8),
                activity: 'Update user',
                modified: [
                    { displayName: 'StrongAuthenticationRequirement', oldValue: '[]', newValue: '[{"State":1}]' },
                ],
            }),
        ]);
        expect((await incidentsOf(rt, u)).map((i) => i.trigger)).toEqual(['spam-then-success']);
        const row = readUserRow((await rt.store.read(u.id))!.doc);
        expect(row.state.registrations!.map((r) => [r.kind, r.methods])).toEqual([
            ['method-deleted', ['microsoftAuthenticator']],
        ]);
    });
});

describe('one correlation id, two methods', () => {
    it('a second registration reusing the first one’s correlation id updates the incident and is removed too', async () => {
        const rt = runtime();
        const t0 = Date.now() - 60 * 60_000;
        const at = (m: number) => new Date(t0 + m * 60_000);
        const u = account('Two Methods', {
            authenticatorMethods: [
                {
                    id: 'attacker-app',
                    displayName: 'Attacker phone',
                    isDefault: false,
                    createdDateTime: at(5).toISOString(),
                },
            ],
        });
        const correlationId = randomUUID();
        await deliver(rt, [
            ...Array.from({ length: 3 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5), ip: ATTACKER })),
            pushApproved({ user: u, at: at(2), ip: ATTACKER }),
            securityInfoChange({ user: u, at: at(5), ip: ATTACKER, correlationId }),
        ]);
        expect(deletes(u).map((c) => c.path.split('/').pop())).toEqual(['attacker-app']);
        graph.users.get(u.id)!.methods.push({
            id: 'attacker-key',
            type: 'fido2',
            displayName: 'Key',
            createdDateTime: at(9).toISOString(),
        });
        await deliver(rt, [
            securityInfoChange({
                user: u,
                at: at(9),
                ip: ATTACKER,
                correlationId,
                reason: 'User registered Fido2 Authentication Method',
            }),
        ]);
        const persistence = (await incidentsOf(rt, u)).find((i) => i.trigger === 'method-registered-after-attack')!;
        expect([...persistence.methods!].sort()).toEqual(['fido2', 'microsoftAuthenticator']);
        expect(deletes(u).map((c) => c.path.split('/').pop())).toEqual(['attacker-app', 'attacker-key']);
        expect(graph.users.get(u.id)!.methods.map((m) => m.id)).not.toContain('attacker-key');
    });
});
