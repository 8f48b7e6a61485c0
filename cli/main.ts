import type { TokenCredential } from '@azure/identity';

import { ContainmentInProgressError, NothingToReleaseError } from '../shared/runners/release';
import { ConfigError } from '../shared/errors';
import { GraphCallError } from '../shared/graph/callGraph';
import type { HealthOptions } from '../shared/health/runChecks';
import type { CommandSpec } from './commandSpec';
import { doctorCommand, DOCTOR_SPEC } from './commands/doctor';
import { drillCommand } from './commands/drill';
import { CanaryBusyError, DrillFailedError, NotACanaryError } from './commands/drillErrors';
import { DRILL_SPEC } from './commands/drillOptions';
import { incidentsCommand, INCIDENTS_SPEC } from './commands/incidents';
import { releaseCommand, RELEASE_SPEC, UnknownUserError } from './commands/release';
import { replayCommand, ReplayRuntimeOptions } from './commands/replay';
import { REPLAY_SPEC } from './commands/replayOptions';
import { setupCommand, SETUP_SPEC } from './commands/setup';
import { nearest } from './flags';
import { commandHelp, overallHelp, packageVersion } from './help';
import { ReportFileError } from './htmlReportFile';
import { CliIO, OutputClosedError, UsageError, write } from './io';
import { NoticesDirError } from './noticeFiles';
import { NoUsableRecordError } from './readerVerdict';
import { ReplayStorageError, UnreadableInputError } from './replay';
import { NotSignedInError } from './signedIn';

export type { CliIO } from './io';

/** What the bin never changes; tests shorten waits through it. */
export interface MainOptions {
    /** How long `release` waits for a containment step in flight before it exits 75, ms. */
    readonly releaseWaitMs?: number;
    /** Runtime options of `replay` (tests trust their local Logs Ingestion endpoint's certificate through them). */
    readonly runtime?: ReplayRuntimeOptions;
    /** `doctor` and `drill` sign in with this instead of the runtime's choice: tests sign in as a person through it. */
    readonly credential?: TokenCredential;
    /** `doctor`'s clock (tests look at the hub from a later time). */
    readonly health?: Pick<HealthOptions, 'now'>;
}

type Run = (args: string[], io: CliIO, options: MainOptions) => Promise<number>;

/** The commands, in the order help lists them: each with what it takes (its spec) and what runs it. */
const COMMANDS: ReadonlyArray<readonly [CommandSpec, Run]> = [
    [REPLAY_SPEC, (args, io, options) => replayCommand(args, io, options.runtime)],
    [INCIDENTS_SPEC, (args, io) => incidentsCommand(args, io)],
    [RELEASE_SPEC, (args, io, options) => releaseCommand(args, io, options.releaseWaitMs)],
    [SETUP_SPEC, (args, io, options) => setupCommand(args, io, options.credential)],
    [DOCTOR_SPEC, (args, io, options) => doctorCommand(args, io, options.credential, options.health)],
    [DRILL_SPEC, (args, io, options) => drillCommand(args, io, options.credential)],
];

const SPECS = COMMANDS.map(([spec]) => spec);
const HELP = new Set(['help', '--help', '-h']);

function commandNamed(name: string): readonly [CommandSpec, Run] {
    const found = COMMANDS.find(([spec]) => spec.name === name);
    if (found) return found;
    const near = nearest(
        name,
        SPECS.map((s) => s.name),
    );
    throw new UsageError(
        `unknown command "${name}"${near ? `; did you mean ${near}?` : ''} Commands: ${SPECS.map((s) => s.name).join(', ')}`,
    );
}

/** `--help` or `-h` among a command's flags (before a `--`, after which everything is a file name). */
function asksForHelp(args: readonly string[]): boolean {
    const end = args.indexOf('--');
    return (end === -1 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** Runs the CLI; returns the process exit code. Never throws for user errors: it prints them. */
export async function main(argv: readonly string[], io: CliIO, options: MainOptions = {}): Promise<number> {
    const [command, ...rest] = argv;
    try {
        if (command === undefined) {
            await write(io.stderr, overallHelp(SPECS));
            return 2;
        }
        if (command === '--version' || command === '-V' || command === 'version') {
            await write(io.stdout, `mfa-responder ${packageVersion()}\n`);
            return 0;
        }
        if (HELP.has(command)) {
            const about = rest[0];
            await write(io.stdout, about === undefined ? overallHelp(SPECS) : commandHelp(commandNamed(about)[0]));
            return 0;
        }
        const [spec, run] = commandNamed(command);
        if (asksForHelp(rest)) {
            await write(io.stdout, commandHelp(spec));
            return 0;
        }
        return await run(rest, io, options);
    } catch (e) {
        return report(e, io);
    }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any error class, whatever its constructor takes
type ErrorClass<E extends Error> = abstract new (...args: any[]) => E;

/** How the CLI ends on an error of one kind: its exit code, and what it says on stderr after "mfa-responder: ". */
interface ExitRule {
    readonly matches: (e: unknown) => boolean;
    readonly code: number;
    readonly say: (e: unknown) => string;
}

function exit<E extends Error>(type: ErrorClass<E>, code: number, say = (e: E) => `${e.message}\n`): ExitRule {
    return { matches: (e) => e instanceof type, code, say: (e) => say(e as E) };
}

/**
 * The exit codes help lists (help.ts EXIT_CODES_TEXT; sysexits.h where one fits): the first rule an error matches
 * decides. An error no rule expects is a bug: its stack is printed, exit 1.
 */
const EXIT_CODES: readonly ExitRule[] = [
    exit(UsageError, 2, (e) =>
        e.command
            ? `${e.command}: ${e.message} (mfa-responder help ${e.command} lists its options)\n`
            : `${e.message}\n`,
    ),
    exit(NotACanaryError, 2),
    exit(NoUsableRecordError, 65),
    exit(NotSignedInError, 77),
    exit(GraphCallError, 69, (e) => `Graph refused: ${e.status ?? ''} ${e.graphCode}: ${e.message}\n`),
    exit(ContainmentInProgressError, 75),
    exit(CanaryBusyError, 75),
    exit(NothingToReleaseError, 1),
    exit(UnknownUserError, 1),
    exit(DrillFailedError, 1),
    exit(UnreadableInputError, 66),
    exit(ConfigError, 78),
    exit(ReportFileError, 73),
    exit(NoticesDirError, 73),
    exit(ReplayStorageError, 1),
];

async function report(e: unknown, io: CliIO): Promise<number> {
    // The reader of our output went away: nothing to say, and nothing went wrong.
    if (e instanceof OutputClosedError) return 0;
    const say = (text: string) => write(io.stderr, `mfa-responder: ${text}`).catch(() => undefined);
    const known = EXIT_CODES.find((r) => r.matches(e));
    if (known) {
        await say(known.say(e));
        return known.code;
    }
    await say(`${(e as Error)?.stack ?? String(e)}\n`);
    return 1;
}
