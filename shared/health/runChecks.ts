import { loadCheckpointStoreConfig, loadEventHubConfig } from '../settings/eventHub';
import { ConfigError } from '../errors';
import { readCheckpoints, readPartitions } from '../eventhub/hubReadings';
import type { Runtime } from '../runtime';
import { Finding, problem } from './check';
import { describeFailure, HealthCheck, HealthContext, HubSnapshot, withTimeout } from './context';
import { blockLocationCheck } from './campaign/blockLocationCheck';
import { breakGlassCheck } from './directory/breakGlassCheck';
import { diagnosticSettingCheck } from './diagnosticSettingCheck';
import { graphPermissionsCheck } from './directory/graphPermissionsCheck';
import { lagCheck, signInsArrivingCheck } from './hubChecks';
import { incidentsCheck } from './incidentsCheck';
import { pushBlockCheck } from './directory/pushBlockCheck';
import { reportsCheck } from './reportsCheck';
import { settingsCheck } from './settingsCheck';
import { stateTableCheck } from './stateTableCheck';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * Every check, in the order of the chain: settings, state, permissions, break-glass accounts, push block, source
 * blocking, stream, lag, incidents.
 */
export const CHECKS: readonly HealthCheck[] = [
    settingsCheck,
    stateTableCheck,
    graphPermissionsCheck,
    breakGlassCheck,
    pushBlockCheck,
    blockLocationCheck,
    diagnosticSettingCheck,
    signInsArrivingCheck,
    lagCheck,
    incidentsCheck,
    reportsCheck,
];

export interface HealthOptions {
    readonly env: Env;
    readonly runtime: Runtime;
    readonly asApp: boolean;
    readonly appClientId?: string;
    readonly armEndpoint?: string;
    /** Bound of each read (default 15 s); a check as a whole gets twice that. */
    readonly timeoutMs?: number;
    /** Name no user in the findings (GET /api/health). */
    readonly withoutNames?: boolean;
    readonly now?: () => number;
}

/** The hub's partitions and the host's checkpoints, each read once, bounded; checkpoints failing is kept apart. */
async function readHub(ctx: Pick<HealthContext, 'env' | 'runtime' | 'timeoutMs'>): Promise<HubSnapshot | undefined> {
    const hub = loadEventHubConfig(ctx.env);
    if (!hub) return undefined;
    const credential = () => ctx.runtime.credential;
    const store = loadCheckpointStoreConfig(ctx.env);
    const [partitions, checkpoints] = await Promise.all([
        withTimeout('the Event Hubs namespace', ctx.timeoutMs, () =>
            readPartitions(hub, { credential, timeoutMs: ctx.timeoutMs }),
        ),
        store
            ? withTimeout("the host's storage", ctx.timeoutMs, () => readCheckpoints(hub, store, { credential })).then(
                  (value) => ({ value }),
                  (error: unknown) => ({ error }),
              )
            : undefined,
    ]);
    return {
        partitions,
        ...(checkpoints && 'value' in checkpoints ? { checkpoints: checkpoints.value } : {}),
        ...(checkpoints && 'error' in checkpoints ? { checkpointError: checkpoints.error } : {}),
    };
}

export function createHealthContext(options: HealthOptions): HealthContext {
    const timeoutMs = options.timeoutMs ?? 15_000;
    let hub: Promise<HubSnapshot | undefined> | undefined;
    const base = {
        env: options.env,
        runtime: options.runtime,
        now: options.now ?? Date.now,
        asApp: options.asApp,
        timeoutMs,
        ...(options.withoutNames ? { withoutNames: true } : {}),
        ...(options.appClientId ? { appClientId: options.appClientId } : {}),
        ...(options.armEndpoint ? { armEndpoint: options.armEndpoint } : {}),
    };
    return { ...base, hub: () => (hub ??= readHub(base)) };
}

/** A check that threw: a refusal is a warning naming the role; no sign-in is a warning; anything else a failure. */
function failedCheck(check: HealthCheck, ctx: HealthContext, e: unknown): Finding {
    if (e instanceof ConfigError) {
        return problem(
            'failed',
            check.id,
            check.title,
            `cannot run: ${e.message}`,
            `Fix ${e.setting} first (see the Settings row), then run the doctor again.`,
        );
    }
    const f = describeFailure(e);
    if (f.kind === 'refused') {
        return problem(
            'warning',
            check.id,
            check.title,
            `cannot check with this identity: ${f.message}`,
            `Needs ${check.rights(ctx)}.`,
        );
    }
    if (f.kind === 'signed-out') {
        return problem(
            'warning',
            check.id,
            check.title,
            `cannot sign in: ${f.message}`,
            ctx.asApp
                ? "Outside Azure the app's managed identity is not reachable: unset AZURE_CLIENT_ID and sign in with az login (pass the identity as --app-client-id)."
                : 'Sign in with az login (any DefaultAzureCredential source works).',
        );
    }
    return problem(
        'failed',
        check.id,
        check.title,
        `check failed: ${f.message}`,
        'Run it again; if it persists, the message names what broke.',
    );
}

/** Runs the checks side by side, each bounded; never throws. Findings come back in the checks' order. */
export async function runChecks(checks: readonly HealthCheck[], ctx: HealthContext): Promise<Finding[]> {
    const results = await Promise.all(
        checks.map((check) =>
            withTimeout(check.title, ctx.timeoutMs * 2 + (check.extraMs?.(ctx) ?? 0), () => check.run(ctx)).catch(
                (e: unknown) => [failedCheck(check, ctx, e)],
            ),
        ),
    );
    return results.flat();
}

/** The checks the app's identity can make, and why the others are left out (GET /api/health). */
export function appChecks(): { checks: HealthCheck[]; notChecked: Array<{ check: string; why: string }> } {
    return {
        checks: CHECKS.filter((c) => c.app === true),
        notChecked: CHECKS.flatMap((c) => (c.app === true ? [] : [{ check: c.id, why: c.app }])),
    };
}
