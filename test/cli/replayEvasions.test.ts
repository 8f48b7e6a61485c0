/**
 * Issue 17's evasions and benign shapes through `mfa-responder replay` (run in-process as the launcher runs it):
 * the `--json` lines a backtest reads, and `--contain` against the local Graph for the decoys. The same shapes go
 * through the Event Hub handler in test/e2e (evasions, decoys, removalWindow).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from '../support/cliRun';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import {
    GENERIC_500121,
    mfaFailed,
    pushApproved,
    pushDenied,
    pushTimeout,
    securityInfoChange,
    user,
    wrongNumber,
} from '../support/signInFactory';

const dir = mkdtempSync(join(tmpdir(), 'mfa-evasions-'));
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);
const ATTACKER = '185.220.101.34';
const HOME = '198.51.100.23';
const GROUP = '5e6f7081-92a3-44b5-86c7-d8e9f0a1b2c3';

let identity: FakeIdentity;
let graph: FakeGraph;
beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
});
afterAll(() => stopLocalGraph({ identity, graph }));

let files = 0;
function file(lines: unknown[]): string {
    const p = join(dir, `input-${files++}.ndjson`);
    writeFileSync(p, lines.map((l) => JSON.stringify(l)).join('\n'));
    return p;
}

async function replay(lines: unknown[], args: string[] = [], env: Record<string, string> = {}) {
    const { code, stdout, stderr } = await runCli(['replay', file(lines), '--json', ...args], { env });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { incidents: out.filter((l) => l.type === 'incident'), summary: out.at(-1)! };
}

describe('replay: slow pacing', () => {
    it('24 prompts five minutes apart, then an approval from the attacking address: one sustained incident, approved', async () => {
        const u = user('Replay Paced');
        const { incidents } = await replay([
            ...Array.from({ length: 24 }, (_, i) =>
                (i % 3 === 2 ? pushTimeout : pushDenied)({ user: u, at: at(i * 5), ip: ATTACKER }),
            ),
            pushApproved({ user: u, at: at(121), ip: ATTACKER }),
        ]);
        expect(incidents).toHaveLength(1);
        expect(incidents[0]).toMatchObject({
            trigger: 'sustained',
            severity: 'High',
            denials: 16,
            timeouts: 8,
            approval: { ipAddress: ATTACKER, fromDenialIp: true, sameSource: 'address' },
        });
    });

    it('three declines an hour apart, then an approval from the same autonomous system: spam-then-success', async () => {
        const u = user('Replay Slow Surrender');
        const { incidents } = await replay([
            ...[0, 60, 120].map((m) => pushDenied({ user: u, at: at(m), ip: ATTACKER, asn: 60729 })),
            pushApproved({ user: u, at: at(170), ip: '45.80.1.9', asn: 60729 }),
        ]);
        expect(incidents).toEqual([
            expect.objectContaining({
                trigger: 'spam-then-success',
                approval: expect.objectContaining({ sameSource: 'autonomous-system' }),
            }),
        ]);
    });

    it('twenty declines spread over three hours open an incident; the benign shapes open none', async () => {
        const [slow, weekly, twice, drawer] = ['Slow', 'Weekly', 'Twice', 'Drawer'].map((n) => user(`Replay ${n}`));
        const { incidents } = await replay([
            ...Array.from({ length: 20 }, (_, i) => pushDenied({ user: slow!, at: at((i * 180) / 19), ip: ATTACKER })),
            ...Array.from({ length: 7 }, (_, d) => [
                pushDenied({ user: weekly!, at: at(d * 1440 + 540), ip: HOME }),
                pushApproved({ user: weekly!, at: at(d * 1440 + 541), ip: HOME }),
            ]).flat(),
            pushDenied({ user: twice!, at: at(300), ip: HOME }),
            pushDenied({ user: twice!, at: at(301), ip: HOME }),
            pushApproved({ user: twice!, at: at(302), ip: HOME }),
            ...Array.from({ length: 21 }, (_, i) => pushTimeout({ user: drawer!, at: at(240 + i * 15), ip: HOME })),
            pushApproved({ user: drawer!, at: at(240 + 21 * 15), ip: HOME }),
        ]);
        expect(incidents.map((i) => [i.userId, i.trigger])).toEqual([[slow!.id, 'sustained']]);
    });
});

describe('replay: every failure text counted by meaning', () => {
    it('six wrong numbers open an incident; generic 500121 rows and duplicate attempts count as unknown outcomes', async () => {
        const [numbers, unknown] = [user('Replay Wrong Number'), user('Replay Unknown')];
        const { incidents, summary } = await replay([
            ...Array.from({ length: 6 }, (_, i) => wrongNumber({ user: numbers, at: at(i), ip: ATTACKER })),
            ...Array.from({ length: 6 }, (_, i) =>
                mfaFailed({ user: unknown, at: at(i * 0.5), ip: ATTACKER }, GENERIC_500121),
            ),
            ...Array.from({ length: 4 }, (_, i) =>
                [0, 1].map(() =>
                    mfaFailed({ user: unknown, at: at(3 + i * 0.5), ip: ATTACKER, correlationId: `dup-${i}` }, null, {
                        method: 'Mobile app notification',
                        detail: 'MFA denied; duplicate authentication attempt',
                    }),
                ),
            ).flat(),
        ]);
        expect(incidents.map((i) => [i.userId, i.trigger, i.denials, i.unknownOutcomes])).toEqual([
            [numbers.id, 'threshold', 6, 0],
            [unknown.id, 'threshold', 0, 10],
        ]);
        expect(summary.other).toBe(0);
    });
});

describe('replay: factor-giving changes and merging', () => {
    it('reads updated, default and legacy changes after an attack as method-registered-after-attack, with methods', async () => {
        const u = user('Replay Changes');
        const correlationId = 'aaaa0000-bb11-2222-33cc-444444dddddd';
        const { incidents } = await replay([
            ...Array.from({ length: 3 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5), ip: ATTACKER })),
            pushApproved({ user: u, at: at(2), ip: ATTACKER }),
            securityInfoChange({
                user: u,
                at: at(4),
                ip: ATTACKER,
                activity: 'User updated security info',
                reason: 'User updated phone number',
            }),
            securityInfoChange({
                user: u,
                at: at(5),
                ip: ATTACKER,
                activity: 'Update user',
                modified: [
                    {
                        displayName: 'StrongAuthenticationPhoneAppDetail',
                        oldValue: '[]',
                        newValue: '[{"DeviceName":"Pixel"}]',
                    },
                ],
            }),
            securityInfoChange({
                user: u,
                at: at(6),
                ip: ATTACKER,
                activity: 'User changed default security info',
                reason: '',
            }),
            // Two methods under one correlation id: two changes.
            securityInfoChange({
                user: u,
                at: at(7),
                ip: ATTACKER,
                correlationId,
                reason: 'User registered Fido2 Authentication Method',
            }),
            securityInfoChange({
                user: u,
                at: at(8),
                ip: ATTACKER,
                correlationId,
                reason: 'User registered temporary access pass method',
            }),
        ]);
        const persistence = incidents.find((i) => i.trigger === 'method-registered-after-attack')!;
        // "unknown" (the default change named none) gives way once the types are known.
        expect([...(persistence.methods as string[])].sort()).toEqual([
            'fido2',
            'microsoftAuthenticator',
            'phone',
            'temporaryAccessPass',
        ]);
        expect(persistence.changes).toEqual([
            'User updated security info: User updated phone number',
            'Update user: StrongAuthenticationPhoneAppDetail changed',
            'User changed default security info',
            'User registered security info: User registered Fido2 Authentication Method',
            'User registered security info: User registered temporary access pass method',
        ]);
        expect(persistence.evidence as string[]).toHaveLength(5);
    });

    it('dates the attack by the burst, not by the sparse prompts chained before it', async () => {
        const u = user('Replay Sparse');
        const { incidents } = await replay([
            ...Array.from({ length: 30 }, (_, i) => pushTimeout({ user: u, at: at(i * 9), ip: HOME })),
            ...Array.from({ length: 5 }, (_, i) => pushDenied({ user: u, at: at(266 + i * 0.5), ip: ATTACKER })),
            pushApproved({ user: u, at: at(270), ip: ATTACKER }),
        ]);
        expect(incidents).toHaveLength(1);
        expect(incidents[0]!.firstSeen).toBe(at(0).toISOString());
        expect(Date.parse(incidents[0]!.attackStart as string)).toBeGreaterThanOrEqual(at(266 - 60).getTime());
    });
});

describe('replay --contain: decoys cannot spend the victim’s protection', () => {
    it('ten decoys × ten timeouts spend the breaker; the victim who approves from the attacking address is contained', async () => {
        const decoys = Array.from({ length: 10 }, (_, d) => user(`Replay Decoy ${d} ${Date.now()}`));
        const victim = user(`Replay Victim ${Date.now()}`);
        for (const u of [...decoys, victim]) graph.addUser(u.id, { userPrincipalName: u.upn });
        const { incidents } = await replay(
            [
                ...decoys.flatMap((u, d) =>
                    Array.from({ length: 10 }, (_, i) =>
                        pushTimeout({ user: u, at: at(d * 4 + i * 0.3), ip: ATTACKER }),
                    ),
                ),
                ...Array.from({ length: 6 }, (_, i) =>
                    pushDenied({ user: victim, at: at(50 + i * 0.5), ip: ATTACKER }),
                ),
                pushApproved({ user: victim, at: at(53.5), ip: ATTACKER }),
            ],
            ['--contain'],
            {
                CONTAINMENT_MODE: 'live',
                GRAPH_BASE_URL: graph.baseUrl,
                AZURE_CLIENT_ID: identity.clientId,
                PUSH_BLOCK_GROUP_ID: GROUP,
                NEVER_CONTAIN: 'breakglass@contoso.com',
            },
        );
        expect(incidents.filter((i) => decoys.some((d) => d.id === i.userId)).map((i) => i.containment)).toEqual(
            Array.from({ length: 10 }, () => 'contained'),
        );
        expect(incidents.find((i) => i.userId === victim.id)).toMatchObject({
            containment: 'contained',
            approval: expect.objectContaining({ sameSource: 'address' }),
        });
        expect(graph.groups.get(GROUP)!.members.has(victim.id)).toBe(true);
    });
});
