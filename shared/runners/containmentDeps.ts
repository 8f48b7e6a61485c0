import type { ContainmentConfig } from '../settings/containment';
import type { CircuitBreaker } from '../containment/circuitBreaker';
import type { ContainmentStep } from '../containment/model';
import type { GraphActions } from '../graph/graphActions';
import type { Logger } from '../logger';
import type { Notifier } from '../notices/notifier';
import type { SentinelRowSender } from '../sentinel/sentinelRowSender';
import type { Telemetry } from '../telemetry/telemetry';
import type { UserRows } from '../userRow/userRows';

/**
 * What every runner needs: the user rows (the repository carries the store, the detection window and the containment
 * settings a write needs, so that no runner rebuilds them), the containment settings, and the outside world. Built by
 * the runtime (Runtime.containmentDeps); tests override single parts.
 */
export interface ContainmentDeps {
    readonly rows: UserRows;
    readonly config: ContainmentConfig;
    /** Required in live mode; dry-run never touches Graph. */
    readonly graph?: GraphActions;
    readonly breaker: CircuitBreaker;
    readonly notify?: Notifier;
    /** Where Sentinel rows go (MfaFatigueIncidents_CL); absent: rows planned are recorded as skipped. */
    readonly sentinel?: SentinelRowSender;
    readonly logger: Logger;
    readonly now?: () => number;
    /** How long a claim protects a run that stopped reporting progress, ms: longer than the slowest step. */
    readonly leaseMs: number;
    /** Time one step may spend on all of its Graph calls and retries, ms (GRAPH_STEP_BUDGET_SECONDS). */
    readonly stepBudgetMs?: number;
    /**
     * How long the event handler spends on containment per batch, ms (containIncidents.ts INLINE_CONTAINMENT_MS when
     * absent). Tests shorten it to see the timer take over without waiting the real seconds.
     */
    readonly inlineBudgetMs?: number;
    /** How long the event handler then spends on notices, ms (containIncidents.ts INLINE_NOTICES_MS when absent). */
    readonly inlineNoticesMs?: number;
    /** Containment runs at once in the handler and the timer (GRAPH_CONCURRENCY; 4 when absent). */
    readonly concurrency?: number;
    /** Called after each step is persisted. Tests use it to stop a run midway, as a crash would. */
    readonly afterStep?: (step: ContainmentStep) => Promise<void> | void;
    /** Step outcomes, final statuses and the first Graph call's latency; nothing is recorded without it. */
    readonly telemetry?: Telemetry;
}
