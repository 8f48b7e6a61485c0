import type { TableServiceClientOptions } from '@azure/data-tables';
import type { TokenCredential } from '@azure/identity';
import type { LogsIngestionClientOptions } from '@azure/monitor-ingestion';

import { containmentWarnings, ContainmentConfig, loadContainmentConfig } from './settings/containment';
import { CampaignConfig, loadCampaignConfig } from './settings/campaign/campaign';
import { DetectionConfig, loadDetectionConfig } from './settings/detection';
import { loadLagWarningMs } from './settings/eventHub';
import { GraphConfig, loadGraphConfig } from './settings/graph';
import { readSetting } from './settings/readSetting';
import { loadStateTableConfig, StateTableConfig } from './settings/stateTable';
import { CampaignCache } from './campaignRows/campaignCache';
import type { CampaignStore } from './campaignRows/campaignStore';
import { MemoryCampaignStore } from './campaignRows/memoryCampaignStore';
import { CircuitBreaker, MemoryCircuitBreaker } from './containment/circuitBreaker';
import { GraphActions } from './graph/graphActions';
import { GraphSetupActions } from './graph/setupActions';
import type { Logger } from './logger';
import { ConcurrencyLimit } from './mapConcurrent';
import { webhookNotifier } from './notices/notifier';
import type { CampaignDeps } from './pipeline/campaignStep';
import type { SignInBatchUseCase } from './pipeline/handleSignInBatch';
import type { ContainmentDeps } from './runners/containmentDeps';
import { MemoryRowStore } from './state/memoryRowStore';
import { readTelemetrySettings } from './telemetry/azureMonitor';
import { NO_TELEMETRY, Telemetry } from './telemetry/telemetry';
import type { UserRow, UserRowStore } from './userRow/userRow';
import { UserRows } from './userRow/userRows';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The Azure SDKs (identity, Tables, Graph) take about a second to load; a backtest in memory needs none of them, and
 * the function app loads them once per worker. So the modules that use them are required on first use.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- lazy loading, see above */
const azure = {
    identity: memo(() => require('@azure/identity') as typeof import('@azure/identity')),
    tables: memo(() => require('./state/createTableClient') as typeof import('./state/createTableClient')),
    rows: memo(() => require('./state/tableRowStore') as typeof import('./state/tableRowStore')),
    breaker: memo(() => require('./runners/tableCircuitBreaker') as typeof import('./runners/tableCircuitBreaker')),
    campaigns: memo(
        () => require('./campaignRows/tableCampaignStore') as typeof import('./campaignRows/tableCampaignStore'),
    ),
    graph: memo(() => require('./graph/graphClient') as typeof import('./graph/graphClient')),
    logsIngestion: memo(() => require('./sentinel/logsIngestion') as typeof import('./sentinel/logsIngestion')),
    graphReads: memo(() => require('./graph/graphReads') as typeof import('./graph/graphReads')),
    namedLocations: memo(() => require('./graph/namedLocations') as typeof import('./graph/namedLocations')),
    blockSetup: memo(() => require('./graph/blockSetup') as typeof import('./graph/blockSetup')),
    sourceBlocker: memo(
        () => require('./campaignRunners/sourceBlocker') as typeof import('./campaignRunners/sourceBlocker'),
    ),
};
/* eslint-enable @typescript-eslint/no-require-imports */

/** Where user rows live: the table the settings name (the function), another table, or memory (backtests). */
export type StoreChoice =
    | { readonly kind: 'settings' }
    | { readonly kind: 'table'; readonly table: StateTableConfig }
    | { readonly kind: 'memory' };

export interface CreateRuntimeOptions {
    readonly env: Env;
    /** Default: the table the STATE_TABLE_* settings name. */
    readonly store?: StoreChoice;
    /** Pipeline options for the Table client (tests count or fault requests through them). */
    readonly tableClientOptions?: TableServiceClientOptions;
    /** Overrides the credential for Table Storage and Graph (normally chosen from AZURE_CLIENT_ID). */
    readonly credential?: TokenCredential;
    /** Pipeline options for the Logs Ingestion client (tests trust their local endpoint's certificate through them). */
    readonly logsIngestionClientOptions?: LogsIngestionClientOptions;
    /**
     * Metrics and events (the function app starts Azure Monitor and passes it here). Default: none, so that tests and
     * CLI commands never start an exporter, whatever the environment holds.
     */
    readonly telemetry?: Telemetry;
    /**
     * How long the event handler spends on containment per batch, ms (default: containIncidents.ts
     * INLINE_CONTAINMENT_MS). Not a setting: tests shorten it to see the timer take over without waiting seconds.
     */
    readonly inlineContainmentMs?: number;
}

/**
 * The credential for every Azure call: the user-assigned managed identity named by AZURE_CLIENT_ID in Azure, else
 * DefaultAzureCredential (an operator's `az login`). Chosen here and nowhere else.
 */
export function chooseCredential(clientId: string | undefined): TokenCredential {
    const { ManagedIdentityCredential, DefaultAzureCredential } = azure.identity();
    return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

function memo<T>(make: () => T): () => T {
    let value: T | undefined;
    let made = false;
    return () => {
        if (!made) {
            value = make();
            made = true;
        }
        return value as T;
    };
}

/**
 * The composition root: builds settings, credential, store, breaker, Graph actions and notifier once, for the
 * functions and for every CLI command. Each part is validated and built on first use (a `setup` needs no state table,
 * a dry-run no Graph credential); `validate()` checks every setting at once, as the function app does at start-up.
 */
export class Runtime {
    readonly #options: CreateRuntimeOptions;

    constructor(options: CreateRuntimeOptions) {
        this.#options = options;
    }

    readonly #detection = memo(() => loadDetectionConfig(this.#options.env));
    readonly #campaign = memo(() => loadCampaignConfig(this.#options.env));
    readonly #containment = memo(() => loadContainmentConfig(this.#options.env));
    readonly #graphConfig = memo(() => loadGraphConfig(this.#options.env));
    readonly #credential = memo(
        () => this.#options.credential ?? chooseCredential(this.#options.env.AZURE_CLIENT_ID?.trim() || undefined),
    );

    /** The settings this runtime was built from. */
    get env(): Env {
        return this.#options.env;
    }

    get detection(): DetectionConfig {
        return this.#detection();
    }

    get containment(): ContainmentConfig {
        return this.#containment();
    }

    /** Push-spray campaign detection and source blocking (CAMPAIGN_*, TRUSTED_SOURCE_RANGES, BLOCK_*). */
    get campaign(): CampaignConfig {
        return this.#campaign();
    }

    get graphConfig(): GraphConfig {
        return this.#graphConfig();
    }

    get telemetry(): Telemetry {
        return this.#options.telemetry ?? NO_TELEMETRY;
    }

    readonly #tables = memo(
        (): { store: UserRowStore; breaker: CircuitBreaker; campaigns: CampaignStore; ready: () => Promise<void> } => {
            const choice = this.#options.store ?? { kind: 'settings' };
            if (choice.kind === 'memory') {
                return {
                    store: new MemoryRowStore<UserRow>(),
                    breaker: new MemoryCircuitBreaker(),
                    campaigns: new MemoryCampaignStore(),
                    ready: async () => undefined,
                };
            }
            const config = choice.kind === 'table' ? choice.table : loadStateTableConfig(this.#options.env);
            const client = azure
                .tables()
                .createTableClient(
                    config,
                    config.kind === 'endpoint' ? this.#credential() : undefined,
                    this.#options.tableClientOptions,
                );
            const store = new (azure.rows().TableRowStore<UserRow>)(client);
            return {
                store: store,
                breaker: new (azure.breaker().TableCircuitBreaker)(client),
                campaigns: new (azure.campaigns().TableCampaignStore)(client),
                ready: () => store.ensureTable(),
            };
        },
    );

    /** The row store itself: for reading and listing, which need no settings beyond where the table is. */
    get store(): UserRowStore {
        return this.#tables().store;
    }

    readonly #userRows = memo(
        () =>
            new UserRows({
                store: this.store,
                windowMs: this.detection.policy.windowMs,
                longWindowMs: this.detection.policy.sustainedWindowMs,
                containment: this.containment,
            }),
    );

    /** The user rows as every writer changes them, built once: needs the detection and containment settings. */
    get userRows(): UserRows {
        return this.#userRows();
    }

    get breaker(): CircuitBreaker {
        return this.#tables().breaker;
    }

    /** Campaign rows, in the state table beside the user rows (or in memory, with the memory store). */
    get campaignStore(): CampaignStore {
        return this.#tables().campaigns;
    }

    /** What one process remembers of campaign rows between batches (never what decides). */
    readonly #campaignCache = memo(() => new CampaignCache());

    /** Campaign detection for the batch use case: the store, the policy, and this process's cache. */
    campaignDeps(): CampaignDeps {
        const block = this.campaign.block;
        return {
            store: this.campaignStore,
            policy: this.campaign.policy,
            cache: this.#campaignCache(),
            notify: this.containment.notifyWebhookUrl !== undefined,
            ...(block
                ? {
                      block: {
                          durationMs: block.durationMs,
                          live: this.containment.mode === 'live' && block.locationId !== undefined,
                      },
                  }
                : {}),
        };
    }

    /** Blocking campaign sources in Conditional Access: live mode with BLOCK_CAMPAIGN_SOURCES and its location only. */
    readonly #sourceBlocker = memo(() => {
        const locationId = this.campaign.block?.locationId;
        if (this.containment.mode !== 'live' || !locationId) return undefined;
        const locations = this.namedLocations();
        return (logger: Logger) =>
            new (azure.sourceBlocker().SourceBlocker)({ store: this.campaignStore, locations, locationId, logger });
    });

    readonly #graphClient = memo(() => azure.graph().createGraphClient(this.graphConfig, this.#credential()));

    /** The credential every Azure call of this runtime uses (chooseCredential, or the caller's). */
    get credential(): TokenCredential {
        return this.#credential();
    }

    /** Read-only Graph calls of doctor and drill, with this runtime's credential (an operator's sign-in). */
    readonly graphReads = memo(
        () =>
            new (azure.graphReads().GraphReads)(this.#graphClient(), {
                callTimeoutMs: this.graphConfig.callTimeoutMs,
                budgetMs: Math.min(this.graphConfig.stepBudgetMs, 30_000),
            }),
    );

    /**
     * Graph actions of the responder's identity; built on first use, so that dry-run never needs a credential. One
     * limit for all of them: at most GRAPH_CONCURRENCY requests in flight, whatever runs them (handler, timer, release).
     */
    readonly graph = memo(
        () =>
            new GraphActions(this.#graphClient(), {
                baseUrl: this.graphConfig.baseUrl,
                callTimeoutMs: this.graphConfig.callTimeoutMs,
                budgetMs: this.graphConfig.stepBudgetMs,
                limit: new ConcurrencyLimit(this.graphConfig.concurrency),
            }),
    );

    /** The block named location's reads and writes, with this runtime's credential (the app's, or doctor's person). */
    readonly namedLocations = memo(
        () =>
            new (azure.namedLocations().NamedLocationActions)(this.#graphClient(), {
                callTimeoutMs: this.graphConfig.callTimeoutMs,
                budgetMs: this.graphConfig.stepBudgetMs,
            }),
    );

    /** Source blocking's one-time setup (`setup --block-sources`), with an admin's own login. */
    readonly blockSetup = memo(
        () =>
            new (azure.blockSetup().GraphBlockSetup)(this.#graphClient(), {
                callTimeoutMs: this.graphConfig.callTimeoutMs,
                budgetMs: this.graphConfig.stepBudgetMs,
            }),
    );

    /** The one-time tenant setup an admin runs with their own login. */
    readonly setupActions = memo(
        () =>
            new GraphSetupActions(this.#graphClient(), {
                callTimeoutMs: this.graphConfig.callTimeoutMs,
                budgetMs: this.graphConfig.stepBudgetMs,
            }),
    );

    readonly #notify = memo(() => {
        const url = this.containment.notifyWebhookUrl;
        return url ? webhookNotifier(url) : undefined;
    });

    /** Sentinel rows to Sentinel's table, with the app's identity; only when LOGS_INGESTION_* are set. */
    readonly #sentinel = memo(() => {
        const target = this.containment.incidentLog;
        if (!target) return undefined;
        const clientOptions = this.#options.logsIngestionClientOptions;
        return azure
            .logsIngestion()
            .logsIngestionSender(target, this.#credential(), clientOptions ? { clientOptions } : {});
    });

    /**
     * What containment needs. Graph is included in live mode (and whenever a caller needs it, like a release, which
     * asks for `graph()` itself). The lease outlives the slowest step: its retry budget plus a last call, and margin.
     */
    containmentDeps(logger: Logger): ContainmentDeps {
        const { stepBudgetMs, callTimeoutMs } = this.graphConfig;
        const notify = this.#notify();
        const sentinel = this.#sentinel();
        const inlineBudgetMs = this.#options.inlineContainmentMs;
        const blocker = this.#sourceBlocker();
        return {
            rows: this.userRows,
            config: this.containment,
            ...(this.containment.mode === 'live' ? { graph: this.graph() } : {}),
            breaker: this.breaker,
            ...(notify ? { notify } : {}),
            ...(sentinel ? { sentinel } : {}),
            logger,
            leaseMs: Math.max(3 * 60_000, stepBudgetMs + 2 * callTimeoutMs + 60_000),
            stepBudgetMs,
            concurrency: this.graphConfig.concurrency,
            ...(inlineBudgetMs !== undefined ? { inlineBudgetMs } : {}),
            telemetry: this.telemetry,
            campaigns: { store: this.campaignStore, policy: this.campaign.policy },
            ...(blocker ? { sourceBlocker: blocker(logger) } : {}),
        };
    }

    /** The Event Hub function's batch use case: detection, planning and containment as the settings say. */
    signInBatch(logger: Logger): SignInBatchUseCase {
        return {
            rows: this.userRows,
            detection: this.detection,
            containment: this.containment,
            contain: this.containmentDeps(logger),
            campaigns: this.campaignDeps(),
            logger,
            telemetry: this.telemetry,
        };
    }

    /**
     * Checks every setting the function app reads; throws ConfigError naming the first bad one. Returns what is valid
     * but weakens containment, for the caller to log once.
     */
    validate(): string[] {
        void this.detection;
        void this.campaign;
        void this.graphConfig;
        loadStateTableConfig(this.#options.env);
        readTelemetrySettings(this.#options.env);
        // The lag check's own settings (the namespace is the host's: it reports a bad one itself).
        loadLagWarningMs(this.#options.env);
        readSetting(this.#options.env, 'EVENTHUB_CONNECTION_STRING');
        readSetting(this.#options.env, 'RELEASE_KEY_SHA256');
        return containmentWarnings(this.containment, this.detection.policy);
    }

    /** Resolves once the state table exists (and is reachable). */
    ready(): Promise<void> {
        return this.#tables().ready();
    }
}

export function createRuntime(options: CreateRuntimeOptions): Runtime {
    return new Runtime(options);
}
