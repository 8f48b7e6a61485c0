import { EventHubConfig, loadEventHubConfig } from '../../shared/settings/eventHub';
import { ConfigError } from '../../shared/errors';
import type { CommandSpec } from '../commandSpec';
import { booleanFlag, parseFlags, stringFlag } from '../flags';
import { UsageError } from '../io';

type Env = Readonly<Record<string, string | undefined>>;

/** Enough for any DENIAL_THRESHOLD (at most 1000); the messages go out in as many batches as they need. */
const MAX_DENIALS = 1001;
const DEFAULT_TIMEOUT_S = 180;

/** drill's flags as given: read before any setting, so that a call without --user is told so first. */
export interface DrillFlags {
    /** The canary as given: an object id or a UPN. */
    readonly who: string;
    readonly denials: string | undefined;
    readonly timeout: string | undefined;
    readonly noWait: boolean;
    readonly json: boolean;
}

/** What a drill sends and waits for, checked against the settings. */
export interface DrillOptions extends Omit<DrillFlags, 'denials' | 'timeout'> {
    readonly denials: number;
    readonly timeoutMs: number;
    readonly hub: EventHubConfig;
}

export const DRILL_SPEC: CommandSpec = {
    name: 'drill',
    summary: 'Send a synthetic push-bombing episode for a canary (DRILL_USER_IDS) and time the responder.',
    flags: {
        user: { type: 'string', value: 'ID|UPN', help: 'the canary account (listed in DRILL_USER_IDS)' },
        denials: { type: 'string', value: 'N', help: 'declined prompts to send (default DENIAL_THRESHOLD + 1)' },
        'no-wait': { type: 'boolean', default: false, help: 'send and stop; do not wait for the incident' },
        timeout: { type: 'string', value: 'S', help: 'seconds to wait for the incident (default 180)' },
        json: { type: 'boolean', default: false, help: 'one JSON line with the timings' },
    },
    examples: ['az login && mfa-responder drill --user canary@contoso.com'],
    notes: [
        'Exit 0 the drill incident was recorded, 1 it was not, 75 the canary has an incident open, 77 not signed in.',
    ],
};

export function parseDrillArgs(args: string[]): DrillFlags {
    const { values } = parseFlags(DRILL_SPEC, args);
    const who = stringFlag(values, 'user')?.trim();
    if (!who)
        throw new UsageError('drill needs --user <objectId|UPN> of a canary account listed in DRILL_USER_IDS', 'drill');
    return {
        who,
        denials: stringFlag(values, 'denials'),
        timeout: stringFlag(values, 'timeout'),
        noWait: booleanFlag(values, 'no-wait'),
        json: booleanFlag(values, 'json'),
    };
}

/** The flags against the settings: enough denials to open an incident at DENIAL_THRESHOLD, and a hub to send to. */
export function drillOptions(flags: DrillFlags, denialThreshold: number, env: Env): DrillOptions {
    const denials = flags.denials === undefined ? denialThreshold + 1 : Number(flags.denials);
    if (!Number.isInteger(denials) || denials < denialThreshold || denials > MAX_DENIALS) {
        throw new UsageError(
            `--denials must be a whole number from DENIAL_THRESHOLD (${denialThreshold}) to ${MAX_DENIALS}: fewer opens no incident`,
            'drill',
        );
    }
    if (flags.timeout !== undefined && !/^\d{1,5}$/.test(flags.timeout)) {
        throw new UsageError('--timeout needs a number of seconds, such as 180', 'drill');
    }
    const timeoutMs = (flags.timeout ? Number(flags.timeout) : DEFAULT_TIMEOUT_S) * 1000;
    const hub = loadEventHubConfig(env);
    if (!hub) {
        throw new ConfigError(
            'EventHubConnection__fullyQualifiedNamespace',
            'drill needs the hub: set EventHubConnection__fullyQualifiedNamespace (<namespace>.servicebus.windows.net) and EVENTHUB_NAME, and sign in (az login) as someone with Azure Event Hubs Data Sender on the hub; EVENTHUB_CONNECTION_STRING is for a local emulator only.',
        );
    }
    const { denials: _denials, timeout: _timeout, ...rest } = flags;
    return { ...rest, denials, timeoutMs, hub };
}
