import type { TokenCredential } from '@azure/identity';

import { ContainmentInProgressError, NothingToReleaseError } from '../shared/runners/release';
import { ConfigError } from '../shared/errors';
import { GraphCallError } from '../shared/graph/callGraph';
import type { HealthOptions } from '../shared/health/runChecks';
import { doctorCommand } from './commands/doctor';
import { drillCommand } from './commands/drill';
import { CanaryBusyError, DrillFailedError, NotACanaryError } from './commands/drillErrors';
import { incidentsCommand } from './commands/incidents';
import { releaseCommand, UnknownUserError } from './commands/release';
import { replayCommand, ReplayRuntimeOptions } from './commands/replay';
import { setupCommand } from './commands/setup';
import { ReportFileError } from './htmlReportFile';
import { CliIO, OutputClosedError, UsageError, write } from './io';
import { ReplayStorageError, UnreadableInputError } from './replay';

export type { CliIO } from './io';

const USAGE = `Usage: mfa-responder <command> [options]

Commands:
  replay [FILE... | -]   Run exported sign-in logs through the detection pipeline (a backtest).
      --threshold N          push denials within the window that open an incident (DENIAL_THRESHOLD, default 5)
      --window-minutes M     sliding window in minutes (DENIAL_WINDOW_MINUTES, default 10)
      --json                 NDJSON on stdout: one line per incident, then a summary line
      --store memory|azurite|table
                             where user state lives: in memory (default), a local Azurite started for the run,
                             or a table of the storage account the STATE_TABLE_* settings name (needs --table)
      --table NAME           with --store table: the table to use; never the live STATE_TABLE_NAME
      --batch-size N         messages per pipeline batch (default 256, host.json maxEventBatchSize)
      --memory-users N       with --store memory: users without an incident held at most, the least recently
                             seen forgotten first (default 100000)
      --contain              also contain the incidents found, through Graph: only with CONTAINMENT_MODE=live
                             and GRAPH_BASE_URL set explicitly (rehearse against a test tenant)
      --html FILE            also write a self-contained HTML report: summary, a timeline and the containment
                             plan of each incident, and a threshold sweep (incidents per threshold x window)
  incidents [--open] [--json]
                         List incidents from the state table (STATE_TABLE_* settings).
  release <userId|UPN> --reason "..." [--by NAME]
                         Undo the push block of a user and close their incidents.
  setup [--group-name NAME] [--group-id ID] [--methods microsoftAuthenticator,sms,voice]
                         Create the push-block group if needed and exclude it from the Microsoft
                         Authenticator policy, and from SMS and voice with --methods (keeps existing
                         exclusions). Idempotent.
  doctor [--json] [--app-client-id ID] [--arm-endpoint URL] [--timeout S]
                         Check the whole chain: settings, state table, Graph permissions, push block,
                         diagnostic setting, sign-ins arriving, lag, incidents. Exit 1 if a check failed.
  drill --user <objectId|UPN> [--denials N] [--no-wait] [--timeout S] [--json]
                         Send a synthetic push-bombing episode for a canary (DRILL_USER_IDS) through the
                         hub and time the responder's incident and containment plan.
  help                   Show this text.

Settings come from the environment; see docs/settings.md. Exit codes: 0 done, 1 failure, 2 bad usage,
66 unreadable input, 69 a Graph call failed, 73 the report file cannot be written, 75 a containment is in
progress (retry), 78 bad setting.
`;

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

type Command = (args: string[], io: CliIO, options: MainOptions) => Promise<number>;

const COMMANDS: ReadonlyMap<string, Command> = new Map<string, Command>([
    ['replay', (args, io, options) => replayCommand(args, io, options.runtime)],
    ['incidents', (args, io) => incidentsCommand(args, io)],
    ['release', (args, io, options) => releaseCommand(args, io, options.releaseWaitMs)],
    ['setup', (args, io) => setupCommand(args, io)],
    ['doctor', (args, io, options) => doctorCommand(args, io, options.credential, options.health)],
    ['drill', (args, io, options) => drillCommand(args, io, options.credential)],
]);

const HELP = new Set(['help', '--help', '-h']);

/** Runs the CLI; returns the process exit code. Never throws for user errors: it prints them. */
export async function main(argv: readonly string[], io: CliIO, options: MainOptions = {}): Promise<number> {
    const [command, ...rest] = argv;
    try {
        if (command === undefined || HELP.has(command)) {
            await write(io.stdout, USAGE);
            return command === undefined ? 2 : 0;
        }
        const run = COMMANDS.get(command);
        if (!run) throw new UsageError(`unknown command "${command}"`);
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
 * The exit codes USAGE lists (sysexits.h where one fits): the first rule an error matches decides. An error no rule
 * expects is a bug: its stack is printed, exit 1.
 */
const EXIT_CODES: readonly ExitRule[] = [
    exit(UsageError, 2, (e) => `${e.message}\n\n${USAGE}`),
    exit(NotACanaryError, 2),
    exit(GraphCallError, 69, (e) => `Graph refused: ${e.status ?? ''} ${e.graphCode}: ${e.message}\n`),
    exit(ContainmentInProgressError, 75),
    exit(CanaryBusyError, 75),
    exit(NothingToReleaseError, 1),
    exit(UnknownUserError, 1),
    exit(DrillFailedError, 1),
    exit(UnreadableInputError, 66),
    exit(ConfigError, 78),
    exit(ReportFileError, 73),
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
