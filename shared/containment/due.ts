/**
 * The due-work rule, written once and used by the event handler, the timer, the row's pending flag, the notices, the
 * Sentinel rows and expiry: what is still to do for a containment, and when. Pure functions of (containment, settings,
 * now).
 */
import type { ContainmentConfig } from '../settings/containment';
import { Containment, isActive, Notice, NoticeKind, SentinelRowError, SentinelRows } from './model';

const MINUTE = 60_000;
/** Backoff between runs of a failing containment: 1, 2, 4, ... minutes, at most 30. */
export const MAX_BACKOFF_MS = 30 * MINUTE;

export function runBackoffMs(runs: number): number {
    return Math.min(MAX_BACKOFF_MS, MINUTE * 2 ** Math.max(0, runs - 1));
}

/** The longest pause between two attempts of a notice or a Sentinel row. */
export const MAX_REPORT_BACKOFF_MS = 60 * MINUTE;

/** Backoff of a failing notice or Sentinel row after `attempts` failures: 1, 2, 4, ... minutes, at most an hour. */
export function reportBackoffMs(attempts: number): number {
    return Math.min(MAX_REPORT_BACKOFF_MS, MINUTE * 2 ** Math.max(0, attempts - 1));
}

/**
 * A notice still to send: never tried, or failing and not given up. A failing notice written before retries had a
 * horizon (no `nextAttemptAt`) keeps the rule it was written under: attempts left.
 */
export function isNoticeDue(n: Notice, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    if (n.status === 'pending') return true;
    if (n.status !== 'failed' || n.gaveUpAt !== undefined) return false;
    return n.nextAttemptAt !== undefined || n.attempts < config.maxStepAttempts;
}

/**
 * A notice waits until there is something to say: the incident notice of a containment that has not run yet waits
 * for its first run, so that it can say what was done, and no notice goes out while a run is in progress (the run
 * hands them on when it ends; a run that died is resumed by the timer, which then sends them). A failing one waits
 * for its backoff.
 */
export function isNoticeReady(
    n: Notice,
    c: Containment,
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
    now: number,
): boolean {
    if (!isNoticeDue(n, config) || c.status === 'running') return false;
    if ((n.nextAttemptAt ?? 0) > now) return false;
    return !(n.kind === 'incident' && isActive(c) && c.runs === 0);
}

/**
 * The one notice of a containment to send now, and the earlier due ones it stands for: the SOC gets the incident's
 * latest state once, not every intermediate one (after an outage, one notice per incident, not four). Only the newest
 * due notice is ever sent; undefined when it is not ready yet.
 */
export function noticeToSend(
    c: Containment,
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
    now: number,
): { readonly notice: Notice; readonly supersedes: readonly NoticeKind[] } | undefined {
    const due = c.notices.filter((n) => isNoticeDue(n, config));
    const newest = due[due.length - 1];
    if (!newest || !isNoticeReady(newest, c, config, now)) return undefined;
    return { notice: newest, supersedes: due.slice(0, -1).map((n) => n.kind) };
}

/**
 * A notice's attempt failed: tried again after a backoff (or when the receiver said, Retry-After), until
 * NOTICE_RETRY_HOURS after its first failure; then given up (reported by /api/health and doctor).
 */
export function noticeFailed(
    n: Notice,
    error: string,
    now: number,
    config: Pick<ContainmentConfig, 'noticeRetryMs'>,
    retryAfterMs = 0,
): Notice {
    const attempts = n.attempts + 1;
    const firstFailedAt = n.firstFailedAt ?? now;
    const { nextAttemptAt: _next, ...rest } = n;
    const failed: Notice = { ...rest, status: 'failed', attempts, at: now, error, firstFailedAt };
    if (now - firstFailedAt >= config.noticeRetryMs) return { ...failed, gaveUpAt: now };
    return { ...failed, nextAttemptAt: now + Math.max(reportBackoffMs(attempts), retryAfterMs) };
}

/**
 * What a Sentinel row reports: the containment's status, and "+approval" once the user approved a prompt during an
 * attack already contained (the severity rises). A state the service has not accepted yet is a row still to send.
 */
export function reportedState(c: Containment): string {
    return c.notices.some((n) => n.kind === 'approval') ? `${c.status}+approval` : c.status;
}

/**
 * A row still to send: planned, its state not yet accepted, and (for a failing one) not given up. A failing row
 * written before retries had a horizon (no `since`) keeps the rule it was written under: attempts left.
 */
export function isSentinelRowDue(c: Containment, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    const rows = c.logRows;
    if (!rows || rows.skipped !== undefined) return false;
    const state = reportedState(c);
    if (rows.reported === state) return false;
    const failing = rows.failing?.state === state ? rows.failing : undefined;
    if (!failing) return true;
    if (failing.gaveUpAt !== undefined) return false;
    return failing.since !== undefined || failing.attempts < config.maxStepAttempts;
}

/**
 * A row goes out when there is something to say, as the incident notice does (not while a run is in progress, not
 * before the first run of a live containment), and a failing row after its backoff: 1, 2, 4, ... minutes, so that
 * its attempts outlast a role assignment that takes up to 30 minutes to apply, and an outage of hours.
 */
export function isSentinelRowReady(
    c: Containment,
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
    now: number,
): boolean {
    if (!isSentinelRowDue(c, config) || c.status === 'running') return false;
    if (isActive(c) && c.runs === 0) return false;
    const failing = c.logRows!.failing;
    return !(failing && failing.state === reportedState(c) && failing.nextAttemptAt > now);
}

/** Something to tell the SOC now: a notice or a Sentinel row. */
export function hasReportReady(
    c: Containment,
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
    now: number,
): boolean {
    return noticeToSend(c, config, now) !== undefined || isSentinelRowReady(c, config, now);
}

/**
 * The service accepted the row with this sequence number reporting `state`. A row another sender already recorded
 * at this number or later wins (ours was a duplicate or stale); the due rule then decides whether more is to send.
 */
export function sentinelRowAccepted(
    rows: SentinelRows,
    sent: { state: string; sequence: number },
    now: number,
): SentinelRows {
    const next: SentinelRows = { ...rows };
    if (next.failing?.state === sent.state) delete next.failing;
    if (sent.sequence <= rows.sequence) return next;
    return { ...next, sequence: sent.sequence, reported: sent.state, at: now };
}

/**
 * The row reporting `state` failed: one more attempt counted, the next after a backoff, or later when the service
 * said when to come back (`retryAfterMs`); given up NOTICE_RETRY_HOURS after the state's first failure. A new state
 * starts afresh: only the latest state is ever sent.
 */
export function sentinelRowFailed(
    rows: SentinelRows,
    state: string,
    error: SentinelRowError,
    now: number,
    config: Pick<ContainmentConfig, 'noticeRetryMs'>,
    retryAfterMs = 0,
): SentinelRows {
    if (rows.reported === state) return rows;
    const same = rows.failing?.state === state ? rows.failing : undefined;
    const attempts = (same?.attempts ?? 0) + 1;
    const since = same ? (same.since ?? now) : now;
    const nextAttemptAt = now + Math.max(reportBackoffMs(attempts), retryAfterMs);
    const gaveUp = now - since >= config.noticeRetryMs ? { gaveUpAt: now } : {};
    return { ...rows, failing: { state, attempts, nextAttemptAt, error, since, ...gaveUp } };
}

/** A run may start now: the containment is unfinished, nobody holds it, and its backoff has passed. */
export function isRunDue(c: Containment, now: number): boolean {
    if (!isActive(c)) return false;
    if (c.lease && c.lease.until > now) return false;
    return !(c.status === 'retrying' && (c.nextAttemptAt ?? 0) > now);
}

/** The timer has something to do for this containment, now or later. What the row's pending flag says. */
export function hasPendingWork(c: Containment, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    return isActive(c) || c.notices.some((n) => isNoticeDue(n, config)) || isSentinelRowDue(c, config);
}

/** Whether the push block may have been put in place (done, or its call was in flight or failed mid-way). */
export function mayHoldPushBlock(c: Containment): boolean {
    const step = c.steps.find((s) => s.name === 'block-push');
    return step !== undefined && step.status !== 'dry-run' && step.status !== 'skipped' && step.attempts > 0;
}

/**
 * Whether an incident with this containment is history that may be forgotten: released, or finished without
 * holding anything a release must undo and with nothing left to send. Open runs, push blocks and needs-attention
 * are never forgotten.
 */
export function isSettled(c: Containment | undefined, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    if (c === undefined) return true;
    if (c.status === 'released') return true;
    if (hasPendingWork(c, config) || mayHoldPushBlock(c)) return false;
    return c.status === 'dry-run' || c.status === 'not-contained';
}
