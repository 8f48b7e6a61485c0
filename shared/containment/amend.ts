/**
 * New evidence for an incident whose containment was already planned: an approval (the user gave in), or another
 * registration after the attack. Pure: each returns the containment unchanged when nothing is to add or redo.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { singleLine } from '../singleLine';
import { incidentConfidence } from './confidence';
import { cloneContainment, Containment, isActive, newNotice, StepName } from './model';
import { STEPS } from './stepTable';

/**
 * New evidence made an incident the circuit breaker held high-confidence (the user approved from the attacking
 * source, or reported fraud): it is contained after all, whatever the breaker says now. The run starts again at the
 * breaker, which lets a high-confidence incident through; the SOC is told again. Only a hold by the breaker is lifted
 * so (never NEVER_CONTAIN or the cooldown), and only in live mode. Pure: the containment unchanged otherwise.
 */
export function reopenIfHeld(c: Containment, incident: Incident, config: ContainmentConfig): Containment {
    if (c.status !== 'not-contained' || !c.heldByBreaker || c.mode !== 'live') return c;
    if (incidentConfidence(incident) !== 'high') return c;
    const next = cloneContainment(c);
    next.status = 'pending';
    delete next.reason;
    delete next.finishedAt;
    delete next.heldByBreaker;
    for (const s of next.steps) {
        if (s.status === 'done' || s.name === 'check-exclusions') continue;
        s.status = 'pending';
        s.attempts = 0;
        delete s.detail;
        delete s.error;
    }
    const sent = next.notices.findIndex((n) => n.kind === 'incident');
    if (sent >= 0) next.notices[sent] = newNotice('incident', config);
    return next;
}

/**
 * An approval arrived for an incident whose containment was already planned (the user gave in after the attack was
 * detected): what the attacker may have registered must go too. Adds the steps that remove it (as dry-run in
 * dry-run), and reopens a finished containment so that a runner does them; one `approval` notice. Not for a
 * released or deliberately uncontained incident. Pure: returns the containment unchanged when nothing is to add.
 */
export function amendForApproval(
    c: Containment,
    incident: Incident,
    config: ContainmentConfig,
    now: number,
): Containment {
    if (c.status === 'released' || c.status === 'not-contained') return c;
    const missing = STEPS.filter((s) => s.included(config, incident) && !c.steps.some((x) => x.name === s.name));
    if (missing.length === 0) return c;
    const next = cloneContainment(c);
    const order = STEPS.map((s) => s.name);
    for (const spec of missing) {
        next.steps.push(
            c.mode === 'dry-run'
                ? { name: spec.name, status: 'dry-run', attempts: 0, at: now, detail: spec.wouldDo(config, incident) }
                : { name: spec.name, status: 'pending', attempts: 0 },
        );
    }
    next.steps.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    if (c.mode === 'live' && !isActive(c)) {
        next.status = 'pending';
        delete next.finishedAt;
        delete next.reason;
    }
    if (!next.notices.some((n) => n.kind === 'approval')) next.notices.push(newNotice('approval', config));
    return next;
}

/** What a registration after the attack calls for again: delete what was registered since, then end its sessions. */
const REMOVAL_STEPS: ReadonlySet<StepName> = new Set(['remove-new-methods', 'revoke-sessions-again']);

/**
 * Another registration joined a `method-registered-after-attack` incident whose containment already removed what
 * was there (the attacker, still holding a token, registers a second method): the removal runs again, and the SOC is
 * told again (the incident notice is sent anew with the methods now known). A step in flight is redone after it
 * ends: its list of methods may predate the new one. Not for a released or deliberately uncontained incident; in
 * dry-run only the notice. Pure: returns the containment unchanged when nothing is to redo.
 */
export function amendForRegistration(c: Containment, config: ContainmentConfig, now: number): Containment {
    if (c.status === 'released' || c.status === 'not-contained') return c;
    const next = cloneContainment(c);
    let redo = false;
    if (c.mode === 'live') {
        for (const s of next.steps) {
            if (!REMOVAL_STEPS.has(s.name) || s.status === 'pending') continue;
            redo = true;
            if (s.status === 'running') {
                s.redo = true;
                continue;
            }
            // What the earlier run did stays readable on the incident (one line, bounded).
            if (s.detail) s.earlier = singleLine(s.earlier ? `${s.earlier}; ${s.detail}` : s.detail, 500);
            s.status = 'pending';
            s.attempts = 0;
            s.at = now;
            delete s.detail;
            delete s.error;
            delete s.verified;
            delete s.attention;
        }
        if (redo && !isActive(next)) {
            next.status = 'pending';
            delete next.finishedAt;
            delete next.reason;
        }
    }
    const sent = next.notices.findIndex(
        (n) => n.kind === 'incident' && (n.status === 'sent' || n.status === 'failed' || n.status === 'superseded'),
    );
    if (sent >= 0) next.notices[sent] = newNotice('incident', config);
    return redo || sent >= 0 ? next : c;
}
