/**
 * Releasing a user, as pure functions: taking their open incidents away from any runner before the push block is
 * undone, and closing them afterwards. The I/O around these is shared/runners/release.ts.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { mayHoldPushBlock } from './due';
import { cloneContainment, Containment, newNotice } from './model';

export interface ReleaseLock {
    /** Containments this release holds (their runs cannot start or continue). */
    readonly incidentIds: readonly string[];
    /** Push-block groups to leave, from every containment that may have put the user in one. */
    readonly groups: readonly string[];
    readonly removedMethods: boolean;
    readonly disabled: boolean;
}

/**
 * Takes every open incident of the user for a release. Refused while a run holds one of them (`busyUntil`): a
 * Graph call may be in flight, and undoing before it lands would leave the user blocked.
 */
export function lockForRelease(
    incidents: readonly Incident[],
    containments: readonly Containment[],
    ctx: {
        owner: string;
        now: number;
        leaseMs: number;
        config: Pick<ContainmentConfig, 'pushBlockMode' | 'pushBlockGroupId'>;
    },
): { containments: Containment[]; lock: ReleaseLock } | { busyUntil: number } | undefined {
    const open = new Set(incidents.filter((i) => i.closedAt === undefined).map((i) => i.id));
    if (open.size === 0) return undefined;
    const mine = containments.filter((c) => open.has(c.incidentId));
    const busy = mine.find((c) => c.lease && c.lease.owner !== ctx.owner && c.lease.until > ctx.now);
    if (busy) return { busyUntil: busy.lease!.until };
    // Finished containments are held too: an approval or a registration arriving during the undo may reopen one
    // (amendForApproval keeps the lease), and no runner may take it before the release closes it.
    const locked = containments.map((c) =>
        open.has(c.incidentId)
            ? { ...cloneContainment(c), lease: { owner: ctx.owner, until: ctx.now + ctx.leaseMs, cursor: 0 } }
            : c,
    );
    const groups = new Set<string>();
    for (const c of mine) {
        if (!mayHoldPushBlock(c)) continue;
        if (c.pushBlock?.mode === 'group') groups.add(c.pushBlock.groupId);
        // A group add that was in flight (or failed mid-way) may have landed: leave the configured group too.
        else if (!c.pushBlock && ctx.config.pushBlockMode === 'group' && ctx.config.pushBlockGroupId) {
            groups.add(ctx.config.pushBlockGroupId);
        }
    }
    return {
        containments: locked,
        lock: {
            incidentIds: [...open],
            groups: [...groups],
            removedMethods: mine.some((c) => c.pushBlock?.mode === 'remove-method'),
            disabled: mine.some((c) => c.steps.some((s) => s.name === 'disable-account' && s.attempts > 0)),
        },
    };
}

/** Closes what the release locked: released, with who, why and what was undone; one release notice. */
export function finishRelease(
    containments: readonly Containment[],
    lock: ReleaseLock,
    release: { by: string; reason: string; undo: string; at: number },
    config: ContainmentConfig,
): Containment[] {
    const ids = new Set(lock.incidentIds);
    const latest = lock.incidentIds[lock.incidentIds.length - 1];
    return containments.map((c) => {
        if (!ids.has(c.incidentId)) return c;
        const next = cloneContainment(c);
        next.status = 'released';
        delete next.lease;
        delete next.nextAttemptAt;
        next.finishedAt ??= release.at;
        for (const s of next.steps) {
            if (s.status !== 'running' && s.status !== 'pending' && s.status !== 'failed') continue;
            s.status = 'skipped';
            s.detail = 'released before this step finished';
        }
        next.release = { at: release.at, by: release.by, reason: release.reason, undo: release.undo };
        if (c.incidentId === latest) next.notices.push(newNotice('released', config));
        return next;
    });
}
