import { app, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { z } from 'zod';

import { incidentViews } from '../shared/notices/incidentView';
import { ContainmentInProgressError, NothingToReleaseError, releaseUser } from '../shared/runners/release';
import { listIncidents, userIncidents } from '../shared/userRow/listIncidents';
import { GraphCallError } from '../shared/graph/callGraph';
import type { Runtime } from '../shared/runtime';
import { MAX_NAME_LENGTH, MAX_REASON_LENGTH, singleLine } from '../shared/singleLine';
import { ADMIN_ROLES, appServiceAuthEnabled, authLevel, AuthOptions, authorize, releaseKeyDenied } from './auth';
import { getRuntime } from './runtime';

const userIdSchema = z.guid();
const releaseBody = z.object({
    reason: z
        .string()
        .max(MAX_REASON_LENGTH)
        .transform((r) => singleLine(r, MAX_REASON_LENGTH))
        .pipe(z.string().min(3)),
    releasedBy: z
        .string()
        .max(MAX_NAME_LENGTH)
        .transform((b) => singleLine(b, MAX_NAME_LENGTH))
        .pipe(z.string().min(1))
        .optional(),
});

const json = (status: number, body: unknown): HttpResponseInit => ({ status, jsonBody: body });

/** A release waits this long for a containment step in flight before answering 409 (safe to retry). */
const RELEASE_WAIT_MS = 20_000;

function userIdOf(request: HttpRequest): string | undefined {
    const parsed = userIdSchema.safeParse(request.params.userId);
    return parsed.success ? parsed.data.toLowerCase() : undefined;
}

/** GET /api/incidents?open=true — every user's incidents, newest first. */
export function createListIncidentsHandler(runtime: () => Runtime, options: AdminHandlerOptions = {}) {
    const env = options.env ?? process.env;
    return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
        const { denied } = authorize(request, env, [ADMIN_ROLES.read, ADMIN_ROLES.release]);
        if (denied) return denied;
        const rt = runtime();
        await rt.ready();
        const { incidents, unreadableRows } = await listIncidents(rt.store, {
            openOnly: request.query.get('open') === 'true',
        });
        return json(200, { incidents: incidentViews(incidents), ...(unreadableRows > 0 ? { unreadableRows } : {}) });
    };
}

/** GET /api/users/{userId}/incidents — one user's incidents with every containment step. */
export function createUserIncidentsHandler(runtime: () => Runtime, options: AdminHandlerOptions = {}) {
    const env = options.env ?? process.env;
    return async (request: HttpRequest, _context: InvocationContext): Promise<HttpResponseInit> => {
        const { denied } = authorize(request, env, [ADMIN_ROLES.read, ADMIN_ROLES.release]);
        if (denied) return denied;
        const userId = userIdOf(request);
        if (!userId) return json(400, { error: { code: 'InvalidUserId', message: 'userId must be a GUID' } });
        const rt = runtime();
        await rt.ready();
        const incidents = await userIncidents(rt.store, userId);
        return incidents
            ? json(200, { userId, incidents: incidentViews(incidents) })
            : json(404, { error: { code: 'NotFound', message: 'no state for this user' } });
    };
}

/** Options of the admin handlers. */
export type AdminHandlerOptions = AuthOptions;

export interface ReleaseHandlerOptions extends AdminHandlerOptions {
    /** How long a release waits for a containment step in flight before answering 409, ms (tests shorten it). */
    readonly waitMs?: number;
}

/** POST /api/users/{userId}/release {"reason": "...", "releasedBy": "..."} — undo the push block, close the incidents. */
export function createReleaseHandler(runtime: () => Runtime, options: ReleaseHandlerOptions = {}) {
    const env = options.env ?? process.env;
    return async (request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> => {
        const { denied, caller } = authorize(request, env, [ADMIN_ROLES.release]);
        if (denied) return denied;
        // With keys (no App Service authentication), only a key of release's own: never the host key a monitor holds.
        const keyDenied = appServiceAuthEnabled(env) ? undefined : releaseKeyDenied(request, env);
        if (keyDenied) return keyDenied;
        const userId = userIdOf(request);
        if (!userId) return json(400, { error: { code: 'InvalidUserId', message: 'userId must be a GUID' } });
        const body = releaseBody.safeParse(await request.json().catch(() => undefined));
        if (!body.success)
            return json(400, {
                error: {
                    code: 'InvalidBody',
                    message: `expected {"reason": "3 to ${MAX_REASON_LENGTH} characters", "releasedBy"?: "at most ${MAX_NAME_LENGTH}"}`,
                },
            });
        // The platform names an authenticated caller; with function keys only the body can (and nothing proves it).
        const by = caller ? caller.name : (body.data.releasedBy ?? 'admin endpoint (function key)');
        const reason = body.data.reason;
        const rt = runtime();
        await rt.ready();
        try {
            const result = await releaseUser(
                userId,
                { by, reason },
                { ...rt.containmentDeps(context), graph: rt.graph() },
                { waitMs: options.waitMs ?? RELEASE_WAIT_MS },
            );
            context.log(
                `Released user ${userId} (incident ${result.incidentId}) by ${JSON.stringify(by)}: ${JSON.stringify(reason)}`,
            );
            return json(200, result);
        } catch (e) {
            if (e instanceof NothingToReleaseError) return json(404, { error: { code: e.code, message: e.message } });
            if (e instanceof ContainmentInProgressError) {
                return {
                    status: 409,
                    headers: { 'retry-after': String(Math.ceil(e.retryAfterMs / 1000)) },
                    jsonBody: { error: { code: e.code, message: e.message } },
                };
            }
            if (e instanceof GraphCallError) {
                return json(502, {
                    error: {
                        code: e.graphCode,
                        message: `Graph refused the undo: ${e.message}`,
                        graphStatus: e.status ?? null,
                    },
                });
            }
            throw e;
        }
    };
}

app.http('listIncidents', {
    methods: ['GET'],
    authLevel,
    route: 'incidents',
    handler: createListIncidentsHandler(getRuntime),
});
app.http('userIncidents', {
    methods: ['GET'],
    authLevel,
    route: 'users/{userId}/incidents',
    handler: createUserIncidentsHandler(getRuntime),
});
app.http('releaseUser', {
    methods: ['POST'],
    authLevel,
    route: 'users/{userId}/release',
    handler: createReleaseHandler(getRuntime),
});
