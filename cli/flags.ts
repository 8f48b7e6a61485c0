import { parseArgs, ParseArgsConfig } from 'node:util';

import { ConfigError } from '../shared/errors';
import { readSetting } from '../shared/settings/readSetting';
import type { SettingName } from '../shared/settings/settings';
import type { CommandSpec } from './commandSpec';
import { UsageError } from './io';

/** An Entra object id (or client id), as a command takes it on its command line. */
export const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type Options = NonNullable<ParseArgsConfig['options']>;

function optionsOf(spec: CommandSpec): Options {
    const options: Options = {};
    for (const [name, flag] of Object.entries(spec.flags)) {
        // parseArgs wants a default of the flag's own type; the spec pairs them.
        options[name] = flag.default === undefined ? { type: flag.type } : { type: flag.type, default: flag.default };
    }
    return options;
}

/** Edit distance, for "did you mean": flags are short, so the plain quadratic table is fine. */
function distance(a: string, b: string): number {
    let row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        const next = [i];
        for (let j = 1; j <= b.length; j++) {
            next[j] = Math.min(row[j]! + 1, next[j - 1]! + 1, row[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
        }
        row = next;
    }
    return row[b.length]!;
}

/** The known name closest to `given`, when it is close enough to be a typo (or a prefix of exactly one). */
export function nearest(given: string, known: readonly string[]): string | undefined {
    const prefixed = known.filter((k) => k.startsWith(given));
    if (given.length >= 2 && prefixed.length === 1) return prefixed[0];
    let best: { name: string; d: number } | undefined;
    for (const name of known) {
        const d = distance(given, name);
        if (!best || d < best.d) best = { name, d };
    }
    return best && best.d <= Math.max(2, Math.floor(given.length / 3)) ? best.name : undefined;
}

/** The flag a node:util parseArgs error names ('--thresold', "Option '--threshold <value>' argument missing"). */
function flagNamed(message: string): string | undefined {
    return /'-{1,2}([^' ]+)/.exec(message)?.[1];
}

/** One line for a parseArgs error: an unknown flag with the nearest known one, a flag without its value. */
function usageErrorOf(e: Error & { code?: string }, spec: CommandSpec, args: readonly string[]): UsageError {
    const flag = flagNamed(e.message);
    if (e.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION' && flag !== undefined) {
        const near = nearest(flag, Object.keys(spec.flags));
        return new UsageError(`unknown flag --${flag}${near ? `; did you mean --${near}?` : ''}`, spec.name);
    }
    if (e.code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE' && flag !== undefined) {
        const f = spec.flags[flag];
        const at = args.findIndex((a) => a === `--${flag}`);
        const next = at >= 0 ? args[at + 1] : undefined;
        const what = f?.type === 'boolean' ? 'takes no value' : `needs a value (${f?.value ?? 'a value'}: ${f?.help})`;
        return new UsageError(`--${flag} ${what}${next !== undefined ? `, not "${next}"` : ''}`, spec.name);
    }
    if (e.code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL') {
        return new UsageError(`${spec.name} takes no argument here: ${e.message.split('.')[0]}`, spec.name);
    }
    return new UsageError(e.message.split('\n')[0]!, spec.name);
}

/**
 * node:util's parseArgs over a command's declared flags. Every mistake in the command line is a UsageError of one
 * line (exit 2): an unknown flag names the nearest known one, a flag without its value says what it takes.
 */
export function parseFlags(spec: CommandSpec, args: string[]) {
    try {
        return parseArgs({ args, options: optionsOf(spec), allowPositionals: spec.allowPositionals ?? false });
    } catch (e) {
        if (
            typeof (e as { code?: unknown }).code === 'string' &&
            String((e as { code: string }).code).startsWith('ERR_PARSE_ARGS')
        ) {
            throw usageErrorOf(e as Error & { code?: string }, spec, args);
        }
        throw e;
    }
}

/** A flag's value as a string, or undefined: parseArgs types every value loosely. */
export function stringFlag(values: Record<string, unknown>, name: string): string | undefined {
    const v = values[name];
    return typeof v === 'string' ? v : undefined;
}

export function booleanFlag(values: Record<string, unknown>, name: string): boolean {
    return values[name] === true;
}

/** A flag that takes a positive integer: its text as given, or undefined when absent. */
export function positiveInt(name: string, value: string | undefined, command?: string): string | undefined {
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value) || Number(value) < 1)
        throw new UsageError(`--${name} needs a positive integer, not "${value}"`, command);
    return value;
}

/**
 * A flag that sets a setting for this run: checked against the setting's own bounds here, so that an out-of-range
 * value is a mistake in the command line (exit 2) that names the flag, not a bad setting (exit 78).
 */
export function settingFlag(
    flag: string,
    value: string | undefined,
    setting: SettingName,
    command: string,
): string | undefined {
    if (value === undefined) return undefined;
    try {
        readSetting({ [setting]: value }, setting);
    } catch (e) {
        if (!(e instanceof ConfigError)) throw e;
        const accepts = /accepts (.*?)( \(default|\.$)/.exec(e.message)?.[1] ?? 'another value';
        throw new UsageError(`--${flag} takes ${accepts} (${setting}), not "${value}"`, command);
    }
    return value;
}
