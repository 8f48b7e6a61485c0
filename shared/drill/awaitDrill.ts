import { PERSISTENCE_TRIGGER } from '../detection/userState';
import { ContainedIncident, containedIncidents, UserRow, UserRowStore } from '../userRow/userRow';
import { readUserRow } from '../userRow/userRowShape';

/** What became of a drill in the canary's row. */
export type DrillOutcome =
    /** The incident the drill opened (its trigger prompt carried the drill's id). */
    | { readonly kind: 'opened'; readonly found: ContainedIncident }
    /** The drill's prompts joined an incident that was already open (an earlier drill or attack): no new one. */
    | { readonly kind: 'joined'; readonly found: ContainedIncident };

/** Finds the drill's incident in a user's row, by its id or by the drill's record ids in the evidence. */
export function findDrillOutcome(
    row: UserRow,
    drillId: string,
    recordIds: readonly string[],
): DrillOutcome | undefined {
    const all = containedIncidents(row);
    const opened = all.find((c) => c.incident.drillId === drillId);
    if (opened) return { kind: 'opened', found: opened };
    const ids = new Set(recordIds.map((r) => r.toLowerCase()));
    const joined = all.find((c) => c.incident.evidence.some((e) => ids.has(e.toLowerCase())));
    return joined ? { kind: 'joined', found: joined } : undefined;
}

/**
 * An attack incident of the user that prompts at `at` would join (within the window of its prompts, not released):
 * a drill sent now would add to it instead of opening its own, and the drill would time out.
 */
export function openEpisode(row: UserRow | undefined, at: number, windowMs: number): ContainedIncident | undefined {
    if (!row) return undefined;
    return containedIncidents(row).find(
        ({ incident: i }) =>
            i.trigger !== PERSISTENCE_TRIGGER &&
            i.closedAt === undefined &&
            at >= i.firstSeen - windowMs &&
            at <= i.lastSeen + windowMs,
    );
}

/** The canary's row as stored now, read from the store itself (a drill needs no containment settings). */
export async function loadUserRow(store: UserRowStore, userId: string): Promise<UserRow | undefined> {
    const stored = await store.read(userId);
    return stored ? readUserRow(stored.doc) : undefined;
}

/**
 * Polls the canary's row until the drill shows up, or until `deadline` (wall clock, ms); then `outcome` is absent
 * and `lastError` says why the last read failed, if it did.
 */
export async function awaitDrill(
    store: UserRowStore,
    userId: string,
    match: { drillId: string; recordIds: readonly string[] },
    options: { deadline: number; pollMs?: number; now?: () => number; sleep?: (ms: number) => Promise<void> },
): Promise<{ outcome?: DrillOutcome; seenAt: number; lastError?: Error }> {
    const now = options.now ?? Date.now;
    const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    let lastError: Error | undefined;
    for (;;) {
        try {
            const row = await loadUserRow(store, userId);
            // The incident and its containment plan are written together: one read sees both.
            const outcome = row && findDrillOutcome(row, match.drillId, match.recordIds);
            if (outcome) return { outcome, seenAt: now() };
            lastError = undefined;
        } catch (e) {
            // A storage hiccup is no reason to give up on a drill already sent: keep polling until the deadline.
            lastError = e instanceof Error ? e : new Error(String(e));
        }
        if (now() >= options.deadline) return { seenAt: now(), ...(lastError ? { lastError } : {}) };
        await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, options.deadline - now())));
    }
}
