/** What a command reads and writes: the process's streams and environment, or a test's. */
export interface CliIO {
    readonly stdout: NodeJS.WritableStream;
    readonly stderr: NodeJS.WritableStream;
    readonly stdin?: NodeJS.ReadableStream;
    readonly env: Readonly<Record<string, string | undefined>>;
}

/** A mistake in how the command was called: one line naming it and where the help is, exit code 2. */
export class UsageError extends Error {
    constructor(
        message: string,
        /** The command whose help lists what it takes (`mfa-responder help <command>`). */
        readonly command?: string,
    ) {
        super(message);
    }
}

/** The reader of our output went away (`| head -n 1`): stop quietly, as a pipe expects. */
export class OutputClosedError extends Error {
    constructor() {
        super('output closed');
    }
}

function isClosedPipe(e: unknown): boolean {
    const code = (e as NodeJS.ErrnoException | null)?.code;
    return code === 'EPIPE' || code === 'ERR_STREAM_DESTROYED' || code === 'ERR_STREAM_WRITE_AFTER_END';
}

/** Writes and waits for the stream to take it; a closed pipe is OutputClosedError, never an unhandled error. */
export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const fail = (e: unknown) =>
            reject(isClosedPipe(e) ? new OutputClosedError() : e instanceof Error ? e : new Error(String(e)));
        if ((stream as { destroyed?: boolean }).destroyed || (stream as { writableEnded?: boolean }).writableEnded) {
            return fail(Object.assign(new Error('stream closed'), { code: 'ERR_STREAM_DESTROYED' }));
        }
        const onError = (e: unknown) => fail(e);
        stream.once('error', onError);
        // The callback runs once the text was handed on (or failed): back-pressure and errors in one place.
        stream.write(text, (e?: Error | null) => {
            stream.removeListener('error', onError);
            if (e) fail(e);
            else resolve();
        });
    });
}
