import { episodeAround } from './episodes';
import type { Detection } from './findTrigger';
import { addToIncident } from './incidentCounters';
import type { DetectionPolicy } from './policy';
import { Incident, MAX_ADDRESSES_PER_INCIDENT, Trigger, UserState } from './userState';

/**
 * Unique whatever the input: the trigger's event time (ms), the trigger and the whole user id. Two users, or two
 * triggers of one user, never share an id.
 */
export function incidentId(userId: string, trigger: Trigger, detectedAt: number): string {
    const stamp = new Date(detectedAt).toISOString().replace(/[-:.]/g, '');
    return `${stamp}-${trigger}-${userId}`;
}

/** The incident a detection opens: the trigger's episode of denials (none for a follow-up), and its approval. */
export function openIncident(state: UserState, d: Detection, policy: DetectionPolicy, now: number): Incident {
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
