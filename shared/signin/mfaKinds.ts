/**
 * The kinds of MFA outcome a sign-in row can be, and how they weigh and rank: declared once, for the parser,
 * detection and telemetry. Which text means which kind is matchers.ts.
 */

/**
 * What one sign-in row says happened to an MFA prompt: a push declined or left unanswered, a phone call hung up or
 * sent to voicemail, a wrong SMS code, a fraud report (by app or by phone), a failed prompt whose outcome the record
 * does not say, a fresh approval. These are the kinds the counter stores, declared once as a list (telemetry's event
 * kinds start with it).
 */
export const MFA_KINDS = [
    'push-denied',
    'push-timeout',
    'voice-denied',
    'voice-timeout',
    'sms-wrong-code',
    'fraud-report',
    'mfa-approved',
    'prompt-failed',
] as const;
export type MfaKind = (typeof MFA_KINDS)[number];

/** A sign-in row's kind: an MFA outcome, or something else (`other` never reaches storage). */
export type SignInKind = MfaKind | 'other';

/** Kinds that mean a prompt the user did not accept: what an attack is counted in. */
export const DENIAL_KINDS: ReadonlySet<MfaKind> = new Set(MFA_KINDS.filter((k) => k !== 'mfa-approved'));

/**
 * Prompts someone refused (declined, a wrong number or PIN, hung up, a wrong SMS code, a fraud report): they weigh 1.
 * Over hours only these tell an attack from a phone left in a drawer (see the long-window spam-then-success).
 */
export const REFUSED_KINDS: ReadonlySet<MfaKind> = new Set([
    'push-denied',
    'voice-denied',
    'sms-wrong-code',
    'fraud-report',
]);

/**
 * Prompts that weigh TIMEOUT_WEIGHT: unanswered ones (a phone in a drawer also leaves a prompt unanswered), and a
 * failed prompt whose outcome the record does not say, which is at least a prompt nobody accepted.
 */
export const UNANSWERED_KINDS: ReadonlySet<MfaKind> = new Set(['push-timeout', 'voice-timeout', 'prompt-failed']);

/**
 * When rows of one prompt disagree, the most telling outcome wins: a fraud report over a denial over a timeout over
 * a failure of unknown outcome over an approval. Used by the parser (which failed step of a row explains it) and by
 * detection (which row of a prompt decides it).
 */
export const KIND_RANK: Readonly<Record<SignInKind, number>> = {
    other: 0,
    'mfa-approved': 1,
    'prompt-failed': 2,
    'push-timeout': 3,
    'voice-timeout': 4,
    'sms-wrong-code': 5,
    'voice-denied': 6,
    'push-denied': 7,
    'fraud-report': 8,
};
