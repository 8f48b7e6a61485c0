import { episodeAround, episodeGapMs } from './episodes';
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

/**
 * When an attack began as a person dates it: the first of the prompts that completed its trigger (bounded by the
 * look-back), or for a follow-up the start of the attack it follows. Rows written before it was kept: the first prompt.
 */
export function attackStartOf(inc: Pick<Incident, 'attackStart' | 'attackFirstSeen' | 'firstSeen'>): number {
    return inc.attackFirstSeen ?? inc.attackStart ?? inc.firstSeen;
}

/** The incident a detection opens: the trigger's episode of denials (none for a follow-up), and its approval. */
export function openIncident(state: UserState, d: Detection, policy: DetectionPolicy, now: number): Incident {
    // A follow-up of a released attack holds its approval only: the attack's denials are the released incident's.
    const members = d.after ? [] : episodeAround(state.prompts, d.at, policy.windowMs, d.windowStart);
    const first = members[0] ?? d.at;
    // As a person dates the attack: the prompts that completed the trigger, never more than the look-back before it.
    const attackStart = Math.max(d.windowStart ?? first.time, d.at.time - policy.removalLookbackMs);
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
        ...(d.after ? {} : { attackStart: Math.min(attackStart, d.at.time) }),
        detectedAt: d.at.time,
        recordedAt: now,
        ipAddresses: [],
        apps: [],
        evidence: [],
        ...(d.at.drillId ? { drill: true, drillId: d.at.drillId } : {}),
        // After a released attack: its addresses and networks (so that the approval shows whether it came from one),
        // its start (what the attacker may have registered since must go) and its release (what the user registered
        // after it is theirs).
        ...(d.after
            ? {
                  relatedIncidentId: d.after.id,
                  attackFirstSeen: attackStartOf(d.after),
                  ...(d.after.closedAt !== undefined ? { attackReleasedAt: d.after.closedAt } : {}),
                  ipAddresses: d.after.ipAddresses.slice(0, MAX_ADDRESSES_PER_INCIDENT),
                  ...(d.after.asns ? { asns: d.after.asns.slice(0, MAX_ADDRESSES_PER_INCIDENT) } : {}),
              }
            : {}),
    };
    const gap = episodeGapMs(inc, policy);
    for (const p of members) addToIncident(inc, p, gap);
    // The approval is the trigger itself, however long after the denials of the long window it came.
    if (d.trigger === 'spam-then-success') addToIncident(inc, d.at, Math.max(gap, d.at.time - inc.lastSeen));
    return inc;
}
