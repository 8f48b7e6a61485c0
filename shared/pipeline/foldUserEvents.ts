import type { ContainmentConfig } from '../settings/containment';
import { amendForApproval, amendForRegistration, reopenIfHeld } from '../containment/amend';
import type { Containment } from '../containment/model';
import { planContainment } from '../containment/plan';
import { applyEvents, ApplyEventsResult } from '../detection/detect';
import type { DetectionPolicy } from '../detection/policy';
import { Incident, PERSISTENCE_TRIGGER } from '../detection/userState';
import type { UserEvent } from '../signin/signInEvent';
import { ContainedIncident, newUserRow, UserRow } from '../userRow/userRow';
import type { UserRowMutation } from '../userRow/userRows';

/** What folding one user's events decided, beside the row it writes. */
export interface UserOutcome {
    readonly applied: ApplyEventsResult;
    readonly planned: readonly Containment[];
    /** Containments of existing incidents that changed with these events (an approval added removal steps). */
    readonly amended: readonly Containment[];
    /**
     * What this invocation announces: the incidents it opened, and those an earlier one stored without announcing
     * (its write landed, its acknowledgement did not), each with its containment as stored.
     */
    readonly announce: readonly ContainedIncident[];
}

export interface FoldOptions {
    readonly policy: DetectionPolicy;
    /** When given, every new incident gets its containment plan, and new evidence amends existing ones. */
    readonly containment?: ContainmentConfig;
    /** Which incidents detection's caps may forget, given the user's containments (UserRows.evictable). */
    readonly evictable: (containments: readonly Containment[]) => (incident: Incident) => boolean;
}

/**
 * Folds one user's events into their row: detection, then the containment plan of each new incident and the
 * amendments new evidence calls for, and what is to announce. Pure, so that a conflict can re-run it on a fresh read.
 */
export function foldUserEvents(
    current: UserRow | undefined,
    events: readonly UserEvent[],
    options: FoldOptions,
    now: number,
): UserRowMutation<UserOutcome> {
    const earlier = current?.containments ?? [];
    const applied = applyEvents(current?.state, events, {
        policy: options.policy,
        now,
        isEvictable: options.evictable(earlier),
    });
    // An unchanged state serialises as the row did, and UserRows.update then writes nothing (a redelivery).
    const planned: Containment[] = [];
    const amended: Containment[] = [];
    let containments = [...earlier];
    if (options.containment) {
        const config = options.containment;
        for (const incident of applied.updatedIncidents) {
            const persistence = incident.trigger === PERSISTENCE_TRIGGER;
            containments = containments.map((c) => {
                if (c.incidentId !== incident.id) return c;
                // Held by the breaker and now high-confidence: contained after all. An approval adds the removal
                // steps; another registration runs them again.
                let next = reopenIfHeld(c, incident, config);
                if (persistence) next = amendForRegistration(next, config, now);
                else if (incident.approval) next = amendForApproval(next, incident, config, now);
                if (next !== c) amended.push(next);
                return next;
            });
        }
        for (const incident of applied.newIncidents) {
            planned.push(
                planContainment({
                    incident,
                    earlier: [...containments, ...planned],
                    ...(applied.state.userType ? { userType: applied.state.userType } : {}),
                    config,
                    now,
                }),
            );
        }
    }
    const all = [...containments, ...planned];
    const unannounced = [...new Set([...(current?.unannounced ?? []), ...applied.newIncidents.map((i) => i.id)])];
    const announce = unannounced.flatMap((id): ContainedIncident[] => {
        const incident = applied.state.incidents.find((i) => i.id === id);
        const containment = all.find((c) => c.incidentId === id);
        if (!incident) return [];
        return [containment ? { incident, containment } : { incident }];
    });
    return {
        row: newUserRow(applied.state, all, unannounced),
        result: { applied, planned, amended, announce },
    };
}
