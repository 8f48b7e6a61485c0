/**
 * The shape a stored row must have before detection and containment walk it: every list they iterate is a list,
 * every field they compute with has its type. Fields beyond these pass, so that a row written by a newer version
 * still reads. What fails here is a row that was corrupted or written by something else: it is set aside (ingest) or
 * skipped (timer, listings), never thrown at the host for ever.
 *
 * A hand-written walk, not zod: it runs on every row read, on the hot path of every batch, and costs a fraction of
 * the row's JSON.parse (zod's copy of every object cost four times it).
 */
import type { Containment } from '../containment/model';
import type { Incident, UserState } from '../detection/userState';
import { ensureError, UnreadableRowError } from '../errors';
import type { ListedRow } from '../state/rowStore';
import { newUserRow, UserRow } from './userRow';

/** A field's type: a scalar, a list of strings, an object of this shape, a list of such objects (`[shape]`). */
type Field = 'string' | 'number' | 'strings' | Shape | readonly [Shape];
/** Field names; a name ending in `?` may be absent. */
interface Shape {
    readonly [name: string]: Field;
}

const PROMPT: Shape = { keys: 'strings', time: 'number', kind: 'string', rowIds: 'strings' };
const INCIDENT: Shape = {
    id: 'string',
    userId: 'string',
    trigger: 'string',
    firstSeen: 'number',
    lastSeen: 'number',
    ipAddresses: 'strings',
    apps: 'strings',
    evidence: 'strings',
};
const REGISTRATION: Shape = { keys: 'strings', time: 'number', methods: 'strings', rowIds: 'strings' };
const CONTAINMENT: Shape = {
    incidentId: 'string',
    status: 'string',
    steps: [{ name: 'string', status: 'string' }],
    notices: [{ kind: 'string', status: 'string' }],
};

/** A row as this version writes it (UserRow, v 2). */
const USER_ROW: Shape = {
    state: {
        userId: 'string',
        prompts: [PROMPT],
        incidents: [INCIDENT],
        'registrations?': [REGISTRATION],
        lastEventTime: 'number',
    },
    containments: [CONTAINMENT],
    'unannounced?': 'strings',
};

/** A row written before containment moved beside incidents (version 1): what its migration reads. */
const V1_ROW: Shape = {
    userId: 'string',
    'lastEventTime?': 'number',
    'attempts?': [{ keys: 'strings', t: 'number', kind: 'string' }],
    'incidents?': [{ id: 'string' }],
};

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Where the first field that does not match is (its path, innermost first), or undefined: built only on failure. */
function mismatch(value: unknown, field: Field): Array<string | number> | undefined {
    if (field === 'string' || field === 'number') return typeof value === field ? undefined : [];
    if (field === 'strings') {
        if (!Array.isArray(value)) return [];
        for (let i = 0; i < value.length; i++) if (typeof value[i] !== 'string') return [i];
        return undefined;
    }
    if (Array.isArray(field)) {
        if (!Array.isArray(value)) return [];
        const shape = field[0] as Shape;
        for (let i = 0; i < value.length; i++) {
            const bad = mismatch(value[i], shape);
            if (bad !== undefined) return [...bad, i];
        }
        return undefined;
    }
    if (!isObject(value)) return [];
    for (const [name, inner, optional] of fieldsOf(field as Shape)) {
        const v = value[name];
        if (optional && v === undefined) continue;
        const bad = mismatch(v, inner);
        if (bad !== undefined) return [...bad, name];
    }
    return undefined;
}

const FIELDS = new WeakMap<Shape, ReadonlyArray<readonly [string, Field, boolean]>>();
/** A shape's fields as [name, type, optional], worked out once. */
function fieldsOf(shape: Shape): ReadonlyArray<readonly [string, Field, boolean]> {
    let fields = FIELDS.get(shape);
    if (!fields) {
        fields = Object.entries(shape).map(([key, f]) => [key.replace(/\?$/, ''), f, key.endsWith('?')] as const);
        FIELDS.set(shape, fields);
    }
    return fields;
}

function where(path: ReadonlyArray<string | number>): string {
    return path.length === 0 ? 'the document' : [...path].reverse().join('.');
}

/**
 * Why `doc` is not a user row of either shape, in a few words (where, never a value); or undefined. The words ("not
 * a record") are kept as earlier versions wrote them: they are stored beside every row set aside, and logged.
 */
export function userRowProblem(doc: unknown): string | undefined {
    if (isObject(doc) && doc.v === 2) {
        const bad = mismatch(doc, USER_ROW);
        return bad === undefined ? undefined : `not a record (${where(bad)}: not the expected type)`;
    }
    const bad = mismatch(doc, V1_ROW);
    return bad === undefined ? undefined : `not a record of any version (${where(bad)}: not the expected type)`;
}

/**
 * Reads a stored document, whatever version wrote it. Throws UnreadableRowError when it is not a user row of any
 * version (see userRowProblem).
 */
export function readUserRow(doc: unknown): UserRow {
    const problem = userRowProblem(doc);
    if (problem !== undefined) throw new UnreadableRowError(problem);
    const d = doc as Partial<UserRow> & Record<string, unknown>;
    if (d.v === 2) return d as UserRow;
    return migrateV1(d);
}

/** The user row of a listed row, or why it cannot be read (its JSON, or its shape): listings skip it and go on. */
export function userRowOf(listed: ListedRow<UserRow>): { row: UserRow } | { error: Error } {
    if ('error' in listed) return { error: listed.error };
    try {
        return { row: readUserRow(listed.row.doc) };
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
function migrateV1(d: Record<string, unknown>): UserRow {
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
    return newUserRow(state, containments);
}
