import { incidentView, IncidentView } from '../notices/incidentView';
import { containedIncidents, readRecord, recordOf, UserRecordStore } from './userRow';

/** Every user's incidents, newest first; a row that cannot be read is skipped (and counted). */
export async function listIncidents(
    store: UserRecordStore,
    options: { openOnly?: boolean } = {},
): Promise<{ incidents: IncidentView[]; unreadableRows: number }> {
    const all: Array<{ at: number; view: IncidentView }> = [];
    let unreadableRows = 0;
    for await (const listed of store.list({ withIncidents: true })) {
        const read = recordOf(listed);
        if ('error' in read) {
            unreadableRows++;
            continue;
        }
        for (const { incident, containment } of containedIncidents(read.record)) {
            if (options.openOnly && incident.closedAt !== undefined) continue;
            all.push({ at: incident.recordedAt, view: incidentView(incident, containment) });
        }
    }
    all.sort((a, b) => b.at - a.at);
    return { incidents: all.map((x) => x.view), unreadableRows };
}

/** One user's incidents with every containment step, oldest first; undefined when the user has no row. */
export async function userIncidents(store: UserRecordStore, userId: string): Promise<IncidentView[] | undefined> {
    const current = await store.read(userId);
    if (!current) return undefined;
    return containedIncidents(readRecord(current.doc)).map(({ incident, containment }) =>
        incidentView(incident, containment),
    );
}
