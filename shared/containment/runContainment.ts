import { randomUUID } from 'node:crypto';

import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { GraphActions } from '../graph/graphActions';
import type { Logger } from '../logger';
import { NO_TELEMETRY, Telemetry } from '../telemetry/telemetry';
import type { CircuitBreaker } from './circuitBreaker';
import { Advance, advance, claim, isNoticeReady, RunContext } from './core';
import type { Containment, ContainmentStatus, ContainmentStep, Notice } from './model';
import type { IncidentLog } from './incidentLog';
import { noticeBody, Notifier } from './notifier';
import { sendLogRow } from './sendLogRow';
import { executeStep, STEP_BY_NAME, StepResult } from './steps';
import { containmentOf, updateContainment, updateRecord, UserRecordStore, withContainments } from './userRecord';

export interface ContainmentDeps {
    readonly store: UserRecordStore;
    readonly config: ContainmentConfig;
    /** Detection's window, ms: what the size budget keeps when it must shrink a row. */
    readonly windowMs: number;
    /** Required in live mode; dry-run never touches Graph. */
    readonly graph?: GraphActions;
    readonly breaker: CircuitBreaker;
    readonly notify?: Notifier;
    /** Where incident rows go (Sentinel's table); absent: rows planned are recorded as skipped. */
    readonly incidentLog?: IncidentLog;
    readonly logger: Logger;
    readonly now?: () => number;
    /** How long a claim protects a run that stopped reporting progress, ms: longer than the slowest step. */
    readonly leaseMs: number;
    /** Time one step may spend on all of its Graph calls and retries, ms (GRAPH_STEP_BUDGET_SECONDS). */
    readonly stepBudgetMs?: number;
    /** Called after each step is persisted. Tests use it to stop a run midway, as a crash would. */
    readonly afterStep?: (step: ContainmentStep) => Promise<void> | void;
    /** Step outcomes, final statuses and the first Graph call's latency; nothing is recorded without it. */
    readonly telemetry?: Telemetry;
}

export type RunOutcome = ContainmentStatus | 'not-due' | 'missing';

export interface RunOptions {
    /** Wall-clock time (ms) after which no new step starts and no Graph call runs on; the timer continues. */
    readonly deadline?: number;
    /**
     * Wall-clock time (ms) the batch that triggered this run reached the handler: the time from it to the run's first
     * Graph call is recorded. The timer's runs leave it out (they were not triggered by a batch).
     */
    readonly batchStartedAt?: number;
}

/** One conditional write of one containment, through the core's transition `fn`; nothing is written when lost. */
async function transition(
    deps: ContainmentDeps,
    userId: string,
    incidentId: string,
    fn: (c: Containment, incident: Incident) => Advance,
): Promise<(Advance & { incident: Incident }) | undefined> {
    return updateRecord(
        deps.store,
        userId,
        (record) => {
            const incident = record?.state.incidents.find((i) => i.id === incidentId);
            const c = record && containmentOf(record, incidentId);
            if (!record || !incident || !c) return { result: undefined };
            const adv = fn(c, incident);
            if (adv.lost) return { result: { ...adv, incident } };
            return {
                record: withContainments(
                    record,
                    record.containments.map((x) => (x.incidentId === incidentId ? adv.containment : x)),
                ),
                result: { ...adv, incident },
            };
        },
        { windowMs: deps.windowMs, config: deps.config },
    );
}

const NO_GRAPH: StepResult = {
    error: {
        code: 'GraphNotConfigured',
        message: 'live containment needs Microsoft Graph (GRAPH_BASE_URL and an identity)',
    },
};

/**
 * Runs (or resumes) the containment of one incident: claims it with a conditional write (two racing runners run it
 * once), then for each step makes its Graph call and records the result in the same write that checks the right to
 * go on and starts the next step (still this runner's lease, not released, not excluded). A crash resumes at the
 * step in flight; a finished step is never repeated. Graph and webhook failures are stored on the incident, never
 * thrown; storage failures are thrown (the lease expires and the timer resumes).
 */
export async function runContainment(
    userId: string,
    incidentId: string,
    deps: ContainmentDeps,
    options: RunOptions = {},
): Promise<RunOutcome> {
    const now = deps.now ?? Date.now;
    const telemetry = deps.telemetry ?? NO_TELEMETRY;
    let firstGraphCall = options.batchStartedAt;
    const owner = `run-${randomUUID()}`;
    const ctx = (incident: Incident): RunContext => ({
        owner,
        now: now(),
        leaseMs: deps.leaseMs,
        config: deps.config,
        incident,
        ...(options.deadline !== undefined ? { deadline: options.deadline } : {}),
    });
    let adv = await transition(deps, userId, incidentId, (c, incident) => claim(c, ctx(incident)));
    if (!adv) return 'missing';
    if (adv.lost) {
        await sendNotices(userId, incidentId, deps, { incident: adv.incident, containment: adv.containment });
        return 'not-due';
    }
    while (adv?.next) {
        const step = adv.next;
        const spec = STEP_BY_NAME.get(step)!;
        // One budget for the whole step, however many calls it makes (a list and N deletes): the lease outlives it.
        const deadline = Math.min(now() + (deps.stepBudgetMs ?? 90_000), options.deadline ?? Number.POSITIVE_INFINITY);
        const graph = deps.graph && GraphActions.withDeadline(deps.graph, deadline);
        if (graph && firstGraphCall !== undefined) {
            // Every run's first step (check-exclusions) starts with a Graph call.
            telemetry.firstGraphCall(now() - firstGraphCall, adv.incident);
            firstGraphCall = undefined;
        }
        const result = graph
            ? await executeStep(spec, {
                  incident: adv.incident,
                  containment: adv.containment,
                  config: deps.config,
                  graph,
                  breaker: deps.breaker,
                  now,
                  deadline,
              })
            : NO_GRAPH;
        telemetry.containmentStep(
            step,
            'error' in result ? 'failed' : result.status,
            'error' in result ? result.error : undefined,
        );
        if ('error' in result) {
            const e = result.error;
            deps.logger.warn(
                `Containment step ${step} failed for incident ${incidentId}: ${e.status ?? ''} ${e.code} ${e.message}`,
            );
        }
        adv = await transition(deps, userId, incidentId, (c, incident) => advance(c, ctx(incident), step, result));
        const recorded = adv?.containment.steps.find((s) => s.name === step);
        if (recorded) await deps.afterStep?.(recorded);
    }
    if (!adv) return 'missing';
    const c = adv.containment;
    if (adv.lost) return 'not-due';
    const line = `Containment of incident ${incidentId} (${adv.incident.userPrincipalName ?? userId}): ${c.status}${c.reason ? ` — ${c.reason}` : ''}`;
    if (c.status === 'contained' || c.status === 'dry-run') deps.logger.log(line);
    else deps.logger.warn(line);
    telemetry.containmentFinished(adv.incident, c);
    await sendNotices(userId, incidentId, deps, { incident: adv.incident, containment: c }, options);
    return c.status;
}

/**
 * Tells the SOC what is ready to tell: the incident row for Sentinel (see sendLogRow), then every notice that is
 * ready (see isNoticeReady). A failure is stored, never thrown. `known` is the incident as the caller just read or
 * wrote it.
 */
export async function sendNotices(
    userId: string,
    incidentId: string,
    deps: ContainmentDeps,
    known: { incident: Incident; containment: Containment },
    options: RunOptions = {},
): Promise<void> {
    const now = deps.now ?? Date.now;
    const { incident, containment } = known;
    await sendLogRow(userId, incidentId, deps, known, options);
    const ready = containment.notices.filter((n) => isNoticeReady(n, containment, deps.config));
    for (const notice of ready) {
        // Past the caller's deadline a notice is left to the timer (it is due, so the row stays pending).
        if (options.deadline !== undefined && now() >= options.deadline) return;
        let update: Partial<Notice>;
        if (!deps.notify) {
            update = { status: 'skipped' };
        } else {
            try {
                await deps.notify(noticeBody(incident, containment, notice.kind, deps.config), {
                    ...(options.deadline !== undefined ? { timeoutMs: options.deadline - now() } : {}),
                });
                update = { status: 'sent', attempts: notice.attempts + 1 };
            } catch (e) {
                const message = e instanceof Error ? e.message : String(e);
                update = { status: 'failed', attempts: notice.attempts + 1, error: message.slice(0, 300) };
                deps.logger.warn(`Notice ${notice.kind} for incident ${incidentId} failed: ${update.error}`);
            }
        }
        await updateContainment(
            deps.store,
            userId,
            incidentId,
            (c) => {
                const n = c.notices.find((x) => x.kind === notice.kind);
                if (!n || n.status === 'sent') return undefined;
                return { ...c, notices: c.notices.map((x) => (x === n ? { ...x, ...update, at: now() } : x)) };
            },
            { windowMs: deps.windowMs, config: deps.config },
        );
    }
}
