import { write } from './io';

/** What a long command tells a person watching a terminal. */
export interface Progress {
    /** Records read so far (a running total). */
    records(total: number): Promise<void>;
    /** A later phase, with its own count (the threshold sweep's users). */
    phase(label: string, done: number, of: number): Promise<void>;
    /** The last line: what was read, and how long it took. */
    finish(summary: string): Promise<void>;
}

const SILENT: Progress = {
    records: async () => undefined,
    phase: async () => undefined,
    finish: async () => undefined,
};

export interface ProgressOptions {
    /** Only a terminal gets progress: a pipe or a file gets nothing (it would be noise in a log). */
    readonly isTTY: boolean;
    readonly now?: () => number;
    /** Time between two updates, ms. */
    readonly intervalMs?: number;
}

/** Whether a stream is a terminal (process.stderr's `isTTY`; tests set it on their own streams). */
export function isTerminal(stream: NodeJS.WritableStream): boolean {
    return (stream as { isTTY?: boolean }).isTTY === true;
}

const number = (n: number) => n.toLocaleString('en-US');

/**
 * Progress on stderr, rewritten in place about once a second, for a terminal only. The first update waits for the
 * first interval, so a short run shows just the last line.
 */
export function stderrProgress(stream: NodeJS.WritableStream, options: ProgressOptions): Progress {
    if (!options.isTTY) return SILENT;
    const now = options.now ?? Date.now;
    const interval = options.intervalMs ?? 1000;
    const started = now();
    let last = started;
    const elapsed = () => `${((now() - started) / 1000).toFixed(0)} s`;
    // Carriage return and "erase line": the next update replaces this one.
    const show = async (text: string) => {
        const t = now();
        if (t - last < interval) return;
        last = t;
        await write(stream, `\r\x1b[2K${text}`);
    };
    return {
        records: (total) => show(`mfa-responder replay: ${number(total)} records read, ${elapsed()}`),
        phase: (label, done, of) => show(`mfa-responder replay: ${label} ${number(done)}/${number(of)}, ${elapsed()}`),
        finish: (summary) => write(stream, `\r\x1b[2Kmfa-responder replay: ${summary}, ${elapsed()}\n`),
    };
}
