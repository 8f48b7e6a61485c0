import { DENIAL_KINDS, MfaKind } from '../signin/matchers';
import { KIND_RANK } from '../signin/parseSignIn';
import type { SignInEvent } from '../signin/signInEvent';
import type { DetectionPolicy } from './policy';
import {
    Attempt,
    emptyUserState,
    Incident,
    MAX_ADDRESSES_PER_INCIDENT,
    MAX_EVIDENCE_PER_INCIDENT,
    MAX_INCIDENTS_PER_USER,
    MAX_ROW_IDS_PER_ATTEMPT,
    Trigger,
    UserState,
} from './userState';

export interface ApplyEventsOptions {
    readonly policy: DetectionPolicy;
    /** Wall clock, ms: only stamped on new incidents as `detectedAt`. Detection itself runs on event time. */
    readonly now: number;
}

export interface ApplyEventsResult {
    readonly state: UserState;
    /** False when the events were all known already: nothing to write. */
    readonly changed: boolean;
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

function cloneState(s: UserState): UserState {
    return {
        userId: s.userId,
        ...(s.userPrincipalName !== undefined ? { userPrincipalName: s.userPrincipalName } : {}),
        ...(s.userType !== undefined ? { userType: s.userType } : {}),
        attempts: s.attempts.map((a) => ({ ...a, keys: [...a.keys], rids: [...a.rids] })),
        incidents: s.incidents.map((i) => ({
            ...i,
            ipAddresses: [...i.ipAddresses],
            apps: [...i.apps],
            evidence: [...i.evidence],
            ...(i.approval ? { approval: { ...i.approval } } : {}),
        })),
        lastEventTime: s.lastEventTime,
    };
}

function pushBounded<T>(list: T[], value: T | undefined, max: number): void {
    if (value !== undefined && value !== '' && list.length < max && !list.includes(value)) list.push(value);
}

function byTime(a: Attempt, b: Attempt): number {
    // At the same instant a denial sorts before an approval, so "denied then approved" reads in that order.
    return a.t - b.t || KIND_RANK[b.kind] - KIND_RANK[a.kind] || (a.keys[0] ?? '').localeCompare(b.keys[0] ?? '');
}

/** Merges rows into prompts: rows that share any identity key are one prompt; the most telling kind wins. */
function mergeEvents(
    attempts: Attempt[],
    events: readonly SignInEvent[],
    cutoff: number,
): { attempts: Attempt[]; newDenials: number } {
    const byKey = new Map<string, Attempt>();
    for (const a of attempts) for (const k of a.keys) byKey.set(k, a);
    const live = new Set(attempts);
    const wasDenial = new Map<Attempt, boolean>();
    for (const a of attempts) wasDenial.set(a, isDenial(a.kind) && a.kind !== 'push-timeout');
    let newDenials = 0;

    for (const e of events) {
        const matches = new Set<Attempt>();
        for (const k of e.keys) {
            const m = byKey.get(k);
            if (m) matches.add(m);
        }
        const merged: Attempt = {
            keys: [...e.keys],
            t: e.time,
            kind: e.kind,
            ...(e.ipAddress ? { ip: e.ipAddress } : {}),
            ...(e.appDisplayName ? { app: e.appDisplayName } : {}),
            rids: [e.recordId],
        };
        let declinedBefore = false;
        for (const m of matches) {
            live.delete(m);
            declinedBefore ||= wasDenial.get(m) ?? false;
            for (const k of m.keys) if (!merged.keys.includes(k)) merged.keys.push(k);
            if (m.t <= merged.t) {
                // Keep the earliest row's time and, with it, its address and app.
                merged.t = m.t;
                if (m.ip) merged.ip = m.ip;
                if (m.app) merged.app = m.app;
            }
            if (KIND_RANK[m.kind] > KIND_RANK[merged.kind]) merged.kind = m.kind;
            for (const r of m.rids) pushBounded(merged.rids, r, MAX_ROW_IDS_PER_ATTEMPT);
            if (m.inc !== undefined && merged.inc === undefined) merged.inc = m.inc;
        }
        merged.rids.sort();
        const declinedNow = merged.kind === 'push-denied' || merged.kind === 'fraud-report';
        if (declinedNow && !declinedBefore && merged.t >= cutoff) newDenials++;
        wasDenial.set(merged, declinedNow);
        live.add(merged);
        for (const k of merged.keys) byKey.set(k, merged);
    }
    return { attempts: [...live].sort(byTime), newDenials };
}

function weightOf(kind: MfaKind, policy: DetectionPolicy): number {
    if (kind === 'push-timeout') return policy.timeoutWeight;
    return isDenial(kind) ? 1 : 0;
}

/** Assigns a prompt to an incident and counts it (an approval is recorded, not counted). */
function addToIncident(inc: Incident, a: Attempt, policyWindow: number): void {
    a.inc = inc.id;
    if (a.kind === 'mfa-approved') {
        if (!inc.approval && a.t >= inc.firstSeen && a.t <= inc.lastSeen + policyWindow) {
            inc.approval = {
                at: a.t,
                ...(a.ip ? { ipAddress: a.ip } : {}),
                fromDenialIp: a.ip !== undefined && inc.ipAddresses.includes(a.ip),
            };
        }
        return;
    }
    if (a.kind === 'push-timeout') inc.timeouts++;
    else inc.denials++;
    if (a.kind === 'fraud-report') inc.fraudReports++;
    inc.firstSeen = Math.min(inc.firstSeen, a.t);
    inc.lastSeen = Math.max(inc.lastSeen, a.t);
    pushBounded(inc.ipAddresses, a.ip, MAX_ADDRESSES_PER_INCIDENT);
    pushBounded(inc.apps, a.app, MAX_ADDRESSES_PER_INCIDENT);
    for (const r of a.rids) pushBounded(inc.evidence, r, MAX_EVIDENCE_PER_INCIDENT);
}

/**
 * Recomputes an incident's counters from the prompts that carry its id, after a merge may have joined two of its
 * prompts or upgraded one (a timeout that a later row shows as declined). Only while all of its prompts are still
 * remembered: once old ones were pruned, the stored counters are final.
 */
function recount(inc: Incident, attempts: readonly Attempt[], complete: boolean): void {
    if (!complete) return;
    const mine = attempts.filter((a) => a.inc === inc.id && a.kind !== 'mfa-approved');
    if (mine.length === 0) return;
    inc.timeouts = mine.filter((a) => a.kind === 'push-timeout').length;
    inc.denials = mine.length - inc.timeouts;
    inc.fraudReports = mine.filter((a) => a.kind === 'fraud-report').length;
}

function incidentId(userId: string, triggeredAt: number): string {
    const stamp = new Date(triggeredAt)
        .toISOString()
        .replace(/[-:]/g, '')
        .replace(/\.\d+Z$/, 'Z');
    return `${stamp}-${userId.slice(0, 8)}`;
}

/** The incident (not closed) whose episode an event at `t` belongs to: within W of its first and last prompt. */
function episodeFor(incidents: readonly Incident[], t: number, windowMs: number): Incident | undefined {
    for (let i = incidents.length - 1; i >= 0; i--) {
        const inc = incidents[i]!;
        if (inc.closedAt === undefined && t >= inc.firstSeen - windowMs && t <= inc.lastSeen + windowMs) return inc;
    }
    return undefined;
}

/** Assigns unassigned prompts that fall inside an open episode to it, until nothing moves. */
function attachToEpisodes(state: UserState, policy: DetectionPolicy, touched: Set<Incident>): void {
    let moved = true;
    while (moved) {
        moved = false;
        for (const a of state.attempts) {
            if (a.inc !== undefined) continue;
            const inc = episodeFor(state.incidents, a.t, policy.windowMs);
            if (!inc) continue;
            if (a.kind === 'mfa-approved' && a.t < inc.firstSeen) continue;
            addToIncident(inc, a, policy.windowMs);
            touched.add(inc);
            moved = true;
        }
    }
}

interface Detection {
    readonly trigger: Trigger;
    readonly at: Attempt;
}

/** The earliest trigger, in event time, among prompts not yet part of an incident. */
function findTrigger(attempts: readonly Attempt[], policy: DetectionPolicy): Detection | undefined {
    const open = attempts.filter((a) => a.inc === undefined);
    const window: Attempt[] = [];
    let score = 0;
    for (const a of open) {
        while (window.length > 0 && window[0]!.t < a.t - policy.windowMs)
            score -= weightOf(window.shift()!.kind, policy);
        if (a.kind === 'mfa-approved') {
            if (window.length > 0 && score + EPSILON >= policy.spamThenSuccessMinDenials) {
                return { trigger: 'spam-then-success', at: a };
            }
            continue;
        }
        window.push(a);
        score += weightOf(a.kind, policy);
        if (a.kind === 'fraud-report' && policy.fraudReportOpensIncident) return { trigger: 'fraud-report', at: a };
        if (score + EPSILON >= policy.denialThreshold) return { trigger: 'threshold', at: a };
    }
    return undefined;
}

/** The unassigned denials connected to the trigger by gaps of at most W: the attack episode. */
function episodeAround(attempts: readonly Attempt[], at: Attempt, windowMs: number): Attempt[] {
    const denials = attempts.filter((a) => a.inc === undefined && isDenial(a.kind));
    if (denials.length === 0) return [];
    // Start from the last denial at or before the trigger (for an approval, the denials before it).
    let idx = -1;
    for (let i = 0; i < denials.length; i++) if (denials[i]!.t <= at.t) idx = i;
    if (idx < 0) return [];
    let lo = idx;
    let hi = idx;
    while (lo > 0 && denials[lo]!.t - denials[lo - 1]!.t <= windowMs) lo--;
    while (hi < denials.length - 1 && denials[hi + 1]!.t - denials[hi]!.t <= windowMs) hi++;
    return denials.slice(lo, hi + 1);
}

function openIncident(state: UserState, d: Detection, policy: DetectionPolicy, now: number): Incident {
    const members = episodeAround(state.attempts, d.at, policy.windowMs);
    const first = members[0] ?? d.at;
    const inc: Incident = {
        id: incidentId(state.userId, d.at.t),
        userId: state.userId,
        ...(state.userPrincipalName !== undefined ? { userPrincipalName: state.userPrincipalName } : {}),
        trigger: d.trigger,
        denials: 0,
        timeouts: 0,
        fraudReports: 0,
        firstSeen: first.t,
        lastSeen: first.t,
        triggeredAt: d.at.t,
        detectedAt: now,
        ipAddresses: [],
        apps: [],
        evidence: [],
    };
    for (const a of members) addToIncident(inc, a, policy.windowMs);
    if (d.trigger === 'spam-then-success') addToIncident(inc, d.at, policy.windowMs);
    return inc;
}

/**
 * Folds a batch of one user's events into that user's state and decides whether an attack started. Pure: no I/O,
 * no clock but `options.now`. Idempotent: applying the same events again changes nothing. Order-insensitive within
 * the retention: prompts are merged and sorted by event time before any decision.
 */
export function applyEvents(
    previous: UserState | undefined,
    events: readonly SignInEvent[],
    options: ApplyEventsOptions,
): ApplyEventsResult {
    const { policy, now } = options;
    const userId = events[0]?.userId ?? previous?.userId;
    if (userId === undefined) throw new Error('applyEvents needs a previous state or at least one event');
    const before = previous ? cloneState(previous) : emptyUserState(userId);
    const state = cloneState(before);

    for (const e of events) {
        if (e.userPrincipalName) state.userPrincipalName = e.userPrincipalName;
        if (e.userType) state.userType = e.userType;
        state.lastEventTime = Math.max(state.lastEventTime, e.time);
    }
    const cutoff = state.lastEventTime - policy.retentionMs;
    const merged = mergeEvents(state.attempts, events, cutoff);
    // Forget what is older than the retention before deciding anything: a record that late must not open an incident.
    state.attempts = merged.attempts.filter((a) => a.t >= cutoff);

    // Prompts merged into an incident's prompt may have changed kind: keep counters exact.
    const oldCutoff = before.lastEventTime - policy.retentionMs;
    const capped = before.attempts.length >= policy.maxAttemptsPerUser;
    for (const inc of state.incidents) recount(inc, state.attempts, !capped && inc.firstSeen >= oldCutoff);

    const touched = new Set<Incident>();
    const created: Incident[] = [];
    for (;;) {
        attachToEpisodes(state, policy, touched);
        const detection = findTrigger(state.attempts, policy);
        if (!detection) break;
        const inc = openIncident(state, detection, policy, now);
        state.incidents.push(inc);
        created.push(inc);
    }

    if (state.attempts.length > policy.maxAttemptsPerUser) {
        state.attempts = state.attempts.slice(state.attempts.length - policy.maxAttemptsPerUser);
    }
    if (state.incidents.length > MAX_INCIDENTS_PER_USER) {
        state.incidents = state.incidents.slice(state.incidents.length - MAX_INCIDENTS_PER_USER);
    }

    const changed = JSON.stringify(state) !== JSON.stringify(before);
    const beforeById = new Map(before.incidents.map((i) => [i.id, JSON.stringify(i)]));
    const updated = state.incidents.filter((i) => beforeById.has(i.id) && beforeById.get(i.id) !== JSON.stringify(i));
    return { state, changed, newIncidents: created, updatedIncidents: updated, newDenials: merged.newDenials };
}
