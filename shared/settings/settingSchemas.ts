import { z } from 'zod';

/**
 * The part of a setting's validation that a deployment template can check before the app starts: infra/main.bicep
 * gives the setting's parameter the same type and bounds (test/infra checks that it does). The helpers below record
 * it, so a new setting built with them is covered without further work.
 */
export type DeployConstraint =
    | { readonly type: 'int'; readonly min: number; readonly max: number }
    | { readonly type: 'decimal'; readonly min: number; readonly max: number }
    | { readonly type: 'bool' }
    | { readonly type: 'oneOf'; readonly allowed: readonly string[] };

const deployConstraints = new WeakMap<z.ZodType, DeployConstraint>();
function constrained<S extends z.ZodType>(schema: S, constraint: DeployConstraint): S {
    deployConstraints.set(schema, constraint);
    return schema;
}

/** The deploy-time constraint one of the helpers below recorded for this schema, if any. */
export function recordedConstraint(schema: z.ZodType): DeployConstraint | undefined {
    return deployConstraints.get(schema);
}

export const int = (min: number, max: number) =>
    constrained(
        z
            .string()
            .trim()
            .regex(/^-?\d+$/)
            .transform(Number)
            .pipe(z.number().int().min(min).max(max)),
        { type: 'int', min, max },
    );
export const num = (min: number, max: number) =>
    constrained(
        z
            .string()
            .trim()
            .regex(/^-?\d+(\.\d+)?$/)
            .transform(Number)
            .pipe(z.number().min(min).max(max)),
        { type: 'decimal', min, max },
    );
export const bool = constrained(
    z
        .string()
        .trim()
        .toLowerCase()
        .pipe(z.enum(['true', 'false']))
        .transform((v) => v === 'true'),
    { type: 'bool' },
);
export const csv = <T extends string>(values: readonly [T, ...T[]]) =>
    constrained(
        z
            .string()
            .transform((s) =>
                s
                    .split(',')
                    .map((v) => v.trim())
                    .filter(Boolean),
            )
            .pipe(z.array(z.enum(values)).min(1)),
        { type: 'oneOf', allowed: orderedSelections(values) },
    );

/** Every non-empty list of distinct values, in every order, joined with commas: the lists `csv` accepts, unspaced. */
function orderedSelections(values: readonly string[]): string[] {
    const lists: string[][] = [];
    const extend = (list: string[]) => {
        if (list.length > 0) lists.push(list);
        for (const v of values) if (!list.includes(v)) extend([...list, v]);
    };
    extend([]);
    return lists.map((l) => l.join(','));
}

/** A list separated by commas, semicolons or spaces, lower-cased (ids and UPNs compare case-insensitively). */
/** A comma-separated list of some of `values`, or `none` for an empty one. */
export const csvOrNone = <T extends string>(values: readonly [T, ...T[]]) =>
    z
        .string()
        .trim()
        .transform((s) =>
            s.toLowerCase() === 'none'
                ? []
                : s
                      .split(',')
                      .map((v) => v.trim())
                      .filter(Boolean),
        )
        .pipe(z.array(z.enum(values)));

export const lowerCaseList = <T>(item: z.ZodType<T, string>, max = 1000) =>
    z
        .string()
        .transform((s) =>
            s
                .split(/[,;\s]+/)
                .map((v) => v.trim().toLowerCase())
                .filter(Boolean),
        )
        .pipe(z.array(item).max(max));

/**
 * Graph's base URL: https, without a query or a fragment, trailing slashes dropped, and a trailing API version
 * (`/v1.0`, `/beta`) dropped too: the client adds the version itself, and a URL that named one sent every call to
 * `/v1.0/v1.0/…`.
 */
export const graphBaseUrl = z
    .url({ protocol: /^https$/ })
    .refine((u) => !/[?#]/.test(u), 'no query or fragment')
    .transform((u) =>
        u
            .replace(/\/+$/, '')
            .replace(/\/(v1\.0|beta)$/i, '')
            .replace(/\/+$/, ''),
    );

/** An app setting the platform could not resolve from Key Vault arrives as the reference itself. */
export const UNRESOLVED_KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(.*\)$/;

/** How a setting is declared in SETTINGS (./settings.ts). */
export interface SettingSpec<T> {
    readonly schema: z.ZodType<T>;
    /** Text form of the default, or undefined when the setting has none. */
    readonly default?: string;
    /** What values are accepted, for the error message. */
    readonly accepts: string;
    readonly description: string;
    /** Only for local runs (never set in Azure); the infrastructure test skips it. */
    readonly localOnly?: boolean;
    /** Holds a key: an error message never repeats the value. */
    readonly secret?: boolean;
}

export function spec<T>(s: SettingSpec<T>): SettingSpec<T> {
    return s;
}

/** An Application Insights connection string: it names the component's instrumentation key. */
export const appInsightsConnectionString = z
    .string()
    .trim()
    .regex(
        /(^|;)\s*InstrumentationKey\s*=\s*[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\s*(;|$)/i,
    );

/** Entra ID authentication for telemetry: Authorization=AAD, with the ClientId of a user-assigned identity or not. */
export const appInsightsAuthentication = z
    .string()
    .trim()
    .regex(/^(ClientId=[0-9a-fA-F-]{36};)?Authorization=AAD(;ClientId=[0-9a-fA-F-]{36})?;?$/i);

/** A DNS host name, lower-cased. */
export const hostName = z
    .string()
    .trim()
    .toLowerCase()
    .regex(/^[a-z0-9][a-z0-9.-]{0,253}[a-z0-9]$/);

/** A connection string to a local emulator (UseDevelopmentEmulator=true), never to Azure. */
export const emulatorConnectionString = z
    .string()
    .trim()
    .refine((s) => /(^|;)\s*UseDevelopmentEmulator\s*=\s*true\s*(;|$)/.test(s));
