import { randomUUID } from 'node:crypto';

import type { Containment } from '../containment/model';
import { finishRelease, lockForRelease, ReleaseLock } from '../containment/releaseLock';
import { closeIncident } from '../detection/detect';
import { ResponderError } from '../errors';
import { containmentOf, newUserRow, withContainments } from '../userRow/userRow';
import type { ContainmentDeps } from './containmentDeps';
import { sendNotices } from './sendNotices';

export interface ReleaseRequest {
    /** Who released (an admin's UPN or name), for the record; bounded and single-line. */
    readonly by: string;
    readonly reason: string;
}

export interface ReleaseResult {
    readonly incidentId: string;
    readonly undo: string;
    readonly closedIncidents: number;
}

/** There is nothing to release for this user. */
export class NothingToReleaseError extends ResponderError {
    constructor(userId: string) {
        super('NothingToRelease', `no open incident for user ${userId}`);
    }
}

/**
 * A containment run holds the user (a Graph call may be in flight). Nothing was changed; the release is safe to
 * retry after `retryAfterMs`.
 */
export class ContainmentInProgressError extends ResponderError {
    constructor(
        userId: string,
        readonly retryAfterMs: number,
    ) {
        super(
            'ContainmentInProgress',
            `a containment of user ${userId} is in progress; nothing was changed — retry the release in ${Math.ceil(retryAfterMs / 1000)} s`,
        );
    }
}

export interface ReleaseOptions {
    /** How long to wait for a run in progress before answering ContainmentInProgressError, ms. */
    readonly waitMs?: number;
}

const POLL_MS = 250;
/** The longest Retry-After a refused release suggests. */
const RETRY_HINT_MS = 30_000;

/**
 * Releases a user after the SOC verified with them. First it takes every open incident of the user, as a runner
 * would (waiting up to `waitMs` for a run in progress to finish its step), so that no containment step can start
 * or land after the undo; then it undoes the push block (group mode: leaves the push-block group, also when the add
 * was in flight when a runner died); then it closes the incidents with who and why, and notifies. If Graph refuses
 * the undo, the hold is given up, nothing is closed and the error is thrown, so that the admin can retry.
 */
export async function releaseUser(
    userId: string,
    request: ReleaseRequest,
    deps: ContainmentDeps,
    options: ReleaseOptions = {},
): Promise<ReleaseResult> {
    const now = deps.now ?? Date.now;
    const owner = `release-${randomUUID()}`;
    const waitUntil = now() + (options.waitMs ?? 0);

    let lock: ReleaseLock;
    for (;;) {
        type Taken = ReturnType<typeof lockForRelease>;
        const taken = await deps.rows.update<Taken>(userId, (row) => {
            if (!row) return { result: undefined };
            const r = lockForRelease(row.state.incidents, row.containments, {
                owner,
                now: now(),
                leaseMs: deps.leaseMs,
                config: deps.config,
            });
            if (!r || 'busyUntil' in r) return { result: r };
            return { row: withContainments(row, r.containments), result: r };
        });
        if (!taken) throw new NothingToReleaseError(userId);
        if ('lock' in taken) {
            lock = taken.lock;
            break;
        }
        // A step normally ends within seconds; the lease is only its worst case. Suggest a short retry.
        if (now() >= waitUntil) {
            throw new ContainmentInProgressError(
                userId,
                Math.min(RETRY_HINT_MS, Math.max(1000, taken.busyUntil - now())),
            );
        }
        await new Promise((r) => setTimeout(r, Math.min(POLL_MS, Math.max(1, waitUntil - now()))));
    }

    const notes: string[] = [];
    try {
        for (const groupId of lock.groups) {
            if (!deps.graph) throw new ResponderError('GraphNotConfigured', 'releasing a push block needs Graph');
            const r = await deps.graph.removeGroupMember(groupId, userId);
            notes.push(
                r === 'removed' ? `removed from push-block group ${groupId}` : `was not in push-block group ${groupId}`,
            );
        }
    } catch (e) {
        await giveUp(deps, userId, owner);
        throw e;
    }
    if (lock.removedMethods) {
        notes.push('Authenticator registrations were deleted: the user registers the app again at next sign-in');
    }
    if (lock.groups.length === 0 && !lock.removedMethods) notes.push('no push block to undo');
    if (lock.disabled) notes.push('the account stays disabled: re-enable it in Entra once the password is reset');
    const undo = notes.join('; ');

    const done = await deps.rows.update(userId, (row) => {
        if (!row) return { result: undefined };
        const at = now();
        let state = row.state;
        for (const id of lock.incidentIds) state = closeIncident(state, id, at);
        const containments = finishRelease(
            row.containments,
            lock,
            { by: request.by, reason: request.reason, undo, at },
            deps.config,
        );
        const next = newUserRow(state, containments, row.unannounced);
        return { row: next, result: next };
    });
    await unblockReleasedCampaigns(done?.state.incidents.filter((i) => lock.incidentIds.includes(i.id)) ?? [], deps);
    const latestId = lock.incidentIds[lock.incidentIds.length - 1]!;
    // The release notice (on the latest incident), and a row for every incident the release closed.
    for (const id of lock.incidentIds) {
        const incident = done?.state.incidents.find((i) => i.id === id);
        const containment = done && containmentOf(done, id);
        if (incident && containment) await sendNotices(userId, id, deps, { incident, containment });
    }
    return { incidentId: latestId, undo, closedIncidents: lock.incidentIds.length };
}

/**
 * A release of a push-spray user also takes their campaign's source range out of the block named location: the SOC
 * has judged the campaign. A failure is logged, never fails the release (the range expires with SOURCE_BLOCK_HOURS).
 */
async function unblockReleasedCampaigns(
    incidents: ReadonlyArray<{ readonly campaignId?: string }>,
    deps: ContainmentDeps,
): Promise<void> {
    const blocker = deps.sourceBlocker;
    if (!blocker) return;
    for (const campaignId of new Set(incidents.flatMap((i) => (i.campaignId ? [i.campaignId] : [])))) {
        try {
            await blocker.release(campaignId);
        } catch (e) {
            deps.logger.warn(
                `The source range of campaign ${campaignId} stays blocked until it expires: ${(e as Error).message}`,
            );
        }
    }
}

/** Gives back the hold of a release that could not undo, so that containment goes on as before. */
async function giveUp(deps: ContainmentDeps, userId: string, owner: string): Promise<void> {
    await deps.rows.update(userId, (row) => {
        if (!row) return { result: undefined };
        const containments = row.containments.map((c): Containment => {
            if (c.lease?.owner !== owner) return c;
            const { lease: _lease, ...rest } = c;
            return rest;
        });
        return { row: withContainments(row, containments), result: undefined };
    });
}
