import type { ContainmentConfig } from '../settings/containment';
import { shrinkState, SHRINK_LEVELS } from '../detection/shrinkState';
import type { Incident, UserState } from '../detection/userState';
import { ensureError, UnreadableRowError, WriteRejectedError } from '../errors';
import type { ListedRow, RowStore, StoredRow } from '../state/rowStore';
import { ROW_BUDGET_BYTES, RowIndex, rowSize } from '../state/tableEntity';
import { updateRow, UpdateRowOptions } from '../state/updateRow';
import { hasPendingWork, isSettled } from './core';
import type { Containment } from './model';
import { recordProblem } from './recordShape';

/**
 * Everything the responder keeps about one user, one Table row: detection's state and, beside its incidents, the
 * containment records. Each layer owns its half; this module only puts them in one row and keeps it in bounds.
 */
export interface UserRecord {
    /** Document version: rows written by an older shape are read through `readRecord`. */
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

export type UserRecordStore = RowStore<UserRecord>;

export function newRecord(
    state: UserState,
    containments: readonly Containment[] = [],
    unannounced: readonly string[] = [],
): UserRecord {
    return unannounced.length > 0 ? { v: 2, state, containments, unannounced } : { v: 2, state, containments };
}

/** The record with other containments; everything else (state, what is still to announce) as it was. */
export function withContainments(record: UserRecord, containments: readonly Containment[]): UserRecord {
    return newRecord(record.state, containments, record.unannounced);
}

/** An incident with its containment, for people: views, notices, logs. */
export interface ContainedIncident {
    readonly incident: Incident;
    readonly containment?: Containment;
}

export function containmentOf(record: UserRecord, incidentId: string): Containment | undefined {
    return record.containments.find((c) => c.incidentId === incidentId);
}

export function containedIncidents(record: UserRecord): ContainedIncident[] {
    return record.state.incidents.map((incident) => {
        const containment = containmentOf(record, incident.id);
        return containment ? { incident, containment } : { incident };
    });
}

/** Which incidents detection's caps and the size budget may forget: settled history only. */
export function evictableIn(
    containments: readonly Containment[],
    config: Pick<ContainmentConfig, 'maxStepAttempts'>,
): (incident: Incident) => boolean {
    const byId = new Map(containments.map((c) => [c.incidentId, c]));
    return (incident) => incident.closedAt !== undefined || isSettled(byId.get(incident.id), config);
}

/** The columns a listing filters on: the timer lists rows with pending work only. */
export function recordIndex(record: UserRecord, config: Pick<ContainmentConfig, 'maxStepAttempts'>): RowIndex {
    return {
        lastEventTime: record.state.lastEventTime,
        incidentCount: record.state.incidents.length,
        pendingWork: record.containments.some((c) => hasPendingWork(c, config)),
    };
}

export interface FitOptions {
    readonly windowMs: number;
    readonly config: Pick<ContainmentConfig, 'maxStepAttempts'>;
    /** Start at this shrink level (a write the service refused is retried smaller). */
    readonly minLevel?: number;
    readonly budgetBytes?: number;
}

/**
 * Keeps a record within Azure's row limits whatever the input, by shrinking detection's detail level by level (see
 * shrinkState). Containment records are never trimmed: they are small and bounded by construction. Returns the
 * record with its JSON (computed once). Throws WriteRejectedError when even the least detail does not fit.
 */
export function fitRecord(record: UserRecord, options: FitOptions): { record: UserRecord; json: string } {
    const budget = options.budgetBytes ?? ROW_BUDGET_BYTES;
    const userId = record.state.userId;
    const isEvictable = evictableIn(record.containments, options.config);
    for (let level = options.minLevel ?? 0; level < SHRINK_LEVELS; level++) {
        const candidate =
            level === 0 ? record : withState(record, shrinkState(record.state, level, { ...options, isEvictable }));
        const json = JSON.stringify(candidate);
        if (rowSize(userId, json) <= budget) return { record: candidate, json };
    }
    throw new WriteRejectedError(
        'EntityTooLarge',
        `the row of ${userId} does not fit in ${budget} bytes even with the least detail`,
    );
}

/** The record with this state, and only the containments (and ids to announce) whose incidents it still holds. */
function withState(record: UserRecord, state: UserState): UserRecord {
    const kept = new Set(state.incidents.map((i) => i.id));
    const containments = record.containments.filter((c) => kept.has(c.incidentId));
    const unannounced = (record.unannounced ?? []).filter((id) => kept.has(id));
    return containments.length === record.containments.length &&
        unannounced.length === (record.unannounced ?? []).length &&
        state === record.state
        ? record
        : newRecord(state, containments, unannounced);
}

export interface UpdateRecordOptions extends UpdateRowOptions {
    readonly windowMs: number;
    readonly config: Pick<ContainmentConfig, 'maxStepAttempts'>;
    /** Shrink harder from the start (after the service refused a write). */
    readonly minLevel?: number;
}

/** What a record mutation decided: the record to write (or none), and a result. */
export interface RecordMutation<R> {
    readonly record?: UserRecord;
    readonly result: R;
}

/**
 * The one way a user's row changes: an optimistic read-modify-write whose record is fitted to the size budget and
 * indexed (pending flag) before it is written, and not written at all when it serialises as the row already does.
 * `mutate` must be pure.
 */
export function updateRecord<R>(
    store: UserRecordStore,
    userId: string,
    mutate: (current: UserRecord | undefined) => RecordMutation<R>,
    options: UpdateRecordOptions,
): Promise<R> {
    return updateRow(
        store,
        userId,
        (current: StoredRow<UserRecord> | undefined) => {
            const { record, result } = mutate(current ? decodeRecord(userId, current) : undefined);
            if (!record) return { result };
            const fitted = fitRecord(withState(record, record.state), options);
            // Nothing changed (a redelivered batch, a transition that was already applied): nothing to write.
            if (fitted.json === current?.json) return { result };
            return {
                write: { doc: fitted.record, json: fitted.json, index: recordIndex(fitted.record, options.config) },
                result,
            };
        },
        options,
    );
}

/** The record of a row just read; UnreadableRowError names the user and the version, for a conditional set-aside. */
function decodeRecord(userId: string, stored: StoredRow<UserRecord>): UserRecord {
    try {
        return readRecord(stored.doc);
    } catch (e) {
        if (!(e instanceof UnreadableRowError)) throw e;
        throw new UnreadableRowError(e.reason, { userId, etag: stored.etag });
    }
}

/**
 * Changes one containment of a user's row: `change` gets it as stored now and returns it changed, or undefined to
 * leave the row as it is (nothing is written). Pure, like every record mutation.
 */
export function updateContainment(
    store: UserRecordStore,
    userId: string,
    incidentId: string,
    change: (c: Containment) => Containment | undefined,
    options: UpdateRecordOptions,
): Promise<void> {
    return updateRecord(
        store,
        userId,
        (record) => {
            const c = record && containmentOf(record, incidentId);
            const changed = c && change(c);
            if (!record || !changed) return { result: undefined };
            return {
                record: withContainments(
                    record,
                    record.containments.map((x) => (x.incidentId === incidentId ? changed : x)),
                ),
                result: undefined,
            };
        },
        options,
    );
}

/**
 * Reads a stored document, whatever version wrote it. Throws UnreadableRowError when it is not a record of any
 * version (see recordShape.ts).
 */
export function readRecord(doc: unknown): UserRecord {
    const problem = recordProblem(doc);
    if (problem !== undefined) throw new UnreadableRowError(problem);
    const d = doc as Partial<UserRecord> & Record<string, unknown>;
    if (d.v === 2) return d as UserRecord;
    return migrateV1(d);
}

/** The record of a listed row, or why it cannot be read (its JSON, or its shape): listings skip it and go on. */
export function recordOf(listed: ListedRow<UserRecord>): { record: UserRecord } | { error: Error } {
    if ('error' in listed) return { error: listed.error };
    try {
        return { record: readRecord(listed.row.doc) };
    } catch (e) {
        return { error: ensureError(e) };
    }
}

interface V1Attempt {
    keys: string[];
    t: number;
    kind: UserState['prompts'][number]['kind'];
    ip?: string;
    app?: string;
    rids?: string[];
    inc?: string;
}

/** Rows written before containment moved beside incidents (prompts were "attempts" with one-letter fields). */
function migrateV1(d: Record<string, unknown>): UserRecord {
    const attempts = (d.attempts as V1Attempt[] | undefined) ?? [];
    const incidents = (d.incidents as Array<Record<string, unknown>> | undefined) ?? [];
    const containments: Containment[] = [];
    const state: UserState = {
        userId: String(d.userId),
        ...(typeof d.userPrincipalName === 'string' ? { userPrincipalName: d.userPrincipalName } : {}),
        ...(typeof d.userType === 'string' ? { userType: d.userType } : {}),
        lastEventTime: Number(d.lastEventTime ?? 0),
        prompts: attempts.map((a) => ({
            keys: a.keys,
            time: a.t,
            kind: a.kind,
            ...(a.ip ? { ipAddress: a.ip } : {}),
            ...(a.app ? { app: a.app } : {}),
            rowIds: a.rids ?? [],
            ...(a.inc ? { incidentId: a.inc } : {}),
        })),
        incidents: incidents.map((i) => {
            const { containment, triggeredAt, detectedAt, ...rest } = i as Record<string, unknown> & {
                containment?: Omit<Containment, 'incidentId' | 'plannedAt'>;
                triggeredAt: number;
                detectedAt: number;
            };
            if (containment) {
                const c = containment as Containment & { lease?: unknown; breakerSlot?: boolean };
                delete c.lease;
                containments.push({ ...c, incidentId: String(i.id), plannedAt: detectedAt });
            }
            return { ...(rest as unknown as Incident), detectedAt: triggeredAt, recordedAt: detectedAt };
        }),
    };
    return newRecord(state, containments);
}
