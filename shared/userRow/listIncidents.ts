import { ContainedIncident, containedIncidents, UserRowStore } from './userRow';
import { readUserRow, userRowOf } from './userRowShape';

/**
 * Incidents as stored, for the admin endpoints, the CLI and doctor: each with its containment. What a person reads is
 * made from these by the one incident view (shared/notices/incidentView.ts `incidentViews`). Read-only, from the row
 * store itself: listing needs none of the settings a write does.
 */

/** Every user's incidents, newest first; a row that cannot be read is skipped (and counted). */
export async function listIncidents(
    store: UserRowStore,
    options: { openOnly?: boolean } = {},
): Promise<{ incidents: ContainedIncident[]; unreadableRows: number }> {
    const all: ContainedIncident[] = [];
    let unreadableRows = 0;
    for await (const listed of store.list({ withIncidents: true })) {
        const read = userRowOf(listed);
        if ('error' in read) {
            unreadableRows++;
            continue;
        }
        for (const contained of containedIncidents(read.row)) {
            if (options.openOnly && contained.incident.closedAt !== undefined) continue;
            all.push(contained);
        }
    }
    all.sort((a, b) => b.incident.recordedAt - a.incident.recordedAt);
    return { incidents: all, unreadableRows };
}

/** One user's incidents with their containments, oldest first; undefined when the user has no row. */
export async function userIncidents(store: UserRowStore, userId: string): Promise<ContainedIncident[] | undefined> {
    const current = await store.read(userId);
    if (!current) return undefined;
    return containedIncidents(readUserRow(current.doc));
}
