import { EventHubConfig, loadEventHubConfig } from '../../shared/settings/eventHub';
import { ConfigError } from '../../shared/errors';
import { parseFlags } from '../flags';
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

export function parseDrillArgs(args: string[]): DrillFlags {
    const { values } = parseFlags({
        args,
        options: {
            user: { type: 'string' },
            denials: { type: 'string' },
            'no-wait': { type: 'boolean', default: false },
            timeout: { type: 'string' },
            json: { type: 'boolean', default: false },
        },
    });
    const who = values.user?.trim();
    if (!who) throw new UsageError('drill needs --user <objectId|UPN> of a canary account listed in DRILL_USER_IDS');
    return { who, denials: values.denials, timeout: values.timeout, noWait: values['no-wait'], json: values.json };
}

/** The flags against the settings: enough denials to open an incident at DENIAL_THRESHOLD, and a hub to send to. */
export function drillOptions(flags: DrillFlags, denialThreshold: number, env: Env): DrillOptions {
    const denials = flags.denials === undefined ? denialThreshold + 1 : Number(flags.denials);
    if (!Number.isInteger(denials) || denials < denialThreshold || denials > MAX_DENIALS) {
        throw new UsageError(
            `--denials must be a whole number from DENIAL_THRESHOLD (${denialThreshold}) to ${MAX_DENIALS}: fewer opens no incident`,
        );
    }
    if (flags.timeout !== undefined && !/^\d{1,5}$/.test(flags.timeout)) {
        throw new UsageError('--timeout needs a number of seconds, such as 180');
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
