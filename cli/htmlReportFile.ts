import { access, constants, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';

import { buildBacktestReport, BuildReportInput } from './backtestReport';
import { renderBacktestHtml } from './htmlReport/page';
import { UsageError } from './io';
import type { Progress } from './progress';
import { campaignSweep, SourceRecorder } from './campaignSweep';
import { addSweeps, defaultGrid, defaultSustainedGrid, thresholdSweep } from './thresholdSweep';

/** Users swept between two progress updates. */
const SWEEP_SLICE = 500;

/** The report file cannot be written: the CLI exits 73 (EX_CANTCREAT) naming it. */
export class ReportFileError extends Error {}

/** Checked before the replay starts, so that a long replay never ends in a report it cannot write. */
export async function checkReportFile(file: string, inputs: readonly string[]): Promise<void> {
    if (file === '' || file === '-')
        throw new UsageError('--html needs a file name (the report is one HTML file)', 'replay');
    const path = resolve(file);
    if (inputs.some((input) => input !== '-' && resolve(input) === path)) {
        throw new UsageError(`--html ${file} is one of the inputs: the report would overwrite it`, 'replay');
    }
    const existing = await stat(path).catch(() => undefined);
    if (existing?.isDirectory()) throw new ReportFileError(`cannot write the report to ${file}: it is a directory`);
    try {
        await access(existing ? path : dirname(path), constants.W_OK);
    } catch (e) {
        throw new ReportFileError(
            `cannot write the report to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
    }
}

/** What the replay hands over: the report's input, less what this module adds (the sweep, the times). */
export interface WriteHtmlReportInput extends Omit<
    BuildReportInput,
    'sweep' | 'campaignSweep' | 'generatedAt' | 'elapsedMs'
> {
    /** The replay's prompts by source, for the campaign sweep (with `campaignPolicy`). */
    readonly sources?: SourceRecorder;
    /** Wall-clock time the replay started, ms. */
    readonly started: number;
    readonly progress: Progress;
}

/** Runs the threshold sweep over the kept events, renders the report and writes it (whole, or not at all). */
export async function writeHtmlReport(file: string, input: WriteHtmlReportInput): Promise<void> {
    const policy = input.detection.policy;
    const grid = defaultGrid(policy);
    const users = [...input.recorder.users()];
    const options = { now: Date.now(), sustained: defaultSustainedGrid(policy) };
    // In slices, so that progress reaches the terminal while it runs (the sweep itself is synchronous).
    let sweep = thresholdSweep([], policy, grid, options);
    for (let i = 0; i < users.length; i += SWEEP_SLICE) {
        sweep = addSweeps(sweep, thresholdSweep(users.slice(i, i + SWEEP_SLICE), policy, grid, options));
        await input.progress.phase('threshold sweep, users', Math.min(users.length, i + SWEEP_SLICE), users.length);
    }
    const { started, progress: _progress, sources, ...rest } = input;
    const campaigns = sources && input.campaignPolicy ? campaignSweep(sources, input.campaignPolicy) : undefined;
    const text = renderBacktestHtml(
        buildBacktestReport({
            ...rest,
            sweep,
            ...(campaigns ? { campaignSweep: campaigns } : {}),
            generatedAt: Date.now(),
            elapsedMs: Date.now() - started,
        }),
    );
    const path = resolve(file);
    const temp = `${path}.${process.pid}.tmp`;
    try {
        await writeFile(temp, text, 'utf8');
        await rename(temp, path);
    } catch (e) {
        await rm(temp, { force: true }).catch(() => undefined);
        throw new ReportFileError(
            `cannot write the report to ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
    }
}
