import { MFA_KINDS, MfaKind } from './mfaKinds';

/** One MFA outcome of one user, normalized from a sign-in row. This is all that detection ever sees. */
export interface SignInEvent {
    /** Entra object id of the user, lower-case GUID. */
    readonly userId: string;
    readonly userPrincipalName?: string;
    /** Event time in ms since the epoch (`properties.createdDateTime`, else `time`). */
    readonly time: number;
    readonly kind: MfaKind;
    readonly ipAddress?: string;
    readonly appDisplayName?: string;
    /** `Member` or `Guest` as Entra logs it (Graph exports write it in lower case). */
    readonly userType?: string;
    /**
     * The autonomous system the sign-in came from (`autonomousSystemNumber`): a source wider than one address (issue
     * 17's approving source; campaign detection keys on it).
     */
    readonly asn?: number;
    /** The sign-in row id (`properties.id`), kept as evidence. */
    readonly recordId: string;
    /**
     * Identity keys of the push prompt this row belongs to. Two rows that share any key are one prompt: the same
     * record redelivered (`i:` row id), the same request (`r:` originalRequestId), or Entra's duplicate MFA rows
     * (`s:` correlation id + failed-step time).
     */
    readonly keys: readonly string[];
    /** Set on the synthetic records of `mfa-responder drill`, for a user listed in DRILL_USER_IDS only. */
    readonly drillId?: string;
    /** `userAgent` of the sign-in (cut to its bound): with the autonomous system, a campaign key. */
    readonly userAgent?: string;
    /**
     * The sign-in came from a trusted named location (`networkLocationDetails[].networkType` trusted or
     * trustedNamedLocation): such a prompt never keys a campaign.
     */
    readonly trustedLocation?: boolean;
}

/**
 * What an audit record says changed in a user's ways to authenticate. All but a deletion give a way to authenticate:
 * after an attack they are the attacker's persistence; a deletion is recorded, never alerted on alone.
 */
export const SECURITY_INFO_CHANGES = [
    'method-registered',
    'default-method-changed',
    'method-updated',
    'method-deleted',
] as const;
export type SecurityInfoChange = (typeof SECURITY_INFO_CHANGES)[number];

/** Changes that give a way to authenticate (everything but a deletion). */
export function givesFactor(kind: SecurityInfoChange): boolean {
    return kind !== 'method-deleted';
}

/** Every kind of event detection reads, declared once: telemetry's event-kind dimension is this list. */
export const EVENT_KINDS = [...MFA_KINDS, ...SECURITY_INFO_CHANGES] as const;

/** A change of a user's security information, from the AuditLogs stream: detection's second kind of event. */
export interface SecurityInfoEvent {
    readonly kind: SecurityInfoChange;
    /** The user whose security information changed (the target), lower-case GUID. */
    readonly userId: string;
    readonly userPrincipalName?: string;
    readonly time: number;
    /** Method types (Graph's names), `unknown` when the record does not say. Never empty. */
    readonly methods: readonly string[];
    /** What changed, when the record says (its activity and reason, or the legacy properties modified); bounded. */
    readonly detail?: string;
    /** Where the change came from (the initiator's address). */
    readonly ipAddress?: string;
    /** The user themselves, an admin, or an app. */
    readonly initiatedBy: 'user' | 'admin' | 'app';
    readonly recordId: string;
    /**
     * `i:` record id; `c:` the change: correlation id, activity, method types and target, to the second. Rows merge
     * only when they are the same change: two methods under one correlation id are two changes.
     */
    readonly keys: readonly string[];
}

/** Everything detection is fed: sign-in outcomes and security-information changes. */
export type UserEvent = SignInEvent | SecurityInfoEvent;

export function isSecurityInfoEvent(e: UserEvent): e is SecurityInfoEvent {
    return (SECURITY_INFO_CHANGES as readonly string[]).includes(e.kind);
}

/**
 * Why a record could not be used. A small closed set, so that counts by reason stay readable; declared once as a list
 * (telemetry's reason dimension is this list).
 */
export const REJECT_REASONS = [
    'invalid-json',
    'not-an-object',
    'invalid-envelope',
    'line-too-long',
    'invalid-category',
    'invalid-properties',
    'invalid-result-code',
    'missing-result-code',
    'missing-user-id',
    'invalid-user-id',
    'invalid-time',
    /** Dated more than MAX_CLOCK_SKEW_MINUTES after the wall clock: a buggy stream, never a real prompt. */
    'future-time',
    'missing-record-id',
    'invalid-field',
    /**
     * A drill record (`properties.drillId`, which Entra never writes) for a user not in DRILL_USER_IDS: it can only come
     * from `mfa-responder drill` pointed at the wrong user, so it is never read as a real sign-in that could contain them.
     */
    'drill-refused',
    /** A CSV export whose syntax breaks (an unclosed quote): the rows before it still count. */
    'invalid-csv',
] as const;
export type RejectReason = (typeof REJECT_REASONS)[number];

/** The outcome of parsing one raw record. */
export type ParseOutcome =
    | {
          readonly type: 'event';
          readonly event: UserEvent;
          /** Over-long texts that were cut to their bound (the record still counts). */
          readonly truncated: number;
      }
    /** A user sign-in that is not an MFA push outcome (a password error, a token refresh, ...). */
    | { readonly type: 'other' }
    /** A record of a category the responder does not read (service principals, managed identities). */
    | { readonly type: 'dropped'; readonly category: string }
    | { readonly type: 'rejected'; readonly reason: RejectReason; readonly detail: string };
