import { Env, readSetting, requireSetting } from './readSetting';

export interface GraphConfig {
    readonly baseUrl: string;
    readonly clientId?: string;
    readonly callTimeoutMs: number;
    readonly stepBudgetMs: number;
    /** Graph requests (and containment runs) in flight at once per worker. */
    readonly concurrency: number;
}

export function loadGraphConfig(env: Env): GraphConfig {
    const clientId = readSetting(env, 'AZURE_CLIENT_ID');
    return {
        baseUrl: requireSetting(env, 'GRAPH_BASE_URL'),
        ...(clientId ? { clientId } : {}),
        callTimeoutMs: requireSetting(env, 'GRAPH_CALL_TIMEOUT_SECONDS') * 1000,
        stepBudgetMs: requireSetting(env, 'GRAPH_STEP_BUDGET_SECONDS') * 1000,
        concurrency: requireSetting(env, 'GRAPH_CONCURRENCY'),
    };
}
