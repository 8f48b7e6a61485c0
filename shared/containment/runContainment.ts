import type { ContainmentConfig } from '../config';
import type { UserState } from '../detection/userState';
import { ensureError } from '../errors';
import { GraphCallError } from '../graph/callGraph';
import type { GraphActions } from '../graph/graphActions';
import { consoleLogger, Logger } from '../logger';
import type { UserStateStore } from '../state/stateStore';
import { updateUserState } from '../state/updateUserState';
import type { CircuitBreaker } from './circuitBreaker';
import {
    ContainedIncident,
    Containment,
    ContainmentStatus,
    ContainmentStep,
    isActive,
    Notice,
    StepError,
    wouldDo,
} from './model';
import { noticePayload, Notifier } from './notifier';

export interface ContainmentDeps {
    readonly store: UserStateStore;
    readonly config: ContainmentConfig;
    /** Required in live mode; dry-run never touches Graph. */
    readonly graph?: GraphActions;
    /** Graph base URL, for the `@odata.id` of a group member reference. */
    readonly graphBaseUrl: string;
    readonly breaker: CircuitBreaker;
    readonly notify?: Notifier;
    readonly logger?: Logger;
    readonly now?: () => number;
    /** Who holds the lease (an instance id). */
    readonly owner?: string;
    /** How long a claim protects a run that stopped reporting progress, ms. */
    readonly leaseMs?: number;
    /** Called after each step is persisted. Tests use it to stop a run midway, as a crash would. */
    readonly afterStep?: (step: ContainmentStep) => Promise<void> | void;
}

export type RunOutcome = ContainmentStatus | 'not-due' | 'missing';

type StepOutcome =
    | {
          status: 'done' | 'skipped';
          detail: string;
          extra?: (c: Containment) => void;
          stop?: { status: ContainmentStatus; reason: string };
      }
    | { error: StepError };

/** One step's Graph work. Throws what Graph throws; the caller records it. */
async function executeStep(
    name: ContainmentStep['name'],
    userId: string,
    containment: Containment,
    graph: GraphActions,
    deps: ContainmentDeps,
): Promise<StepOutcome> {
    const { config } = deps;
    switch (name) {
        case 'check-exclusions': {
            if (config.neverContainGroupIds.length === 0) {
                return { status: 'skipped', detail: 'no NEVER_CONTAIN_GROUP_IDS configured' };
            }
            const member = await graph.memberOf(userId, config.neverContainGroupIds);
            if (member.length > 0) {
                return {
                    status: 'done',
                    detail: `member of never-contain group ${member.join(', ')}`,
                    stop: {
                        status: 'not-contained',
                        reason: `member of NEVER_CONTAIN_GROUP_IDS group ${member.join(', ')}`,
                    },
                };
            }
            return {
                status: 'done',
                detail: `in none of the ${config.neverContainGroupIds.length} never-contain group(s)`,
            };
        }
        case 'revoke-sessions':
        case 'revoke-sessions-after-disable':
            if (containment.userType?.toLowerCase() === 'guest') {
                return {
                    status: 'skipped',
                    detail: 'guest user: Graph does not revoke sign-in sessions of external users; their home tenant must',
                };
            }
            await graph.revokeSignInSessions(userId);
            return {
                status: 'done',
                detail: 'sessions revoked; existing access tokens stay valid until they expire (minutes; CAE-aware apps sooner)',
            };
        case 'block-push': {
            if (config.pushBlockMode === 'group') {
                const groupId = config.pushBlockGroupId!;
                const r = await graph.addGroupMember(groupId, userId, deps.graphBaseUrl);
                return {
                    status: 'done',
                    detail:
                        r === 'added'
                            ? `added to push-block group ${groupId}`
                            : `already a member of push-block group ${groupId}`,
                    extra: (c) => (c.pushBlock = { mode: 'group', groupId }),
                };
            }
            const r = await graph.deleteAuthenticatorMethods(userId);
            return {
                status: 'done',
                detail: `deleted ${r.deleted} Microsoft Authenticator registration(s)`,
                extra: (c) => (c.pushBlock = { mode: 'remove-method', deleted: r.deleted }),
            };
        }
        case 'confirm-compromised':
            await graph.confirmCompromised(userId);
            return { status: 'done', detail: 'user risk set to high in Identity Protection' };
        case 'disable-account':
            await graph.disableAccount(userId);
            return { status: 'done', detail: 'account disabled' };
    }
}

const MINUTE = 60_000;

function findIncident(state: UserState | undefined, incidentId: string): ContainedIncident | undefined {
    return state?.incidents.find((i) => i.id === incidentId);
}

/** Applies `change` to one incident's containment with an optimistic read-modify-write; returns what it returned. */
async function mutateContainment<R>(
    deps: ContainmentDeps,
    userId: string,
    incidentId: string,
    change: (c: Containment, inc: ContainedIncident) => R | undefined,
): Promise<{ result?: R; incident?: ContainedIncident }> {
    return updateUserState<{ result?: R; incident?: ContainedIncident }>(deps.store, userId, (current) => {
        const state = current ? structuredClone(current.state) : undefined;
        const inc = findIncident(state, incidentId);
        if (!inc?.containment) return { result: inc ? { incident: inc } : {} };
        const result = change(inc.containment, inc);
        if (result === undefined) return { result: { incident: inc } };
        return { state, result: { result, incident: inc } };
    });
}

function stepError(e: unknown): StepError {
    if (e instanceof GraphCallError)
        return {
            ...(e.status !== undefined ? { status: e.status } : {}),
            code: e.graphCode,
            message: e.message.slice(0, 500),
        };
    const err = ensureError(e);
    return { code: (err as { code?: string }).code ?? err.name, message: err.message.slice(0, 500) };
}

/**
 * Runs (or resumes) the containment of one incident: claims it with a conditional write (so that two racing
 * instances run it once), executes each unfinished step through Graph and persists each result at once (so that a
 * crash resumes at the first unfinished step and never repeats a finished one), then decides the status and sends
 * pending notices. Never throws for Graph or webhook failures: they are stored on the incident.
 */
export async function runContainment(userId: string, incidentId: string, deps: ContainmentDeps): Promise<RunOutcome> {
    const now = deps.now ?? Date.now;
    const owner = deps.owner ?? `runner-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const leaseMs = deps.leaseMs ?? 3 * MINUTE;
    const logger = deps.logger ?? consoleLogger;
    const { config } = deps;

    const claim = await mutateContainment(deps, userId, incidentId, (c) => {
        if (!isActive(c)) return undefined;
        const t = now();
        if (c.lease && c.lease.until > t && c.lease.owner !== owner) return undefined;
        if (c.status === 'retrying' && (c.nextAttemptAt ?? 0) > t) return undefined;
        c.lease = { owner, until: t + leaseMs };
        c.status = 'running';
        c.runs++;
        c.startedAt ??= t;
        return true;
    });
    if (!claim.incident) return 'missing';
    if (!claim.result) {
        await sendNotices(userId, incidentId, deps, claim.incident);
        const status = claim.incident.containment?.status;
        return status && !isActive(claim.incident.containment) ? status : 'not-due';
    }

    let containment = claim.incident.containment!;
    let stop: { status: ContainmentStatus; reason: string } | undefined;

    const record = async (
        name: ContainmentStep['name'],
        update: Partial<ContainmentStep>,
        extra?: (c: Containment) => void,
    ) => {
        const r = await mutateContainment(deps, userId, incidentId, (c) => {
            const step = c.steps.find((s) => s.name === name);
            if (!step) return undefined;
            Object.assign(step, update, { at: now() });
            if (update.status === 'done') delete step.error;
            if (c.lease?.owner === owner) c.lease.until = now() + leaseMs;
            extra?.(c);
            return true;
        });
        if (r.incident?.containment) containment = r.incident.containment;
        const step = containment.steps.find((s) => s.name === name);
        if (step) await deps.afterStep?.(step);
    };

    for (const step of [...containment.steps]) {
        const current = containment.steps.find((s) => s.name === step.name)!;
        if (current.status === 'done' || current.status === 'skipped' || current.status === 'dry-run') continue;
        if (containment.mode === 'dry-run') {
            await record(step.name, { status: 'dry-run', detail: wouldDo(step, config) });
            continue;
        }
        if (!deps.graph) {
            await record(step.name, {
                status: 'failed',
                attempts: current.attempts + 1,
                error: { code: 'GraphNotConfigured', message: 'live containment needs Graph' },
            });
            stop = { status: 'needs-attention', reason: 'Graph is not configured' };
            break;
        }
        const graph = deps.graph;
        if (step.name !== 'check-exclusions' && !containment.breakerSlot) {
            const decision = await deps.breaker.tryAcquire(incidentId, now(), config.maxContainmentsPerHour);
            if (!decision.acquired) {
                stop = {
                    status: 'not-contained',
                    reason: `circuit breaker open: ${decision.inLastHour} containments in the last hour (MAX_CONTAINMENTS_PER_HOUR=${config.maxContainmentsPerHour}); recorded and notified, not contained`,
                };
                break;
            }
            const r = await mutateContainment(deps, userId, incidentId, (c) =>
                c.breakerSlot ? undefined : ((c.breakerSlot = true), true),
            );
            if (r.incident?.containment) containment = r.incident.containment;
        }
        if (
            step.name === 'revoke-sessions-after-disable' &&
            containment.steps.find((s) => s.name === 'disable-account')?.status !== 'done'
        )
            continue;
        // Only the Graph call sits inside the try: a failure to persist its result must not be mistaken for a
        // Graph failure (and a crash right after persisting must leave the step done).
        let outcome: StepOutcome;
        try {
            outcome = await executeStep(step.name, userId, containment, graph, deps);
        } catch (e) {
            outcome = { error: stepError(e) };
        }
        if ('error' in outcome) {
            await record(step.name, { status: 'failed', attempts: current.attempts + 1, error: outcome.error });
            logger.warn(
                `Containment step ${step.name} failed for incident ${incidentId}: ${outcome.error.status ?? ''} ${outcome.error.code} ${outcome.error.message}`,
            );
            // Without the exclusion check nothing may be done: the user might be a break-glass account.
            if (step.name === 'check-exclusions') break;
            continue;
        }
        await record(
            step.name,
            {
                status: outcome.status,
                attempts: current.attempts + (outcome.status === 'done' ? 1 : 0),
                detail: outcome.detail,
            },
            outcome.extra,
        );
        if (outcome.stop) {
            stop = outcome.stop;
            break;
        }
    }

    const final = await mutateContainment(deps, userId, incidentId, (c) => {
        if (c.lease?.owner !== owner) return undefined;
        delete c.lease;
        const t = now();
        if (stop) {
            c.status = stop.status;
            c.reason = stop.reason;
        } else if (c.steps.every((s) => s.status === 'done' || s.status === 'skipped' || s.status === 'dry-run')) {
            c.status = c.mode === 'dry-run' ? 'dry-run' : 'contained';
        } else {
            const hopeless = c.steps.find(
                (s) => s.status === 'failed' && (s.error?.status === 403 || s.attempts >= config.maxStepAttempts),
            );
            if (hopeless) {
                c.status = 'needs-attention';
                c.reason =
                    hopeless.error?.status === 403
                        ? `${hopeless.name}: Graph refused (403 ${hopeless.error.code}); grant the permission listed in the README`
                        : `${hopeless.name} failed ${hopeless.attempts} times; last error ${hopeless.error?.code ?? 'unknown'}`;
            } else {
                c.status = 'retrying';
                c.nextAttemptAt = t + Math.min(30 * MINUTE, MINUTE * 2 ** Math.max(0, c.runs - 1));
            }
        }
        if (!isActive(c)) {
            c.finishedAt = t;
            delete c.nextAttemptAt;
        }
        if (c.status === 'needs-attention' && !c.notices.some((n) => n.kind === 'needs-attention')) {
            c.notices.push({
                kind: 'needs-attention',
                status: config.notifyWebhookUrl ? 'pending' : 'skipped',
                attempts: 0,
            });
        }
        return c.status;
    });
    const status = final.result ?? final.incident?.containment?.status ?? 'not-due';
    const line = `Containment of incident ${incidentId} (${final.incident?.userPrincipalName ?? userId}): ${status}${final.incident?.containment?.reason ? ` — ${final.incident.containment.reason}` : ''}`;
    if (status === 'contained' || status === 'dry-run') logger.log(line);
    else logger.warn(line);
    await sendNotices(userId, incidentId, deps, final.incident);
    return status;
}

/** Sends every notice that is due (pending, or failed with attempts left); a failure is stored, never thrown. */
export async function sendNotices(
    userId: string,
    incidentId: string,
    deps: ContainmentDeps,
    /** The incident as just read or written, which saves reading it again. */
    known?: ContainedIncident,
): Promise<void> {
    const now = deps.now ?? Date.now;
    const { store, config } = deps;
    const stored = known ?? findIncident((await store.read(userId))?.state, incidentId);
    const due = (stored?.containment?.notices ?? []).filter(
        (n) => n.status === 'pending' || (n.status === 'failed' && n.attempts < config.maxStepAttempts),
    );
    for (const notice of due) {
        if (
            stored!.containment &&
            isActive(stored!.containment) &&
            notice.kind === 'incident' &&
            stored!.containment.runs === 0
        )
            continue;
        let update: Partial<Notice>;
        if (!deps.notify) {
            update = { status: 'skipped' };
        } else {
            try {
                await deps.notify(noticePayload(stored!, notice.kind, config));
                update = { status: 'sent', attempts: notice.attempts + 1 };
            } catch (e) {
                update = {
                    status: 'failed',
                    attempts: notice.attempts + 1,
                    error: ensureError(e).message.slice(0, 300),
                };
                (deps.logger ?? consoleLogger).warn(
                    `Notice ${notice.kind} for incident ${incidentId} failed: ${update.error}`,
                );
            }
        }
        await mutateContainment(deps, userId, incidentId, (c) => {
            const n = c.notices.find((x) => x.kind === notice.kind);
            if (!n || n.status === 'sent') return undefined;
            Object.assign(n, update, { at: now() });
            return true;
        });
    }
}
