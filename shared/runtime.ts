import { DetectionConfig, loadDetectionConfig, loadStateTableConfig } from './config';
import { createTableClient, CreateTableClientOptions } from './state/createTableClient';
import type { UserStateStore } from './state/stateStore';
import { TableStateStore } from './state/tableStateStore';

type Env = Readonly<Record<string, string | undefined>>;

/** Everything a function needs, built once per worker from validated settings. */
export interface Runtime {
    readonly detection: DetectionConfig;
    readonly store: UserStateStore;
    /** Resolves once the state table exists. */
    ready(): Promise<void>;
}

export interface CreateRuntimeOptions {
    readonly env: Env;
    readonly tableClientOptions?: CreateTableClientOptions;
}

/** Validates every setting (throws ConfigError naming the bad one) and wires the adapters. */
export function createRuntime(options: CreateRuntimeOptions): Runtime {
    const detection = loadDetectionConfig(options.env);
    const store = new TableStateStore(createTableClient(loadStateTableConfig(options.env), options.tableClientOptions));
    return { detection, store, ready: () => store.ensureTable() };
}
