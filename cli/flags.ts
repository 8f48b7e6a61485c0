import { parseArgs, ParseArgsConfig } from 'node:util';

import { UsageError } from './io';

/** An Entra object id (or client id), as a command takes it on its command line. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * node:util's parseArgs, with a flag the command does not know reported as a UsageError (its message, then usage:
 * exit 2). Its other errors (a missing value, an unexpected argument) pass through as they are.
 */
export function parseFlags<T extends ParseArgsConfig>(config: T): ReturnType<typeof parseArgs<T>> {
    try {
        return parseArgs(config);
    } catch (e) {
        if ((e as { code?: string } | null)?.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
            throw new UsageError((e as Error).message);
        }
        throw e;
    }
}

/** A flag that takes a positive integer: its text as given (a setting's value), or undefined when absent. */
export function positiveInt(name: string, value: string | undefined): string | undefined {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < 1)
        throw new UsageError(`--${name} needs a positive integer, not "${value}"`);
    return value;
}
