import { DENIAL_KINDS, MfaKind, UNANSWERED_KINDS } from '../signin/matchers';
import { isSecurityInfoEvent, SecurityInfoEvent, SignInEvent, UserEvent } from '../signin/signInEvent';
import { mergeEvents } from './mergePrompts';
import { linkRegistrations, mergeRegistrations } from './persistence';
import type { DetectionPolicy } from './policy';
import {
    emptyUserState,
    Incident,
    MAX_ADDRESSES_PER_INCIDENT,
    MAX_EVIDENCE_PER_INCIDENT,
    MAX_INCIDENTS_PER_USER,
    PERSISTENCE_TRIGGER,
    Prompt,
    Trigger,
    UserState,
} from './userState';

export interface ApplyEventsOptions {
    readonly policy: DetectionPolicy;
    /** Wall clock, ms: stamped on new incidents as `recordedAt`, and the bound of sane event times. */
    readonly now: number;
    /**
     * Which incidents the per-user cap may drop to make room, oldest first. By default only closed (released) ones:
     * the caller, which knows what containment holds on to, may allow more.
     */
    readonly isEvictable?: (incident: Incident) => boolean;
}

export interface ApplyEventsResult {
    /** The new state; equal to the previous one (as JSON) when the events were all known already. */
    readonly state: UserState;
    readonly newIncidents: readonly Incident[];
    /** Existing incidents that grew (late or continuing prompts, an approval). */
    readonly updatedIncidents: readonly Incident[];
    /** Prompts that became known as declined (or fraud-reported) with these events. */
    readonly newDenials: number;
}

const EPSILON = 1e-9;

function isDenial(kind: MfaKind): boolean {
    return DENIAL_KINDS.has(kind);
}

export function cloneState(s: UserState): UserState {
    return {
        ...s,
        prompts: s.prompts.map((p) => ({ ...p, keys: [...p.keys], rowIds: [...p.rowIds] })),
        incidents: s.incidents.map(cloneIncident),
        ...(s.registrations
            ? {
                  registrations: s.registrations.map((r) => ({
                      ...r,
                      keys: [...r.keys],
                      methods: [...r.methods],
                      rowIds: [...r.rowIds],
                  })),
              }
            : {}),
    };
}

function cloneIncident(i: Incident): Incident {
    return {
        ...i,
        ipAddresses: [...i.ipAddresses],
        apps: [...i.apps],
        evidence: [...i.evidence],
        ...(i.approval ? { approval: { ...i.approval } } : {}),
        ...(i.trimmed ? { trimmed: { ...i.trimmed } } : {}),
        ...(i.methods ? { methods: [...i.methods] } : {}),
    };
}

function pushBounded(list: string[], value: string | undefined, max: number): void {
    if (value !== undefined && value !== '' && list.length < max && !list.includes(value)) list.push(value);
}

/** An unanswered push or call weighs TIMEOUT_WEIGHT; any other denial (declined, hung up, wrong code, fraud) 1. */
function weightOf(kind: MfaKind, policy: DetectionPolicy): number {
    if (UNANSWERED_KINDS.has(kind)) return policy.timeoutWeight;
    return isDenial(kind) ? 1 : 0;
}

/** Adds one prompt of this kind to the incident's counters (an approval counts nowhere). */
function count(inc: Incident, kind: MfaKind): void {
    switch (kind) {
        case 'push-timeout':
            inc.timeouts++;
            return;
        case 'voice-denied':
        case 'voice-timeout':
            inc.voiceDenials = (inc.voiceDenials ?? 0) + 1;
            return;
        case 'sms-wrong-code':
            inc.smsWrongCodes = (inc.smsWrongCodes ?? 0) + 1;
            return;
        case 'fraud-report':
            inc.fraudReports++;
            inc.denials++;
            return;
        case 'push-denied':
            inc.denials++;
            return;
        case 'mfa-approved':
            return;
    }
}

/**
 * Assigns a prompt to an incident and counts it (an approval is recorded, not counted; its rows are evidence too, so
 * that a redelivery after the prompt was forgotten is recognised). A released incident keeps the range it had when
 * released: late rows join it and count, but never stretch its episode, so that a later attack delivered after them
 * is judged the same in whatever order the rows arrive.
 */
function addToIncident(inc: Incident, p: Prompt, windowMs: number): void {
    p.incidentId = inc.id;
    if (p.kind === 'mfa-approved') {
        if (!inc.approval && p.time >= inc.firstSeen && p.time <= inc.lastSeen + windowMs) {
            inc.approval = {
                at: p.time,
                ...(p.ipAddress ? { ipAddress: p.ipAddress } : {}),
                fromDenialIp: p.ipAddress !== undefined && inc.ipAddresses.includes(p.ipAddress),
            };
        }
        for (const r of p.rowIds) pushBounded(inc.evidence, r, MAX_EVIDENCE_PER_INCIDENT);
        return;
    }
    // A prompt the incident forgot and now sees again (a redelivery) was counted already: its rows are evidence.
    const seen = inc.partial === true && p.rowIds.length > 0 && p.rowIds.every((r) => inc.evidence.includes(r));
    if (!seen) count(inc, p.kind);
    if (inc.closedAt === undefined) {
        inc.firstSeen = Math.min(inc.firstSeen, p.time);
        inc.lastSeen = Math.max(inc.lastSeen, p.time);
    }
    pushBounded(inc.ipAddresses, p.ipAddress, MAX_ADDRESSES_PER_INCIDENT);
    pushBounded(inc.apps, p.app, MAX_ADDRESSES_PER_INCIDENT);
    for (const r of p.rowIds) pushBounded(inc.evidence, r, MAX_EVIDENCE_PER_INCIDENT);
}

/**
 * Recomputes the counters of incidents whose prompts are all still remembered, after a merge may have joined two of
 * their prompts or upgraded one (a timeout that a later row shows as declined). Once a prompt was forgotten the
 * incident is `partial` and its stored counters are final.
 */
function recount(incidents: readonly Incident[], prompts: readonly Prompt[]): void {
    const byIncident = new Map<string, Prompt[]>();
    for (const p of prompts) {
        if (p.incidentId === undefined || p.kind === 'mfa-approved') continue;
        const list = byIncident.get(p.incidentId);
        if (list) list.push(p);
        else byIncident.set(p.incidentId, [p]);
    }
    for (const inc of incidents) {
        const mine = byIncident.get(inc.id);
        if (inc.partial || !mine) continue;
        // Counted on a scratch copy, then copied back field by field: an unchanged incident keeps its exact shape
        // (and so serialises, and is stored, as before).
        const fresh: Incident = { ...inc, denials: 0, timeouts: 0, fraudReports: 0 };
        delete fresh.voiceDenials;
        delete fresh.smsWrongCodes;
        for (const p of mine) count(fresh, p.kind);
        inc.denials = fresh.denials;
        inc.timeouts = fresh.timeouts;
        inc.fraudReports = fresh.fraudReports;
        if (fresh.voiceDenials !== undefined || inc.voiceDenials !== undefined)
            inc.voiceDenials = fresh.voiceDenials ?? 0;
        if (fresh.smsWrongCodes !== undefined || inc.smsWrongCodes !== undefined)
            inc.smsWrongCodes = fresh.smsWrongCodes ?? 0;
    }
}

/** Forgets prompts (retention, caps, size budget); an incident that loses one keeps its counters as they are. */
export function forgetPrompts(state: UserState, keep: (p: Prompt, index: number) => boolean): number {
    const kept: Prompt[] = [];
    let forgotten = 0;
    state.prompts.forEach((p, i) => {
        if (keep(p, i)) {
            kept.push(p);
            return;
        }
        forgotten++;
        if (p.incidentId === undefined) return;
        const inc = state.incidents.find((x) => x.id === p.incidentId);
        if (inc) inc.partial = true;
    });
    state.prompts = kept;
    return forgotten;
}

/**
 * Unique whatever the input: the trigger's event time (ms), the trigger and the whole user id. Two users, or two
 * triggers of one user, never share an id.
 */
export function incidentId(userId: string, trigger: Trigger, detectedAt: number): string {
    const stamp = new Date(detectedAt).toISOString().replace(/[-:.]/g, '');
    return `${stamp}-${trigger}-${userId}`;
}

/** Whether an event at `t` falls within W of the incident's first and last prompt: the same episode. */
function inEpisode(inc: Incident, t: number, windowMs: number): boolean {
    return t >= inc.firstSeen - windowMs && t <= inc.lastSeen + windowMs;
}

/**
 * Drill prompts and real prompts never mix: a drill incident takes drill prompts only, and a real attack on a canary
 * right after a drill opens a real incident instead of hiding inside the drill's dry-run. Only `mfa-responder drill`
 * writes the marker (and the parser honours it for canary users only), so an attacker cannot choose the drill side.
 */
const isDrill = (p: Prompt) => p.drillId !== undefined;

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
function episodeFor(incidents: readonly Incident[], p: Prompt, windowMs: number): Incident | undefined {
    let open: Incident | undefined;
    for (let i = incidents.length - 1; i >= 0; i--) {
        const inc = incidents[i]!;
        // A follow-up of a released attack takes that attack's approvals only (see releasedAttackOf).
        if (inc.trigger === PERSISTENCE_TRIGGER || isFollowUp(inc) || !inEpisode(inc, p.time, windowMs)) continue;
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
const isFollowUp = (inc: Incident) => inc.trigger !== PERSISTENCE_TRIGGER && inc.relatedIncidentId !== undefined;

/** The one follow-up of a released attack, if it was opened. */
function followUpOf(incidents: readonly Incident[], released: Incident): Incident | undefined {
    return incidents.find((i) => isFollowUp(i) && i.relatedIncidentId === released.id);
}

/** Assigns unassigned prompts that fall inside an open episode to it, until nothing moves. */
function attachToEpisodes(state: UserState, policy: DetectionPolicy, touched: Set<Incident>): void {
    let moved = true;
    while (moved) {
        moved = false;
        for (const p of state.prompts) {
            if (p.incidentId !== undefined) continue;
            const inc = episodeFor(state.incidents, p, policy.windowMs);
            if (!inc) continue;
            if (p.kind === 'mfa-approved' && p.time < inc.firstSeen && !isFollowUp(inc)) continue;
            addToIncident(inc, p, policy.windowMs);
            touched.add(inc);
            moved = true;
        }
    }
}

interface Detection {
    readonly trigger: Trigger;
    readonly at: Prompt;
    /** A spam-then-success whose denials are those of an attack already released: the incident it follows. */
    readonly after?: Incident;
}

/**
 * The released attack an approval belongs to: dated within its episode, from its first prompt to its release. Entra
 * dates a sign-in by when it started, and delivers rows late: the approval of a prompt sent before the release can
 * arrive after it. That is the user giving in during the attack, whatever the SOC concluded, so it opens a
 * spam-then-success incident of its own, linked to the released one and contained like any other.
 */
function releasedAttackOf(incidents: readonly Incident[], p: Prompt, windowMs: number): Incident | undefined {
    // An approval an incident knows already (its prompt since forgotten, and a row of it redelivered) is not news.
    if (incidents.some((i) => p.rowIds.some((r) => i.evidence.includes(r)))) return undefined;
    if (incidents.some((i) => i.approval?.at === p.time && i.approval.ipAddress === p.ipAddress)) return undefined;
    for (let i = incidents.length - 1; i >= 0; i--) {
        const inc = incidents[i]!;
        if (inc.trigger === PERSISTENCE_TRIGGER || isFollowUp(inc) || inc.closedAt === undefined) continue;
        if ((inc.drill === true) !== isDrill(p)) continue;
        if (p.time >= inc.firstSeen && p.time <= inc.closedAt && inEpisode(inc, p.time, windowMs)) {
            // Released although it recorded an approval: the SOC knew the user gave in, so no approval of it is news.
            return inc.approval ? undefined : inc;
        }
    }
    return undefined;
}

/** The earliest trigger, in event time, among prompts not yet part of an incident; drill and real ones apart. */
function findTrigger(
    prompts: readonly Prompt[],
    incidents: readonly Incident[],
    policy: DetectionPolicy,
): Detection | undefined {
    const real = findTriggerAmong(prompts, incidents, policy, false);
    const drill = prompts.some(isDrill) ? findTriggerAmong(prompts, incidents, policy, true) : undefined;
    if (!real || !drill) return real ?? drill;
    return drill.at.time < real.at.time ? drill : real;
}

function findTriggerAmong(
    prompts: readonly Prompt[],
    incidents: readonly Incident[],
    policy: DetectionPolicy,
    drill: boolean,
): Detection | undefined {
    const window: Prompt[] = [];
    let head = 0;
    let score = 0;
    for (const p of prompts) {
        if (p.incidentId !== undefined || isDrill(p) !== drill) continue;
        while (head < window.length && window[head]!.time < p.time - policy.windowMs)
            score -= weightOf(window[head++]!.kind, policy);
        if (p.kind === 'mfa-approved') {
            if (head < window.length && score + EPSILON >= policy.spamThenSuccessMinDenials) {
                return { trigger: 'spam-then-success', at: p };
            }
            const after = releasedAttackOf(incidents, p, policy.windowMs);
            if (after) return { trigger: 'spam-then-success', at: p, after };
            continue;
        }
        window.push(p);
        score += weightOf(p.kind, policy);
        if (p.kind === 'fraud-report' && policy.fraudReportOpensIncident) return { trigger: 'fraud-report', at: p };
        if (score + EPSILON >= policy.denialThreshold) return { trigger: 'threshold', at: p };
    }
    return undefined;
}

/** The unassigned denials (drill or real, as the trigger) connected to the trigger by gaps of at most W: the episode. */
function episodeAround(prompts: readonly Prompt[], at: Prompt, windowMs: number): Prompt[] {
    const denials = prompts.filter((p) => p.incidentId === undefined && isDenial(p.kind) && isDrill(p) === isDrill(at));
    // Start from the last denial at or before the trigger (for an approval, the denials before it).
    let idx = -1;
    for (let i = 0; i < denials.length; i++) if (denials[i]!.time <= at.time) idx = i;
    if (idx < 0) return [];
    let lo = idx;
    let hi = idx;
    while (lo > 0 && denials[lo]!.time - denials[lo - 1]!.time <= windowMs) lo--;
    while (hi < denials.length - 1 && denials[hi + 1]!.time - denials[hi]!.time <= windowMs) hi++;
    return denials.slice(lo, hi + 1);
}

function openIncident(state: UserState, d: Detection, policy: DetectionPolicy, now: number): Incident {
    // A follow-up of a released attack holds its approval only: the attack's denials are the released incident's.
    const members = d.after ? [] : episodeAround(state.prompts, d.at, policy.windowMs);
    const first = members[0] ?? d.at;
    const inc: Incident = {
        id: incidentId(state.userId, d.trigger, d.at.time),
        userId: state.userId,
        ...(state.userPrincipalName !== undefined ? { userPrincipalName: state.userPrincipalName } : {}),
        trigger: d.trigger,
        denials: 0,
        timeouts: 0,
        fraudReports: 0,
        firstSeen: first.time,
        lastSeen: first.time,
        detectedAt: d.at.time,
        recordedAt: now,
        ipAddresses: [],
        apps: [],
        evidence: [],
        ...(d.at.drillId ? { drill: true, drillId: d.at.drillId } : {}),
        // After a released attack: its addresses (so that the approval shows whether it came from one) and its start
        // (what the attacker may have registered since must go).
        ...(d.after
            ? {
                  relatedIncidentId: d.after.id,
                  attackFirstSeen: d.after.firstSeen,
                  ipAddresses: d.after.ipAddresses.slice(0, MAX_ADDRESSES_PER_INCIDENT),
              }
            : {}),
    };
    for (const p of members) addToIncident(inc, p, policy.windowMs);
    if (d.trigger === 'spam-then-success') addToIncident(inc, d.at, policy.windowMs);
    return inc;
}

/**
 * Drops the oldest evictable incidents beyond the cap; incidents the caller holds on to, and those opened just now,
 * are never dropped. Their prompts keep the incident's id, so that an episode that was recorded never opens again.
 */
function capIncidents(state: UserState, isEvictable: (i: Incident) => boolean, fresh: readonly Incident[]): void {
    let excess = state.incidents.length - MAX_INCIDENTS_PER_USER;
    if (excess <= 0) return;
    state.incidents = state.incidents.filter((inc) => {
        if (excess > 0 && !fresh.includes(inc) && isEvictable(inc)) {
            excess--;
            return false;
        }
        return true;
    });
}

/**
 * Folds a batch of one user's events into that user's state and decides whether an attack started. Pure: no I/O,
 * no clock but `options.now`. Idempotent: applying the same events again changes nothing. Order-insensitive within
 * the retention: prompts are merged and sorted by event time before any decision.
 */
export function applyEvents(
    previous: UserState | undefined,
    events: readonly UserEvent[],
    options: ApplyEventsOptions,
): ApplyEventsResult {
    const { policy, now } = options;
    const userId = events[0]?.userId ?? previous?.userId;
    if (userId === undefined) throw new Error('applyEvents needs a previous state or at least one event');
    const before = previous ?? emptyUserState(userId);
    const state = cloneState(before);

    // Time can never run ahead of the clock: a record dated in 2099 (the parser rejects those; an older row may
    // still hold one) must not blind detection or keep the row alive for ever.
    const latest = now + policy.maxClockSkewMs;
    const sane = events.filter((e) => e.time <= latest);
    if (state.lastEventTime > latest) {
        state.lastEventTime = Math.max(0, ...state.prompts.filter((p) => p.time <= latest).map((p) => p.time));
        forgetPrompts(state, (p) => p.time <= latest);
    }
    for (const e of sane) {
        if (e.userPrincipalName) state.userPrincipalName = e.userPrincipalName;
        if ('userType' in e && e.userType) state.userType = e.userType;
        state.lastEventTime = Math.max(state.lastEventTime, e.time);
    }
    const cutoff = state.lastEventTime - policy.retentionMs;
    const signIns = sane.filter((e): e is SignInEvent => !isSecurityInfoEvent(e));
    const changes = sane.filter((e): e is SecurityInfoEvent => isSecurityInfoEvent(e));
    if (changes.length > 0 || state.registrations) {
        const registrations = mergeRegistrations(state.registrations ?? [], changes).filter((r) => r.time >= cutoff);
        state.registrations = registrations;
    }
    const merged = mergeEvents(state.prompts, signIns, cutoff);
    state.prompts = merged.prompts;
    // Forget what is older than the retention before deciding anything: a record that late must not open an incident.
    forgetPrompts(state, (p) => p.time >= cutoff);

    // Prompts merged into an incident's prompt may have changed kind: keep counters exact.
    recount(state.incidents, state.prompts);

    const touched = new Set<Incident>();
    const created: Incident[] = [];
    for (;;) {
        attachToEpisodes(state, policy, touched);
        const detection = findTrigger(state.prompts, state.incidents, policy);
        if (!detection) break;
        const inc = openIncident(state, detection, policy, now);
        state.incidents.push(inc);
        created.push(inc);
    }
    if (state.registrations) {
        created.push(
            ...linkRegistrations(
                state.userId,
                state.userPrincipalName,
                state.incidents,
                state.registrations,
                policy,
                now,
                (trigger, at) => incidentId(state.userId, trigger, at),
            ),
        );
    }

    const excess = state.prompts.length - policy.maxPromptsPerUser;
    if (excess > 0) forgetPrompts(state, (_p, i) => i >= excess);
    capIncidents(state, options.isEvictable ?? ((i) => i.closedAt !== undefined), created);

    const beforeById = new Map(before.incidents.map((i) => [i.id, JSON.stringify(i)]));
    const updated = state.incidents.filter((i) => beforeById.has(i.id) && beforeById.get(i.id) !== JSON.stringify(i));
    return {
        state,
        newIncidents: created,
        updatedIncidents: updated,
        newDenials: merged.newDenials,
    };
}

/** Closes an incident (an admin released the user): only late rows of its episode dated before `at` join it. Pure. */
export function closeIncident(state: UserState, id: string, at: number): UserState {
    return {
        ...state,
        incidents: state.incidents.map((i) => (i.id === id && i.closedAt === undefined ? { ...i, closedAt: at } : i)),
    };
}
