import { loadStateTableConfig } from '../../shared/settings/stateTable';
import { readSetting } from '../../shared/settings/readSetting';
import { ConfigError } from '../../shared/errors';
import type { StoreChoice } from '../../shared/runtime';
import type { CommandSpec } from '../commandSpec';
import { booleanFlag, parseFlags, positiveInt, settingFlag, stringFlag } from '../flags';
import { checkReportFile } from '../htmlReportFile';
import { checkNoticesDir } from '../noticeFiles';
import { UsageError } from '../io';

type Env = Readonly<Record<string, string | undefined>>;

export const REPLAY_SPEC: CommandSpec = {
    name: 'replay',
    args: '[FILE... | -]',
    summary: 'Run exported sign-in and audit logs through the detection pipeline (a backtest), or a rehearsal.',
    allowPositionals: true,
    flags: {
        threshold: {
            type: 'string',
            value: 'N',
            help: 'push denials within the window that open an incident (DENIAL_THRESHOLD, default 5)',
        },
        'window-minutes': {
            type: 'string',
            value: 'M',
            help: 'sliding window in minutes (DENIAL_WINDOW_MINUTES, default 10)',
        },
        json: { type: 'boolean', default: false, help: 'NDJSON on stdout: one line per incident, then a summary' },
        store: {
            type: 'string',
            value: 'memory|azurite|table',
            default: 'memory',
            help: 'where user state lives: memory, a local Azurite, or a table of its own (--table)',
        },
        table: { type: 'string', value: 'NAME', help: 'with --store table: the table to use; never STATE_TABLE_NAME' },
        'batch-size': { type: 'string', value: 'N', help: 'messages per pipeline batch (default 256)' },
        'memory-users': {
            type: 'string',
            value: 'N',
            help: 'with --store memory: users without an incident held at most (default 100000)',
        },
        contain: {
            type: 'boolean',
            default: false,
            help: 'contain through Graph: CONTAINMENT_MODE=live and GRAPH_BASE_URL only (a test tenant)',
        },
        html: { type: 'string', value: 'FILE', help: 'also write a self-contained HTML report' },
        notices: {
            type: 'string',
            value: 'DIR',
            help: 'also write, per notice, the body the function would POST (NOTIFY_FORMAT), no webhook',
        },
    },
    examples: [
        'mfa-responder replay samples/signins-attack.ndjson',
        'mfa-responder replay --html report.html SigninLogs.csv AuditLogs.csv',
        'mfa-responder replay --threshold 8 --window-minutes 15 --json export.json',
        'NOTIFY_FORMAT=teams mfa-responder replay --notices cards/ samples/signins-attack.ndjson',
    ],
    notes: [
        'Reads Event Hub envelopes, NDJSON, JSON arrays, Graph pages (az rest), the Entra admin center download',
        '(JSON or CSV) and Log Analytics "Export to CSV" of SigninLogs, AADNonInteractiveUserSignInLogs and',
        'AuditLogs; standard input with - or no file. How to get each export: docs/backtest.md.',
    ],
};

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
    /** Where to write each notice's body, if asked for (`--notices DIR`). */
    readonly noticesDir?: string;
    /** No file was named: standard input is read (a person at a terminal is told how to end it). */
    readonly stdinImplicit: boolean;
}

/**
 * The table a replay may write to: named explicitly, and never the live one. A backtest's incidents carry no
 * containment (or a rehearsal's), and the function would take their users as already handled.
 */
function replayTable(env: Env, name: string | undefined): ReplayStore {
    if (!name) {
        throw new UsageError(
            '--store table needs --table NAME: a table of its own, never the live state table',
            'replay',
        );
    }
    const table = readSetting({ STATE_TABLE_NAME: name }, 'STATE_TABLE_NAME')!;
    const live = readSetting(env, 'STATE_TABLE_NAME')!;
    if (table.toLowerCase() === live.toLowerCase()) {
        throw new UsageError(
            `--table ${name} is the live state table (STATE_TABLE_NAME): a replay must not write into it; name another table`,
            'replay',
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
            throw new UsageError(`--store must be memory, azurite or table, not "${store}"`, 'replay');
    }
}

/**
 * replay's flags, checked in the order a person fixes them; the report file is checked before the replay starts, so
 * that a long replay never ends in a report it cannot write.
 */
export async function parseReplayArgs(args: string[], callerEnv: Env): Promise<ReplayCommandOptions> {
    const { values, positionals } = parseFlags(REPLAY_SPEC, args);
    const flag = (name: string) => stringFlag(values, name);
    const env = { ...callerEnv };
    const threshold = settingFlag('threshold', flag('threshold'), 'DENIAL_THRESHOLD', 'replay');
    const windowMinutes = settingFlag('window-minutes', flag('window-minutes'), 'DENIAL_WINDOW_MINUTES', 'replay');
    if (threshold) env.DENIAL_THRESHOLD = threshold;
    if (windowMinutes) env.DENIAL_WINDOW_MINUTES = windowMinutes;
    const batchSize = Number(positiveInt('batch-size', flag('batch-size'), 'replay') ?? 256);
    const memoryUsers = positiveInt('memory-users', flag('memory-users'), 'replay');
    const store = flag('store') ?? 'memory';
    if (flag('table') !== undefined && store !== 'table') {
        throw new UsageError('--table goes with --store table', 'replay');
    }
    const contain = booleanFlag(values, 'contain');
    if (contain) checkContainForReplay(env);
    const explicit = positionals.length > 0;
    const inputs = explicit ? positionals : ['-'];
    const htmlFile = flag('html');
    if (htmlFile !== undefined) await checkReportFile(htmlFile, inputs);
    const noticesDir = flag('notices');
    if (noticesDir !== undefined) await checkNoticesDir(noticesDir);
    return {
        inputs,
        stdinImplicit: !explicit,
        env,
        json: booleanFlag(values, 'json'),
        store: replayStore(env, store, flag('table')),
        batchSize,
        ...(memoryUsers ? { memoryUsers: Number(memoryUsers) } : {}),
        contain,
        ...(htmlFile !== undefined ? { htmlFile } : {}),
        ...(noticesDir !== undefined ? { noticesDir } : {}),
    };
}
