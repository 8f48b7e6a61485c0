import type { TokenCredential } from '@azure/identity';
import { z } from 'zod';

/** The claims of an app-only access token that tell which identity it is and what it may do. */
const claims = z.object({
    roles: z.array(z.string()).optional(),
    /** A delegated (user) token carries scopes instead of roles. */
    scp: z.string().optional(),
    oid: z.string().optional(),
    idtyp: z.string().optional(),
});
export type TokenClaims = z.infer<typeof claims>;

/**
 * Reads an access token's payload (the middle part of the JWT), without verifying it: the token came from our own
 * credential, and only tells us what the service will see. Undefined when it is not a readable JWT.
 * Claims: https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference
 */
export function readTokenClaims(token: string): TokenClaims | undefined {
    const payload = token.split('.')[1];
    if (!payload || payload.length > 64 * 1024) return undefined;
    try {
        const parsed = claims.safeParse(JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')));
        return parsed.success ? parsed.data : undefined;
    } catch {
        return undefined;
    }
}

/**
 * The app roles in effect for this credential at `resource` now: an app-only token's `roles` claim. Managed identity
 * tokens are cached for about 24 hours, so a role granted since shows here only once the cache renews
 * (https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/managed-identity-best-practice-recommendations).
 * Undefined for a user's token or one that cannot be read.
 */
export async function effectiveAppRoles(
    credential: TokenCredential,
    resource: string,
    timeoutMs: number,
): Promise<string[] | undefined> {
    const token = await credential.getToken(`${resource}/.default`, { abortSignal: AbortSignal.timeout(timeoutMs) });
    if (!token) return undefined;
    const c = readTokenClaims(token.token);
    if (!c || c.scp !== undefined) return undefined;
    return c.roles ?? [];
}
