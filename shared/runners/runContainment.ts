import { randomUUID } from 'node:crypto';

import type { Containment, ContainmentStatus } from '../containment/model';
import { Advance, advance, claim, RunContext } from '../containment/run';
import { executeStep, StepResult } from '../containment/steps';
import { STEP_BY_NAME } from '../containment/stepTable';
import type { Incident } from '../detection/userState';
import { GraphActions } from '../graph/graphActions';
import { NO_TELEMETRY } from '../telemetry/telemetry';
import { oneWord, singleLine } from '../singleLine';
import { containmentOf, withContainments } from '../userRow/userRow';
import type { ContainmentDeps } from './containmentDeps';
import type { ContainmentTally } from './containmentTally';
import { sendNotices } from './sendNotices';

export type RunOutcome = ContainmentStatus | 'not-due' | 'missing';

export interface RunOptions {
    /** Wall-clock time (ms) after which no new step starts and no Graph call runs on; the timer continues. */
    readonly deadline?: number;
    /**
     * Wall-clock time (ms) the batch that triggered this run reached the handler: the time from it to the run's first
     * Graph call is recorded. The timer's runs leave it out (they were not triggered by a batch).
     */
    readonly batchStartedAt?: number;
    /**
     * Leave the notices to the caller, which sends them after every containment of its batch or tick (containment
     * first, notices in their own budget: a hanging webhook never holds a containment back).
     */
    readonly deferNotices?: boolean;
    /**
     * Where the outcome and step failures are counted for one summary line (containmentTally.ts). Without it, each is
     * logged on a line of its own. A run that needs attention is logged on its own line either way.
     */
    readonly tally?: ContainmentTally;
    /** Called with the incident and its containment as the run left them. */
    readonly onFinished?: (known: { incident: Incident; containment: Containment }) => void;
}

/** One conditional write of one containment, through the lifecycle's transition `fn`; nothing is written when lost. */
async function transition(
    deps: ContainmentDeps,
    userId: string,
    incidentId: string,
    fn: (c: Containment, incident: Incident) => Advance,
): Promise<(Advance & { incident: Incident }) | undefined> {
    return deps.rows.update(userId, (row) => {
        const incident = row?.state.incidents.find((i) => i.id === incidentId);
        const c = row && containmentOf(row, incidentId);
        if (!row || !incident || !c) return { result: undefined };
        const adv = fn(c, incident);
        if (adv.lost) return { result: { ...adv, incident } };
        const containments = row.containments.map((x) => (x.incidentId === incidentId ? adv.containment : x));
        return { row: withContainments(row, containments), result: { ...adv, incident } };
    });
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
        const known = { incident: adv.incident, containment: adv.containment };
        options.onFinished?.(known);
        if (!options.deferNotices) await sendNotices(userId, incidentId, deps, known);
        return 'not-due';
    }
    options.tally?.started();
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
            if (options.tally) options.tally.stepFailed(step, e);
            else
                deps.logger.warn(
                    `Containment step ${step} failed for incident ${incidentId}: ${e.status ?? ''} ${e.code} ${e.message}`,
                );
        }
        adv = await transition(deps, userId, incidentId, (c, incident) => advance(c, ctx(incident), step, result));
        const recorded = adv?.containment.steps.find((s) => s.name === step);
        if (recorded) await deps.afterStep?.(recorded);
    }
    if (!adv) {
        options.tally?.ended('missing');
        return 'missing';
    }
    const c = adv.containment;
    if (adv.lost) {
        options.tally?.ended('not-due');
        return 'not-due';
    }
    // The UPN came from a sign-in record: one word or the user id (a newline there once forged an alert line).
    const who = oneWord(adv.incident.userPrincipalName, userId);
    const line = `Containment of incident ${incidentId} (${who}): ${c.status}${c.reason ? ` — ${singleLine(c.reason, 1000)}` : ''}`;
    options.tally?.ended(c.status);
    if (c.status === 'needs-attention') deps.logger.warn(line);
    else if (!options.tally) {
        if (c.status === 'contained' || c.status === 'dry-run') deps.logger.log(line);
        else deps.logger.warn(line);
    }
    telemetry.containmentFinished(adv.incident, c);
    options.onFinished?.({ incident: adv.incident, containment: c });
    if (!options.deferNotices) {
        await sendNotices(userId, incidentId, deps, { incident: adv.incident, containment: c }, options);
    }
    return c.status;
}
