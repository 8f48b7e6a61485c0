/**
 * A late approval of an attack the SOC already released: its own follow-up incident, whatever order the rows arrive
 * in, never twice, holding the approval only, and contained even while a newer attack is.
 */
import { planContainment } from '../../shared/containment/plan';
import { applyEvents, closeIncident } from '../../shared/detection/detect';
import { DEFAULT_POLICY, DetectionPolicy } from '../../shared/detection/policy';
import { ev, T0 } from '../support/events';
import { containmentConfig } from '../support/incidents';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const MIN = 60_000;
const policy = DEFAULT_POLICY;
const denials = (n: number, start = 0, stepMin = 1) =>
    Array.from({ length: n }, (_, i) => ev('push-denied', start + i * stepMin));

/** Six denials a minute apart from T0, opened and released at T0 + 10 min. */
function releasedAttack(p: DetectionPolicy = policy, extra: ReturnType<typeof ev>[] = []) {
    const opened = applyEvents(undefined, [...extra, ...denials(6)], { policy: p, now: NOW });
    const inc = opened.newIncidents[0]!;
    return { inc, state: closeIncident(opened.state, inc.id, T0 + 10 * MIN) };
}

describe('a late approval of a released attack', () => {
    it('leaves the late denials to the released incident whether they arrive with, before or after it', () => {
        const { state } = releasedAttack();
        const approval = ev('mfa-approved', 8);
        const late = [ev('push-denied', 6.5), ev('push-denied', 7)];
        const together = applyEvents(state, [...late, approval], { policy, now: NOW + 60 * MIN }).state;
        const approvalFirst = applyEvents(applyEvents(state, [approval], { policy, now: NOW + 60 * MIN }).state, late, {
            policy,
            now: NOW + 61 * MIN,
        }).state;
        const counts = (s: typeof state) =>
            s.incidents.map((i) => ({ trigger: i.trigger, denials: i.denials, firstSeen: i.firstSeen }));
        expect(counts(together)).toEqual([
            { trigger: 'threshold', denials: 8, firstSeen: T0 },
            { trigger: 'spam-then-success', denials: 0, firstSeen: T0 + 8 * MIN },
        ]);
        expect(counts(approvalFirst)).toEqual(counts(together));
    });

    it('holds its approval only, taking no stray denial from before the attack', () => {
        const { state } = releasedAttack(policy, [ev('push-denied', -30)]);
        const r = applyEvents(state, [ev('mfa-approved', 8, { ip: '198.51.100.99' })], { policy, now: NOW + 60 * MIN });
        expect(r.newIncidents).toHaveLength(1);
        expect(r.newIncidents[0]).toMatchObject({
            trigger: 'spam-then-success',
            approval: { at: T0 + 8 * MIN, ipAddress: '198.51.100.99' },
            denials: 0,
            firstSeen: T0 + 8 * MIN,
        });
    });

    it('that an incident recorded already opens nothing when redelivered after its prompt was forgotten', () => {
        const p = { ...policy, maxPromptsPerUser: 3 };
        const approval = ev('mfa-approved', 5.5);
        const batch = [...denials(6), approval];
        const opened = applyEvents(undefined, batch, { policy: p, now: NOW });
        expect(opened.state.incidents[0]!.approval).toMatchObject({ at: T0 + 5.5 * MIN });
        const more = applyEvents(opened.state, denials(4, 6, 0.5), { policy: p, now: NOW });
        expect(more.state.prompts.some((x) => x.kind === 'mfa-approved')).toBe(false);
        const released = closeIncident(more.state, opened.newIncidents[0]!.id, T0 + 30 * MIN);
        expect(applyEvents(released, batch, { policy: p, now: NOW + 60 * MIN }).newIncidents).toEqual([]);
    });

    it('never opens a second follow-up with the same id once the first was released and its prompt forgotten', () => {
        const p = { ...policy, maxPromptsPerUser: 3 };
        const { state: first } = releasedAttack(p);
        const approval = ev('mfa-approved', 8);
        const followUp = applyEvents(first, [approval], { policy: p, now: NOW + MIN });
        expect(followUp.newIncidents).toHaveLength(1);
        let state = closeIncident(followUp.state, followUp.newIncidents[0]!.id, T0 + 20 * MIN);
        state = applyEvents(state, [ev('push-denied', 40), ev('push-denied', 60), ev('push-denied', 80)], {
            policy: p,
            now: NOW + 2 * MIN,
        }).state;
        const again = applyEvents(state, [approval], { policy: p, now: NOW + 3 * MIN });
        expect(again.newIncidents).toEqual([]);
        const ids = again.state.incidents.map((i) => i.id);
        expect(new Set(ids).size).toBe(ids.length);
    });

    it('is contained, its methods removed, even while a newer attack of the same user is contained', () => {
        const config = containmentConfig();
        const { state, inc } = releasedAttack();
        const next = applyEvents(state, denials(5, 11, 0.5), { policy, now: T0 + 14 * MIN });
        const newer = {
            ...planContainment({ incident: next.newIncidents[0]!, earlier: [], config, now: T0 + 14 * MIN }),
            status: 'contained' as const,
            startedAt: T0 + 14 * MIN,
        };
        const late = applyEvents(next.state, [ev('mfa-approved', 9)], { policy, now: T0 + 20 * MIN });
        const followUp = late.newIncidents[0]!;
        expect(followUp).toMatchObject({ trigger: 'spam-then-success', relatedIncidentId: inc.id });
        const plan = planContainment({ incident: followUp, earlier: [newer], config, now: T0 + 20 * MIN });
        expect(plan.status).toBe('pending');
        expect(plan.steps.map((s) => s.name)).toContain('remove-new-methods');
    });
});
