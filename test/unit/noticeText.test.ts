import { loadContainmentConfig } from '../../shared/settings/containment';
import { planContainment } from '../../shared/containment/plan';
import type { Containment } from '../../shared/containment/model';
import { noticePayload } from '../../shared/notices/notifier';
import type { Incident } from '../../shared/detection/userState';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const USER_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const incident: Incident = {
    id: `2026-11-27T11:55:00.000Z-threshold-${USER_ID}`,
    userId: USER_ID,
    userPrincipalName: 'victim@contoso.com',
    trigger: 'threshold',
    denials: 6,
    timeouts: 0,
    fraudReports: 0,
    firstSeen: NOW - 8 * 60_000,
    lastSeen: NOW - 5 * 60_000,
    detectedAt: NOW - 5 * 60_000,
    recordedAt: NOW,
    ipAddresses: ['185.220.101.34'],
    apps: ['OfficeHome'],
    evidence: [],
};

function contained(env: Record<string, string>): { c: Containment; config: ReturnType<typeof loadContainmentConfig> } {
    const config = loadContainmentConfig({ CONTAINMENT_MODE: 'live', ALLOW_NO_BREAK_GLASS: 'true', ...env });
    const c = planContainment({ incident, earlier: [], config, now: NOW });
    return { c: { ...c, status: 'contained' }, config };
}

const text = (c: Containment, config: ReturnType<typeof loadContainmentConfig>) =>
    String(noticePayload(incident, c, 'incident', config).text);

describe('the notice tells the SOC how to release', () => {
    it('in group mode: the release command', () => {
        const { c, config } = contained({ PUSH_BLOCK_GROUP_ID: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d' });
        expect(text(c, config)).toContain(`mfa-responder release ${USER_ID} --reason "..."`);
        expect(text(c, config)).not.toMatch(/registers a method again/);
    });

    it('in remove-method mode too, and to release before the user registers again', () => {
        const { c, config } = contained({ PUSH_BLOCK_MODE: 'remove-method' });
        expect(text(c, config)).toContain(`mfa-responder release ${USER_ID} --reason "..."`);
        expect(text(c, config)).toMatch(/Release before the user registers a method again/);
    });

    it('not for a dry-run', () => {
        const { c, config } = contained({ PUSH_BLOCK_MODE: 'remove-method' });
        expect(text({ ...c, status: 'dry-run' }, config)).not.toMatch(/release/i);
    });
});
