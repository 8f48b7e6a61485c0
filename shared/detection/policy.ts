/** When a user counts as under attack. Every field comes from a setting (see shared/settings/detection.ts). */
export interface DetectionPolicy {
    /** N: weighted push denials within the window that open an incident. */
    readonly denialThreshold: number;
    /** W: the sliding window, by event time, in ms. Also the quiet gap that ends an attack episode. */
    readonly windowMs: number;
    /** Weight of an unanswered push (0 = ignore timeouts, 1 = count them as denials). */
    readonly timeoutWeight: number;
    /**
     * K: weighted denials within W before a fresh MFA approval that open a spam-then-success incident; also the
     * refused prompts from the approving source within the long window that do.
     */
    readonly spamThenSuccessMinDenials: number;
    /** The long window, by event time, in ms (SUSTAINED_WINDOW_HOURS, at most the retention). */
    readonly sustainedWindowMs: number;
    /** Weighted prompts within the long window that open a `sustained` incident, however they are paced. */
    readonly sustainedThreshold: number;
    /**
     * How far before the prompt that completed a trigger the removal of new methods reaches at most, in ms
     * (REMOVAL_LOOKBACK_MINUTES): the attack as a person dates it, never a chain of sparse prompts hours earlier.
     */
    readonly removalLookbackMs: number;
    /** A fraud report opens an incident at once. */
    readonly fraudReportOpensIncident: boolean;
    /** How far behind the newest event a late record still counts, in ms; older state is pruned. */
    readonly retentionMs: number;
    /** Bound on remembered prompts per user, newest kept. */
    readonly maxPromptsPerUser: number;
    /** How far ahead of the wall clock an event may be dated, in ms; later ones never reach a user's state. */
    readonly maxClockSkewMs: number;
    /**
     * How long after an unreleased attack's last prompt a method registered for the user is taken as the attacker's
     * persistence, in ms (PERSISTENCE_WINDOW_HOURS).
     */
    readonly persistenceWindowMs: number;
}

export const DEFAULT_POLICY: DetectionPolicy = {
    denialThreshold: 5,
    windowMs: 10 * 60_000,
    timeoutWeight: 0.5,
    spamThenSuccessMinDenials: 3,
    sustainedWindowMs: 4 * 3_600_000,
    sustainedThreshold: 15,
    removalLookbackMs: 60 * 60_000,
    fraudReportOpensIncident: true,
    retentionMs: 24 * 3_600_000,
    maxPromptsPerUser: 500,
    maxClockSkewMs: 60 * 60_000,
    persistenceWindowMs: 24 * 3_600_000,
};
