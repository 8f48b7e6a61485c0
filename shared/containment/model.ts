import type { ContainmentConfig } from '../settings/containment';
import type { ContainmentMode } from '../settings/containmentModes';

/**
 * The steps of a containment, in the order they run (what each does is in stepTable.ts). Declared once as a list:
 * telemetry's step dimension is this list, and a step added here is a new value there without a second edit.
 */
export const STEP_NAMES = [
    'check-exclusions',
    'circuit-breaker',
    'revoke-sessions',
    'block-push',
    'remove-new-methods',
    'reset-password',
    'confirm-compromised',
    'disable-account',
    'revoke-sessions-again',
] as const;
export type StepName = (typeof STEP_NAMES)[number];

/** `running`: the step's Graph call is in flight (its runner holds the lease). */
export type StepStatus = 'pending' | 'running' | 'done' | 'failed' | 'skipped' | 'dry-run';

export interface StepError {
    /** HTTP status from Graph; absent for a network error or timeout. */
    readonly status?: number;
    /** Graph's error code, e.g. Authorization_RequestDenied. */
    readonly code: string;
    /** Bounded and redacted (shared/redact.ts): never a request body or anything secret-shaped. */
    readonly message: string;
    /**
     * When Graph asked to be called again (Retry-After), ms: the next run of the containment waits until then, however
     * long that is past the step's budget (at most an hour).
     */
    readonly retryAt?: number;
}

/** A method the removal deleted, as listed on the incident. */
export interface RemovedMethod {
    readonly type: string;
    /** Its creation time in Graph, ms. */
    readonly createdAt: number;
    readonly displayName?: string;
}

export interface ContainmentStep {
    readonly name: StepName;
    status: StepStatus;
    /** Times the step was tried. */
    attempts: number;
    /** When the step last changed, ms. */
    at?: number;
    /** What happened, for people: "already a member", "guest user: ...". */
    detail?: string;
    error?: StepError;
    /** Read back after acting: whether the change took effect (a push block, a deletion). */
    verified?: boolean;
    /**
     * The change was made but did not read back yet, since then (ms): the timer checks it again until
     * READBACK_WINDOW_MINUTES after it, without spending the step's attempts.
     */
    unverifiedSince?: number;
    /** What a person still has to do; the containment ends in needs-attention with it. */
    attention?: string;
    /** What earlier runs of this step did, when new evidence made it run again (one bounded line). */
    earlier?: string;
    /** New evidence arrived while the step was in flight: it runs again once this call ends. */
    redo?: boolean;
    /** remove-new-methods: every method it deleted, over all its runs, with type and creation time (bounded). */
    removed?: RemovedMethod[];
}

export type ContainmentStatus =
    /** Waiting for its first run. */
    | 'pending'
    /** A runner holds the lease. */
    | 'running'
    /** Not finished: the timer continues after `nextAttemptAt` (a step failed, or the inline time ran out). */
    | 'retrying'
    | 'contained'
    /** Every step was recorded as dry-run; nothing was written to Graph. */
    | 'dry-run'
    /** Deliberately not contained: never-contain, cooldown, circuit breaker. See `reason`. */
    | 'not-contained'
    /** A person must act: a permission is missing (403), a step kept failing, the breaker could not be read. */
    | 'needs-attention'
    | 'released';

/** `approval`: the user approved a prompt during an attack already contained: what was registered is removed. */
export type NoticeKind = 'incident' | 'approval' | 'needs-attention' | 'released';

/**
 * One notice to the SOC. `failed` with `nextAttemptAt` is being retried (backoff, within NOTICE_RETRY_HOURS of its
 * first failure); `failed` with `gaveUpAt` was given up. `superseded`: a later notice of the same incident was sent in
 * its place (it carries the incident's latest state).
 */
export interface Notice {
    readonly kind: NoticeKind;
    status: 'pending' | 'sent' | 'failed' | 'skipped' | 'superseded';
    attempts: number;
    at?: number;
    /** Why the last attempt failed: bounded and redacted (never the webhook's URL). */
    error?: string;
    /** When the first attempt failed, ms: the retries end NOTICE_RETRY_HOURS after it. */
    firstFailedAt?: number;
    /** When to try again, ms. */
    nextAttemptAt?: number;
    /** When the retries ended without reaching the SOC, ms. */
    gaveUpAt?: number;
    /** The later notice sent in this one's place. */
    supersededBy?: NoticeKind;
}

/** Why the Logs Ingestion API refused (or never answered) a Sentinel row: its HTTP status and error code. */
export interface SentinelRowError {
    /** Absent for a network error or timeout. */
    readonly status?: number;
    /** The service's error code (e.g. OperationFailed, Forbidden), or the client's (REQUEST_SEND_ERROR, AbortError). */
    readonly code: string;
    readonly message: string;
}

/**
 * The incident's Sentinel rows (the Log Analytics table Sentinel's rule reads), kept beside the containment so that a
 * status change is sent once it is known, at least once, and retried by the timer with the notices. Each row reports
 * a state (the status, plus "+approval" once the user approved during the attack); a state not yet accepted by the
 * service is due. See due.ts `isSentinelRowDue`. Stored as the containment's `logRows` field.
 */
export interface SentinelRows {
    /** Rows the service accepted (204): the sequence number of the last one, 0 before the first. */
    sequence: number;
    /** The state the last accepted row reported. */
    reported?: string;
    /** When the last row was accepted, ms. */
    at?: number;
    /**
     * The state whose row failed, how often, when to try again, and the last error; since when (its retries end
     * NOTICE_RETRY_HOURS after that) and, once they did, when it was given up.
     */
    failing?: {
        state: string;
        attempts: number;
        nextAttemptAt: number;
        error: SentinelRowError;
        since?: number;
        gaveUpAt?: number;
    };
    /** Rows were planned, but the Logs Ingestion settings are gone: nothing more is sent. */
    skipped?: string;
}

export interface Release {
    readonly at: number;
    readonly by: string;
    readonly reason: string;
    /** What undoing the push block did. */
    readonly undo: string;
}

/** What Graph said about the account when the run checked it (GET /users/{id}). */
export interface AccountFacts {
    readonly userPrincipalName?: string;
    readonly userType?: string;
    readonly accountEnabled?: boolean;
    /** Synced from on-premises AD: a cloud disable or password reset does not stick. */
    readonly onPremisesSyncEnabled?: boolean;
}

/** Who holds a containment, until when, and where its run is (index of the step in flight or next). */
export interface Lease {
    readonly owner: string;
    readonly until: number;
    readonly cursor: number;
}

/** The containment of one incident: a persisted state machine, resumable after a crash at any step. */
export interface Containment {
    readonly incidentId: string;
    status: ContainmentStatus;
    readonly mode: ContainmentMode;
    reason?: string;
    steps: ContainmentStep[];
    /** An expired lease may be taken over. */
    lease?: Lease;
    /** Wall-clock time the plan was written (with the incident), ms. */
    readonly plannedAt: number;
    /** Runs started. */
    runs: number;
    nextAttemptAt?: number;
    startedAt?: number;
    finishedAt?: number;
    /**
     * Held by the open circuit breaker (not contained): when, how many containments the hour had, and the users it
     * held that hour. Cleared when new evidence makes the incident high-confidence and it is contained after all.
     */
    heldByBreaker?: { at: number; inLastHour: number; users: string[] };
    /** What the push block did, so that a release can undo it. */
    pushBlock?: { mode: 'group'; groupId: string } | { mode: 'remove-method'; deleted: number };
    /** From the sign-in records: Graph does not revoke sessions of guests. */
    userType?: string;
    account?: AccountFacts;
    notices: Notice[];
    /**
     * Present when Sentinel rows go to Log Analytics (LOGS_INGESTION_* set when the incident was planned). The stored
     * field keeps its first name, `logRows`: rows already written carry it.
     */
    logRows?: SentinelRows;
    release?: Release;
}

/** Statuses a runner still has to finish. */
export const ACTIVE_STATUSES: ReadonlySet<ContainmentStatus> = new Set(['pending', 'running', 'retrying']);

export function isActive(c: Containment): boolean {
    return ACTIVE_STATUSES.has(c.status);
}

/** A new notice of this kind: pending when a webhook is configured, else skipped (there is nobody to tell). */
export function newNotice(kind: NoticeKind, config: Pick<ContainmentConfig, 'notifyWebhookUrl'>): Notice {
    return { kind, status: config.notifyWebhookUrl ? 'pending' : 'skipped', attempts: 0 };
}

/** A deep copy: every transition returns a new containment and leaves the one it was given as it was. */
export function cloneContainment(c: Containment): Containment {
    return structuredClone(c);
}
