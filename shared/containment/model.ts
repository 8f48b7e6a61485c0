import type { ContainmentConfig, ContainmentMode } from '../config';
import type { Incident, UserState } from '../detection/userState';

/** The Graph actions of a containment, in the order they run. */
export type StepName =
    | 'check-exclusions'
    | 'revoke-sessions'
    | 'block-push'
    | 'confirm-compromised'
    | 'disable-account'
    | 'revoke-sessions-after-disable';

export type StepStatus = 'pending' | 'done' | 'failed' | 'skipped' | 'dry-run';

export interface StepError {
    /** HTTP status from Graph; absent for a network error or timeout. */
    readonly status?: number;
    /** Graph's error code, e.g. Authorization_RequestDenied. */
    readonly code: string;
    readonly message: string;
}

export interface ContainmentStep {
    readonly name: StepName;
    status: StepStatus;
    attempts: number;
    /** When the step last changed, ms. */
    at?: number;
    /** What happened, for people: "already a member", "guest user: ...". */
    detail?: string;
    error?: StepError;
}

export type ContainmentStatus =
    /** Waiting for its first run. */
    | 'pending'
    /** A runner holds the lease. */
    | 'running'
    /** A step failed; the timer retries after `nextAttemptAt`. */
    | 'retrying'
    | 'contained'
    /** Every step was recorded as dry-run; nothing was written to Graph. */
    | 'dry-run'
    /** Deliberately not contained: never-contain, cooldown, circuit breaker. See `reason`. */
    | 'not-contained'
    /** A person must act: a permission is missing (403) or a step kept failing. */
    | 'needs-attention'
    | 'released';

export type NoticeKind = 'incident' | 'needs-attention' | 'released';

export interface Notice {
    readonly kind: NoticeKind;
    status: 'pending' | 'sent' | 'failed' | 'skipped';
    attempts: number;
    at?: number;
    error?: string;
}

export interface Release {
    readonly at: number;
    readonly by: string;
    readonly reason: string;
    /** What undoing the push block did. */
    readonly undo: string;
}

/** The containment of one incident: a persisted state machine, resumable after a crash at any step. */
export interface Containment {
    status: ContainmentStatus;
    readonly mode: ContainmentMode;
    reason?: string;
    steps: ContainmentStep[];
    /** Which runner holds the containment, until when (ms). An expired lease may be taken over. */
    lease?: { owner: string; until: number };
    /** Runs started. */
    runs: number;
    nextAttemptAt?: number;
    startedAt?: number;
    finishedAt?: number;
    /** True once this incident holds a slot of the tenant-wide circuit breaker. */
    breakerSlot?: boolean;
    /** What the push block did, so that a release can undo it. */
    pushBlock?: { mode: 'group'; groupId: string } | { mode: 'remove-method'; deleted: number };
    /** From the sign-in records: Graph does not revoke sessions of guests. */
    userType?: string;
    notices: Notice[];
    release?: Release;
}

/** An incident, with its containment. */
export type ContainedIncident = Incident;

const ACTIVE: ReadonlySet<ContainmentStatus> = new Set(['pending', 'running', 'retrying']);
const SPENT: ReadonlySet<ContainmentStatus> = new Set([
    'pending',
    'running',
    'retrying',
    'contained',
    'needs-attention',
]);

export function isActive(c: Containment | undefined): boolean {
    return c !== undefined && ACTIVE.has(c.status);
}

/** True when the timer has something to do for this user: a containment to run or a notice to send. */
export function hasPendingWork(state: UserState): boolean {
    return state.incidents.some(
        (i) =>
            isActive(i.containment) ||
            (i.containment?.notices ?? []).some((n) => n.status === 'pending' || n.status === 'failed'),
    );
}

/** What a step would do, for the dry-run record. */
export function wouldDo(step: ContainmentStep, config: ContainmentConfig): string {
    switch (step.name) {
        case 'check-exclusions':
            return config.neverContainGroupIds.length > 0
                ? `would check membership of ${config.neverContainGroupIds.length} never-contain group(s)`
                : 'no NEVER_CONTAIN_GROUP_IDS configured';
        case 'revoke-sessions':
        case 'revoke-sessions-after-disable':
            return 'would revoke sign-in sessions';
        case 'block-push':
            return config.pushBlockMode === 'group'
                ? `would add the user to group ${config.pushBlockGroupId ?? '(PUSH_BLOCK_GROUP_ID unset)'}`
                : 'would delete the Microsoft Authenticator registrations';
        case 'confirm-compromised':
            return 'would confirm the user compromised';
        case 'disable-account':
            return 'would disable the account';
    }
}

function stepsFor(config: ContainmentConfig): ContainmentStep[] {
    const names: StepName[] = ['check-exclusions', 'revoke-sessions', 'block-push'];
    if (config.confirmCompromised) names.push('confirm-compromised');
    if (config.disableAccount) names.push('disable-account', 'revoke-sessions-after-disable');
    return names.map((name) => ({ name, status: 'pending', attempts: 0 }));
}

/**
 * Decides, without I/O, what a new incident's containment will be: the local guardrails (never-contain by id or UPN,
 * a cooldown after an earlier containment of the same user) and the steps to run. Group exclusions and the circuit
 * breaker need I/O and are decided by the runner.
 */
export function planContainment(
    state: UserState,
    incident: Incident,
    config: ContainmentConfig,
    now: number,
): Containment {
    const base: Containment = {
        status: 'pending',
        mode: config.mode,
        steps: stepsFor(config),
        runs: 0,
        notices: [{ kind: 'incident', status: config.notifyWebhookUrl ? 'pending' : 'skipped', attempts: 0 }],
        ...(state.userType ? { userType: state.userType } : {}),
    };
    const upn = incident.userPrincipalName?.toLowerCase();
    if (config.neverContain.has(incident.userId) || (upn !== undefined && config.neverContain.has(upn))) {
        return {
            ...base,
            status: 'not-contained',
            reason: 'NEVER_CONTAIN lists this user',
            steps: [],
            finishedAt: now,
        };
    }
    const earlier = state.incidents.find(
        (i) =>
            i.id !== incident.id &&
            i.containment !== undefined &&
            SPENT.has(i.containment.status) &&
            now - (i.containment.startedAt ?? i.detectedAt) < config.cooldownMs,
    );
    if (earlier) {
        return {
            ...base,
            status: 'not-contained',
            reason: `cooldown: incident ${earlier.id} already contained this user at ${new Date(earlier.containment!.startedAt ?? earlier.detectedAt).toISOString()}`,
            steps: [],
            finishedAt: now,
        };
    }
    if (config.mode === 'dry-run') {
        // Dry-run needs no I/O at all: the whole record is decided here, in the write that opens the incident.
        for (const step of base.steps)
            Object.assign(step, { status: 'dry-run', detail: wouldDo(step, config), at: now });
        return { ...base, status: 'dry-run', finishedAt: now };
    }
    return base;
}

/** True when a runner has something to do for this incident now or soon: steps to run or notices to send. */
export function needsRunner(inc: Incident): boolean {
    const c = inc.containment;
    return c !== undefined && (isActive(c) || c.notices.some((n) => n.status === 'pending' || n.status === 'failed'));
}
