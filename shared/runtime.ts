import type { TokenCredential } from '@azure/identity';

import {
    ContainmentConfig,
    DetectionConfig,
    GraphConfig,
    loadContainmentConfig,
    loadDetectionConfig,
    loadGraphConfig,
    loadStateTableConfig,
} from './config';
import { CircuitBreaker, TableCircuitBreaker } from './containment/circuitBreaker';
import { webhookNotifier } from './containment/notifier';
import type { ContainmentDeps } from './containment/runContainment';
import { createGraphClient } from './graph/graphClient';
import { GraphActions } from './graph/graphActions';
import type { Logger } from './logger';
import { createTableClient, CreateTableClientOptions } from './state/createTableClient';
import type { UserStateStore } from './state/stateStore';
import { TableStateStore } from './state/tableStateStore';

type Env = Readonly<Record<string, string | undefined>>;

/** Everything a function needs, built once per worker from validated settings. */
export interface Runtime {
    readonly detection: DetectionConfig;
    readonly containment: ContainmentConfig;
    readonly graphConfig: GraphConfig;
    readonly store: UserStateStore;
    readonly breaker: CircuitBreaker;
    /** Graph actions; built on first use, so that dry-run never needs a Graph credential. */
    graph(): GraphActions;
    containmentDeps(logger: Logger): ContainmentDeps;
    /** Resolves once the state table exists. */
    ready(): Promise<void>;
}

export interface CreateRuntimeOptions {
    readonly env: Env;
    readonly tableClientOptions?: CreateTableClientOptions;
    /** Overrides the Graph credential (normally the managed identity, or DefaultAzureCredential for an admin). */
    readonly graphCredential?: TokenCredential;
}

/** Validates every setting (throws ConfigError naming the bad one) and wires the adapters. */
export function createRuntime(options: CreateRuntimeOptions): Runtime {
    const detection = loadDetectionConfig(options.env);
    const containment = loadContainmentConfig(options.env);
    const graphConfig = loadGraphConfig(options.env);
    const tableClient = createTableClient(loadStateTableConfig(options.env), options.tableClientOptions);
    const store = new TableStateStore(tableClient);
    const breaker = new TableCircuitBreaker(tableClient);
    const notify = containment.notifyWebhookUrl ? webhookNotifier(containment.notifyWebhookUrl) : undefined;
    let graph: GraphActions | undefined;
    const getGraph = () =>
        (graph ??= new GraphActions(createGraphClient(graphConfig, options.graphCredential), {
            callTimeoutMs: graphConfig.callTimeoutMs,
            budgetMs: graphConfig.stepBudgetMs,
        }));
    return {
        detection,
        containment,
        graphConfig,
        store,
        breaker,
        graph: getGraph,
        containmentDeps: (logger) => ({
            store,
            config: containment,
            ...(containment.mode === 'live' ? { graph: getGraph() } : {}),
            graphBaseUrl: graphConfig.baseUrl,
            breaker,
            // A claim must outlive the slowest step (its retry budget plus a last call), or a second runner could
            // take over a step that is still running.
            leaseMs: Math.max(3 * 60_000, graphConfig.stepBudgetMs + 2 * graphConfig.callTimeoutMs + 60_000),
            ...(notify ? { notify } : {}),
            logger,
        }),
        ready: () => store.ensureTable(),
    };
}
