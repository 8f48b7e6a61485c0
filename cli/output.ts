/** A mistake in how the command was called: usage is printed, exit code 2. */
export class UsageError extends Error {}

export function write(stream: NodeJS.WritableStream, text: string): Promise<void> {
    return new Promise((resolve) => {
        if (stream.write(text)) resolve();
        else stream.once('drain', () => resolve());
    });
}
