/**
 * The one table of strings that turns Entra's free-text result details into a kind of MFA outcome.
 *
 * Every entry names its source. Matching is case-insensitive on lower-cased text, because Entra and Sentinel
 * themselves disagree on case ("MFA Denied" vs "MFA denied"). Order matters: the first matching rule wins, so the
 * most telling outcome (a fraud report) comes before the plain denial.
 */

/**
 * What one sign-in row says happened to an MFA prompt: a push declined or left unanswered, a phone call hung up or
 * sent to voicemail, a wrong SMS code, a fraud report (by app or by phone), a fresh approval. These are the kinds the
 * counter stores, declared once as a list (telemetry's event kinds start with it).
 */
export const MFA_KINDS = [
    'push-denied',
    'push-timeout',
    'voice-denied',
    'voice-timeout',
    'sms-wrong-code',
    'fraud-report',
    'mfa-approved',
] as const;
export type MfaKind = (typeof MFA_KINDS)[number];

/** A sign-in row's kind: an MFA outcome, or something else (`other` never reaches storage). */
export type SignInKind = MfaKind | 'other';

/** Kinds that mean a prompt the user did not accept: what an attack is counted in. */
export const DENIAL_KINDS: ReadonlySet<MfaKind> = new Set([
    'push-denied',
    'push-timeout',
    'voice-denied',
    'voice-timeout',
    'sms-wrong-code',
    'fraud-report',
]);

/** Unanswered prompts: they weigh TIMEOUT_WEIGHT (a phone in a drawer also leaves a prompt unanswered). */
export const UNANSWERED_KINDS: ReadonlySet<MfaKind> = new Set(['push-timeout', 'voice-timeout']);

/**
 * When rows of one prompt disagree, the most telling outcome wins: a fraud report over a denial over a timeout over
 * an approval. Used by the parser (which failed step of a row explains it) and by detection (which row of a prompt
 * decides it).
 */
export const KIND_RANK: Readonly<Record<SignInKind, number>> = {
    other: 0,
    'mfa-approved': 1,
    'push-timeout': 2,
    'voice-timeout': 3,
    'sms-wrong-code': 4,
    'voice-denied': 5,
    'push-denied': 6,
    'fraud-report': 7,
};

/**
 * Error code Entra writes when strong authentication (MFA) failed. Both `resultType` ("500121", a string in Event Hub
 * records) and `status.errorCode` (500121, a number) carry it.
 * Source: Sigma "Multifactor Authentication Interupted" (ResultType 500121); Splunk
 * azure_ad_multiple_denied_mfa_requests_for_user (status.errorCode=500121).
 */
export const MFA_DENIED_ERROR_CODE = 500121;

/**
 * "KmsiInterrupt": the "keep me signed in?" question Entra asks right after a completed sign-in, MFA included. Its row
 * carries the successful MFA step, so it marks an approval as well as a `0` row does.
 * Source: https://learn.microsoft.com/entra/identity-platform/reference-error-codes (50140, "expected part of the sign in flow").
 */
export const KMSI_INTERRUPT_CODE = 50140;

interface DenialRule {
    readonly kind: Exclude<SignInKind, 'mfa-approved'>;
    /** All of these must occur in the lower-cased text. */
    readonly allOf: readonly string[];
    /** At least one of these must occur, when present. */
    readonly anyOf?: readonly string[];
    /** Only when the failed step's method (lower-cased) has one of these: "incorrect code" means SMS only with SMS. */
    readonly methods?: readonly string[];
    readonly source: string;
}

/**
 * Rules for the text of a 500121 failure (`status.additionalDetails`, or the `authenticationStepResultDetail` of a
 * failed `authenticationDetails` step). The `mfa denied` prefix is also written as "Azure Multi-Factor Authentication
 * denied;" by older tenants, so the rules look for "denied" rather than the whole prefix.
 */
export const DENIAL_RULES: readonly DenialRule[] = [
    {
        // "MFA denied; Phone App Reported Fraud" and the voice-call "Fraud code entered" variant.
        kind: 'fraud-report',
        allOf: ['denied', 'fraud'],
        source: 'Azure-Sentinel ExplicitMFADeny.yaml ("MFA denied; Phone App Reported Fraud"); MFARejectedbyUser.yaml (has "fraud")',
    },
    {
        // An attempt that is still open: an intermediate row, not a decision by the user.
        kind: 'other',
        allOf: ['denied', 'authentication in-progress'],
        source: 'entra-docs howto-mfa-reporting.md ("MFA denied; authentication in-progress")',
    },
    {
        kind: 'push-denied',
        allOf: ['denied', 'declined the authentication'],
        source: 'Azure-Sentinel MFARejectedbyUser.yaml ("MFA denied; user declined the authentication"); Splunk azure_ad_multiple_denied_mfa_requests_for_user',
    },
    {
        // Microsoft's current spelling is "didn't respond", older docs and Sentinel write "did not respond".
        kind: 'push-timeout',
        allOf: ['denied'],
        anyOf: ['did not respond to mobile app notification', "didn't respond to mobile app notification"],
        source: 'Azure-Sentinel MFASpammingfollowedbySuccessfullogin.yaml; entra-docs howto-mfa-reporting.md',
    },
    {
        kind: 'voice-denied',
        allOf: ['denied', 'hung up'],
        source: 'entra-docs howto-mfa-reporting.md ("MFA denied; user hung up the phone call without succeeding the authentication"; report code FAILED_USER_HUNGUP_ON_US)',
    },
    {
        kind: 'voice-timeout',
        allOf: ['denied'],
        anyOf: ['went to voicemail', 'no phone input'],
        source: 'entra-docs howto-mfa-reporting.md ("MFA denied; phone call went to voicemail"; SUCCESS_NO_PIN_BUT_TIMEOUT "No Phone Input - Timed Out")',
    },
    {
        kind: 'sms-wrong-code',
        allOf: ['denied'],
        anyOf: ['incorrect code', 'never entered the verification code'],
        methods: ['sms', 'text message'],
        source: 'entra-docs howto-mfa-reporting.md ("MFA denied; user entered incorrect code", "entered incorrect code too many times"; FAILED_SMS_OTP_INCORRECT); Graph authenticationDetail authenticationMethod "SMS", portal "Text message"',
    },
];

/**
 * Texts that mark MFA as satisfied by something other than a fresh approval now. A success row that only carries
 * these is not an `mfa-approved`: the user did not just tap Approve.
 * Source: beats fixture test-non-interactive-user-signin.log ("MFA requirement satisfied by claim in the token");
 * entra-docs howto-mfa-reporting.md (satisfied list: claim in the token, claim provided by external provider,
 * skipped due to ...); Graph authenticationDetail (authenticationMethod "Previously satisfied").
 */
export const NOT_FRESH_MFA_MARKERS: readonly string[] = [
    'satisfied by claim',
    'previously satisfied',
    'skipped',
    'has expired',
    'registration prompted',
];

/**
 * Texts that mark a fresh MFA completion.
 * Source: Azure-Sentinel MFASpammingfollowedbySuccessfullogin.yaml ("MFA successfully completed"); entra-docs
 * howto-mfa-reporting.md ("MFA completed in the cloud", "MFA requirement satisfied by strong authentication").
 */
export const FRESH_MFA_MARKERS: readonly string[] = [
    'mfa successfully completed',
    'mfa completed in',
    'satisfied by strong authentication',
];

/** Authentication methods that are never a fresh approval (Graph authenticationDetail.authenticationMethod). */
export const NOT_FRESH_METHODS: readonly string[] = ['previously satisfied', 'satisfied by token'];

/**
 * Classifies the lower-cased text of a 500121 failure, with the lower-cased method of its failed step when known.
 * Returns undefined when no rule matches.
 */
export function classifyDenialText(lowerText: string, lowerMethod = ''): DenialRule['kind'] | undefined {
    for (const rule of DENIAL_RULES) {
        if (!rule.allOf.every((s) => lowerText.includes(s))) continue;
        if (rule.anyOf && !rule.anyOf.some((s) => lowerText.includes(s))) continue;
        if (rule.methods && !rule.methods.some((m) => lowerMethod.includes(m))) continue;
        return rule.kind;
    }
    return undefined;
}

/** One case-insensitive test for any of the texts (the tables above stay the single source). */
function anyOf(texts: readonly string[], exact = false): RegExp {
    const alternatives = texts.map((t) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|');
    return new RegExp(exact ? `^(?:${alternatives})$` : alternatives, 'i');
}

/** The texts of NOT_FRESH_MFA_MARKERS, FRESH_MFA_MARKERS and NOT_FRESH_METHODS as tests, compiled once. */
export const NOT_FRESH_MFA = anyOf(NOT_FRESH_MFA_MARKERS);
const FRESH_MFA = anyOf(FRESH_MFA_MARKERS);
export const NOT_FRESH_METHOD = anyOf(NOT_FRESH_METHODS, true);

/**
 * True when the text (any case) says MFA was completed just now. Runs on every successful sign-in of the stream,
 * before validation, so it tests in place instead of lower-casing copies.
 */
export function isFreshMfaText(text: string): boolean {
    return text !== '' && FRESH_MFA.test(text) && !NOT_FRESH_MFA.test(text);
}
