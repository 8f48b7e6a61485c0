/**
 * Detection after a release gives the same incidents whatever order the rows arrive in, and a redelivery never opens
 * an incident: one follow-up per released attack, denials never in a follow-up, a released incident's range frozen.
 */
import { planContainment } from '../../shared/containment/plan';
import { applyEvents, closeIncident } from '../../shared/detection/detect';
import { DEFAULT_POLICY, DetectionPolicy } from '../../shared/detection/policy';
import type { UserState } from '../../shared/detection/userState';
import type { SignInEvent } from '../../shared/signin/signInEvent';
import { ev, T0 } from '../support/events';
import { containmentConfig } from '../support/incidents';

const NOW = Date.parse('2026-11-27T12:00:00Z');
const MIN = 60_000;
const denials = (n: number, start = 0, stepMin = 1) =>
    Array.from({ length: n }, (_, i) => ev('push-denied', start + i * stepMin));

/** Six denials a minute apart from T0 (T0..T0+5), opened and released at T0 + 10 min. */
function released(policy: DetectionPolicy = DEFAULT_POLICY): UserState {
    const opened = applyEvents(undefined, denials(6), { policy, now: NOW });
    return closeIncident(opened.state, opened.newIncidents[0]!.id, T0 + 10 * MIN);
}

/** Feeds the batches one call each. */
function feed(state: UserState, batches: SignInEvent[][], policy: DetectionPolicy = DEFAULT_POLICY): UserState {
    let s = state;
    batches.forEach((b, i) => (s = applyEvents(s, b, { policy, now: NOW + (i + 1) * MIN }).state));
    return s;
}

const summary = (s: UserState) =>
    s.incidents
        .map((i) => ({ id: i.id, trigger: i.trigger, denials: i.denials, related: i.relatedIncidentId }))
        .sort((a, b) => a.id.localeCompare(b.id));

describe('after a release, in any arrival order', () => {
    it('two late approvals of one released attack open one follow-up, together or the later first', () => {
        const state = released();
        const a1 = ev('mfa-approved', 8);
        const a2 = ev('mfa-approved', 7);
        const together = feed(state, [[a1, a2]]);
        const laterFirst = feed(state, [[a1], [a2]]);
        // One batch: one follow-up holding both approvals.
        expect(together.incidents.filter((i) => i.relatedIncidentId)).toHaveLength(1);
        // Same rows, the later approval delivered first: still one follow-up (its id names the approval seen first).
        const withoutIds = (x: UserState) =>
            summary(x).map(({ trigger, denials: n, related }) => ({ trigger, n, related }));
        expect(withoutIds(laterFirst)).toEqual(withoutIds(together));
    });

    it('approvals of a released attack arriving newest first make one follow-up containment, not one each', () => {
        const config = containmentConfig();
        let state = released();
        const plans: ReturnType<typeof planContainment>[] = [];
        // The user tapped Approve four times during the attack; the rows arrive newest first, one batch each.
        for (const minute of [9, 8, 7, 6]) {
            const r = applyEvents(state, [ev('mfa-approved', minute)], { policy: DEFAULT_POLICY, now: NOW });
            state = r.state;
            for (const inc of r.newIncidents) {
                const plan = planContainment({ incident: inc, earlier: plans, config, now: NOW });
                plans.push({ ...plan, status: 'contained', startedAt: NOW });
            }
        }
        // One attack released once: at most one follow-up containment (one set of Graph calls, one breaker slot).
        expect(plans).toHaveLength(1);
    });

    it('a new attack after the release is a threshold incident whether or not a late approval arrived before it', () => {
        const state = released();
        const approval = ev('mfa-approved', 8); // the user gave in at T0+8, before the release at T0+10
        const newAttack = denials(5, 11, 1); // T0+11..T0+15: after the release, a new attack
        const attackFirst = feed(state, [newAttack, [approval]]);
        const approvalFirst = feed(state, [[approval], newAttack]);
        expect(attackFirst.incidents.map((i) => i.trigger)).toEqual(['threshold', 'threshold', 'spam-then-success']);
        expect(summary(approvalFirst)).toEqual(summary(attackFirst));
    });

    it('a second attack dated before a slow release is its own incident whether or not a late row of the first came first', () => {
        // Released two hours after the first attack (T0..T0+5); Entra delivers the rest late, all after the release.
        const opened = applyEvents(undefined, denials(6), { policy: DEFAULT_POLICY, now: NOW });
        const state = closeIncident(opened.state, opened.newIncidents[0]!.id, T0 + 120 * MIN);
        const secondAttack = denials(5, 17, 1); // T0+17..T0+21: 12 min after the first one's last known denial
        const lateRow = [ev('push-denied', 8)]; // a late denial of the first attack, dated T0+8
        const attackFirst = feed(state, [secondAttack, lateRow]);
        const lateRowFirst = feed(state, [lateRow, secondAttack]);
        expect(attackFirst.incidents).toHaveLength(2); // the second attack is an incident, contained
        // The late row first: it joins the released incident, whose range stays frozen, so the second attack is judged alike.
        expect(summary(lateRowFirst)).toEqual(summary(attackFirst));
    });
});

describe('a redelivered approval after its prompt was forgotten', () => {
    const small = { ...DEFAULT_POLICY, maxPromptsPerUser: 3 };

    it('opens nothing when it was a second approval the incident joined without recording it', () => {
        const a1 = ev('mfa-approved', 5.5);
        const a2 = ev('mfa-approved', 6);
        const batch = [...denials(6), a1, a2];
        const opened = applyEvents(undefined, batch, { policy: small, now: NOW });
        expect(opened.newIncidents).toHaveLength(1);
        // More prompts push the approvals out of the bounded memory (an attack keeps prompting).
        const more = applyEvents(opened.state, denials(4, 6.5, 0.5), { policy: small, now: NOW });
        expect(more.state.prompts.some((p) => p.kind === 'mfa-approved')).toBe(false);
        const rel = closeIncident(more.state, opened.newIncidents[0]!.id, T0 + 30 * MIN);
        // Event Hubs redelivers the first batch (a host restart before the checkpoint): nothing is news.
        expect(applyEvents(rel, batch, { policy: small, now: NOW + 60 * MIN }).newIncidents).toEqual([]);
    });

    it('opens nothing when only the later of its two rows is redelivered', () => {
        // The success and its "keep me signed in" interrupt share the request id: one prompt, two rows.
        const row1 = ev('mfa-approved', 5.5, { key: 'req-approve', rid: 'row-success' });
        const row2 = ev('mfa-approved', 5.6, { key: 'req-approve', rid: 'row-kmsi' });
        const opened = applyEvents(undefined, [...denials(6), row1, row2], { policy: small, now: NOW });
        expect(opened.state.incidents[0]!.approval).toMatchObject({ at: T0 + 5.5 * MIN });
        const more = applyEvents(opened.state, denials(4, 6.5, 0.5), { policy: small, now: NOW });
        expect(more.state.prompts.some((p) => p.kind === 'mfa-approved')).toBe(false);
        const rel = closeIncident(more.state, opened.newIncidents[0]!.id, T0 + 30 * MIN);
        expect(applyEvents(rel, [row2], { policy: small, now: NOW + 60 * MIN }).newIncidents).toEqual([]);
    });
});

describe('a released incident that recorded an approval', () => {
    it('opens no follow-up when a batch of a large attack (evidence full) is redelivered after the release', () => {
        const small = { ...DEFAULT_POLICY, maxPromptsPerUser: 3 };
        // 120 denials 3 s apart, the user approving twice during them: more rows than the incident keeps as evidence.
        const batch = [...denials(120, 0, 0.05), ev('mfa-approved', 5.5), ev('mfa-approved', 6)];
        const opened = applyEvents(undefined, batch, { policy: small, now: NOW });
        expect(opened.newIncidents).toHaveLength(1);
        const more = applyEvents(opened.state, denials(4, 6.5, 0.5), { policy: small, now: NOW });
        expect(more.state.prompts.some((p) => p.kind === 'mfa-approved')).toBe(false);
        const rel = closeIncident(more.state, opened.newIncidents[0]!.id, T0 + 30 * MIN);
        expect(applyEvents(rel, batch, { policy: small, now: NOW + 60 * MIN }).newIncidents).toEqual([]);
    });
});
