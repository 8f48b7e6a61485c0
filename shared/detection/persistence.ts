import type { SecurityInfoEvent } from '../signin/signInEvent';
import type { DetectionPolicy } from './policy';
import {
    Incident,
    MAX_ADDRESSES_PER_INCIDENT,
    MAX_EVIDENCE_PER_INCIDENT,
    MAX_REGISTRATIONS_PER_USER,
    MAX_ROW_IDS_PER_PROMPT,
    PERSISTENCE_TRIGGER,
    Registration,
} from './userState';

/**
 * What attackers do after the approval (Uber 2022, Lapsus$, Scattered Spider): register a method of their own. A
 * security-information change for a user, after the first prompt of one of their attacks and before that attack was
 * released (or, never released, within PERSISTENCE_WINDOW_HOURS of its last prompt), opens a
 * `method-registered-after-attack` incident linked to the attack. Changes close in time (within the window of each
 * other) join one such incident; a change with no attack before it, or after a release, opens nothing.
 */

function add(list: string[], value: string | undefined, max: number): void {
    if (value !== undefined && value !== '' && list.length < max && !list.includes(value)) list.push(value);
}

/** Merges audit rows into changes by their keys (bounded list, so a linear search is enough). */
export function mergeRegistrations(
    existing: readonly Registration[],
    events: readonly SecurityInfoEvent[],
): Registration[] {
    const merged = existing.map((r) => ({ ...r, keys: [...r.keys], methods: [...r.methods], rowIds: [...r.rowIds] }));
    for (const e of events) {
        const match = merged.find((r) => r.keys.some((k) => e.keys.includes(k)));
        if (!match) {
            merged.push({
                keys: [...e.keys],
                time: e.time,
                kind: e.kind,
                methods: [...e.methods],
                ...(e.ipAddress ? { ipAddress: e.ipAddress } : {}),
                initiatedBy: e.initiatedBy,
                rowIds: [e.recordId],
            });
            continue;
        }
        for (const k of e.keys) if (!match.keys.includes(k) && match.keys.length < 4) match.keys.push(k);
        for (const m of e.methods) if (m !== 'unknown') add(match.methods, m, 16);
        if (match.methods.length > 1) match.methods = match.methods.filter((m) => m !== 'unknown');
        match.time = Math.min(match.time, e.time);
        match.ipAddress ??= e.ipAddress;
        add(match.rowIds, e.recordId, MAX_ROW_IDS_PER_PROMPT);
    }
    merged.sort((a, b) => a.time - b.time);
    return merged.slice(Math.max(0, merged.length - MAX_REGISTRATIONS_PER_USER));
}

/**
 * The attack a change at `t` follows: the latest one it falls inside (from its first prompt to its release). A real
 * attack comes before any drill: a method registered after a real attack on a canary is never taken for a drill's.
 */
function attackFor(incidents: readonly Incident[], t: number, policy: DetectionPolicy): Incident | undefined {
    return attackAmong(incidents, t, policy, false) ?? attackAmong(incidents, t, policy, true);
}

function attackAmong(
    incidents: readonly Incident[],
    t: number,
    policy: DetectionPolicy,
    drill: boolean,
): Incident | undefined {
    for (let i = incidents.length - 1; i >= 0; i--) {
        const inc = incidents[i]!;
        if (inc.trigger === PERSISTENCE_TRIGGER || t < inc.firstSeen || (inc.drill === true) !== drill) continue;
        const until = inc.closedAt ?? inc.lastSeen + policy.persistenceWindowMs;
        if (inc.closedAt !== undefined ? t < until : t <= until) return inc;
    }
    return undefined;
}

function joinIncident(inc: Incident, r: Registration, attack: Incident): void {
    r.incidentId = inc.id;
    inc.firstSeen = Math.min(inc.firstSeen, r.time);
    inc.lastSeen = Math.max(inc.lastSeen, r.time);
    inc.methods ??= [];
    for (const m of r.methods) add(inc.methods, m, 16);
    if (inc.methods.length > 1) inc.methods = inc.methods.filter((m) => m !== 'unknown');
    add(inc.ipAddresses, r.ipAddress, MAX_ADDRESSES_PER_INCIDENT);
    if (r.ipAddress !== undefined && attack.ipAddresses.includes(r.ipAddress)) inc.fromAttackIp = true;
    for (const id of r.rowIds) add(inc.evidence, id, MAX_EVIDENCE_PER_INCIDENT);
}

/**
 * Links unlinked changes to the attacks they follow: into the open persistence incident of that attack when within
 * the window of it, else into a new one (returned). Mutates `incidents` and `registrations` (the caller's copies).
 */
export function linkRegistrations(
    userId: string,
    userPrincipalName: string | undefined,
    incidents: Incident[],
    registrations: Registration[],
    policy: DetectionPolicy,
    now: number,
    incidentId: (trigger: typeof PERSISTENCE_TRIGGER, at: number) => string,
): Incident[] {
    const created: Incident[] = [];
    for (const r of registrations) {
        if (r.incidentId !== undefined) continue;
        const attack = attackFor(incidents, r.time, policy);
        if (!attack) continue;
        const open = incidents.find(
            (i) =>
                i.trigger === PERSISTENCE_TRIGGER &&
                i.relatedIncidentId === attack.id &&
                i.closedAt === undefined &&
                r.time >= i.firstSeen - policy.windowMs &&
                r.time <= i.lastSeen + policy.windowMs,
        );
        if (open) {
            joinIncident(open, r, attack);
            continue;
        }
        const inc: Incident = {
            id: incidentId(PERSISTENCE_TRIGGER, r.time),
            userId,
            ...(userPrincipalName !== undefined ? { userPrincipalName } : {}),
            trigger: PERSISTENCE_TRIGGER,
            denials: 0,
            timeouts: 0,
            fraudReports: 0,
            firstSeen: r.time,
            lastSeen: r.time,
            detectedAt: r.time,
            recordedAt: now,
            ipAddresses: [],
            apps: [],
            evidence: [],
            relatedIncidentId: attack.id,
            attackFirstSeen: attack.firstSeen,
            methods: [],
            fromAttackIp: false,
            // What follows a drill is part of the drill: a canary re-registering a method never gets it deleted.
            ...(attack.drill ? { drill: true } : {}),
        };
        joinIncident(inc, r, attack);
        incidents.push(inc);
        created.push(inc);
    }
    return created;
}
