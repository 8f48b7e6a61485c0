import type { MfaKind } from '../signin/mfaKinds';
import type { SourceMatch } from '../signin/networkSource';
import type { SecurityInfoChange } from '../signin/signInEvent';

/** One MFA push prompt (or fresh MFA approval) of a user, after the rows that describe it were merged. */
export interface Prompt {
    /** Identity keys of the rows merged into this prompt (bounded); see SignInEvent.keys. */
    keys: string[];
    /** Event time, ms. The earliest of its rows. */
    time: number;
    kind: MfaKind;
    ipAddress?: string;
    /** The autonomous system it came from, when the record said. */
    asn?: number;
    app?: string;
    /** Sign-in row ids, a few at most: evidence for the SOC. */
    rowIds: string[];
    /** Id of the incident this prompt belongs to, once it does. */
    incidentId?: string;
    /** A drill's synthetic prompt (`mfa-responder drill`, a canary user). */
    drillId?: string;
}

/** A change of the user's security information (from AuditLogs), after merging the audit rows that describe it. */
export interface Registration {
    keys: string[];
    /** Event time, ms. */
    time: number;
    kind: SecurityInfoChange;
    /** Method types (Graph's names), `unknown` when the log did not say. */
    methods: string[];
    /** What changed, for people (the activity and its reason), when the record said. */
    detail?: string;
    ipAddress?: string;
    initiatedBy: 'user' | 'admin' | 'app';
    rowIds: string[];
    /** The method-registered-after-attack incident it belongs to, once it does. */
    incidentId?: string;
}

/**
 * Triggers of an attack episode, and the follow-up that links persistence to one. Declared once as a list: telemetry's
 * trigger dimension is this list.
 */
export const TRIGGERS = [
    'threshold',
    'fraud-report',
    'spam-then-success',
    'method-registered-after-attack',
    'sustained',
    /** One source prompted many users (shared/campaign): each sprayed user's incident, with its campaign's id. */
    'push-spray',
] as const;
export type Trigger = (typeof TRIGGERS)[number];
export const PERSISTENCE_TRIGGER = 'method-registered-after-attack' satisfies Trigger;
export type AttackTrigger = Exclude<Trigger, typeof PERSISTENCE_TRIGGER>;

/** A fresh MFA approval that came after denials: the user (or the attacker) got in. */
export interface ApprovalAfterDenials {
    at: number;
    ipAddress?: string;
    /** True when the approving sign-in came from one of the denied prompts' IP addresses. */
    fromDenialIp: boolean;
    /** How the approving sign-in matched the source of the attack's prompts (address, /24 or /64, or autonomous system). */
    sameSource?: SourceMatch;
}

/** How much evidence was left out to keep a row within Azure Table limits; the counts stay exact. */
export interface Trimmed {
    evidence?: number;
    ipAddresses?: number;
    apps?: number;
}

/** A detected attack episode on one user. Detection's own record: containment keeps its records beside it. */
export interface Incident {
    /** Unique: the trigger's event time, the trigger and the full user id. */
    id: string;
    userId: string;
    userPrincipalName?: string;
    trigger: Trigger;
    /** Distinct push prompts the user declined (fraud reports included). */
    denials: number;
    /** Distinct push prompts the user left unanswered. */
    timeouts: number;
    /** Fraud reports, by app or by phone (counted in `denials` too). */
    fraudReports: number;
    /** Phone-call prompts hung up or sent to voicemail (absent: none). */
    voiceDenials?: number;
    /** Wrong SMS codes (absent: none). */
    smsWrongCodes?: number;
    /** Failed prompts whose outcome the record does not say, e.g. Entra's generic 500121 text (absent: none). */
    unknownOutcomes?: number;
    /** Event time of the first and last prompt of the episode, ms. */
    firstSeen: number;
    lastSeen: number;
    /** Event time of the row that completed the trigger, ms: when a live responder acts. */
    detectedAt: number;
    /** Wall-clock time the responder recorded the incident, ms. */
    recordedAt: number;
    ipAddresses: string[];
    /** Autonomous systems of the episode's prompts (bounded), when the records said. */
    asns?: number[];
    apps: string[];
    /** Sign-in row ids of the episode (bounded). */
    evidence: string[];
    approval?: ApprovalAfterDenials;
    /**
     * When the attack began as a person dates it (event time, ms): the first prompt of those that completed the
     * trigger, never more than REMOVAL_LOOKBACK_MINUTES before it. What was registered since is removed. Absent in
     * rows written before it was kept: `firstSeen`.
     */
    attackStart?: number;
    /** A follow-up (method-registered-after-attack, or an approval of a released attack): the attack it follows, and when that attack began (event time, ms). */
    relatedIncidentId?: string;
    attackFirstSeen?: number;
    /** A follow-up of an attack already released: when (wall clock, ms). What was registered after it is the user's own. */
    attackReleasedAt?: number;
    /** method-registered-after-attack: the method types registered, and whether from one of the attack's IPs. */
    methods?: string[];
    fromAttackIp?: boolean;
    /** method-registered-after-attack: what changed, when the records said (bounded). */
    changes?: string[];
    /** A drill (its trigger was a drill prompt): always dry-run, notified as a drill, outside the circuit breaker. */
    drill?: boolean;
    /** push-spray: the campaign the user was sprayed in (its users share one circuit-breaker slot). */
    campaignId?: string;
    /** push-spray: the campaign's source, for people (`address 203.0.113.7`). */
    campaignSource?: string;
    /** push-spray: the campaign's distinct users when this incident opened. */
    campaignUsers?: number;
    /**
     * push-spray: why the campaign, when this incident opened, was not one to contain user by user (above
     * CAMPAIGN_MAX_USERS, or named by an autonomous system only). Containment then waits for a person, unless the user
     * approved a prompt or reported fraud.
     */
    campaignHold?: string;
    /**
     * A push-spray user who approved a prompt from the campaign's source but refused none of its prompts, and whose row
     * holds no refusal from that source either: someone who signs in where the attacker does (shared Wi-Fi), or a
     * victim who approved the first push. A person decides (containment/plan.ts); never high-confidence on its own.
     */
    approvedWithoutRefusal?: boolean;
    drillId?: string;
    /**
     * Set when an admin released the user (wall clock, ms). A closed incident absorbs only late rows of its own
     * episode dated no later than this; prompts after it are a new attack.
     */
    closedAt?: number;
    /** True once some of its prompts were forgotten: its counters are final and no longer recounted. */
    partial?: boolean;
    trimmed?: Trimmed;
}

/** Everything detection remembers about one user. Bounded: see DetectionPolicy and shrinkState. */
export interface UserState {
    userId: string;
    userPrincipalName?: string;
    /** `Member` or `Guest`, from the newest sign-in that said. */
    userType?: string;
    /** Sorted by `time`. */
    prompts: Prompt[];
    /** Oldest first. */
    incidents: Incident[];
    /** Security-information changes, oldest first (absent in rows written before audit logs were read). */
    registrations?: Registration[];
    /** Newest event time seen, ms. */
    lastEventTime: number;
    /** Prompts forgotten to keep the row within its size budget (not counting those past the retention). */
    trimmedPrompts?: number;
}

export const MAX_INCIDENTS_PER_USER = 20;
export const MAX_EVIDENCE_PER_INCIDENT = 100;
export const MAX_ADDRESSES_PER_INCIDENT = 32;
export const MAX_ROW_IDS_PER_PROMPT = 4;
/** Security-information changes remembered per user, newest kept. */
export const MAX_REGISTRATIONS_PER_USER = 50;
/** Keys kept per prompt, by class: row ids, request ids, correlated MFA steps. Bounded, so merging stays linear. */
export const MAX_KEYS_PER_CLASS: Readonly<Record<string, number>> = { i: 4, r: 2, s: 2 };

export function emptyUserState(userId: string): UserState {
    return { userId, prompts: [], incidents: [], lastEventTime: 0 };
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
        ...(i.asns ? { asns: [...i.asns] } : {}),
        ...(i.changes ? { changes: [...i.changes] } : {}),
    };
}
