import { isSecurityInfoEvent, SecurityInfoEvent, SignInEvent, UserEvent } from '../shared/signin/signInEvent';

/** One user's events as a replay read them: in arrival order, in chunks that detection can take one at a time. */
export interface RecordedUser {
    readonly userId: string;
    userPrincipalName?: string;
    /**
     * Consecutive batches' events, coalesced while they span little event time (see EventRecorderOptions): the
     * detection of a chunk at once equals the detection of its batches one by one, because detection is
     * order-insensitive within its retention.
     */
    readonly chunks: UserEvent[][];
}

export interface EventRecorderOptions {
    /** Events kept at most; later ones are counted, not kept (the sweep and timelines then say they are partial). */
    readonly maxEvents: number;
    /** Event time one chunk may span, ms: well within the retention, so that no event of a chunk is forgotten early. */
    readonly chunkSpanMs: number;
}

/** App names and addresses repeat across a tenant's records: each distinct text is kept once (up to a bound). */
const MAX_INTERNED = 50_000;

/**
 * A flat copy of a string. The parser builds identity keys by concatenation (`i:` + row id), which V8 keeps as a
 * pair of strings until something flattens it: copying here keeps about a quarter less per event.
 */
function flat(text: string): string {
    return JSON.parse(JSON.stringify(text)) as string;
}

/**
 * Keeps the events a replay parsed, per user and compact (the user's id shared, texts interned, the UPN once per
 * user), so that a threshold sweep can run detection again over the same input without parsing it again, and the
 * report can draw each incident's timeline. Memory is bounded by `maxEvents`.
 */
export class EventRecorder {
    readonly #users = new Map<string, RecordedUser>();
    readonly #texts = new Map<string, string>();
    readonly #options: EventRecorderOptions;
    #kept = 0;
    #dropped = 0;

    constructor(options: EventRecorderOptions) {
        this.#options = options;
    }

    /** Events kept, and events read but not kept (past `maxEvents`). */
    get kept(): number {
        return this.#kept;
    }

    get dropped(): number {
        return this.#dropped;
    }

    users(): IterableIterator<RecordedUser> {
        return this.#users.values();
    }

    user(userId: string): RecordedUser | undefined {
        return this.#users.get(userId);
    }

    /** Takes one batch's parsed events (ProcessSignInBatchOptions.onParsed). */
    readonly add = (byUser: ReadonlyMap<string, readonly UserEvent[]>): void => {
        for (const [userId, events] of byUser) {
            const room = this.#options.maxEvents - this.#kept;
            if (room <= 0) {
                this.#dropped += events.length;
                continue;
            }
            const taken = events.length > room ? events.slice(0, room) : events;
            this.#dropped += events.length - taken.length;
            this.#kept += taken.length;
            let user = this.#users.get(userId);
            if (!user) {
                user = { userId, chunks: [] };
                this.#users.set(userId, user);
            }
            const compact = taken.map((e) => this.#compact(e, user));
            const last = user.chunks.at(-1);
            if (last && this.#fits(last, compact)) last.push(...compact);
            else user.chunks.push(compact);
        }
    };

    #fits(chunk: readonly UserEvent[], more: readonly UserEvent[]): boolean {
        let lo = Infinity;
        let hi = -Infinity;
        for (const list of [chunk, more]) {
            for (const e of list) {
                lo = Math.min(lo, e.time);
                hi = Math.max(hi, e.time);
            }
        }
        return hi - lo <= this.#options.chunkSpanMs;
    }

    #intern(text: string | undefined): string | undefined {
        if (text === undefined) return undefined;
        const known = this.#texts.get(text);
        if (known !== undefined) return known;
        if (this.#texts.size < MAX_INTERNED) this.#texts.set(text, text);
        return text;
    }

    #compact(e: UserEvent, user: RecordedUser): UserEvent {
        if (e.userPrincipalName) user.userPrincipalName = e.userPrincipalName;
        const ipAddress = this.#intern(e.ipAddress);
        if (isSecurityInfoEvent(e)) {
            const c: SecurityInfoEvent = {
                kind: e.kind,
                userId: user.userId,
                time: e.time,
                methods: e.methods.map((m) => this.#intern(m)!),
                initiatedBy: e.initiatedBy,
                recordId: e.recordId,
                keys: e.keys.map(flat),
                ...(ipAddress !== undefined ? { ipAddress } : {}),
            };
            return c;
        }
        const app = this.#intern(e.appDisplayName);
        const userType = this.#intern(e.userType);
        const c: SignInEvent = {
            userId: user.userId,
            time: e.time,
            kind: e.kind,
            // Row ids are evidence, which neither the sweep nor the timelines show; the keys identify the prompt.
            recordId: '',
            keys: e.keys.map(flat),
            ...(ipAddress !== undefined ? { ipAddress } : {}),
            ...(app !== undefined ? { appDisplayName: app } : {}),
            ...(userType !== undefined ? { userType } : {}),
            ...(e.asn !== undefined ? { asn: e.asn } : {}),
            ...(e.drillId !== undefined ? { drillId: e.drillId } : {}),
        };
        return c;
    }
}
