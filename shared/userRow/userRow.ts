import type { Incident, UserState } from '../detection/userState';
import type { Containment } from '../containment/model';
import type { RowStore } from '../state/rowStore';

/**
 * Everything the responder keeps about one user, one Table row (the "user row"): detection's state and, beside its
 * incidents, their containments. Each layer owns its half; this module only puts them in one row. How a stored
 * document is read is userRowShape.ts; how a row stays in bounds, fitUserRow.ts; how it changes, userRows.ts.
 */
export interface UserRow {
    /** Document version: rows written by an older shape are read through `readUserRow`. */
    readonly v: 2;
    readonly state: UserState;
    readonly containments: readonly Containment[];
    /**
     * Incidents stored but not yet announced (logged, handed to containment), by id. Written with the incident and
     * cleared once it was announced, so that an incident whose write landed while its acknowledgement was lost is
     * announced by the redelivery that finds it stored.
     */
    readonly unannounced?: readonly string[];
}

/** The generic row store, holding user rows. Reads and listings decode through userRowShape.ts. */
export type UserRowStore = RowStore<UserRow>;

export function newUserRow(
    state: UserState,
    containments: readonly Containment[] = [],
    unannounced: readonly string[] = [],
): UserRow {
    return unannounced.length > 0 ? { v: 2, state, containments, unannounced } : { v: 2, state, containments };
}

/** The row with other containments; everything else (state, what is still to announce) as it was. */
export function withContainments(row: UserRow, containments: readonly Containment[]): UserRow {
    return newUserRow(row.state, containments, row.unannounced);
}

/** An incident with its containment, for people: views, notices, logs. */
export interface ContainedIncident {
    readonly incident: Incident;
    readonly containment?: Containment;
}

export function containmentOf(row: UserRow, incidentId: string): Containment | undefined {
    return row.containments.find((c) => c.incidentId === incidentId);
}

export function containedIncidents(row: UserRow): ContainedIncident[] {
    return row.state.incidents.map((incident) => {
        const containment = containmentOf(row, incident.id);
        return containment ? { incident, containment } : { incident };
    });
}
