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
import { ShownIncident, withDryRunPlans } from '../dryRunPlans';
import type { InputSeen } from '../inputSeen';
import { writeNoticeFiles } from '../noticeFiles';
import { inputVerdict } from '../readerVerdict';
import { incidentJson, ndjsonLine, summaryJson } from '../report';
import { formatReport } from '../textReport';
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

/** What a replay found, with the containment shown for each incident (the dry-run plan, or what --contain did). */
interface ReplayOutcome extends ReplayResult {
    readonly shown: ShownIncident[];
}

/**
 * Runs the input through the pipeline (and, with --contain, the containment), says what it makes of the input (no
 * usable record is exit 65, before anything is written; mostly rejected is a warning), then writes the HTML report
 * and the notices.
 */
async function runReplay(options: ReplayCommandOptions, io: CliIO, run: ReplayRun): Promise<ReplayOutcome> {
    const { htmlFile, inputs } = options;
    const { progress } = run;
    const rt = createRuntime({ env: options.env, store: run.store, ...run.runtime });
    const detection = rt.detection;
    const containment = options.contain ? rt.containment : undefined;
    // The plans (text report, HTML report, notices) need the containment settings: read and validated up front.
    const planConfig = rt.containment;
    await rt.ready();
    // A rehearsal takes the function's own path: each batch's incidents are contained, notified (webhook or
    // Teams card) and sent to Sentinel as the Event Hub handler does, and what it leaves (a step past its few
    // seconds, a failed notice or row) gets the containment timer's next run once the input is read.
    const deps = containment ? rt.containmentDeps(stderrLogger(io)) : undefined;
    const recorder = htmlFile !== undefined ? new EventRecorder(REPORT_EVENT_BOUNDS) : undefined;
    const seen: InputSeen = {};
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
        seen,
        ...(options.memoryUsers ? { memoryUsers: options.memoryUsers } : {}),
        onBatch,
        ...(containment ? { containment } : {}),
        ...(deps ? { contain: deps } : {}),
        ...(recorder ? { onParsed: recorder.add } : {}),
        ...(io.stdin ? { stdin: io.stdin } : {}),
        ...(deps ? { afterInput: async () => void (await runDueWork(deps)) } : {}),
    });
    const { warning } = inputVerdict(totals, seen);
    if (warning) await write(io.stderr, `${warning}\n`);
    if (htmlFile !== undefined && recorder) {
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
    const shown = withDryRunPlans(incidents, planConfig);
    if (options.noticesDir !== undefined) {
        const files = await writeNoticeFiles(options.noticesDir, shown, planConfig);
        await write(
            io.stderr,
            `${files.length} notice(s) written to ${options.noticesDir} as NOTIFY_FORMAT=${planConfig.notifyFormat} would POST them (nothing was sent)\n`,
        );
    }
    return { totals, incidents, shown };
}

/** The incidents and the summary: NDJSON with --json, else the readable report; and where the HTML report went. */
async function printReplay(options: ReplayCommandOptions, io: CliIO, result: ReplayOutcome, progress: Progress) {
    const { totals, incidents } = result;
    await progress.finish(`${totals.records.toLocaleString('en-US')} records read`);
    if (options.json) {
        for (const inc of incidents) await write(io.stdout, ndjsonLine(incidentJson(inc)));
        await write(io.stdout, ndjsonLine(summaryJson(totals, incidents.length)));
    } else {
        await write(io.stdout, `${formatReport(totals, result.shown, options.inputs)}\n`);
    }
    if (options.htmlFile !== undefined && !options.json) {
        await write(io.stderr, `HTML report written to ${options.htmlFile}\n`);
    }
}

/** A person at a terminal who named no file is told that standard input is read, and how to end it. */
async function sayReadingStdin(options: ReplayCommandOptions, io: CliIO): Promise<void> {
    const stdin = io.stdin as { isTTY?: boolean } | undefined;
    if (!options.stdinImplicit || stdin?.isTTY !== true) return;
    await write(
        io.stderr,
        'Reading sign-in records from standard input: paste them, then press Ctrl-D (Ctrl-Z, Enter on Windows) to end.\n' +
            'To replay a file instead: mfa-responder replay FILE (mfa-responder help replay).\n',
    );
}

/** `replay [FILE... | -]`: exported sign-in logs through the detection pipeline, a backtest (or, with --contain, a rehearsal). */
export async function replayCommand(args: string[], io: CliIO, runtime?: ReplayRuntimeOptions): Promise<number> {
    const options = await parseReplayArgs(args, io.env);
    await sayReadingStdin(options, io);
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
