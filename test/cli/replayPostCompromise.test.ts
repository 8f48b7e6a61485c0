import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from '../support/cliRun';
import {
    auditLogsRow,
    auditNoise,
    envelope,
    pushApproved,
    pushDenied,
    pushTimeout,
    securityInfoChange,
    smsWrongCode,
    user,
    voiceDenied,
} from '../support/signInFactory';

const dir = mkdtempSync(join(tmpdir(), 'mfa-post-'));
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);
const ATTACKER = '185.220.101.34';

function file(name: string, lines: unknown[]): string {
    const p = join(dir, name);
    writeFileSync(p, lines.map((l) => JSON.stringify(l)).join('\n'));
    return p;
}

async function replay(name: string, lines: unknown[], env: Record<string, string> = {}) {
    const { code, stdout, stderr } = await runCli(['replay', file(name, lines), '--json'], { env });
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    const out = stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
    return { incidents: out.filter((l) => l.type === 'incident'), summary: out.at(-1)! };
}

/** Four declined pushes from the attacker, then the user approves one from the attacker's address. */
const spamThenSuccess = (u: ReturnType<typeof user>) => [
    ...Array.from({ length: 4 }, (_, i) => pushDenied({ user: u, at: at(i * 0.5), ip: ATTACKER })),
    pushApproved({ user: u, at: at(2.5), ip: ATTACKER }),
];

describe('replay: a method registered after the attack', () => {
    it('links a registration from an attacking IP to the spam-then-success incident: two linked incidents', async () => {
        const u = user('Persistence Victim');
        const { incidents, summary } = await replay('persist.ndjson', [
            ...spamThenSuccess(u),
            securityInfoChange({
                user: u,
                at: at(7),
                ip: ATTACKER,
                reason: 'User registered Authenticator App with Notification and Code',
            }),
            // The same registration's second audit row (same correlation id) adds nothing but the passkey type.
        ]);
        expect(incidents).toHaveLength(2);
        const [attack, persistence] = incidents;
        expect(attack).toMatchObject({ trigger: 'spam-then-success', userId: u.id, relatedIncidentId: null });
        expect(persistence).toMatchObject({
            type: 'incident',
            trigger: 'method-registered-after-attack',
            userId: u.id,
            userPrincipalName: u.upn,
            relatedIncidentId: attack!.incidentId,
            methods: ['microsoftAuthenticator'],
            ipAddresses: [ATTACKER],
            fromAttackIp: true,
            detectedAt: at(7).toISOString(),
        });
        // Every incident line has the fields of the core contract.
        for (const key of [
            'userId',
            'userPrincipalName',
            'trigger',
            'denials',
            'firstSeen',
            'detectedAt',
            'ipAddresses',
        ])
            expect(persistence).toHaveProperty(key);
        expect(summary).toMatchObject({ incidents: 2, rejected: 0 });
    });

    it('merges the audit rows of one registration and reads the method from every place Entra puts it', async () => {
        const u = user('Passkey Victim');
        const correlationId = '0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9';
        const { incidents } = await replay('passkey.ndjson', [
            ...Array.from({ length: 6 }, (_, i) => pushTimeout({ user: u, at: at(i * 0.2), ip: ATTACKER })),
            ...Array.from({ length: 3 }, (_, i) => pushDenied({ user: u, at: at(1.5 + i * 0.2), ip: ATTACKER })),
            securityInfoChange({
                user: u,
                at: at(30),
                ip: '203.0.113.99',
                reason: '',
                method: 'Passkey',
                correlationId,
            }),
            securityInfoChange({
                user: u,
                at: at(30),
                ip: '203.0.113.99',
                activity: 'Add Passkey (device-bound)',
                reason: '',
                correlationId,
            }),
            // An admin's Temporary Access Pass for the user a little later.
            securityInfoChange({
                user: u,
                at: at(31),
                by: user('Helpdesk Admin'),
                ip: '10.0.0.5',
                activity: 'Admin registered security info',
                reason: 'Admin registered temporary access pass method for user',
            }),
        ]);
        const persistence = incidents.filter((i) => i.trigger === 'method-registered-after-attack');
        expect(persistence).toHaveLength(1);
        expect(persistence[0]).toMatchObject({ methods: ['fido2', 'temporaryAccessPass'], fromAttackIp: false });
        expect(persistence[0]!.evidence).toHaveLength(3);
    });

    it('opens nothing for a registration with no attack before it, nor long after an attack', async () => {
        const u = user('Ordinary User');
        const { incidents } = await replay(
            'no-attack.ndjson',
            [
                securityInfoChange({ user: u, at: at(0) }),
                ...Array.from({ length: 5 }, (_, i) => pushDenied({ user: u, at: at(60 + i * 0.2) })),
                // PERSISTENCE_WINDOW_HOURS=1: a registration two hours after the last prompt is the user's own.
                securityInfoChange({ user: u, at: at(60 + 125) }),
            ],
            { PERSISTENCE_WINDOW_HOURS: '1' },
        );
        expect(incidents.map((i) => i.trigger)).toEqual(['threshold']);
    });

    it('counts AuditLogs noise as other, never rejected, and reads Log Analytics AuditLogs rows', async () => {
        const u = user('Noise And Rows');
        const registration = securityInfoChange({ user: u, at: at(3), ip: ATTACKER, method: 'Authenticator App' });
        const { incidents, summary } = await replay('noise.ndjson', [
            auditNoise('group', at(0), u),
            auditNoise('consent', at(0), u),
            auditNoise('device', at(0), u),
            securityInfoChange({
                user: u,
                at: at(0.5),
                result: 'failure',
                reason: 'User failed to register Authenticator App with Code',
            }),
            ...spamThenSuccess(u),
            auditLogsRow(registration),
        ]);
        expect(summary).toMatchObject({ rejected: 0, other: 4, records: 10 });
        expect(incidents.map((i) => i.trigger)).toEqual(['spam-then-success', 'method-registered-after-attack']);
        expect(incidents[1]).toMatchObject({ methods: ['microsoftAuthenticator'], fromAttackIp: true });
    });

    it('reads no audit records with AUDIT_CATEGORIES=none', async () => {
        const u = user('Audit Off');
        const { incidents, summary } = await replay(
            'audit-off.ndjson',
            [...spamThenSuccess(u), securityInfoChange({ user: u, at: at(4), ip: ATTACKER })],
            { AUDIT_CATEGORIES: 'none' },
        );
        expect(incidents.map((i) => i.trigger)).toEqual(['spam-then-success']);
        expect(summary).toMatchObject({ dropped: 1, rejected: 0 });
    });
});

describe('replay: voice and SMS fatigue', () => {
    it('counts hung-up calls, voicemail and wrong SMS codes as their own kinds, weighted, in the incident', async () => {
        const u = user('Phone Victim');
        const { incidents } = await replay('phone.ndjson', [
            voiceDenied({ user: u, at: at(0) }),
            voiceDenied({ user: u, at: at(0.5) }),
            voiceDenied({ user: u, at: at(1) }, 'MFA denied; phone call went to voicemail'),
            smsWrongCode({ user: u, at: at(1.5) }),
            smsWrongCode({ user: u, at: at(2) }),
        ]);
        // 2 hung up (1 each) + 1 voicemail (TIMEOUT_WEIGHT 0.5) + 2 wrong codes (1 each) = 4.5 < 5: nothing yet.
        expect(incidents).toHaveLength(0);
        const more = await replay('phone-more.ndjson', [
            voiceDenied({ user: u, at: at(0) }),
            voiceDenied({ user: u, at: at(0.5) }),
            voiceDenied({ user: u, at: at(1) }, 'MFA denied; phone call went to voicemail'),
            smsWrongCode({ user: u, at: at(1.5) }),
            smsWrongCode({ user: u, at: at(2) }),
            smsWrongCode({ user: u, at: at(2.5) }),
        ]);
        expect(more.incidents).toHaveLength(1);
        expect(more.incidents[0]).toMatchObject({
            trigger: 'threshold',
            denials: 0,
            timeouts: 0,
            voiceDenials: 3,
            smsWrongCodes: 3,
        });
    });

    it('does not take a wrong code for an SMS when the method was an app code', async () => {
        const u = user('App Code User');
        const records = Array.from({ length: 6 }, (_, i) => {
            const r = smsWrongCode({ user: u, at: at(i * 0.2) }) as any;
            r.properties.authenticationDetails[1].authenticationMethod = 'Mobile app verification code';
            return r;
        });
        const { incidents, summary } = await replay('app-code.ndjson', records);
        expect(incidents).toHaveLength(0);
        expect(summary).toMatchObject({ other: 6 });
    });
});

it('keeps envelopes of mixed sign-ins and audit records', async () => {
    const u = user('Mixed Envelope');
    const { incidents } = await replay('mixed.ndjson', [
        envelope([...spamThenSuccess(u), securityInfoChange({ user: u, at: at(5), ip: ATTACKER })]),
    ]);
    expect(incidents.map((i) => i.trigger)).toEqual(['spam-then-success', 'method-registered-after-attack']);
});
