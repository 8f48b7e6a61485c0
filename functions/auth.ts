import type { HttpRequest, HttpResponseInit } from '@azure/functions';
import { z } from 'zod';

import { createHash, timingSafeEqual } from 'node:crypto';

import { readSetting } from '../shared/settings/readSetting';
import { MAX_NAME_LENGTH, singleLine } from '../shared/singleLine';

type Env = Readonly<Record<string, string | undefined>>;

/** With App Service authentication on, the app roles a caller needs (defined on the app registration; docs/deploy.md). */
export const ADMIN_ROLES = { read: 'MfaResponder.Read', release: 'MfaResponder.Release' } as const;

/**
 * App Service authentication is on. The platform then sets WEBSITE_AUTH_ENABLED in the app's environment, rejects
 * unauthenticated calls (infra/app/resources.bicep: Return401) and sets the x-ms-client-principal* headers itself,
 * dropping any a client sent. Without it those headers are whatever the caller wrote, so they are never read.
 */
export function appServiceAuthEnabled(env: Env): boolean {
    return env.WEBSITE_AUTH_ENABLED?.trim().toLowerCase() === 'true';
}

// Function keys guard the HTTP endpoints, unless App Service authentication (Entra ID) is in front of the app: then
// the platform has already refused unauthenticated calls and the handlers check the caller's app role instead.
export const authLevel = appServiceAuthEnabled(process.env) ? 'anonymous' : 'function';

const clientPrincipal = z.object({
    claims: z.array(z.object({ typ: z.string(), val: z.string() })).max(500),
    role_typ: z.string().optional(),
});
const ROLE_CLAIM_TYPES = ['roles', 'role', 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role'];

/** The authenticated caller, as App Service authentication describes it in the request headers. */
export interface Caller {
    readonly name: string;
    readonly roles: ReadonlySet<string>;
}

/**
 * Reads the caller from the x-ms-client-principal headers (decoded as documented in "Work with user identities in
 * Azure App Service authentication"), the one place they are decoded. Only meaningful when appServiceAuthEnabled();
 * undefined when the headers are missing or malformed.
 */
export function callerFromPlatform(request: Pick<HttpRequest, 'headers'>): Caller | undefined {
    const { headers } = request;
    const encoded = headers.get('x-ms-client-principal');
    if (!encoded || encoded.length > 64_000) return undefined;
    let principal: z.infer<typeof clientPrincipal>;
    try {
        const parsed = clientPrincipal.safeParse(JSON.parse(Buffer.from(encoded, 'base64').toString('utf8')));
        if (!parsed.success) return undefined;
        principal = parsed.data;
    } catch {
        return undefined;
    }
    const roleTypes = new Set([...ROLE_CLAIM_TYPES, ...(principal.role_typ ? [principal.role_typ] : [])]);
    const roles = new Set(principal.claims.filter((c) => roleTypes.has(c.typ)).map((c) => c.val));
    const claim = (...types: string[]) => principal.claims.find((c) => types.includes(c.typ))?.val;
    const name =
        headers.get('x-ms-client-principal-name') ??
        claim('preferred_username', 'upn', 'name', 'appid', 'azp') ??
        headers.get('x-ms-client-principal-id') ??
        '';
    const bounded = singleLine(name, MAX_NAME_LENGTH);
    return bounded ? { name: bounded, roles } : undefined;
}

/** Options of every HTTP endpoint's caller check. */
export interface AuthOptions {
    /** The app's environment, read for WEBSITE_AUTH_ENABLED (process.env unless a test passes its own). */
    readonly env?: Env;
}

/** What an endpoint learns of its caller: the refusal to answer with, or (with App Service authentication) who. */
export interface Access {
    readonly denied?: HttpResponseInit;
    /** Set when App Service authentication is on and named a caller holding one of the roles. */
    readonly caller?: Caller;
}

/**
 * With App Service authentication on: the caller if they hold one of the roles, else the response refusing them.
 * With function keys (it is off) the platform has checked the key, and the caller is nobody in particular.
 */
export function authorize(request: HttpRequest, env: Env, roles: readonly string[]): Access {
    if (!appServiceAuthEnabled(env)) return {};
    const caller = callerFromPlatform(request);
    if (!caller) {
        return {
            denied: {
                status: 401,
                jsonBody: { error: { code: 'Unauthenticated', message: 'no authenticated caller' } },
            },
        };
    }
    if (!roles.some((r) => caller.roles.has(r))) {
        const message = `needs the app role ${roles.join(' or ')}`;
        return { denied: { status: 403, jsonBody: { error: { code: 'Forbidden', message } } } };
    }
    return { caller };
}

/**
 * Function keys come in two kinds: a function key opens one function, a host key opens every function-level endpoint
 * of the app (https://learn.microsoft.com/azure/azure-functions/function-keys-how-to). So a host key handed to an
 * availability test would also release users. Release therefore takes only the keys whose SHA-256 RELEASE_KEY_SHA256
 * lists (keys made for the releaseUser function), checked here on the key the caller presented (`x-functions-key` or
 * `code`); the host has checked already that it is a key at all. The app stores hashes, never a key.
 */
export function releaseKeyDenied(
    request: Pick<HttpRequest, 'headers' | 'query'>,
    env: Env,
): HttpResponseInit | undefined {
    const hashes = readSetting(env, 'RELEASE_KEY_SHA256') ?? [];
    const refuse = (message: string): HttpResponseInit => ({
        status: 403,
        jsonBody: { error: { code: 'ReleaseKeyRequired', message } },
    });
    if (hashes.length === 0) {
        return refuse(
            'release over HTTP needs a key of its own: make a function key for releaseUser and set RELEASE_KEY_SHA256 to its SHA-256 (docs/deploy.md), or use App Service authentication; mfa-responder release works meanwhile',
        );
    }
    const presented = request.headers.get('x-functions-key') ?? request.query.get('code') ?? '';
    const digest = createHash('sha256').update(presented, 'utf8').digest();
    const match = hashes.some((h) => timingSafeEqual(Buffer.from(h, 'hex'), digest));
    return match
        ? undefined
        : refuse(
              'this key does not open release: use a key RELEASE_KEY_SHA256 lists (a releaseUser function key), never a host key',
          );
}
