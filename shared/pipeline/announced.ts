import type { ContainmentConfig } from '../settings/containment';
import { ContainedIncident, newRecord, updateRecord, UserRecordStore } from '../containment/userRecord';
import type { DetectionPolicy } from '../detection/policy';
import type { Logger } from '../logger';
import { mapConcurrent } from './mapConcurrent';

export interface ConfirmAnnouncedOptions {
    readonly store: UserRecordStore;
    readonly policy: Pick<DetectionPolicy, 'windowMs'>;
    readonly containment?: Pick<ContainmentConfig, 'maxStepAttempts'>;
    readonly logger?: Pick<Logger, 'warn'>;
}

/**
 * Clears the "not yet announced" mark of incidents once they were logged and handed to containment (one write per
 * user with new incidents). Called after announcing, never before: if it fails, the next delivery that reads the row
 * announces them again (with the same incident id) rather than never. A failure here never fails the batch.
 */
export async function confirmAnnounced(
    announced: readonly ContainedIncident[],
    options: ConfirmAnnouncedOptions,
): Promise<void> {
    const recordOptions = {
        windowMs: options.policy.windowMs,
        config: options.containment ?? { maxStepAttempts: 1 },
    };
    const byUser = new Map<string, Set<string>>();
    for (const { incident } of announced) {
        const ids = byUser.get(incident.userId) ?? new Set<string>();
        ids.add(incident.id);
        byUser.set(incident.userId, ids);
    }
    await mapConcurrent([...byUser], 8, async ([userId, ids]) => {
        try {
            await updateRecord(
                options.store,
                userId,
                (record) => {
                    if (!record?.unannounced?.some((id) => ids.has(id))) return { result: undefined };
                    const left = record.unannounced.filter((id) => !ids.has(id));
                    return { record: newRecord(record.state, record.containments, left), result: undefined };
                },
                recordOptions,
            );
        } catch (e) {
            options.logger?.warn(
                `Could not mark the incidents of ${userId} as announced; a later delivery may announce them again: ${(e as Error).message}`,
            );
        }
    });
}
