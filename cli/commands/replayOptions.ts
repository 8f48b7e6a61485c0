import { loadStateTableConfig } from '../../shared/settings/stateTable';
import { readSetting } from '../../shared/settings/readSetting';
import { ConfigError } from '../../shared/errors';
import type { StoreChoice } from '../../shared/runtime';
import { parseFlags, positiveInt } from '../flags';
import { checkReportFile } from '../htmlReportFile';
import { UsageError } from '../io';

type Env = Readonly<Record<string, string | undefined>>;

/** Where a replay keeps user state: in memory, in a local Azurite started for the run, or in a table of its own. */
export type ReplayStore =
    { readonly kind: 'memory' } | { readonly kind: 'azurite' } | Extract<StoreChoice, { kind: 'table' }>;

export interface ReplayCommandOptions {
    /** Files to read in order; '-' is standard input. */
    readonly inputs: string[];
    /** The settings the replay runs with: the environment's, --threshold and --window-minutes over them. */
    readonly env: Env;
    readonly json: boolean;
    readonly store: ReplayStore;
    readonly batchSize: number;
    readonly memoryUsers?: number;
    /** Contain the incidents found, through Graph (a rehearsal). */
    readonly contain: boolean;
    /** Where to write the HTML report, if one is asked for. */
    readonly htmlFile?: string;
}

/**
 * The table a replay may write to: named explicitly, and never the live one. A backtest's incidents carry no
 * containment (or a rehearsal's), and the function would take their users as already handled.
 */
function replayTable(env: Env, name: string | undefined): ReplayStore {
    if (!name) {
        throw new UsageError('--store table needs --table NAME: a table of its own, never the live state table');
    }
    const table = readSetting({ STATE_TABLE_NAME: name }, 'STATE_TABLE_NAME')!;
    const live = readSetting(env, 'STATE_TABLE_NAME')!;
    if (table.toLowerCase() === live.toLowerCase()) {
        throw new UsageError(
            `--table ${name} is the live state table (STATE_TABLE_NAME): a replay must not write into it; name another table`,
        );
    }
    const settings = loadStateTableConfig(env);
    return { kind: 'table', table: { ...settings, tableName: table } };
}

/**
 * `replay --contain` calls Graph for real: only when the admin turned containment on and named the Graph endpoint
 * explicitly, so that a default environment can never contain anyone from a backtest.
 */
function checkContainForReplay(env: Env): void {
    if (env.CONTAINMENT_MODE !== 'live') {
        throw new ConfigError(
            'CONTAINMENT_MODE',
            'replay --contain needs CONTAINMENT_MODE=live (it calls Graph for real; rehearse against a test tenant).',
        );
    }
    if (!env.GRAPH_BASE_URL) {
        throw new ConfigError(
            'GRAPH_BASE_URL',
            'replay --contain needs GRAPH_BASE_URL set explicitly (e.g. https://graph.microsoft.com).',
        );
    }
}

function replayStore(env: Env, store: string, table: string | undefined): ReplayStore {
    switch (store) {
        case 'memory':
        case 'azurite':
            return { kind: store };
        case 'table':
            return replayTable(env, table);
        default:
            throw new UsageError(`--store must be memory, azurite or table, not "${store}"`);
    }
}

/**
 * replay's flags, checked in the order a person fixes them; the report file is checked before the replay starts, so
 * that a long replay never ends in a report it cannot write.
 */
export async function parseReplayArgs(args: string[], callerEnv: Env): Promise<ReplayCommandOptions> {
    const { values, positionals } = parseFlags({
        args,
        allowPositionals: true,
        options: {
            threshold: { type: 'string' },
            'window-minutes': { type: 'string' },
            json: { type: 'boolean', default: false },
            store: { type: 'string', default: 'memory' },
            table: { type: 'string' },
            'batch-size': { type: 'string' },
            'memory-users': { type: 'string' },
            contain: { type: 'boolean', default: false },
            html: { type: 'string' },
        },
    });
    const env = { ...callerEnv };
    const threshold = positiveInt('threshold', values.threshold);
    const windowMinutes = positiveInt('window-minutes', values['window-minutes']);
    if (threshold) env.DENIAL_THRESHOLD = threshold;
    if (windowMinutes) env.DENIAL_WINDOW_MINUTES = windowMinutes;
    const batchSize = Number(positiveInt('batch-size', values['batch-size']) ?? 256);
    const memoryUsers = positiveInt('memory-users', values['memory-users']);
    if (values.table !== undefined && values.store !== 'table') {
        throw new UsageError('--table goes with --store table');
    }
    if (values.contain) checkContainForReplay(env);
    const inputs = positionals.length > 0 ? positionals : ['-'];
    const htmlFile = values.html;
    if (htmlFile !== undefined) await checkReportFile(htmlFile, inputs);
    return {
        inputs,
        env,
        json: values.json,
        store: replayStore(env, values.store, values.table),
        batchSize,
        ...(memoryUsers ? { memoryUsers: Number(memoryUsers) } : {}),
        contain: values.contain,
        ...(htmlFile !== undefined ? { htmlFile } : {}),
    };
}
