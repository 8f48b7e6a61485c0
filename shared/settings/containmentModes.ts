/**
 * The values of the settings that choose how containment acts, declared once: the SETTINGS table accepts exactly
 * these, and the types the containment code uses are derived from them.
 */

/** CONTAINMENT_MODE: dry-run records every step and writes nothing to Graph; live contains. */
export const CONTAINMENT_MODES = ['dry-run', 'live'] as const;
export type ContainmentMode = (typeof CONTAINMENT_MODES)[number];

/** PUSH_BLOCK_MODE: add the user to the excluded group (reversible), or delete their Authenticator registrations. */
export const PUSH_BLOCK_MODES = ['group', 'remove-method'] as const;
export type PushBlockMode = (typeof PUSH_BLOCK_MODES)[number];

/** NOTIFY_FORMAT: plain JSON, or a Teams Workflows Adaptive Card. */
export const NOTIFY_FORMATS = ['json', 'teams'] as const;
export type NotifyFormat = (typeof NOTIFY_FORMATS)[number];
