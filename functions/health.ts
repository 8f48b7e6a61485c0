import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';

import { overallStatus } from '../shared/health/check';
import { appChecks, createHealthContext, runChecks } from '../shared/health/runChecks';
import type { Runtime } from '../shared/runtime';
import { ADMIN_ROLES, authLevel, AuthOptions, authorize } from './auth';
import { getRuntime } from './runtime';

/**
 * GET /api/health — the checks of `mfa-responder doctor` that the app's own identity can make (settings, state
 * table, its Graph roles as its token carries them, sign-ins arriving, lag, incidents, breaker, failing notices and
 * Sentinel rows), as JSON. 200 when nothing failed, 503 otherwise, so that an availability test can alert on it. The
 * checks it cannot make (they need a person's sign-in) are listed under `notChecked`. It names no user (counts only):
 * its key is the health function's own (a function key opens that one function), which an availability test may hold
 * without being able to read incidents or release anyone. With App Service authentication on, it takes the admin
 * endpoints' read role.
 */
export function createHealthHandler(
    runtime: () => Runtime,
    options: AuthOptions & { readonly timeoutMs?: number } = {},
) {
    const authEnv = options.env ?? process.env;
    return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
        const { denied } = authorize(request, authEnv, [ADMIN_ROLES.read, ADMIN_ROLES.release]);
        if (denied) return denied;
        const rt = runtime();
        const env = rt.env;
        const clientId = env.AZURE_CLIENT_ID?.trim();
        const ctx = createHealthContext({
            env,
            runtime: rt,
            asApp: true,
            // Its key may sit in an availability test: counts, never a user's name, reason or incident id.
            withoutNames: true,
            ...(clientId ? { appClientId: clientId } : {}),
            timeoutMs: options.timeoutMs ?? 10_000,
        });
        const { checks, notChecked } = appChecks();
        const findings = await runChecks(checks, ctx);
        const status = overallStatus(findings);
        return {
            status: status === 'failed' ? 503 : 200,
            jsonBody: { status, checkedAt: new Date(ctx.now()).toISOString(), findings, notChecked },
        };
    };
}

app.http('health', {
    methods: ['GET'],
    // A function key — the health function's own, for a monitor (docs/deploy.md, which key goes where) — or App
    // Service authentication and the read role when that is on.
    authLevel,
    route: 'health',
    handler: createHealthHandler(getRuntime),
});
