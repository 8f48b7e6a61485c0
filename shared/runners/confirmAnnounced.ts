import type { Logger } from '../logger';
import { mapConcurrent } from '../mapConcurrent';
import { ContainedIncident, newUserRow } from '../userRow/userRow';
import type { UserRows } from '../userRow/userRows';

export interface ConfirmAnnouncedOptions {
    readonly rows: UserRows;
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
    const byUser = new Map<string, Set<string>>();
    for (const { incident } of announced) {
        const ids = byUser.get(incident.userId) ?? new Set<string>();
        ids.add(incident.id);
        byUser.set(incident.userId, ids);
    }
    await mapConcurrent([...byUser], 8, async ([userId, ids]) => {
        try {
            await options.rows.update(userId, (row) => {
                if (!row?.unannounced?.some((id) => ids.has(id))) return { result: undefined };
                const left = row.unannounced.filter((id) => !ids.has(id));
                return { row: newUserRow(row.state, row.containments, left), result: undefined };
            });
        } catch (e) {
            options.logger?.warn(
                `Could not mark the incidents of ${userId} as announced; a later delivery may announce them again: ${(e as Error).message}`,
            );
        }
    });
}
