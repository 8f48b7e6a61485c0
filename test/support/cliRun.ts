import { PassThrough, Readable } from 'node:stream';

import type { TokenCredential } from '@azure/identity';

import { main, MainOptions } from '../../cli/main';

export interface CliOutput {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs the CLI in-process with captured streams, as the bin does with the real ones. */
export async function runCli(
    args: string[],
    options: {
        env?: Record<string, string | undefined>;
        stdin?: string;
        releaseWaitMs?: number;
        runtime?: MainOptions['runtime'];
        /** Makes stderr look like a terminal (process.stderr.isTTY), as when a person runs the command. */
        stderrIsTTY?: boolean;
        /** How doctor and drill sign in (a person's `az login`, in tests). */
        credential?: TokenCredential;
        health?: MainOptions['health'];
    } = {},
): Promise<CliOutput> {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    if (options.stderrIsTTY) Object.assign(stderr, { isTTY: true });
    let out = '';
    let err = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await main(
        args,
        {
            stdout,
            stderr,
            env: options.env ?? {},
            ...(options.stdin !== undefined ? { stdin: Readable.from([Buffer.from(options.stdin)]) } : {}),
        },
        {
            ...(options.releaseWaitMs !== undefined ? { releaseWaitMs: options.releaseWaitMs } : {}),
            ...(options.runtime ? { runtime: options.runtime } : {}),
            ...(options.credential ? { credential: options.credential } : {}),
            ...(options.health ? { health: options.health } : {}),
        },
    );
    return { code, stdout: out, stderr: err };
}
