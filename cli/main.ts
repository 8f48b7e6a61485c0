import { parseArgs } from 'node:util';

import { loadDetectionConfig, loadStateTableConfig } from '../shared/config';
import { ConfigError } from '../shared/errors';
import { MemoryStateStore } from '../shared/state/memoryStateStore';
import type { UserStateStore } from '../shared/state/stateStore';
import { createTableClient } from '../shared/state/createTableClient';
import { TableStateStore } from '../shared/state/tableStateStore';
import { LocalAzurite, startLocalAzurite } from './localAzurite';
import { formatReport, incidentJson, summaryJson } from './report';
import { replay, UnreadableInputError } from './replay';

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
  help                   Show this text.
`;

class UsageError extends Error {}

function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
    return new Promise((resolve) => {
        if (stream.write(text)) resolve();
        else stream.once('drain', () => resolve());
    });
}

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
        },
    });
    const env = { ...io.env };
    const threshold = positiveInt('threshold', values.threshold);
    const windowMinutes = positiveInt('window-minutes', values['window-minutes']);
    if (threshold) env.DENIAL_THRESHOLD = threshold;
    if (windowMinutes) env.DENIAL_WINDOW_MINUTES = windowMinutes;
    const batchSize = Number(positiveInt('batch-size', values['batch-size']) ?? 100);
    const detection = loadDetectionConfig(env);
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
        const { totals, incidents } = await replay({
            inputs,
            detection,
            store,
            batchSize,
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

/** Runs the CLI; returns the process exit code. Never throws for user errors: it prints them. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
    const [command, ...rest] = argv;
    try {
        switch (command) {
            case 'replay':
                return await runReplay(rest, io);
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
        if (e instanceof UnreadableInputError || e instanceof ConfigError) {
            await write(io.stderr, `mfa-responder: ${e.message}\n`);
            return e instanceof ConfigError ? 78 : 66;
        }
        await write(io.stderr, `mfa-responder: ${(e as Error)?.stack ?? String(e)}\n`);
        return 1;
    }
}
