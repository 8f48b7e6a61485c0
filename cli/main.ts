import { parseArgs } from 'node:util';

import { loadContainmentConfig, loadDetectionConfig, loadGraphConfig, loadStateTableConfig } from '../shared/config';
import { MemoryCircuitBreaker } from '../shared/containment/circuitBreaker';
import { needsRunner } from '../shared/containment/model';
import { webhookNotifier } from '../shared/containment/notifier';
import { NothingToReleaseError } from '../shared/containment/release';
import { ContainmentDeps, runContainment } from '../shared/containment/runContainment';
import { ConfigError, ResponderError } from '../shared/errors';
import { GraphCallError } from '../shared/graph/callGraph';
import { GraphActions } from '../shared/graph/graphActions';
import { createGraphClient } from '../shared/graph/graphClient';
import type { Logger } from '../shared/logger';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { MemoryStateStore } from '../shared/state/memoryStateStore';
import type { UserStateStore } from '../shared/state/stateStore';
import { createTableClient } from '../shared/state/createTableClient';
import { TableStateStore } from '../shared/state/tableStateStore';
import { LocalAzurite, startLocalAzurite } from './localAzurite';
import { formatReport, incidentJson, summaryJson } from './report';
import { UsageError } from './output';
import { replay, UnreadableInputError } from './replay';
import { runIncidents, runRelease, runSetup } from './adminCommands';
import { write } from './output';

type Env = Readonly<Record<string, string | undefined>>;

export interface CliIO {
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WritableStream;
    readonly stdin?: NodeJS.ReadableStream;
    readonly env: Readonly<Record<string, string | undefined>>;
}

const USAGE = `Usage: mfa-responder <command> [options]

Commands:
  replay [FILE... | -]   Run exported sign-in logs through the detection pipeline (a backtest).
      --threshold N          push denials within the window that open an incident (DENIAL_THRESHOLD, default 5)
      --window-minutes M     sliding window in minutes (DENIAL_WINDOW_MINUTES, default 10)
      --json                 NDJSON on stdout: one line per incident, then a summary line
      --store memory|azurite|table
                             where user state lives: in memory (default), a local Azurite started for the run,
                             or the table named by the STATE_TABLE_* settings
      --batch-size N         messages per pipeline batch (default 100)
      --contain              also contain the incidents found, through Graph: only with CONTAINMENT_MODE=live
                             and GRAPH_BASE_URL set explicitly (rehearse against a test tenant)
  incidents [--open] [--json]
                         List incidents from the state table (STATE_TABLE_* settings).
  release <userId|UPN> --reason "..." [--by NAME]
                         Undo the push block of a user and close their incidents.
  setup [--group-name NAME] [--group-id ID]
                         Create the push-block group if needed and exclude it from the Microsoft
                         Authenticator policy (keeps existing exclusions). Idempotent.
  help                   Show this text.

Settings come from the environment; see the README. Exit codes: 0 done, 1 failure, 2 bad usage,
66 unreadable input, 69 a Graph call failed, 78 bad setting.
`;

function positiveInt(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < 1)
        throw new UsageError(`--${name} needs a positive integer, not "${value}"`);
    return value;
}

async function runReplay(args: string[], io: CliIO): Promise<number> {
    const { values, positionals } = parseArgs({
        args,
        allowPositionals: true,
        options: {
            threshold: { type: 'string' },
            'window-minutes': { type: 'string' },
            json: { type: 'boolean', default: false },
            store: { type: 'string', default: 'memory' },
            'batch-size': { type: 'string' },
            contain: { type: 'boolean', default: false },
        },
    });
    const env = { ...io.env };
    const threshold = positiveInt('threshold', values.threshold);
    const windowMinutes = positiveInt('window-minutes', values['window-minutes']);
    if (threshold) env.DENIAL_THRESHOLD = threshold;
    if (windowMinutes) env.DENIAL_WINDOW_MINUTES = windowMinutes;
    const batchSize = Number(positiveInt('batch-size', values['batch-size']) ?? 100);
    const detection = loadDetectionConfig(env);
    const containment = values.contain ? containmentForReplay(env, io) : undefined;
    const inputs = positionals.length > 0 ? positionals : ['-'];

    let azurite: LocalAzurite | undefined;
    let store: UserStateStore;
    try {
        switch (values.store) {
            case 'memory':
                store = new MemoryStateStore();
                break;
            case 'azurite': {
                azurite = await startLocalAzurite();
                if (!values.json)
                    await write(io.stderr, `Azurite Table service started at ${azurite.tableEndpoint} (in memory)\n`);
                const table = new TableStateStore(
                    createTableClient({
                        kind: 'connectionString',
                        connectionString: azurite.connectionString,
                        tableName: 'mfaResponderState',
                    }),
                );
                await table.ensureTable();
                store = table;
                break;
            }
            case 'table': {
                const table = new TableStateStore(createTableClient(loadStateTableConfig(env)));
                await table.ensureTable();
                store = table;
                break;
            }
            default:
                throw new UsageError(`--store must be memory, azurite or table, not "${values.store}"`);
        }
        const contained = containment;
        const onBatch = contained
            ? async (result: BatchResult) => {
                  const deps = { ...contained.deps(store), logger: quietLogger(io) };
                  for (const inc of result.newIncidents.filter(needsRunner))
                      await runContainment(inc.userId, inc.id, deps);
              }
            : undefined;
        const { totals, incidents } = await replay({
            inputs,
            detection,
            store,
            batchSize,
            ...(contained ? { containment: contained.config } : {}),
            ...(onBatch ? { onBatch } : {}),
            ...(io.stdin ? { stdin: io.stdin } : {}),
        });
        if (values.json) {
            for (const inc of incidents) await write(io.stdout, `${JSON.stringify(incidentJson(inc))}\n`);
            await write(io.stdout, `${JSON.stringify(summaryJson(totals, incidents.length))}\n`);
        } else {
            await write(io.stdout, `${formatReport(totals, incidents)}\n`);
        }
        return 0;
    } finally {
        await azurite?.stop();
        if (azurite && !values.json) await write(io.stderr, 'Azurite stopped\n');
    }
}

function quietLogger(io: CliIO): Logger {
    return {
        log: () => undefined,
        warn: (...a: unknown[]) => void write(io.stderr, `${a.map(String).join(' ')}\n`),
        error: (...a: unknown[]) => void write(io.stderr, `${a.map(String).join(' ')}\n`),
    };
}

/**
 * `replay --contain` calls Graph for real: only when the admin turned containment on and named the Graph endpoint
 * explicitly, so that a default environment can never contain anyone from a backtest.
 */
function containmentForReplay(env: Env, _io: CliIO) {
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
    const config = loadContainmentConfig(env);
    const graphConfig = loadGraphConfig(env);
    const graph = new GraphActions(createGraphClient(graphConfig), {
        callTimeoutMs: graphConfig.callTimeoutMs,
        budgetMs: graphConfig.stepBudgetMs,
    });
    const breaker = new MemoryCircuitBreaker();
    const notify = config.notifyWebhookUrl ? webhookNotifier(config.notifyWebhookUrl) : undefined;
    return {
        config,
        deps: (store: UserStateStore): ContainmentDeps => ({
            store,
            config,
            graph,
            graphBaseUrl: graphConfig.baseUrl,
            breaker,
            ...(notify ? { notify } : {}),
        }),
    };
}

/** Runs the CLI; returns the process exit code. Never throws for user errors: it prints them. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
    const [command, ...rest] = argv;
    try {
        switch (command) {
            case 'replay':
                return await runReplay(rest, io);
            case 'incidents':
                return await runIncidents(rest, io);
            case 'release':
                return await runRelease(rest, io);
            case 'setup':
                return await runSetup(rest, io);
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
        if (e instanceof UsageError || (e as { code?: string }).code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
            await write(io.stderr, `mfa-responder: ${(e as Error).message}\n\n${USAGE}`);
            return 2;
        }
        if (e instanceof GraphCallError) {
            await write(io.stderr, `mfa-responder: Graph refused: ${e.status ?? ''} ${e.graphCode}: ${e.message}\n`);
            return 69;
        }
        if (e instanceof NothingToReleaseError || (e instanceof ResponderError && e.code === 'UnknownUser')) {
            await write(io.stderr, `mfa-responder: ${e.message}\n`);
            return 1;
        }
        if (e instanceof UnreadableInputError || e instanceof ConfigError) {
            await write(io.stderr, `mfa-responder: ${e.message}\n`);
            return e instanceof ConfigError ? 78 : 66;
        }
        await write(io.stderr, `mfa-responder: ${(e as Error)?.stack ?? String(e)}\n`);
        return 1;
    }
}
