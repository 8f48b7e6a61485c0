/**
 * Running a containment, as pure functions of (containment, run context): claiming a run, advancing it step by step
 * and settling it. The runner (shared/runners/runContainment.ts) is a short loop around these, each applied in a
 * conditional write; every decision a SOC relies on is here and unit-tested without I/O.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { isRunDue, mayHoldPushBlock, runBackoffMs } from './due';
import {
    ACTIVE_STATUSES,
    cloneContainment,
    Containment,
    ContainmentStatus,
    ContainmentStep,
    newNotice,
    StepName,
} from './model';
import { isNeverContained } from './plan';
import { MAX_REMOVED_LISTED } from './removeNewMethods';
import type { StepResult } from './steps';
import { STEP_BY_NAME } from './stepTable';

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

/**
 * Takes the containment for a run if it is due (or already this runner's), and picks its first step. Steps that
 * must be checked on every run, and a step whose call was in flight when a runner died, start over.
 */
export function claim(c: Containment, ctx: RunContext): Advance {
    if (!isRunDue(c, ctx.now)) return { containment: c, lost: true };
    const next = cloneContainment(c);
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
    const next = cloneContainment(c);
    const s = next.steps.find((x) => x.name === step);
    if (!s || s.status !== 'running') return { containment: c, lost: true };
    s.at = ctx.now;
    const redo = s.redo === true;
    delete s.redo;
    if ('error' in result) {
        s.status = 'failed';
        s.error = result.error;
        if (result.unverifiedSince !== undefined) s.unverifiedSince = result.unverifiedSince;
        else delete s.unverifiedSince;
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
        delete s.unverifiedSince;
        if (result.verified !== undefined) s.verified = result.verified;
        if (result.attention !== undefined) s.attention = result.attention;
        else delete s.attention;
        if (result.removed && result.removed.length > 0) {
            // Kept across runs (a registration may make the removal run again): what was removed stays listed.
            const listed = [...(s.removed ?? []), ...result.removed];
            s.removed = listed
                .filter(
                    (m, i) =>
                        listed.findIndex(
                            (x) => x.type === m.type && x.createdAt === m.createdAt && x.displayName === m.displayName,
                        ) === i,
                )
                .slice(0, MAX_REMOVED_LISTED);
        }
        if (redo) {
            // A registration arrived while this step was in flight: its result may predate it; run it again.
            s.status = 'pending';
            s.attempts = 0;
        }
        if (result.facts?.pushBlock) next.pushBlock = result.facts.pushBlock;
        if (result.facts?.account) next.account = result.facts.account;
        if (result.facts?.heldByBreaker) next.heldByBreaker = result.facts.heldByBreaker;
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
    const next = cloneContainment(c);
    delete next.lease;
    delete next.reason;
    const { config, now } = ctx;
    if (stop === 'later') {
        next.status = 'retrying';
        const failed = next.steps.find((s) => s.status === 'failed');
        // At once, unless the service asked for more time (Retry-After): then not before it said.
        next.nextAttemptAt = Math.max(now, failed?.error?.retryAt ?? 0);
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
        // A change that does not read back yet is bounded by the read-back window (the step ends it), not by attempts.
        const hopeless = next.steps.find(
            (s) =>
                s.status === 'failed' &&
                (s.error?.status === 403 ||
                    (s.attempts >= config.maxStepAttempts && s.error?.code !== 'NotYetVerified')),
        );
        if (hopeless) {
            next.status = 'needs-attention';
            next.reason =
                hopeless.error?.status === 403
                    ? `${hopeless.name}: Graph refused (403 ${hopeless.error.code}): ${hopeless.error.message}; grant what docs/permissions.md lists`
                    : `${hopeless.name} failed ${hopeless.attempts} times; last error ${hopeless.error?.code ?? 'unknown'}`;
        } else {
            next.status = 'retrying';
            const failed = next.steps.find((s) => s.status === 'failed');
            // Only a failure backs off; a step reopened during the run (new evidence) is due at once. A service that
            // said when to come back (Retry-After, kept with the step) is not called sooner, whatever the backoff says.
            next.nextAttemptAt = failed ? Math.max(now + runBackoffMs(next.runs), failed.error?.retryAt ?? 0) : now;
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
        next.notices.push(newNotice('needs-attention', config));
    }
    return next;
}

function appliesNow(c: Containment, s: ContainmentStep): boolean {
    const spec = STEP_BY_NAME.get(s.name);
    return !spec?.applies || spec.applies(c);
}
