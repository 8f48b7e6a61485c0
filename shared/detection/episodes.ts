import { DENIAL_KINDS } from '../signin/mfaKinds';
import { addToIncident } from './incidentCounters';
import type { DetectionPolicy } from './policy';
import { Incident, PERSISTENCE_TRIGGER, Prompt, UserState } from './userState';

// Which attack episode a prompt belongs to: open incidents, released ones and their follow-ups.

/**
 * The quiet gap that ends an incident's episode: W, or for a `sustained` incident the long window (its prompts came
 * slowly; the next one of the same attack is as slow, and is the same attack).
 */
export function episodeGapMs(inc: Pick<Incident, 'trigger'>, policy: DetectionPolicy): number {
    return inc.trigger === 'sustained' ? Math.max(policy.sustainedWindowMs, policy.windowMs) : policy.windowMs;
}

/** Whether an event at `t` falls within the gap of the incident's first and last prompt: the same episode. */
function inEpisode(inc: Incident, t: number, policy: DetectionPolicy): boolean {
    const gap = episodeGapMs(inc, policy);
    return t >= inc.firstSeen - gap && t <= inc.lastSeen + gap;
}

/**
 * Drill prompts and real prompts never mix: a drill incident takes drill prompts only, and a real attack on a canary
 * right after a drill opens a real incident instead of hiding inside the drill's dry-run. Only `mfa-responder drill`
 * writes the marker (and the parser honours it for canary users only), so an attacker cannot choose the drill side.
 */
export const isDrill = (p: Prompt) => p.drillId !== undefined;

/**
 * The attack incident whose episode a prompt belongs to: within W of its first and last prompt, of the same kind
 * (drill or real). An open incident first; else a released one, when the prompt is dated no later than the release.
 * Entra delivers rows minutes to hours late, and Event Hubs redelivers: a row of the attack the SOC already released
 * arrives after the release, dated before it, and is part of what was released. It joins that incident (its counts
 * stay true) and never opens a new one, which would contain the released user again for an attack already judged.
 * What happens after the release, or after a quiet gap longer than W (a new episode, by the same rule as for open
 * incidents), is a new attack. An approval never joins a released incident: the user gave in during an attack the SOC
 * released without knowing it, which is a new incident (see `releasedAttackOf`). Prompts never join a persistence
 * incident: it counts registrations, not prompts.
 */
function episodeFor(incidents: readonly Incident[], p: Prompt, policy: DetectionPolicy): Incident | undefined {
    let open: Incident | undefined;
    for (let i = incidents.length - 1; i >= 0; i--) {
        const inc = incidents[i]!;
        // A follow-up of a released attack takes that attack's approvals only (see releasedAttackOf).
        if (inc.trigger === PERSISTENCE_TRIGGER || isFollowUp(inc) || !inEpisode(inc, p.time, policy)) continue;
        if ((inc.drill === true) !== isDrill(p)) continue;
        if (inc.closedAt === undefined) open ??= inc;
        else if (p.time <= inc.closedAt) {
            // A prompt of a released attack belongs to it before any incident opened since, whatever order the rows
            // arrive in; an approval goes to the attack's one follow-up.
            if (p.kind !== 'mfa-approved') return inc;
            const followUp = followUpOf(incidents, inc);
            if (followUp && p.time >= inc.firstSeen) return followUp;
        }
    }
    return open;
}

/** A spam-then-success opened for an approval of an attack that was already released. */
export const isFollowUp = (inc: Incident) => inc.trigger !== PERSISTENCE_TRIGGER && inc.relatedIncidentId !== undefined;

/** The one follow-up of a released attack, if it was opened. */
function followUpOf(incidents: readonly Incident[], released: Incident): Incident | undefined {
    return incidents.find((i) => isFollowUp(i) && i.relatedIncidentId === released.id);
}

/** Assigns unassigned prompts that fall inside an open episode to it, until nothing moves. */
export function attachToEpisodes(state: UserState, policy: DetectionPolicy, touched: Set<Incident>): void {
    let moved = true;
    while (moved) {
        moved = false;
        for (const p of state.prompts) {
            if (p.incidentId !== undefined) continue;
            const inc = episodeFor(state.incidents, p, policy);
            if (!inc) continue;
            if (p.kind === 'mfa-approved' && p.time < inc.firstSeen && !isFollowUp(inc)) continue;
            addToIncident(inc, p, episodeGapMs(inc, policy));
            touched.add(inc);
            moved = true;
        }
    }
}

/**
 * The released attack an approval belongs to: dated within its episode, from its first prompt to its release. Entra
 * dates a sign-in by when it started, and delivers rows late: the approval of a prompt sent before the release can
 * arrive after it. That is the user giving in during the attack, whatever the SOC concluded, so it opens a
 * spam-then-success incident of its own, linked to the released one and contained like any other.
 */
export function releasedAttackOf(
    incidents: readonly Incident[],
    p: Prompt,
    policy: DetectionPolicy,
): Incident | undefined {
    // An approval an incident knows already (its prompt since forgotten, and a row of it redelivered) is not news.
    if (incidents.some((i) => p.rowIds.some((r) => i.evidence.includes(r)))) return undefined;
    if (incidents.some((i) => i.approval?.at === p.time && i.approval.ipAddress === p.ipAddress)) return undefined;
    for (let i = incidents.length - 1; i >= 0; i--) {
        const inc = incidents[i]!;
        if (inc.trigger === PERSISTENCE_TRIGGER || isFollowUp(inc) || inc.closedAt === undefined) continue;
        if ((inc.drill === true) !== isDrill(p)) continue;
        if (p.time >= inc.firstSeen && p.time <= inc.closedAt && inEpisode(inc, p.time, policy)) {
            // Released although it recorded an approval: the SOC knew the user gave in, so no approval of it is news.
            return inc.approval ? undefined : inc;
        }
    }
    return undefined;
}

/**
 * The episode a new incident takes: the unassigned denials (drill or real, as the trigger) from the first of those
 * that completed the trigger (`since`) to the trigger, and those connected to them by gaps of at most W on either
 * side. A slow attack's prompts are all in its long window, however far apart; a burst's are within W of each other.
 */
export function episodeAround(prompts: readonly Prompt[], at: Prompt, windowMs: number, since = at.time): Prompt[] {
    const denials = prompts.filter(
        (p) => p.incidentId === undefined && DENIAL_KINDS.has(p.kind) && isDrill(p) === isDrill(at),
    );
    // The last denial at or before the trigger (for an approval, the denials before it), and the first since `since`.
    let hi = -1;
    for (let i = 0; i < denials.length; i++) if (denials[i]!.time <= at.time) hi = i;
    if (hi < 0) return [];
    let lo = hi;
    while (lo > 0 && denials[lo - 1]!.time >= since) lo--;
    while (lo > 0 && denials[lo]!.time - denials[lo - 1]!.time <= windowMs) lo--;
    while (hi < denials.length - 1 && denials[hi + 1]!.time - denials[hi]!.time <= windowMs) hi++;
    return denials.slice(lo, hi + 1);
}
