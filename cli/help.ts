import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { CommandSpec, FlagSpec } from './commandSpec';

/** The exit codes every command shares (sysexits.h where one fits). */
export const EXIT_CODES_TEXT =
    'Exit codes: 0 done, 1 failure, 2 bad usage, 65 no usable record in the input, 66 unreadable input, ' +
    '69 a Graph call failed, 73 the report file cannot be written, 75 a containment is in progress (retry), ' +
    '77 not signed in, 78 bad setting.';

function flagLine(name: string, flag: FlagSpec): string {
    const head = `  --${name}${flag.type === 'string' ? ` ${flag.value ?? 'VALUE'}` : ''}`;
    const dflt = flag.default !== undefined && flag.default !== false ? ` (default ${String(flag.default)})` : '';
    return head.length < 26 ? `${head.padEnd(26)}${flag.help}${dflt}` : `${head}\n${' '.repeat(26)}${flag.help}${dflt}`;
}

/** `mfa-responder help <command>` and `<command> --help`: what it does, its flags, and examples to copy. */
export function commandHelp(spec: CommandSpec): string {
    const flags = Object.entries(spec.flags).map(([name, flag]) => flagLine(name, flag));
    return [
        `Usage: mfa-responder ${spec.name}${spec.args ? ` ${spec.args}` : ''}${flags.length > 0 ? ' [options]' : ''}`,
        '',
        spec.summary,
        '',
        ...(flags.length > 0 ? ['Options:', ...flags, '  --help                  this text', ''] : []),
        'Examples:',
        ...spec.examples.map((e) => `  ${e}`),
        ...(spec.notes ? ['', ...spec.notes] : []),
        '',
    ].join('\n');
}

/** `mfa-responder help`: every command in one line each, and where to read more. */
export function overallHelp(specs: readonly CommandSpec[]): string {
    return [
        'Usage: mfa-responder <command> [options]',
        '',
        'Commands:',
        ...specs.map((s) => `  ${s.name.padEnd(11)}${s.summary}`),
        '',
        "mfa-responder help <command> (or <command> --help) shows a command's options and examples;",
        'mfa-responder --version its version. Settings come from the environment: see docs/settings.md.',
        EXIT_CODES_TEXT,
        '',
    ].join('\n');
}

/** The package's version, from the package.json beside the sources (cli/) or the build (dist/cli/). */
export function packageVersion(): string {
    for (const up of ['..', join('..', '..')]) {
        try {
            const pkg = JSON.parse(readFileSync(join(__dirname, up, 'package.json'), 'utf8')) as {
                name?: string;
                version?: string;
            };
            if (pkg.name === 'mfa-fatigue-responder' && pkg.version) return pkg.version;
        } catch {
            // Not here: the other layout.
        }
    }
    return 'unknown';
}
