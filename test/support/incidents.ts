/**
 * Incidents with their containment, as the core stores them, for the tests of what the SOC is shown (Teams cards,
 * incident rows): an ordinary one, and a hostile one that fills every field an attacker or Graph can grow to the
 * bounds detection keeps (32 addresses, long app names, long details and errors).
 */
import { ContainmentConfig, loadContainmentConfig } from '../../shared/settings/containment';
import { planContainment } from '../../shared/containment/plan';
import type { Containment } from '../../shared/containment/model';
import { MAX_ADDRESSES_PER_INCIDENT, MAX_EVIDENCE_PER_INCIDENT, type Incident } from '../../shared/detection/userState';

export const NOW = Date.parse('2026-11-02T09:15:00Z');
const MIN = 60_000;
export const USER_ID = '1bf30d55-3c4e-4f7a-9d3b-7a5e2c1f0a11';
export const GROUP = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';

export function containmentConfig(env: Record<string, string> = {}): ContainmentConfig {
    return loadContainmentConfig({
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        NEVER_CONTAIN: 'breakglass@contoso.com',
        ...env,
    });
}

export function sampleIncident(over: Partial<Incident> = {}): Incident {
    return {
        id: `20261102T091445000Z-threshold-${USER_ID}`,
        userId: USER_ID,
        userPrincipalName: 'megan.bowen@contoso.com',
        trigger: 'threshold',
        denials: 11,
        timeouts: 3,
        fraudReports: 0,
        firstSeen: NOW - 3 * MIN,
        lastSeen: NOW + 4 * MIN,
        detectedAt: NOW - MIN,
        recordedAt: NOW,
        ipAddresses: ['185.220.101.34', '185.220.101.47'],
        apps: ['OfficeHome'],
        evidence: ['a1b2c3d4-0000-4000-8000-000000000001'],
        ...over,
    };
}

/** A live containment that ran every step: contained, push blocked by group. */
export function containedContainment(inc: Incident = sampleIncident(), config = containmentConfig()): Containment {
    const planned = planContainment({ incident: inc, earlier: [], config, now: NOW });
    return {
        ...planned,
        status: 'contained',
        runs: 1,
        startedAt: NOW,
        finishedAt: NOW + 2000,
        pushBlock: { mode: 'group', groupId: GROUP },
        steps: planned.steps.map((s) => ({
            ...s,
            status: 'done',
            attempts: 1,
            at: NOW + 1000,
            detail: s.name === 'block-push' ? `added to push-block group ${GROUP}` : 'ok',
        })),
    };
}

/** What the plan decides for a drill or in dry-run mode: every step recorded as what it would do. */
export function dryRunContainment(inc: Incident = sampleIncident()): Containment {
    return planContainment({
        incident: inc,
        earlier: [],
        config: containmentConfig({ CONTAINMENT_MODE: 'dry-run' }),
        now: NOW,
    });
}

/** Every field an attacker, Entra or Graph can grow, at the bounds the responder keeps. */
export function hostileIncident(): { incident: Incident; containment: Containment } {
    const incident = sampleIncident({
        userPrincipalName: `${'x'.repeat(240)}@contoso.com`,
        ipAddresses: Array.from(
            { length: MAX_ADDRESSES_PER_INCIDENT },
            (_, i) => `2001:0db8:85a3:0000:0000:8a2e:${String(i).padStart(4, '0')}:7334`,
        ),
        apps: Array.from({ length: 32 }, (_, i) => `[Click me](https://evil.example/${i}) ${'A'.repeat(230)}`),
        evidence: Array.from({ length: MAX_EVIDENCE_PER_INCIDENT }, (_, i) => `${'e'.repeat(100)}-${i}`),
        approval: { at: NOW, ipAddress: '185.220.101.47', fromDenialIp: true },
        denials: 9999,
        timeouts: 9999,
        fraudReports: 99,
    });
    const base = containedContainment(incident, containmentConfig({ RESET_PASSWORD: 'true', DISABLE_ACCOUNT: 'true' }));
    const long = (what: string) => `${what} ${'Z'.repeat(5000)}`;
    return {
        incident,
        containment: {
            ...base,
            status: 'needs-attention',
            reason: long('everything failed'),
            steps: base.steps.map((s) => ({
                ...s,
                status: 'failed',
                detail: long('detail'),
                error: { status: 500, code: 'InternalServerError', message: long('Graph said') },
                attention: long('a person must'),
            })),
        },
    };
}
