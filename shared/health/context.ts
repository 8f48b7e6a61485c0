import type { CheckpointReading, PartitionReading } from '../eventhub/lag';
import type { Finding } from './check';
import type { Runtime } from '../runtime';

type Env = Readonly<Record<string, string | undefined>>;

/** What the hub and the host's checkpoints looked like, read once for every check that needs them. */
export interface HubSnapshot {
    readonly partitions: readonly PartitionReading[];
    /** Undefined when the host's storage is not configured here (nothing to read checkpoints from). */
    readonly checkpoints?: ReadonlyMap<string, CheckpointReading>;
    /** Why the checkpoints could not be read, when they could not. */
    readonly checkpointError?: unknown;
}

/** Everything a check reads from: settings, the runtime's stores and Graph, the hub. */
export interface HealthContext {
    readonly env: Env;
    readonly runtime: Runtime;
    readonly now: () => number;
    /**
     * The checks run as the function app's own identity (GET /api/health, or AZURE_CLIENT_ID set): its Graph roles are
     * read from its token, and the reads only a person may make are left out.
     */
    readonly asApp: boolean;
    /** Client id of the app's managed identity, whose Graph roles are checked. */
    readonly appClientId?: string;
    /** Azure Resource Manager, for the tenant's diagnostic settings. */
    readonly armEndpoint?: string;
    /** Bound of each read, ms. */
    readonly timeoutMs: number;
    /**
     * Findings name no user (no UPN, reason or incident id, only counts): GET /api/health, whose key may sit in an
     * availability test. doctor names them.
     */
    readonly withoutNames?: boolean;
    /** The hub's partitions and checkpoints, read once (undefined when no hub is configured). */
    readonly hub: () => Promise<HubSnapshot | undefined>;
}

/** What went wrong with a read, in the terms a fix is written in. */
export interface ReadFailure {
    /**
     * refused: the service said no to this identity (401/403), a role is missing; signed-out: no credential could
     * get a token at all; timeout: no answer in time; other: anything else (network, a service error).
     */
    readonly kind: 'refused' | 'signed-out' | 'timeout' | 'other';
    readonly status?: number;
    readonly code?: string;
    readonly message: string;
}

/** Classifies anything a read threw: Graph, Storage and Event Hubs errors each say "refused" their own way. */
export function describeFailure(e: unknown): ReadFailure {
    // The Event Hubs client gives up with an AggregateError of every attempt's error: the last one says why.
    const errors = (e as { errors?: unknown })?.errors;
    if (Array.isArray(errors) && errors.length > 0) return describeFailure(errors[errors.length - 1]);
    const err = e as {
        status?: number;
        statusCode?: number;
        graphCode?: string;
        code?: string;
        message?: string;
        name?: string;
    };
    const status = typeof err?.status === 'number' ? err.status : err?.statusCode;
    const code = err?.graphCode ?? (typeof err?.code === 'string' ? err.code : undefined) ?? err?.name;
    const kind: ReadFailure['kind'] =
        err?.name === 'CredentialUnavailableError' || err?.name === 'AuthenticationRequiredError'
            ? 'signed-out'
            : status === 401 ||
                status === 403 ||
                code === 'UnauthorizedError' ||
                code === 'AuthorizationFailed' ||
                code === 'Authorization_RequestDenied' ||
                code === 'AuthorizationPermissionMismatch' ||
                /^Unauthorized access\b/.test(String(err?.message))
              ? 'refused'
              : code === 'Timeout' || code === 'ServiceUnavailableError' || err?.name === 'TimeoutError'
                ? 'timeout'
                : 'other';
    return {
        kind,
        ...(status !== undefined ? { status } : {}),
        ...(code !== undefined ? { code } : {}),
        message: String(err?.message ?? e)
            .replace(/\s+/g, ' ')
            .slice(0, 300),
    };
}

/** Rejects once `ms` have passed; the read it bounds may go on, its outcome no longer anyone's. */
export function withTimeout<T>(what: string, ms: number, run: () => Promise<T>): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const pending = run();
    pending.catch(() => undefined);
    return Promise.race([
        pending,
        new Promise<never>((_, reject) => {
            timer = setTimeout(
                () =>
                    reject(
                        Object.assign(new Error(`${what} did not answer within ${ms / 1000} s`), { code: 'Timeout' }),
                    ),
                ms,
            );
        }),
    ]).finally(() => clearTimeout(timer));
}

/** One check: reads what it needs and evaluates it into findings (see ./check.ts); ./runChecks.ts runs them. */
export interface HealthCheck {
    readonly id: string;
    readonly title: string;
    /** true when the app's own identity can make it (GET /api/health); else why it cannot. */
    readonly app: true | string;
    /** What a refused read means: the role this check needs. */
    readonly rights: (ctx: HealthContext) => string;
    /** Time the check may take beyond the usual bound (a deliberate wait), ms. */
    readonly extraMs?: (ctx: HealthContext) => number;
    run(ctx: HealthContext): Promise<Finding[]>;
}
