import type { Containment } from '../containment/model';
import type { MfaKind } from '../signin/matchers';

/** One push prompt (or MFA approval) of a user, after the rows that describe it were merged. */
export interface Attempt {
    /** Identity keys of the rows merged into this prompt; see SignInEvent.keys. */
    keys: string[];
    /** Event time, ms. The earliest of its rows. */
    t: number;
    kind: MfaKind;
    ip?: string;
    app?: string;
    /** Sign-in row ids, a few at most: evidence for the SOC. */
    rids: string[];
    /** Id of the incident this prompt belongs to, once it does. */
    inc?: string;
}

export type Trigger = 'threshold' | 'fraud-report' | 'spam-then-success';

/** A fresh MFA approval that came after denials: the user (or the attacker) got in. */
export interface ApprovalAfterDenials {
    at: number;
    ipAddress?: string;
    /** True when the approving sign-in came from one of the denied prompts' IP addresses. */
    fromDenialIp: boolean;
}

/** A detected attack episode on one user. Containment (shared/containment) adds its own record to it. */
export interface Incident {
    id: string;
    userId: string;
    userPrincipalName?: string;
    trigger: Trigger;
    /** Distinct prompts the user declined (fraud reports included). */
    denials: number;
    /** Distinct prompts the user left unanswered. */
    timeouts: number;
    fraudReports: number;
    /** Event time of the first and last prompt of the episode, ms. */
    firstSeen: number;
    lastSeen: number;
    /** Event time of the row that completed the trigger, ms. */
    triggeredAt: number;
    /** Wall-clock time the responder opened the incident, ms. */
    detectedAt: number;
    ipAddresses: string[];
    apps: string[];
    /** Sign-in row ids of the episode (bounded). */
    evidence: string[];
    approval?: ApprovalAfterDenials;
    /** Set when an admin released the user; a closed incident no longer absorbs new prompts. */
    closedAt?: number;
    /** What the responder does about it; absent where containment is not configured (a plain replay). */
    containment?: Containment;
}

/** Everything the responder remembers about one user. Bounded: see DetectionPolicy. */
export interface UserState {
    userId: string;
    userPrincipalName?: string;
    /** `Member` or `Guest`, from the newest sign-in that said. */
    userType?: string;
    /** Sorted by `t`. */
    attempts: Attempt[];
    /** Oldest first. */
    incidents: Incident[];
    /** Newest event time seen, ms. */
    lastEventTime: number;
}

export const MAX_INCIDENTS_PER_USER = 20;
export const MAX_EVIDENCE_PER_INCIDENT = 100;
export const MAX_ADDRESSES_PER_INCIDENT = 32;
export const MAX_ROW_IDS_PER_ATTEMPT = 4;

export function emptyUserState(userId: string): UserState {
    return { userId, attempts: [], incidents: [], lastEventTime: 0 };
}
