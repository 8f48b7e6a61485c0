import { givesFactor, SecurityInfoEvent } from '../signin/signInEvent';
import { attackStartOf } from './openIncident';
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
 * change that gives a way to authenticate (a method registered, updated or made the default; the legacy per-user MFA
 * data changed), after one of the user's attacks began (as a person dates it, attackStartOf) and before that attack
 * was released (or, never released, within PERSISTENCE_WINDOW_HOURS of its last prompt), opens a
 * `method-registered-after-attack` incident linked to the attack. Changes close in time (within the window of each
 * other) join one such incident; a change with no attack before it, or after a release, opens nothing. A deletion is
 * recorded among the user's changes, never alerted on alone.
 */

/** What changed, per incident, kept for people (each line bounded by the parser). */
const MAX_CHANGES_PER_INCIDENT = 8;

function add(list: string[], value: string | undefined, max: number): void {
    if (value !== undefined && value !== '' && list.length < max && !list.includes(value)) list.push(value);
}

/** Keys kept per change: its record ids and its correlation id, enough for the rows of one registration to meet. */
const MAX_KEYS_PER_REGISTRATION = 4;

/**
 * Merges audit rows into changes by their keys, newest MAX_REGISTRATIONS_PER_USER kept. Linear in the rows whatever
 * a batch holds (an attacker who can register methods chooses how many audit rows there are): rows find their change
 * through a key map, and the list is cut back to the newest changes whenever it doubles, so that neither the lookup
 * nor the memory grows with the batch. A row of a change already cut away starts it again, and is cut again: what
 * is kept is the newest changes either way.
 */
export function mergeRegistrations(
    existing: readonly Registration[],
    events: readonly SecurityInfoEvent[],
): Registration[] {
    let merged = existing.map((r) => ({ ...r, keys: [...r.keys], methods: [...r.methods], rowIds: [...r.rowIds] }));
    // Where each change came in: of two changes a row's keys both name, the earlier one takes it (as a scan would).
    const order = new Map<Registration, number>();
    const byKey = new Map<string, Registration>();
    const index = (r: Registration): void => {
        order.set(r, order.size);
        for (const k of r.keys) if (!byKey.has(k)) byKey.set(k, r);
    };
    merged.forEach(index);
    const cutToNewest = (): void => {
        merged.sort((a, b) => a.time - b.time);
        for (const gone of merged.slice(0, merged.length - MAX_REGISTRATIONS_PER_USER)) {
            for (const k of gone.keys) if (byKey.get(k) === gone) byKey.delete(k);
            order.delete(gone);
        }
        merged = merged.slice(-MAX_REGISTRATIONS_PER_USER);
    };
    for (const e of events) {
        let match: Registration | undefined;
        for (const k of e.keys) {
            const r = byKey.get(k);
            if (r && (match === undefined || order.get(r)! < order.get(match)!)) match = r;
        }
        if (!match) {
            const r: Registration = {
                keys: e.keys.slice(0, MAX_KEYS_PER_REGISTRATION),
                time: e.time,
                kind: e.kind,
                methods: [...e.methods],
                ...(e.detail ? { detail: e.detail } : {}),
                ...(e.ipAddress ? { ipAddress: e.ipAddress } : {}),
                initiatedBy: e.initiatedBy,
                rowIds: [e.recordId],
            };
            merged.push(r);
            index(r);
            if (merged.length >= 2 * MAX_REGISTRATIONS_PER_USER) cutToNewest();
            continue;
        }
        for (const k of e.keys) {
            if (match.keys.includes(k) || match.keys.length >= MAX_KEYS_PER_REGISTRATION) continue;
            match.keys.push(k);
            if (!byKey.has(k)) byKey.set(k, match);
        }
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
        if (inc.trigger === PERSISTENCE_TRIGGER || t < attackStartOf(inc) || (inc.drill === true) !== drill) continue;
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
    if (inc.methods.length === 0) inc.methods.push('unknown');
    if (r.detail !== undefined) add((inc.changes ??= []), r.detail, MAX_CHANGES_PER_INCIDENT);
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
        if (r.incidentId !== undefined || !givesFactor(r.kind)) continue;
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
            attackFirstSeen: attackStartOf(attack),
            // A late row of a change made before the release: what the user registers after it is theirs.
            ...(attack.closedAt !== undefined ? { attackReleasedAt: attack.closedAt } : {}),
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
