import { mergeEvents } from '../shared/detection/mergePrompts';
import { mergeRegistrations } from '../shared/detection/persistence';
import type { Incident } from '../shared/detection/userState';
import type { MfaKind } from '../shared/signin/mfaKinds';
import { isSecurityInfoEvent, SecurityInfoChange, SecurityInfoEvent, SignInEvent } from '../shared/signin/signInEvent';
import type { RecordedUser } from './replayEvents';

/** One prompt (its rows merged, as detection counts it) or one security-information change, on a timeline. */
export interface TimelineEntry {
    readonly time: number;
    readonly kind: MfaKind | SecurityInfoChange;
    readonly ipAddress?: string;
    readonly app?: string;
    /** For a method registered: the method types. */
    readonly methods?: readonly string[];
}

export interface Timeline {
    /** The span drawn, ms: the incident with a window on each side. */
    readonly from: number;
    readonly to: number;
    /** In time order, at most `maxEntries` (spread over the span when there are more). */
    readonly entries: readonly TimelineEntry[];
    /** Entries in the span that were left out to keep the report bounded. */
    readonly omitted: number;
}

/** Entries drawn per incident at most: an attacker chooses how many prompts to send. */
export const MAX_TIMELINE_ENTRIES = 400;

/**
 * The user's prompts and security-information changes around an incident: from a window before its first prompt to
 * a window after its last (or after the approval, or the trigger, whichever is later). Rows are merged into prompts
 * exactly as detection merges them, so the timeline shows what was counted.
 */
export function incidentTimeline(
    user: RecordedUser | undefined,
    incident: Incident,
    windowMs: number,
    maxEntries: number = MAX_TIMELINE_ENTRIES,
): Timeline {
    const start = Math.min(incident.firstSeen, incident.attackFirstSeen ?? incident.firstSeen, incident.detectedAt);
    const end = Math.max(incident.lastSeen, incident.detectedAt, incident.approval?.at ?? 0);
    const from = start - windowMs;
    const to = end + windowMs;
    const signIns: SignInEvent[] = [];
    const changes: SecurityInfoEvent[] = [];
    for (const chunk of user?.chunks ?? []) {
        for (const e of chunk) {
            if (e.time < from || e.time > to) continue;
            if (isSecurityInfoEvent(e)) changes.push(e);
            else signIns.push(e);
        }
    }
    const prompts = mergeEvents([], signIns, from).prompts;
    const entries: TimelineEntry[] = [
        ...prompts.map((p) => ({
            time: p.time,
            kind: p.kind,
            ...(p.ipAddress !== undefined ? { ipAddress: p.ipAddress } : {}),
            ...(p.app !== undefined ? { app: p.app } : {}),
        })),
        // Audit rows are merged by a scan: bounded first, so that no flood of them makes the report slow.
        ...mergeRegistrations([], changes.slice(0, 4 * maxEntries)).map((r) => ({
            time: r.time,
            kind: r.kind,
            methods: r.methods,
            ...(r.ipAddress !== undefined ? { ipAddress: r.ipAddress } : {}),
        })),
    ].sort((a, b) => a.time - b.time);
    const kept = bound(entries, maxEntries);
    return { from, to, entries: kept, omitted: entries.length - kept.length };
}

/** The kinds a flood is made of; anything else (an approval, a fraud report, a new method) is rare and telling. */
const COMMON: ReadonlySet<TimelineEntry['kind']> = new Set(['push-denied', 'push-timeout']);

/**
 * At most `max` entries, spread evenly over the span so that a flood still shows its shape; the rare, telling ones
 * (up to a quarter of the room) are always kept.
 */
function bound(entries: readonly TimelineEntry[], max: number): TimelineEntry[] {
    if (entries.length <= max) return [...entries];
    const rare = entries.filter((e) => !COMMON.has(e.kind)).slice(0, Math.floor(max / 4));
    const common = entries.filter((e) => COMMON.has(e.kind));
    const room = max - rare.length;
    const step = common.length / room;
    const sampled =
        common.length <= room ? common : Array.from({ length: room }, (_, i) => common[Math.floor(i * step)]!);
    return [...rare, ...sampled].sort((a, b) => a.time - b.time);
}
