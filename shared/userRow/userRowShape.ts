/**
 * The shape a stored row must have before detection and containment walk it: every list they iterate is a list,
 * every field they compute with has its type. Fields beyond these pass, so that a row written by a newer version
 * still reads. What fails here is a row that was corrupted or written by something else: it is set aside (ingest) or
 * skipped (timer, listings), never thrown at the host for ever.
 *
 * A hand-written walk, not zod: it runs on every row read, on the hot path of every batch, and costs a fraction of
 * the row's JSON.parse (zod's copy of every object cost four times it).
 */

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

/** A record as this version writes it (UserRecord, v 2). */
const RECORD: Shape = {
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
const V1_RECORD: Shape = {
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

/** Why `doc` is not a record of either shape, in a few words (where, never a value); or undefined. */
export function recordProblem(doc: unknown): string | undefined {
    if (isObject(doc) && doc.v === 2) {
        const bad = mismatch(doc, RECORD);
        return bad === undefined ? undefined : `not a record (${where(bad)}: not the expected type)`;
    }
    const bad = mismatch(doc, V1_RECORD);
    return bad === undefined ? undefined : `not a record of any version (${where(bad)}: not the expected type)`;
}
