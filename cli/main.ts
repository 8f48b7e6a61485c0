import { parseArgs } from 'node:util';

import type { TokenCredential } from '@azure/identity';

import { readSetting } from '../shared/settings/readSetting';
import { loadStateTableConfig } from '../shared/settings/stateTable';
import { ConfigError, ResponderError } from '../shared/errors';
import { GraphCallError } from '../shared/graph/callGraph';
import { ContainmentInProgressError, NothingToReleaseError } from '../shared/runners/release';
import { runDueWork } from '../shared/runners/runDueWork';
import type { Logger } from '../shared/logger';
import type { BatchOutcome } from '../shared/pipeline/batchResult';
import { createRuntime, CreateRuntimeOptions, StoreChoice } from '../shared/runtime';
import { runIncidents, runRelease, runSetup } from './adminCommands';
import type { HealthOptions } from '../shared/health/runChecks';
import { runDoctor } from './doctor';
import { runDrill } from './drill';
import { CliIO, OutputClosedError, UsageError, write } from './io';
import { LocalAzurite, startLocalAzurite } from './localAzurite';
import { ReportFileError, checkReportFile, writeHtmlReport } from './htmlReportFile';
import { isTerminal, stderrProgress } from './progress';
import { ReplayStorageError, replay, UnreadableInputError } from './replay';
import { EventRecorder } from './replayEvents';
import { formatReport, incidentJson, summaryJson } from './report';

export type { CliIO } from './io';

type Env = Readonly<Record<string, string | undefined>>;

const USAGE = `Usage: mfa-responder <command> [options]

Commands:
  replay [FILE... | -]   Run exported sign-in logs through the detection pipeline (a backtest).
      --threshold N          push denials within the window that open an incident (DENIAL_THRESHOLD, default 5)
      --window-minutes M     sliding window in minutes (DENIAL_WINDOW_MINUTES, default 10)
      --json                 NDJSON on stdout: one line per incident, then a summary line
      --store memory|azurite|table
                             where user state lives: in memory (default), a local Azurite started for the run,
                             or a table of the storage account the STATE_TABLE_* settings name (needs --table)
      --table NAME           with --store table: the table to use; never the live STATE_TABLE_NAME
      --batch-size N         messages per pipeline batch (default 256, host.json maxEventBatchSize)
      --memory-users N       with --store memory: users without an incident held at most, the least recently
                             seen forgotten first (default 100000)
      --contain              also contain the incidents found, through Graph: only with CONTAINMENT_MODE=live
                             and GRAPH_BASE_URL set explicitly (rehearse against a test tenant)
      --html FILE            also write a self-contained HTML report: summary, a timeline and the containment
                             plan of each incident, and a threshold sweep (incidents per threshold x window)
  incidents [--open] [--json]
                         List incidents from the state table (STATE_TABLE_* settings).
  release <userId|UPN> --reason "..." [--by NAME]
                         Undo the push block of a user and close their incidents.
  setup [--group-name NAME] [--group-id ID] [--methods microsoftAuthenticator,sms,voice]
                         Create the push-block group if needed and exclude it from the Microsoft
                         Authenticator policy, and from SMS and voice with --methods (keeps existing
                         exclusions). Idempotent.
  doctor [--json] [--app-client-id ID] [--arm-endpoint URL] [--timeout S]
                         Check the whole chain: settings, state table, Graph permissions, push block,
                         diagnostic setting, sign-ins arriving, lag, incidents. Exit 1 if a check failed.
  drill --user <objectId|UPN> [--denials N] [--no-wait] [--timeout S] [--json]
                         Send a synthetic push-bombing episode for a canary (DRILL_USER_IDS) through the
                         hub and time the responder's incident and containment plan.
  help                   Show this text.

Settings come from the environment; see the README. Exit codes: 0 done, 1 failure, 2 bad usage,
66 unreadable input, 69 a Graph call failed, 73 the report file cannot be written, 75 a containment is in
progress (retry), 78 bad setting.
`;

/**
 * What the HTML report keeps of a replay's events for its sweep and timelines: about 600 bytes an event (measured,
 * see `npm run bench html`), so at most about 300 MB; past the bound the report says it is partial. A user's batches
 * are folded together while they span at most an hour of event time, well inside any retention.
 */
const REPORT_EVENT_BOUNDS = { maxEvents: 500_000, chunkSpanMs: 60 * 60_000 };

function positiveInt(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < 1)
        throw new UsageError(`--${name} needs a positive integer, not "${value}"`);
    return value;
}

/**
 * The table a replay may write to: named explicitly, and never the live one. A backtest's incidents carry no
 * containment (or a rehearsal's), and the function would take their users as already handled.
 */
function replayTable(env: Env, name: string | undefined): StoreChoice {
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

function stderrLogger(io: CliIO): Logger {
    return {
        log: () => undefined,
        warn: (...a: unknown[]) => void write(io.stderr, `${a.map(String).join(' ')}\n`).catch(() => undefined),
        error: (...a: unknown[]) => void write(io.stderr, `${a.map(String).join(' ')}\n`).catch(() => undefined),
    };
}

async function runReplay(args: string[], io: CliIO, options: MainOptions = {}): Promise<number> {
    const { values, positionals } = parseArgs({
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
    const env = { ...io.env };
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
    const started = Date.now();
    const progress = stderrProgress(io.stderr, { isTTY: isTerminal(io.stderr) });

    let azurite: LocalAzurite | undefined;
    try {
        let store: StoreChoice;
        switch (values.store) {
            case 'memory':
                store = { kind: 'memory' };
                break;
            case 'azurite':
                azurite = await startLocalAzurite();
                if (!values.json)
                    await write(io.stderr, `Azurite Table service started at ${azurite.tableEndpoint} (in memory)\n`);
                store = {
                    kind: 'table',
                    table: {
                        kind: 'connectionString',
                        connectionString: azurite.connectionString,
                        tableName: 'mfaResponderState',
                    },
                };
                break;
            case 'table':
                store = replayTable(env, values.table);
                break;
            default:
                throw new UsageError(`--store must be memory, azurite or table, not "${values.store}"`);
        }
        const rt = createRuntime({ env, store, ...options.runtime });
        const detection = rt.detection;
        const containment = values.contain ? rt.containment : undefined;
        // The report's dry-run plans need the containment settings: read (and validated) before the replay starts.
        const planConfig = htmlFile !== undefined ? rt.containment : undefined;
        await rt.ready();
        // A rehearsal takes the function's own path: each batch's incidents are contained, notified (webhook or
        // Teams card) and sent to Sentinel as the Event Hub handler does, and what it leaves (a step past its few
        // seconds, a failed notice or row) gets the containment timer's next run once the input is read.
        const deps = containment ? rt.containmentDeps(stderrLogger(io)) : undefined;
        const recorder = htmlFile !== undefined ? new EventRecorder(REPORT_EVENT_BOUNDS) : undefined;
        let read = 0;
        const onBatch = async (outcome: BatchOutcome) => {
            read += outcome.result.records;
            await progress.records(read);
        };
        const { totals, incidents } = await replay({
            inputs,
            detection,
            store: rt.store,
            batchSize,
            ...(memoryUsers ? { memoryUsers: Number(memoryUsers) } : {}),
            onBatch,
            ...(containment ? { containment } : {}),
            ...(deps ? { contain: deps } : {}),
            ...(recorder ? { onParsed: recorder.add } : {}),
            ...(io.stdin ? { stdin: io.stdin } : {}),
            ...(deps ? { afterInput: async () => void (await runDueWork(deps)) } : {}),
        });
        if (htmlFile !== undefined && recorder && planConfig) {
            await writeHtmlReport(htmlFile, {
                inputs,
                totals,
                incidents,
                detection,
                containment: planConfig,
                recorder,
                started,
                progress,
            });
        }
        await progress.finish(`${totals.records.toLocaleString('en-US')} records read`);
        if (values.json) {
            for (const inc of incidents) await write(io.stdout, `${JSON.stringify(incidentJson(inc))}\n`);
            await write(io.stdout, `${JSON.stringify(summaryJson(totals, incidents.length))}\n`);
        } else {
            await write(io.stdout, `${formatReport(totals, incidents)}\n`);
        }
        if (htmlFile !== undefined && !values.json) await write(io.stderr, `HTML report written to ${htmlFile}\n`);
        return 0;
    } finally {
        await azurite?.stop();
        if (azurite && !values.json) await write(io.stderr, 'Azurite stopped\n').catch(() => undefined);
    }
}

/** What the bin never changes; tests shorten waits through it. */
export interface MainOptions {
    /** How long `release` waits for a containment step in flight before it exits 75, ms. */
    readonly releaseWaitMs?: number;
    /** Runtime options of `replay` (tests trust their local Logs Ingestion endpoint's certificate through them). */
    readonly runtime?: Pick<CreateRuntimeOptions, 'logsIngestionClientOptions'>;
    /** `doctor` and `drill` sign in with this instead of the runtime's choice: tests sign in as a person through it. */
    readonly credential?: TokenCredential;
    /** `doctor`'s clock (tests look at the hub from a later time). */
    readonly health?: Pick<HealthOptions, 'now'>;
}

/** Runs the CLI; returns the process exit code. Never throws for user errors: it prints them. */
export async function main(argv: readonly string[], io: CliIO, options: MainOptions = {}): Promise<number> {
    const [command, ...rest] = argv;
    try {
        switch (command) {
            case 'replay':
                return await runReplay(rest, io, options);
            case 'incidents':
                return await runIncidents(rest, io);
            case 'release':
                return await runRelease(rest, io, options.releaseWaitMs);
            case 'setup':
                return await runSetup(rest, io);
            case 'doctor':
                return await runDoctor(rest, io, options.credential, options.health);
            case 'drill':
                return await runDrill(rest, io, options.credential);
            case undefined:
            case 'help':
            case '--help':
            case '-h':
                await write(io.stdout, USAGE);
                return command === undefined ? 2 : 0;
            default:
                throw new UsageError(`unknown command "${command}"`);
        }
    } catch (e) {
        return report(e, io);
    }
}

async function report(e: unknown, io: CliIO): Promise<number> {
    // The reader of our output went away: nothing to say, and nothing went wrong.
    if (e instanceof OutputClosedError) return 0;
    const say = (text: string) => write(io.stderr, text).catch(() => undefined);
    if (e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
        await say(`mfa-responder: ${(e as Error).message}\n\n${USAGE}`);
        return 2;
    }
    if (e instanceof GraphCallError) {
        await say(`mfa-responder: Graph refused: ${e.status ?? ''} ${e.graphCode}: ${e.message}\n`);
        return 69;
    }
    if (e instanceof ContainmentInProgressError) {
        await say(`mfa-responder: ${e.message}\n`);
        return 75;
    }
    if (e instanceof NothingToReleaseError || (e instanceof ResponderError && e.code === 'UnknownUser')) {
        await say(`mfa-responder: ${e.message}\n`);
        return 1;
    }
    if (e instanceof UnreadableInputError || e instanceof ConfigError) {
        await say(`mfa-responder: ${e.message}\n`);
        return e instanceof ConfigError ? 78 : 66;
    }
    if (e instanceof ReportFileError) {
        await say(`mfa-responder: ${e.message}\n`);
        return 73;
    }
    if (e instanceof ReplayStorageError) {
        await say(`mfa-responder: ${e.message}\n`);
        return 1;
    }
    await say(`mfa-responder: ${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
}
