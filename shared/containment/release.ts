import { ResponderError } from '../errors';
import { updateUserState } from '../state/updateUserState';
import { ContainmentDeps, sendNotices } from './runContainment';

export interface ReleaseRequest {
    /** Who released (an admin's UPN or name), for the record. */
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
 * Releases a user after the SOC verified with them: undoes the push block (group mode: removes the user from the
 * push-block group; a user whose Authenticator registrations were deleted registers again at next sign-in), closes
 * the user's open incidents with who and why, and notifies. If Graph refuses the undo, nothing is closed and the
 * error is thrown, so that the admin can retry.
 */
export async function releaseUser(
    userId: string,
    request: ReleaseRequest,
    deps: ContainmentDeps,
): Promise<ReleaseResult> {
    const now = deps.now ?? Date.now;
    const current = await deps.store.read(userId);
    const open = (current?.state.incidents ?? []).filter((i) => i.closedAt === undefined);
    const latest = open[open.length - 1];
    if (!latest) throw new NothingToReleaseError(userId);

    const notes: string[] = [];
    const blocked = open
        .map((i) => i.containment)
        .find((c) => c?.pushBlock && c.steps.some((s) => s.name === 'block-push' && s.status === 'done'));
    if (blocked?.pushBlock?.mode === 'group') {
        if (!deps.graph) throw new ResponderError('GraphNotConfigured', 'releasing a push block needs Graph');
        const r = await deps.graph.removeGroupMember(blocked.pushBlock.groupId, userId);
        notes.push(
            r === 'removed'
                ? `removed from push-block group ${blocked.pushBlock.groupId}`
                : `was no longer in push-block group ${blocked.pushBlock.groupId}`,
        );
    } else if (blocked?.pushBlock?.mode === 'remove-method') {
        notes.push('Authenticator registrations were deleted: the user registers the app again at next sign-in');
    } else {
        notes.push('no push block to undo');
    }
    if (open.some((i) => i.containment?.steps.some((s) => s.name === 'disable-account' && s.status === 'done'))) {
        notes.push('the account stays disabled: re-enable it in Entra once the password is reset');
    }
    const undo = notes.join('; ');

    await updateUserState(deps.store, userId, (cur) => {
        if (!cur) return { result: undefined };
        const state = structuredClone(cur.state);
        const t = now();
        for (const inc of state.incidents) {
            if (inc.closedAt !== undefined) continue;
            inc.closedAt = t;
            const c = inc.containment;
            if (!c) continue;
            c.status = 'released';
            delete c.lease;
            delete c.nextAttemptAt;
            c.release = { at: t, by: request.by, reason: request.reason, undo };
            if (inc.id === latest.id)
                c.notices.push({ kind: 'released', status: deps.notify ? 'pending' : 'skipped', attempts: 0 });
        }
        return { state, result: undefined };
    });
    await sendNotices(userId, latest.id, deps);
    return { incidentId: latest.id, undo, closedIncidents: open.length };
}
