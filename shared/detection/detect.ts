import { isSecurityInfoEvent, SecurityInfoEvent, SignInEvent, UserEvent } from '../signin/signInEvent';
import { attachToEpisodes } from './episodes';
import { findTrigger } from './findTrigger';
import { forgetPrompts } from './forgetPrompts';
import { recount } from './incidentCounters';
import { mergeEvents } from './mergePrompts';
import { incidentId, openIncident } from './openIncident';
import { linkRegistrations, mergeRegistrations } from './persistence';
import type { DetectionPolicy } from './policy';
import { cloneState, emptyUserState, Incident, MAX_INCIDENTS_PER_USER, UserState } from './userState';

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
