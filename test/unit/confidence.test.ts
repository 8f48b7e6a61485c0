/**
 * Incident confidence (what the circuit breaker can never hold), the breaker step's decisions over it, and lifting a
 * hold when new evidence makes a held incident high-confidence. Pure: plain data, the in-memory breaker.
 */
import { reopenIfHeld } from '../../shared/containment/amend';
import { CIRCUIT_BREAKER } from '../../shared/containment/breakerStep';
import { CircuitBreaker, MemoryCircuitBreaker } from '../../shared/containment/circuitBreaker';
import { incidentConfidence, shareKeyOf } from '../../shared/containment/confidence';
import type { Containment } from '../../shared/containment/model';
import { planContainment } from '../../shared/containment/plan';
import type { StepContext } from '../../shared/containment/steps';
import type { Incident } from '../../shared/detection/userState';
import type { GraphActions } from '../../shared/graph/graphActions';
import { loadContainmentConfig } from '../../shared/settings/containment';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const USER_ID = '0f8fad5b-d9cb-469f-a165-70867728950e';
const config = loadContainmentConfig({
    CONTAINMENT_MODE: 'live',
    PUSH_BLOCK_GROUP_ID: '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d',
    ALLOW_NO_BREAK_GLASS: 'true',
    NOTIFY_WEBHOOK_URL: 'https://hooks.example.com/soc',
    MAX_CONTAINMENTS_PER_HOUR: '2',
});

function incident(over: Partial<Incident> = {}): Incident {
    return {
        id: `20261127T115500000Z-threshold-${USER_ID}`,
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
        ...over,
    };
}

const approval = (sameSource?: 'address' | 'network' | 'autonomous-system') => ({
    at: NOW - 4 * 60_000,
    ipAddress: '185.220.101.99',
    fromDenialIp: sameSource === 'address',
    ...(sameSource ? { sameSource } : {}),
});

describe('incidentConfidence', () => {
    it.each([
        ['declines only', 'normal', incident()],
        ['a fraud report', 'high', incident({ fraudReports: 1 })],
        ['the fraud-report trigger', 'high', incident({ trigger: 'fraud-report', fraudReports: 1 })],
        ['an approval from the attacking address', 'high', incident({ approval: approval('address') })],
        ['an approval from the attacking /24', 'high', incident({ approval: approval('network') })],
        [
            'an approval from the attacking autonomous system',
            'high',
            incident({ approval: approval('autonomous-system') }),
        ],
        ['an approval from elsewhere', 'normal', incident({ approval: approval() })],
        ['a method registered after an attack', 'high', incident({ trigger: 'method-registered-after-attack' })],
        ['a sustained attack', 'normal', incident({ trigger: 'sustained' })],
        ['a drill that reported fraud', 'normal', incident({ fraudReports: 1, drill: true })],
        ['a push-spray user who approved', 'high', { ...incident({ approval: approval() }), campaignId: 'c-1' }],
        ['a push-spray user who did not', 'normal', { ...incident(), campaignId: 'c-1' }],
        [
            'a push-spray user who approved but refused nothing from the source (a bystander there?)',
            'normal',
            {
                ...incident({ denials: 0, approval: { ...approval(), fromDenialIp: true } }),
                trigger: 'push-spray',
                campaignId: 'c-1',
                approvedWithoutRefusal: true,
            },
        ],
    ] as Array<[string, string, Incident]>)('%s: %s', (_label, expected, inc) => {
        expect(incidentConfidence(inc)).toBe(expected);
    });

    it('shares one slot per push-spray campaign, else one per incident', () => {
        expect(shareKeyOf({ ...incident(), campaignId: 'c-1' })).toBe('campaign:c-1');
        expect(shareKeyOf(incident())).toBe(`incident:${incident().id}`);
    });
});

describe('a push-spray approval without a refusal', () => {
    it('is held for a person, not contained; a push-spray user who refused and approved is contained', () => {
        const spray = (over: Partial<Incident>): Incident => ({
            ...incident({ denials: 0, approval: approval() }),
            trigger: 'push-spray',
            campaignId: 'c-1',
            ...over,
        });
        const bystander = planContainment({
            incident: spray({ approvedWithoutRefusal: true }),
            earlier: [],
            config,
            now: NOW,
        });
        expect(bystander).toMatchObject({ status: 'needs-attention' });
        expect(bystander.reason).toMatch(/without refusing any of its prompts.*verify with the user/);
        const victim = planContainment({ incident: spray({ denials: 1 }), earlier: [], config, now: NOW });
        expect(victim.status).toBe('pending');
    });
});

describe('the circuit-breaker step', () => {
    const ctx = (inc: Incident, breaker: CircuitBreaker): StepContext => ({
        incident: inc,
        containment: planContainment({ incident: inc, earlier: [], config, now: NOW }),
        config,
        graph: {} as GraphActions,
        breaker,
        now: () => NOW,
        deadline: NOW + 60_000,
    });

    it('holds a normal incident past the cap, naming the held users; contains a high-confidence one', async () => {
        const breaker = new MemoryCircuitBreaker();
        for (let i = 0; i < 2; i++) await breaker.tryAcquire({ now: NOW, max: 2 });
        const held = await CIRCUIT_BREAKER.run(ctx(incident(), breaker));
        expect(held).toMatchObject({
            status: 'skipped',
            facts: { heldByBreaker: { inLastHour: 2, users: ['victim@contoso.com'] } },
            stop: { status: 'not-contained' },
        });
        const high = await CIRCUIT_BREAKER.run(ctx(incident({ approval: approval('address') }), breaker));
        expect(high).toMatchObject({ status: 'done' });
        expect('detail' in high && high.detail).toMatch(/high confidence .* contained past the cap/);
    });

    it('contains a high-confidence incident even when the breaker cannot be read; a normal one needs attention', async () => {
        const broken: CircuitBreaker = {
            tryAcquire: () => Promise.reject(new Error('storage down')),
            peek: () => Promise.reject(new Error('storage down')),
        };
        expect(await CIRCUIT_BREAKER.run(ctx(incident({ fraudReports: 1 }), broken))).toMatchObject({ status: 'done' });
        expect(await CIRCUIT_BREAKER.run(ctx(incident(), broken))).toMatchObject({
            stop: { status: 'needs-attention' },
        });
    });
});

describe('reopenIfHeld', () => {
    const heldContainment = (): Containment => ({
        ...planContainment({ incident: incident(), earlier: [], config, now: NOW }),
        status: 'not-contained',
        reason: 'circuit breaker open: …',
        finishedAt: NOW,
        heldByBreaker: { at: NOW, inLastHour: 2, users: ['victim@contoso.com'] },
        notices: [{ kind: 'incident', status: 'sent', attempts: 1, at: NOW }],
    });

    it('reopens a held containment once the incident is high-confidence, from the breaker on, and tells the SOC again', () => {
        const c = heldContainment();
        c.steps[0]!.status = 'done';
        c.steps[1]!.status = 'skipped';
        const next = reopenIfHeld(c, incident({ approval: approval('address') }), config);
        expect(next.status).toBe('pending');
        expect(next.heldByBreaker).toBeUndefined();
        expect(next.steps.slice(0, 3).map((s) => s.status)).toEqual(['done', 'pending', 'pending']);
        expect(next.notices).toEqual([{ kind: 'incident', status: 'pending', attempts: 0 }]);
    });

    it('never lifts a hold for a normal incident, nor a NEVER_CONTAIN or cooldown stop', () => {
        const c = heldContainment();
        expect(reopenIfHeld(c, incident({ approval: approval() }), config)).toBe(c);
        const { heldByBreaker: _h, ...notHeld } = c;
        expect(reopenIfHeld(notHeld, incident({ fraudReports: 1 }), config)).toBe(notHeld);
    });
});
