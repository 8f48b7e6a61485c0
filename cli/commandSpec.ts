/**
 * What a command takes, declared once: its flags are parsed from this (./flags.ts) and its help is written from it
 * (./help.ts), so that the help can never name a flag the command does not read, or miss one it does.
 */
export interface FlagSpec {
    readonly type: 'string' | 'boolean';
    /** The value's placeholder in help (`N`, `FILE`); string flags only. */
    readonly value?: string;
    readonly default?: string | boolean;
    readonly help: string;
}

export interface CommandSpec {
    readonly name: string;
    /** Positional arguments as help shows them (`[FILE... | -]`). */
    readonly args?: string;
    /** One line for the list of commands. */
    readonly summary: string;
    readonly flags: Readonly<Record<string, FlagSpec>>;
    /** Commands to copy, first the one most people start with. */
    readonly examples: readonly string[];
    /** A few more lines after the flags (exit codes, where it reads its settings). */
    readonly notes?: readonly string[];
    readonly allowPositionals?: boolean;
}
