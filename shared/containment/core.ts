/**
 * The containment state machine, as pure functions of (containment, settings, now): planning, the due-work rule,
 * claiming a run, advancing it step by step, settling it, and releasing. The runner (runContainment.ts) is a short
 * loop around these; every decision a SOC relies on is here and unit-tested without I/O.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { singleLine } from '../singleLine';
import { upnForms } from '../upn';
import {
    ACTIVE_STATUSES,
    Containment,
    ContainmentStatus,
    ContainmentStep,
    isActive,
    LogRowError,
    LogRows,
    Notice,
    StepName,
} from './model';
import { STEP_BY_NAME, STEPS, StepResult } from './steps';

const MINUTE = 60_000;
/** Backoff between runs of a failing containment: 1, 2, 4, ... minutes, at most 30. */
export const MAX_BACKOFF_MS = 30 * MINUTE;

export function runBackoffMs(runs: number): number {
    return Math.min(MAX_BACKOFF_MS, MINUTE * 2 ** Math.max(0, runs - 1));
}

/** Statuses that count as "this user was contained recently" for the cooldown. */
const SPENT: ReadonlySet<ContainmentStatus> = new Set([
    'pending',
    'running',
    'retrying',
    'contained',
    'needs-attention',
]);

// ---------------------------------------------------------------------------------------------------------------
// The due-work rule: written once, used by the handler, the timer, the pending flag, notices and expiry.

/** A notice still to send: never tried, or failed with attempts left. */
export function isNoticeDue(n: Notice, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    return n.status === 'pending' || (n.status === 'failed' && n.attempts < config.maxStepAttempts);
}

/**
 * A notice waits until there is something to say: the incident notice of a containment that has not run yet waits
 * for its first run, so that it can say what was done, and no notice goes out while a run is in progress (the run
 * sends them when it ends; a run that died is resumed by the timer, which then sends them).
 */
export function isNoticeReady(n: Notice, c: Containment, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    if (!isNoticeDue(n, config) || c.status === 'running') return false;
    return !(n.kind === 'incident' && isActive(c) && c.runs === 0);
}

/**
 * What an incident row reports: the containment's status, and "+approval" once the user approved a prompt during an
 * attack already contained (the severity rises). A state the service has not accepted yet is a row still to send.
 */
export function reportedState(c: Containment): string {
    return c.notices.some((n) => n.kind === 'approval') ? `${c.status}+approval` : c.status;
}

/** A row still to send: planned, its state not yet accepted, and (for a failing one) attempts left. */
export function isLogRowDue(c: Containment, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    const rows = c.logRows;
    if (!rows || rows.skipped !== undefined) return false;
    const state = reportedState(c);
    if (rows.reported === state) return false;
    return !(rows.failing?.state === state && rows.failing.attempts >= config.maxStepAttempts);
}

/**
 * A row goes out when there is something to say, as the incident notice does (not while a run is in progress, not
 * before the first run of a live containment), and a failing row after its backoff: 1, 2, 4, ... minutes, so that
 * its attempts outlast a role assignment that takes up to 30 minutes to apply.
 */
export function isLogRowReady(
    c: Containment,
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
    now: number,
): boolean {
    if (!isLogRowDue(c, config) || c.status === 'running') return false;
    if (isActive(c) && c.runs === 0) return false;
    const failing = c.logRows!.failing;
    return !(failing && failing.state === reportedState(c) && failing.nextAttemptAt > now);
}

/** Something to tell the SOC now: a notice or an incident row. */
export function hasReportReady(
    c: Containment,
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
    now: number,
): boolean {
    return c.notices.some((n) => isNoticeReady(n, c, config)) || isLogRowReady(c, config, now);
}

/**
 * The service accepted the row with this sequence number reporting `state`. A row another sender already recorded
 * at this number or later wins (ours was a duplicate or stale); the due rule then decides whether more is to send.
 */
export function logRowAccepted(rows: LogRows, sent: { state: string; sequence: number }, now: number): LogRows {
    const next: LogRows = { ...rows };
    if (next.failing?.state === sent.state) delete next.failing;
    if (sent.sequence <= rows.sequence) return next;
    return { ...next, sequence: sent.sequence, reported: sent.state, at: now };
}

/**
 * The row reporting `state` failed: one more attempt counted, the next after a backoff, or later when the service
 * said when to come back (`retryAfterMs`).
 */
export function logRowFailed(rows: LogRows, state: string, error: LogRowError, now: number, retryAfterMs = 0): LogRows {
    if (rows.reported === state) return rows;
    const attempts = (rows.failing?.state === state ? rows.failing.attempts : 0) + 1;
    const nextAttemptAt = now + Math.max(runBackoffMs(attempts), retryAfterMs);
    return { ...rows, failing: { state, attempts, nextAttemptAt, error } };
}

/** A run may start now: the containment is unfinished, nobody holds it, and its backoff has passed. */
export function isRunDue(c: Containment, now: number): boolean {
    if (!isActive(c)) return false;
    if (c.lease && c.lease.until > now) return false;
    return !(c.status === 'retrying' && (c.nextAttemptAt ?? 0) > now);
}

/** The timer has something to do for this containment, now or later. What the row's pending flag says. */
export function hasPendingWork(c: Containment, config: Pick<ContainmentConfig, 'maxStepAttempts'>): boolean {
    return isActive(c) || c.notices.some((n) => isNoticeDue(n, config)) || isLogRowDue(c, config);
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

// ---------------------------------------------------------------------------------------------------------------
// Never contain.

/** True when NEVER_CONTAIN names the user by id or by any form of a UPN we know for them. */
export function isNeverContained(
    config: Pick<ContainmentConfig, 'neverContain'>,
    incident: Pick<Incident, 'userId' | 'userPrincipalName'>,
    c?: Pick<Containment, 'account'>,
): boolean {
    if (config.neverContain.has(incident.userId.toLowerCase())) return true;
    const forms = [...upnForms(incident.userPrincipalName), ...upnForms(c?.account?.userPrincipalName)];
    return forms.some((f) => config.neverContain.has(f));
}

// ---------------------------------------------------------------------------------------------------------------
// Planning.

export interface PlanInput {
    readonly incident: Incident;
    /** The user's other containments (for the cooldown). */
    readonly earlier: readonly Containment[];
    /** From the sign-in records. */
    readonly userType?: string;
    readonly config: ContainmentConfig;
    readonly now: number;
}

function notice(kind: Notice['kind'], config: ContainmentConfig): Notice {
    return { kind, status: config.notifyWebhookUrl ? 'pending' : 'skipped', attempts: 0 };
}

/**
 * Decides, without I/O, what a new incident's containment will be: the local guardrails (never-contain by id or
 * UPN, a cooldown after an earlier containment of the same user), dry-run, and the steps to run. Written in the same
 * conditional write that opens the incident.
 */
export function planContainment(input: PlanInput): Containment {
    const { incident, now } = input;
    // A drill never writes to Graph and never takes a breaker slot: it is planned as a dry-run, whatever the mode.
    const config: ContainmentConfig = incident.drill ? { ...input.config, mode: 'dry-run' } : input.config;
    const base: Containment = {
        incidentId: incident.id,
        status: 'pending',
        mode: config.mode,
        plannedAt: now,
        steps: STEPS.filter((s) => s.included(config, incident)).map((s) => ({
            name: s.name,
            status: 'pending',
            attempts: 0,
        })),
        runs: 0,
        notices: [notice('incident', config)],
        ...(config.incidentLog ? { logRows: { sequence: 0 } } : {}),
        ...(input.userType ? { userType: input.userType } : {}),
    };
    const finish = (status: ContainmentStatus, reason: string): Containment => ({
        ...base,
        status,
        reason,
        steps: [],
        finishedAt: now,
    });
    if (isNeverContained(config, incident)) return finish('not-contained', 'NEVER_CONTAIN lists this user');
    // A method registered after an attack, or an approval of an attack already released, is its follow-up, not a
    // second containment of the same attack: it is contained whatever the cooldown says (what the attacker
    // registered must go).
    const earlier =
        incident.relatedIncidentId === undefined &&
        input.earlier.find(
            (c) =>
                c.incidentId !== incident.id &&
                SPENT.has(c.status) &&
                now - (c.startedAt ?? c.plannedAt) < config.cooldownMs,
        );
    if (earlier) {
        const since = new Date(earlier.startedAt ?? earlier.plannedAt).toISOString();
        return finish(
            'not-contained',
            `cooldown: incident ${earlier.incidentId} already contained this user at ${since}`,
        );
    }
    if (config.mode === 'dry-run') {
        // Dry-run needs no I/O at all: the whole record is decided here.
        return {
            ...base,
            status: 'dry-run',
            finishedAt: now,
            steps: base.steps.map((s) => ({
                ...s,
                status: 'dry-run',
                detail: STEP_BY_NAME.get(s.name)!.wouldDo(config, incident),
                at: now,
            })),
        };
    }
    return base;
}

// ---------------------------------------------------------------------------------------------------------------
// Running.

export interface RunContext {
    readonly owner: string;
    readonly now: number;
    /** How long a claim protects a run that stopped reporting progress; longer than the slowest step. */
    readonly leaseMs: number;
    readonly config: ContainmentConfig;
    readonly incident: Incident;
    /** Past this wall-clock time the run stops before its next step and leaves the rest to the timer. */
    readonly deadline?: number;
}

/** What the runner does next: run a step, or nothing (the containment was settled, or is not this runner's). */
export interface Advance {
    readonly containment: Containment;
    readonly next?: StepName;
    /** Another runner or a release holds the containment: this runner's work is over, nothing was written. */
    readonly lost?: boolean;
}

const FINISHED: ReadonlySet<ContainmentStep['status']> = new Set(['done', 'skipped', 'dry-run']);

function clone(c: Containment): Containment {
    return structuredClone(c);
}

/**
 * Takes the containment for a run if it is due (or already this runner's), and picks its first step. Steps that
 * must be checked on every run, and a step whose call was in flight when a runner died, start over.
 */
export function claim(c: Containment, ctx: RunContext): Advance {
    if (!isRunDue(c, ctx.now)) return { containment: c, lost: true };
    const next = clone(c);
    next.runs++;
    next.status = 'running';
    next.startedAt ??= ctx.now;
    delete next.nextAttemptAt;
    for (const s of next.steps) {
        if (s.status === 'running' || (STEP_BY_NAME.get(s.name)?.everyRun && FINISHED.has(s.status))) {
            s.status = 'pending';
        }
    }
    next.lease = { owner: ctx.owner, until: ctx.now + ctx.leaseMs, cursor: 0 };
    return pickNext(next, ctx);
}

/** Records what a step did and picks the next one; settles when the run is over. */
export function advance(c: Containment, ctx: RunContext, step: StepName, result: StepResult): Advance {
    if (c.lease?.owner !== ctx.owner || c.status !== 'running') return { containment: c, lost: true };
    const next = clone(c);
    const s = next.steps.find((x) => x.name === step);
    if (!s || s.status !== 'running') return { containment: c, lost: true };
    s.at = ctx.now;
    const redo = s.redo === true;
    delete s.redo;
    if ('error' in result) {
        s.status = 'failed';
        s.error = result.error;
        // The event handler's few seconds ran out during the step (its call was cut short, or slow): not a failure to
        // back off from; the timer goes on at once. A refusal (403) or a step out of attempts still settles below.
        const outOfInlineTime = ctx.deadline !== undefined && ctx.now >= ctx.deadline;
        if (outOfInlineTime && result.error.status !== 403 && s.attempts < ctx.config.maxStepAttempts)
            return { containment: settle(next, ctx, 'later') };
        if (STEP_BY_NAME.get(step)?.gate) return { containment: settle(next, ctx) };
    } else {
        s.status = result.status;
        s.detail = result.detail;
        delete s.error;
        if (result.verified !== undefined) s.verified = result.verified;
        if (result.attention !== undefined) s.attention = result.attention;
        else delete s.attention;
        if (redo) {
            // A registration arrived while this step was in flight: its result may predate it; run it again.
            s.status = 'pending';
            s.attempts = 0;
        }
        if (result.facts?.pushBlock) next.pushBlock = result.facts.pushBlock;
        if (result.facts?.account) next.account = result.facts.account;
        if (result.stop) return { containment: settle(next, ctx, result.stop) };
    }
    return pickNext(next, ctx);
}

/**
 * The gate before every Graph call: the run still holds the lease (the caller applies this to the row as it is
 * now), the user is not excluded by the settings as they are now, and the inline time is not spent. Then the next
 * unfinished step that applies is marked in flight and the lease renewed.
 */
function pickNext(c: Containment, ctx: RunContext): Advance {
    if (isNeverContained(ctx.config, ctx.incident, c)) {
        return { containment: settle(c, ctx, { status: 'not-contained', reason: 'NEVER_CONTAIN lists this user' }) };
    }
    const lease = c.lease!;
    for (let i = lease.cursor; i < c.steps.length; i++) {
        const step = c.steps[i]!;
        if (FINISHED.has(step.status)) continue;
        const spec = STEP_BY_NAME.get(step.name);
        if (spec?.applies && !spec.applies(c)) continue;
        if (ctx.deadline !== undefined && ctx.now >= ctx.deadline) return { containment: settle(c, ctx, 'later') };
        step.status = 'running';
        step.attempts++;
        step.at = ctx.now;
        c.lease = { owner: ctx.owner, until: ctx.now + ctx.leaseMs, cursor: i + 1 };
        return { containment: c, next: step.name };
    }
    return { containment: settle(c, ctx) };
}

/**
 * Ends a run: a stop decided by a step or guardrail; every step finished (contained, or dry-run); a step that cannot
 * succeed without a person (403, or out of attempts) needs attention; otherwise the timer tries again after a
 * backoff ('later': at once, the run only ran out of inline time).
 */
export function settle(
    c: Containment,
    ctx: Pick<RunContext, 'now' | 'config'>,
    stop?: { status: ContainmentStatus; reason: string } | 'later',
): Containment {
    const next = clone(c);
    delete next.lease;
    delete next.reason;
    const { config, now } = ctx;
    if (stop === 'later') {
        next.status = 'retrying';
        next.nextAttemptAt = now;
        const failed = next.steps.find((s) => s.status === 'failed');
        next.reason = failed
            ? `${failed.name} failed (${failed.error?.code ?? 'unknown'}) as the event handler's few seconds ran out; continued by the containment timer`
            : 'continued by the containment timer (the event handler spends only a few seconds per batch)';
    } else if (stop) {
        next.status = stop.status;
        next.reason = stop.reason;
    } else if (next.steps.every((s) => FINISHED.has(s.status) || !appliesNow(next, s))) {
        const attention = next.steps.filter((s) => s.attention).map((s) => `${s.name}: ${s.attention}`);
        if (attention.length > 0) {
            // Everything the responder could do is done; what is left is a person's.
            next.status = 'needs-attention';
            next.reason = attention.join('; ');
        } else {
            next.status = next.mode === 'dry-run' ? 'dry-run' : 'contained';
        }
    } else {
        const hopeless = next.steps.find(
            (s) => s.status === 'failed' && (s.error?.status === 403 || s.attempts >= config.maxStepAttempts),
        );
        if (hopeless) {
            next.status = 'needs-attention';
            next.reason =
                hopeless.error?.status === 403
                    ? `${hopeless.name}: Graph refused (403 ${hopeless.error.code}): ${hopeless.error.message}; grant what the README's Permissions section lists`
                    : `${hopeless.name} failed ${hopeless.attempts} times; last error ${hopeless.error?.code ?? 'unknown'}`;
        } else {
            next.status = 'retrying';
            const failed = next.steps.find((s) => s.status === 'failed');
            // Only a failure backs off; a step reopened during the run (new evidence) is due at once.
            next.nextAttemptAt = failed ? now + runBackoffMs(next.runs) : now;
            next.reason = failed
                ? `${failed.name} failed (${failed.error?.code ?? 'unknown'}); retried by the timer`
                : 'new evidence arrived during the run; the timer runs the reopened steps';
        }
    }
    if (next.status === 'not-contained' && mayHoldPushBlock(next)) {
        // Stopped by a guardrail after an earlier run blocked push (NEVER_CONTAIN or a never-contain group changed
        // in between): say that the block is still in place, and how it goes.
        const done = next.steps.some((s) => s.name === 'block-push' && s.status === 'done');
        next.reason = `${next.reason ?? 'not contained'}; the push block an earlier run ${done ? 'put' : 'may have put'} in place stays until a release undoes it`;
    }
    if (!ACTIVE_STATUSES.has(next.status)) {
        next.finishedAt = now;
        delete next.nextAttemptAt;
    }
    if (next.status === 'needs-attention' && !next.notices.some((n) => n.kind === 'needs-attention')) {
        next.notices.push(notice('needs-attention', config));
    }
    return next;
}

function appliesNow(c: Containment, s: ContainmentStep): boolean {
    const spec = STEP_BY_NAME.get(s.name);
    return !spec?.applies || spec.applies(c);
}

/**
 * An approval arrived for an incident whose containment was already planned (the user gave in after the attack was
 * detected): what the attacker may have registered must go too. Adds the steps that remove it (as dry-run in
 * dry-run), and reopens a finished containment so that a runner does them; one `approval` notice. Not for a
 * released or deliberately uncontained incident. Pure: returns the containment unchanged when nothing is to add.
 */
export function amendForApproval(
    c: Containment,
    incident: Incident,
    config: ContainmentConfig,
    now: number,
): Containment {
    if (c.status === 'released' || c.status === 'not-contained') return c;
    const missing = STEPS.filter((s) => s.included(config, incident) && !c.steps.some((x) => x.name === s.name));
    if (missing.length === 0) return c;
    const next = clone(c);
    const order = STEPS.map((s) => s.name);
    for (const spec of missing) {
        next.steps.push(
            c.mode === 'dry-run'
                ? { name: spec.name, status: 'dry-run', attempts: 0, at: now, detail: spec.wouldDo(config, incident) }
                : { name: spec.name, status: 'pending', attempts: 0 },
        );
    }
    next.steps.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
    if (c.mode === 'live' && !isActive(c)) {
        next.status = 'pending';
        delete next.finishedAt;
        delete next.reason;
    }
    if (!next.notices.some((n) => n.kind === 'approval')) next.notices.push(notice('approval', config));
    return next;
}

/** What a registration after the attack calls for again: delete what was registered since, then end its sessions. */
const REMOVAL_STEPS: ReadonlySet<StepName> = new Set(['remove-new-methods', 'revoke-sessions-again']);

/**
 * Another registration joined a `method-registered-after-attack` incident whose containment already removed what
 * was there (the attacker, still holding a token, registers a second method): the removal runs again, and the SOC is
 * told again (the incident notice is sent anew with the methods now known). A step in flight is redone after it
 * ends: its list of methods may predate the new one. Not for a released or deliberately uncontained incident; in
 * dry-run only the notice. Pure: returns the containment unchanged when nothing is to redo.
 */
export function amendForRegistration(c: Containment, config: ContainmentConfig, now: number): Containment {
    if (c.status === 'released' || c.status === 'not-contained') return c;
    const next = clone(c);
    let redo = false;
    if (c.mode === 'live') {
        for (const s of next.steps) {
            if (!REMOVAL_STEPS.has(s.name) || s.status === 'pending') continue;
            redo = true;
            if (s.status === 'running') {
                s.redo = true;
                continue;
            }
            // What the earlier run did stays readable on the incident (one line, bounded).
            if (s.detail) s.earlier = singleLine(s.earlier ? `${s.earlier}; ${s.detail}` : s.detail, 500);
            s.status = 'pending';
            s.attempts = 0;
            s.at = now;
            delete s.detail;
            delete s.error;
            delete s.verified;
            delete s.attention;
        }
        if (redo && !isActive(next)) {
            next.status = 'pending';
            delete next.finishedAt;
            delete next.reason;
        }
    }
    const sent = next.notices.findIndex((n) => n.kind === 'incident' && (n.status === 'sent' || n.status === 'failed'));
    if (sent >= 0) next.notices[sent] = notice('incident', config);
    return redo || sent >= 0 ? next : c;
}

// ---------------------------------------------------------------------------------------------------------------
// Releasing.

export interface ReleaseLock {
    /** Containments this release holds (their runs cannot start or continue). */
    readonly incidentIds: readonly string[];
    /** Push-block groups to leave, from every containment that may have put the user in one. */
    readonly groups: readonly string[];
    readonly removedMethods: boolean;
    readonly disabled: boolean;
}

/**
 * Takes every open incident of the user for a release. Refused while a run holds one of them (`busyUntil`): a
 * Graph call may be in flight, and undoing before it lands would leave the user blocked.
 */
export function lockForRelease(
    incidents: readonly Incident[],
    containments: readonly Containment[],
    ctx: {
        owner: string;
        now: number;
        leaseMs: number;
        config: Pick<ContainmentConfig, 'pushBlockMode' | 'pushBlockGroupId'>;
    },
): { containments: Containment[]; lock: ReleaseLock } | { busyUntil: number } | undefined {
    const open = new Set(incidents.filter((i) => i.closedAt === undefined).map((i) => i.id));
    if (open.size === 0) return undefined;
    const mine = containments.filter((c) => open.has(c.incidentId));
    const busy = mine.find((c) => c.lease && c.lease.owner !== ctx.owner && c.lease.until > ctx.now);
    if (busy) return { busyUntil: busy.lease!.until };
    // Finished containments are held too: an approval or a registration arriving during the undo may reopen one
    // (amendForApproval keeps the lease), and no runner may take it before the release closes it.
    const locked = containments.map((c) =>
        open.has(c.incidentId)
            ? { ...clone(c), lease: { owner: ctx.owner, until: ctx.now + ctx.leaseMs, cursor: 0 } }
            : c,
    );
    const groups = new Set<string>();
    for (const c of mine) {
        if (!mayHoldPushBlock(c)) continue;
        if (c.pushBlock?.mode === 'group') groups.add(c.pushBlock.groupId);
        // A group add that was in flight (or failed mid-way) may have landed: leave the configured group too.
        else if (!c.pushBlock && ctx.config.pushBlockMode === 'group' && ctx.config.pushBlockGroupId) {
            groups.add(ctx.config.pushBlockGroupId);
        }
    }
    return {
        containments: locked,
        lock: {
            incidentIds: [...open],
            groups: [...groups],
            removedMethods: mine.some((c) => c.pushBlock?.mode === 'remove-method'),
            disabled: mine.some((c) => c.steps.some((s) => s.name === 'disable-account' && s.attempts > 0)),
        },
    };
}

/** Closes what the release locked: released, with who, why and what was undone; one release notice. */
export function finishRelease(
    containments: readonly Containment[],
    lock: ReleaseLock,
    release: { by: string; reason: string; undo: string; at: number },
    config: ContainmentConfig,
): Containment[] {
    const ids = new Set(lock.incidentIds);
    const latest = lock.incidentIds[lock.incidentIds.length - 1];
    return containments.map((c) => {
        if (!ids.has(c.incidentId)) return c;
        const next = clone(c);
        next.status = 'released';
        delete next.lease;
        delete next.nextAttemptAt;
        next.finishedAt ??= release.at;
        for (const s of next.steps) {
            if (s.status !== 'running' && s.status !== 'pending' && s.status !== 'failed') continue;
            s.status = 'skipped';
            s.detail = 'released before this step finished';
        }
        next.release = { at: release.at, by: release.by, reason: release.reason, undo: release.undo };
        if (c.incidentId === latest) next.notices.push(notice('released', config));
        return next;
    });
}
