import type { ContainmentConfig } from '../config';
import type { Incident } from '../detection/userState';
import { ensureError } from '../errors';
import { GraphCallError } from '../graph/callGraph';
import type { GraphActions } from '../graph/graphActions';
import type { CircuitBreaker } from './circuitBreaker';
import type { AccountFacts, Containment, ContainmentStatus, StepError, StepName } from './model';

/** What a step's run needs. Built by the runner; steps do no storage I/O of their own. */
export interface StepContext {
    readonly incident: Incident;
    readonly containment: Containment;
    readonly config: ContainmentConfig;
    readonly graph: GraphActions;
    readonly breaker: CircuitBreaker;
    readonly now: () => number;
}

/** Facts a step learned that the containment keeps (plain data, merged by the core). */
export type StepFacts = Pick<Containment, 'pushBlock' | 'account'>;

export type StepResult =
    | {
          readonly status: 'done' | 'skipped';
          readonly detail: string;
          readonly facts?: StepFacts;
          /** Ends the run with this status: the user must not (or need not) be contained further. */
          readonly stop?: { readonly status: ContainmentStatus; readonly reason: string };
      }
    | { readonly error: StepError };

export interface StepSpec {
    readonly name: StepName;
    /** Whether the configured containment includes the step. */
    readonly included: (config: ContainmentConfig) => boolean;
    /** What the step would do, for dry-run records and notices. */
    readonly wouldDo: (config: ContainmentConfig) => string;
    /** Run again at the start of every run, even when an earlier run did it (checks that may change). */
    readonly everyRun?: boolean;
    /** A failure stops the run before any later step: nothing may happen without it. */
    readonly gate?: boolean;
    /** Whether the step should run now, given what the earlier steps did. */
    readonly applies?: (c: Containment) => boolean;
    /** Why running it twice is harmless (a crash between the call and its record repeats it). */
    readonly idempotent: string;
    readonly run: (ctx: StepContext) => Promise<StepResult>;
}

const GUEST_NOT_REVOKED =
    'guest user: Graph does not revoke sign-in sessions of external users; their home tenant must';

function isGuest(c: Containment): boolean {
    return (c.account?.userType ?? c.userType)?.toLowerCase() === 'guest';
}

async function revoke(ctx: StepContext): Promise<StepResult> {
    if (isGuest(ctx.containment)) return { status: 'skipped', detail: GUEST_NOT_REVOKED };
    await ctx.graph.revokeSignInSessions(ctx.incident.userId);
    return {
        status: 'done',
        detail: 'sessions revoked; existing access tokens stay valid until they expire (minutes; CAE-aware apps sooner)',
    };
}

/**
 * The step table: every Graph action of a containment, in order, with what makes it idempotent. Graph permissions
 * per action are in shared/graph/permissions.ts.
 */
export const STEPS: readonly StepSpec[] = [
    {
        name: 'check-exclusions',
        included: () => true,
        wouldDo: (config) =>
            config.neverContainGroupIds.length > 0
                ? `would read the account and check membership of ${config.neverContainGroupIds.length} never-contain group(s)`
                : 'would read the account (UPN, guest or member) and check NEVER_CONTAIN',
        everyRun: true,
        gate: true,
        idempotent: 'reads only',
        run: async ({ incident, config, graph }) => {
            const user = await graph.getUser(incident.userId);
            const account: AccountFacts = {
                ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
                ...(user.userType ? { userType: user.userType } : {}),
                ...(user.accountEnabled !== undefined ? { accountEnabled: user.accountEnabled } : {}),
            };
            if (config.neverContainGroupIds.length === 0) {
                return {
                    status: 'done',
                    detail: 'account read; no NEVER_CONTAIN_GROUP_IDS configured',
                    facts: { account },
                };
            }
            const member = await graph.memberOf(incident.userId, config.neverContainGroupIds);
            if (member.length > 0) {
                return {
                    status: 'done',
                    detail: `member of never-contain group ${member.join(', ')}`,
                    facts: { account },
                    stop: {
                        status: 'not-contained',
                        reason: `member of NEVER_CONTAIN_GROUP_IDS group ${member.join(', ')}`,
                    },
                };
            }
            return {
                status: 'done',
                detail: `account read; in none of the ${config.neverContainGroupIds.length} never-contain group(s)`,
                facts: { account },
            };
        },
    },
    {
        name: 'circuit-breaker',
        included: () => true,
        wouldDo: (config) => `would take one of the ${config.maxContainmentsPerHour} containments allowed per hour`,
        gate: true,
        idempotent: 'a slot is taken once: the step is done afterwards and never runs again for this incident',
        run: async ({ config, breaker, now }) => {
            let decision;
            try {
                decision = await breaker.tryAcquire(now(), config.maxContainmentsPerHour);
            } catch (e) {
                return {
                    status: 'skipped',
                    detail: 'the circuit breaker could not be read or updated',
                    stop: {
                        status: 'needs-attention',
                        reason: `circuit breaker unavailable (${stepError(e).code}): not contained; contain by hand if needed`,
                    },
                };
            }
            if (!decision.acquired) {
                return {
                    status: 'skipped',
                    detail: `${decision.inLastHour} containments in the last hour`,
                    stop: {
                        status: 'not-contained',
                        reason: `circuit breaker open: ${decision.inLastHour} containments in the last hour (MAX_CONTAINMENTS_PER_HOUR=${config.maxContainmentsPerHour}); recorded and notified, not contained`,
                    },
                };
            }
            return {
                status: 'done',
                detail: `containment ${decision.inLastHour} of ${config.maxContainmentsPerHour} allowed in the last hour`,
            };
        },
    },
    {
        name: 'revoke-sessions',
        included: () => true,
        wouldDo: () => 'would revoke sign-in sessions',
        idempotent: 'revoking twice only revokes again',
        run: revoke,
    },
    {
        name: 'block-push',
        included: () => true,
        wouldDo: (config) =>
            config.pushBlockMode === 'group'
                ? `would add the user to group ${config.pushBlockGroupId ?? '(PUSH_BLOCK_GROUP_ID unset)'}`
                : 'would delete the Microsoft Authenticator registrations',
        idempotent: 'Graph answers "already a member" to a second add, 404 to a second delete; both count as done',
        run: async ({ incident, config, graph }) => {
            if (config.pushBlockMode === 'group') {
                const groupId = config.pushBlockGroupId!;
                const r = await graph.addGroupMember(groupId, incident.userId);
                return {
                    status: 'done',
                    detail:
                        r === 'added'
                            ? `added to push-block group ${groupId}`
                            : `already a member of push-block group ${groupId}`,
                    facts: { pushBlock: { mode: 'group', groupId } },
                };
            }
            const r = await graph.deleteAuthenticatorMethods(incident.userId);
            return {
                status: 'done',
                detail: `deleted ${r.deleted} Microsoft Authenticator registration(s)`,
                facts: { pushBlock: { mode: 'remove-method', deleted: r.deleted } },
            };
        },
    },
    {
        name: 'confirm-compromised',
        included: (config) => config.confirmCompromised,
        wouldDo: () => 'would confirm the user compromised',
        idempotent: 'confirming twice leaves the risk at high',
        run: async ({ incident, graph }) => {
            await graph.confirmCompromised(incident.userId);
            return { status: 'done', detail: 'user risk set to high in Identity Protection' };
        },
    },
    {
        name: 'disable-account',
        included: (config) => config.disableAccount,
        wouldDo: () => 'would disable the account',
        idempotent: 'disabling a disabled account changes nothing',
        run: async ({ incident, graph }) => {
            await graph.disableAccount(incident.userId);
            return { status: 'done', detail: 'account disabled' };
        },
    },
    {
        name: 'revoke-sessions-after-disable',
        included: (config) => config.disableAccount,
        wouldDo: () => 'would revoke sign-in sessions again',
        applies: (c) => c.steps.find((s) => s.name === 'disable-account')?.status === 'done',
        idempotent: 'revoking twice only revokes again',
        run: revoke,
    },
];

export const STEP_BY_NAME: ReadonlyMap<StepName, StepSpec> = new Map(STEPS.map((s) => [s.name, s]));

/** A step failure as stored on the incident: Graph's status and code, or the local error's name. */
export function stepError(e: unknown): StepError {
    if (e instanceof GraphCallError)
        return {
            ...(e.status !== undefined ? { status: e.status } : {}),
            code: e.graphCode,
            message: e.message.slice(0, 500),
        };
    const err = ensureError(e);
    return { code: (err as { code?: string }).code ?? err.name, message: err.message.slice(0, 500) };
}

/** Runs one step; a failure becomes a value. */
export async function executeStep(spec: StepSpec, ctx: StepContext): Promise<StepResult> {
    try {
        return await spec.run(ctx);
    } catch (e) {
        return { error: stepError(e) };
    }
}
