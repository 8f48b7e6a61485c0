import { runDueWork } from '../../shared/runners/runDueWork';
import type { Logger } from '../../shared/logger';
import type { BatchOutcome } from '../../shared/pipeline/batchResult';
import { createRuntime, CreateRuntimeOptions, StoreChoice } from '../../shared/runtime';
import { writeHtmlReport } from '../htmlReportFile';
import { CliIO, write } from '../io';
import { LocalAzurite, startLocalAzurite } from '../localAzurite';
import { isTerminal, Progress, stderrProgress } from '../progress';
import { replay, ReplayResult } from '../replay';
import { EventRecorder } from '../replayEvents';
import { formatReport, incidentJson, ndjsonLine, summaryJson } from '../report';
import { parseReplayArgs, ReplayCommandOptions } from './replayOptions';

/** Runtime options of `replay` (tests trust their local Logs Ingestion endpoint's certificate through them). */
export type ReplayRuntimeOptions = Pick<CreateRuntimeOptions, 'logsIngestionClientOptions'>;

/**
 * What the HTML report keeps of a replay's events for its sweep and timelines: about 600 bytes an event (measured,
 * see `npm run bench html`), so at most about 300 MB; past the bound the report says it is partial. A user's batches
 * are folded together while they span at most an hour of event time, well inside any retention.
 */
const REPORT_EVENT_BOUNDS = { maxEvents: 500_000, chunkSpanMs: 60 * 60_000 };

function stderrLogger(io: CliIO): Logger {
    return {
        log: () => undefined,
        warn: (...a: unknown[]) => void write(io.stderr, `${a.map(String).join(' ')}\n`).catch(() => undefined),
        error: (...a: unknown[]) => void write(io.stderr, `${a.map(String).join(' ')}\n`).catch(() => undefined),
    };
}

function azuriteStore(azurite: LocalAzurite): StoreChoice {
    return {
        kind: 'table',
        table: { kind: 'connectionString', connectionString: azurite.connectionString, tableName: 'mfaResponderState' },
    };
}

/** What the replay needs besides its options: where state lives, and what it tells the terminal. */
interface ReplayRun {
    readonly store: StoreChoice;
    readonly progress: Progress;
    /** Wall clock when the replay started, ms (the report says how long it took). */
    readonly started: number;
    readonly runtime: ReplayRuntimeOptions | undefined;
}

/** Runs the input through the pipeline (and, with --contain, the containment), then writes the HTML report. */
async function runReplay(options: ReplayCommandOptions, io: CliIO, run: ReplayRun): Promise<ReplayResult> {
    const { htmlFile, inputs } = options;
    const { progress } = run;
    const rt = createRuntime({ env: options.env, store: run.store, ...run.runtime });
    const detection = rt.detection;
    const containment = options.contain ? rt.containment : undefined;
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
        batchSize: options.batchSize,
        ...(options.memoryUsers ? { memoryUsers: options.memoryUsers } : {}),
        onBatch,
        ...(containment ? { containment } : {}),
        ...(deps ? { contain: deps } : {}),
        ...(recorder ? { onParsed: recorder.add } : {}),
        ...(io.stdin ? { stdin: io.stdin } : {}),
        ...(deps ? { afterInput: async () => void (await runDueWork(deps)) } : {}),
    });
    if (htmlFile !== undefined && recorder && planConfig) {
        const { started } = run;
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
    return { totals, incidents };
}

/** The incidents and the summary: NDJSON with --json, else the readable report; and where the HTML report went. */
async function printReplay(options: ReplayCommandOptions, io: CliIO, result: ReplayResult, progress: Progress) {
    const { totals, incidents } = result;
    await progress.finish(`${totals.records.toLocaleString('en-US')} records read`);
    if (options.json) {
        for (const inc of incidents) await write(io.stdout, ndjsonLine(incidentJson(inc)));
        await write(io.stdout, ndjsonLine(summaryJson(totals, incidents.length)));
    } else {
        await write(io.stdout, `${formatReport(totals, incidents)}\n`);
    }
    if (options.htmlFile !== undefined && !options.json) {
        await write(io.stderr, `HTML report written to ${options.htmlFile}\n`);
    }
}

/** `replay [FILE... | -]`: exported sign-in logs through the detection pipeline, a backtest (or, with --contain, a rehearsal). */
export async function replayCommand(args: string[], io: CliIO, runtime?: ReplayRuntimeOptions): Promise<number> {
    const options = await parseReplayArgs(args, io.env);
    const started = Date.now();
    const progress = stderrProgress(io.stderr, { isTTY: isTerminal(io.stderr) });
    let azurite: LocalAzurite | undefined;
    try {
        let store: StoreChoice;
        if (options.store.kind === 'azurite') {
            azurite = await startLocalAzurite();
            if (!options.json) {
                await write(io.stderr, `Azurite Table service started at ${azurite.tableEndpoint} (in memory)\n`);
            }
            store = azuriteStore(azurite);
        } else {
            store = options.store;
        }
        const result = await runReplay(options, io, { store, progress, started, runtime });
        await printReplay(options, io, result, progress);
        return 0;
    } finally {
        await azurite?.stop();
        if (azurite && !options.json) await write(io.stderr, 'Azurite stopped\n').catch(() => undefined);
    }
}
