/**
 * The one table of strings that turns Entra's free-text result details into a kind of MFA outcome.
 *
 * Every text names its source and says why it means what it is counted as. Matching is case-insensitive on
 * lower-cased text, because Entra and Sentinel themselves disagree on case ("MFA Denied" vs "MFA denied"), and on
 * substrings, because the prefix varies ("MFA denied; ", older tenants "Azure Multi-Factor Authentication denied; ",
 * Microsoft's security operations guide "MFA denied, "). Order matters: the first matching text wins, so the most
 * telling outcome (a fraud report) comes before the plain denial.
 */

import { KIND_RANK, SignInKind } from './mfaKinds';

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

/** What a failure text says: an MFA outcome, or `other` (no prompt reached the user, or no decision yet). */
export type FailureOutcome = Exclude<SignInKind, 'mfa-approved'>;

/** The outcome by the failed step's method (lower-cased), where the text alone does not tell. */
interface ByMethod {
    readonly when: ReadonlyArray<{ readonly methods: readonly string[]; readonly outcome: FailureOutcome }>;
    /** A method is known and none of `when` names it. */
    readonly otherwise: FailureOutcome;
    /** The record names no method (Graph v1.0 has no authenticationDetails): the outcome when it cannot be told. */
    readonly unknown: FailureOutcome;
}

export interface FailureText {
    /** The text as Entra writes it after its "MFA denied; " prefix: what each text's test sends. */
    readonly text: string;
    /** Lower-cased substrings that identify it, any of which is enough (default: the text itself). */
    readonly anyOf?: readonly string[];
    readonly outcome: FailureOutcome | ByMethod;
    /** Why it means that: what the user saw, and who could have done it. */
    readonly why: string;
    readonly source: string;
    /** Entra's generic text, written when no step says why: another text of the row decides before it. */
    readonly generic?: true;
    /** Its rows of one sign-in (correlation id) are one prompt, however their steps are dated. */
    readonly onePromptPerSignIn?: true;
}

const MFA_REPORTING = 'https://learn.microsoft.com/entra/identity/authentication/howto-mfa-reporting';
const SMS = ['sms', 'text message'];
const VOICE = ['voice', 'phone call'];
/** A code typed at the sign-in screen: only an SMS code was sent to the user's phone as a prompt. */
const CODE_AT_SCREEN =
    'whoever is at the sign-in screen types the code: only a texted code was a prompt on the user phone';

/**
 * Every text Entra writes for a failed MFA step (`status.additionalDetails`, or the `authenticationStepResultDetail`
 * of a failed `authenticationDetails` step) that the sources below name, with its outcome. A 500121 text that none
 * of these names still counts, as a failed prompt of unknown outcome (see classifyFailureTexts): a wording Microsoft
 * adds tomorrow must not blind detection.
 */
export const FAILURE_TEXTS: readonly FailureText[] = [
    {
        text: 'Phone App Reported Fraud',
        outcome: 'fraud-report',
        why: 'the user denied the push and chose "report fraud" in Microsoft Authenticator',
        source: 'Azure-Sentinel ExplicitMFADeny.yaml and pull request #4565 ("MFA denied; Phone App Reported Fraud")',
    },
    {
        text: 'Fraud Code Entered',
        outcome: 'fraud-report',
        why: 'the user answered a phone call with the fraud code',
        source: 'https://learn.microsoft.com/entra/architecture/security-operations-privileged-accounts ("MFA denied, fraud code entered"); Graph beta authenticationDetail (https://learn.microsoft.com/graph/api/resources/authenticationdetail?view=graph-rest-beta)',
    },
    {
        text: 'Fraud reported',
        anyOf: ['fraud'],
        outcome: 'fraud-report',
        why: 'any other wording of a fraud report: the user said the prompt was not theirs',
        source: 'Azure-Sentinel MFARejectedbyUser.yaml (additionalDetails has "fraud") and pull request #8236',
    },
    {
        text: 'duplicate authentication attempt',
        outcome: 'prompt-failed',
        onePromptPerSignIn: true,
        why: 'a second request for a sign-in still in progress: the text gives no decision, yet a real fraud report has been logged under it alone (Azure-Sentinel #9092); its rows of one sign-in are one prompt of unknown outcome',
        source: `${MFA_REPORTING}; https://github.com/Azure/Azure-Sentinel/issues/9092; splunk/security_content pull request #3181`,
    },
    {
        text: 'authentication in-progress',
        anyOf: ['authentication in-progress', 'authentication in progress'],
        outcome: 'other',
        why: 'an intermediate row of a prompt still open: the row with its outcome follows',
        source: MFA_REPORTING,
    },
    {
        text: 'user declined the authentication',
        anyOf: ['declined the authentication'],
        outcome: 'push-denied',
        why: 'the user tapped Deny',
        source: 'Azure-Sentinel MFARejectedbyUser.yaml; Splunk azure_ad_multiple_denied_mfa_requests_for_user',
    },
    {
        text: 'user did not select the correct number',
        anyOf: ['did not select the correct number', "didn't select the correct number"],
        outcome: 'push-denied',
        why: 'with number matching the user types the number the sign-in screen shows; someone who did not start the sign-in cannot know it: a prompt refused',
        source: 'https://github.com/Azure/Azure-Sentinel/issues/10230 ("MFA denied; user did not select the correct number")',
    },
    {
        text: "user didn't respond to mobile app notification",
        anyOf: ['did not respond to mobile app notification', "didn't respond to mobile app notification"],
        outcome: 'push-timeout',
        why: 'the push went unanswered (older texts write "did not")',
        source: `${MFA_REPORTING}; Azure-Sentinel MFASpammingfollowedbySuccessfullogin.yaml`,
    },
    {
        text: 'user hung up the phone call without succeeding the authentication',
        anyOf: ['hung up'],
        outcome: 'voice-denied',
        why: 'the user refused the phone call',
        source: `${MFA_REPORTING} (report code FAILED_USER_HUNGUP_ON_US)`,
    },
    {
        text: 'phone call went to voicemail',
        anyOf: ['went to voicemail', 'no phone input'],
        outcome: 'voice-timeout',
        why: 'the phone call went unanswered ("No Phone Input - Timed Out" in the older report)',
        source: `${MFA_REPORTING}; Graph beta authenticationDetail ("no phone input - timed out")`,
    },
    {
        text: 'user entered incorrect PIN',
        anyOf: ['incorrect pin'],
        outcome: {
            when: [{ methods: VOICE, outcome: 'voice-denied' }],
            otherwise: 'push-denied',
            unknown: 'push-denied',
        },
        why: 'the PIN is typed on the user phone in answer to the call or notification: whoever holds the phone answered and did not pass',
        source: MFA_REPORTING,
    },
    {
        text: 'user entered incorrect code',
        anyOf: ['incorrect code'],
        outcome: { when: [{ methods: SMS, outcome: 'sms-wrong-code' }], otherwise: 'other', unknown: 'prompt-failed' },
        why: `${CODE_AT_SCREEN}; "entered incorrect code too many times" too; no method named: unknown outcome`,
        source: `${MFA_REPORTING} (FAILED_SMS_OTP_INCORRECT); Graph authenticationDetail authenticationMethod "SMS", portal "Text message"`,
    },
    {
        text: 'invalid verification code',
        outcome: { when: [{ methods: SMS, outcome: 'sms-wrong-code' }], otherwise: 'other', unknown: 'prompt-failed' },
        why: `a wrong code for a code sent by text message; ${CODE_AT_SCREEN}`,
        source: `${MFA_REPORTING}; https://github.com/Azure/Azure-Sentinel/issues/10230 (number-matching and text-message steps of one sign-in)`,
    },
    {
        text: 'user never entered the verification code',
        anyOf: ['never entered the verification code'],
        outcome: { when: [{ methods: SMS, outcome: 'sms-wrong-code' }], otherwise: 'other', unknown: 'prompt-failed' },
        why: `a code was texted to the user phone and never typed at the sign-in screen; ${CODE_AT_SCREEN}`,
        source: MFA_REPORTING,
    },
    {
        text: 'invalid mobile app verification code',
        outcome: 'other',
        why: 'a code from the Authenticator app or a token typed at the sign-in screen: nothing was sent to the user',
        source: `${MFA_REPORTING} (FAILED_OATH_CODE_INCORRECT)`,
    },
    {
        text: 'verification code already used once',
        outcome: 'other',
        why: 'a code replayed at the sign-in screen: no new prompt reached the user',
        source: MFA_REPORTING,
    },
    {
        text: 'user is blocked',
        outcome: 'other',
        why: 'Entra sends a blocked user no prompt (a block follows a fraud report, which counted when it was made)',
        source: `${MFA_REPORTING}; Azure-Sentinel Hunting Queries/SigninLogs/MFAUserBlocked.yaml`,
    },
    {
        text: 'unable to send the mobile app notification',
        outcome: 'other',
        why: 'the notification never reached the device: the user saw no prompt ("… to the device" too)',
        source: MFA_REPORTING,
    },
    {
        text: "unable to reach the user's phone",
        anyOf: ['unable to reach the user'],
        outcome: 'other',
        why: 'the call or text never reached the phone: the user saw no prompt',
        source: MFA_REPORTING,
    },
    {
        text: 'phone number has an invalid format',
        outcome: 'other',
        why: 'nothing could be sent: the user saw no prompt',
        source: MFA_REPORTING,
    },
    {
        text: "user doesn't have any verification methods registered",
        anyOf: ['any verification methods registered'],
        outcome: 'other',
        why: 'no method to prompt: the user saw no prompt',
        source: MFA_REPORTING,
    },
    {
        text: 'user not found',
        outcome: 'other',
        why: 'no such MFA user: nothing was sent',
        source: MFA_REPORTING,
    },
    {
        text: 'misconfiguration',
        outcome: 'other',
        why: 'a tenant or service fault before any prompt was sent',
        source: MFA_REPORTING,
    },
    {
        text: 'service error',
        outcome: 'other',
        why: 'a service fault before any prompt was sent',
        source: MFA_REPORTING,
    },
    {
        text: 'invalid authentication',
        outcome: 'prompt-failed',
        why: 'the text does not say whether a prompt was shown or what became of it: unknown outcome',
        source: MFA_REPORTING,
    },
    {
        text: "The user didn't complete the MFA prompt. They may have decided not to authenticate, timed out while doing other work, or has an issue with their authentication setup.",
        anyOf: ["didn't complete the mfa prompt", 'did not complete the mfa prompt'],
        outcome: 'prompt-failed',
        generic: true,
        why: "Entra's generic text for 500121 when no step says why: a prompt failed, outcome unknown",
        source: 'https://learn.microsoft.com/entra/identity/monitoring-health/howto-troubleshoot-sign-in-errors; https://login.microsoftonline.com/error?code=500121',
    },
];

/**
 * What the beta signIn's `authenticationAppPolicyEvaluationDetails[].status` says about a number-matching answer: a
 * wrong number, or Deny on the number-matching screen. Other statuses (app or location context shown, …) say nothing
 * about the outcome. Source: https://learn.microsoft.com/graph/api/resources/authenticationapppolicydetails?view=graph-rest-beta
 */
export const APP_POLICY_STATUSES: Readonly<Record<string, FailureOutcome>> = {
    numbermatchincorrectnumberentered: 'push-denied',
    numbermatchdeny: 'push-denied',
};

const MATCHERS = FAILURE_TEXTS.map((t) => ({ t, needles: t.anyOf ?? [t.text.toLowerCase()] }));

/** The entry of the table whose text occurs in the lower-cased text of a 500121 failure, if any. */
export function findFailureText(lowerText: string): FailureText | undefined {
    return MATCHERS.find(({ needles }) => needles.some((n) => lowerText.includes(n)))?.t;
}

/** What an entry means, given the lower-cased method of the failed step ('' when the record names none). */
export function outcomeOf(t: FailureText, lowerMethod: string): FailureOutcome {
    if (typeof t.outcome === 'string') return t.outcome;
    if (lowerMethod === '') return t.outcome.unknown;
    const byMethod = t.outcome.when.find((w) => w.methods.some((m) => lowerMethod.includes(m)));
    return byMethod?.outcome ?? t.outcome.otherwise;
}

/**
 * The outcome the table gives the lower-cased text of a 500121 failure, with the lower-cased method of its failed
 * step when known. Undefined when no text of the table occurs in it.
 */
export function classifyDenialText(lowerText: string, lowerMethod = ''): FailureOutcome | undefined {
    const t = findFailureText(lowerText);
    return t && outcomeOf(t, lowerMethod);
}

/**
 * Decides a 500121 row from what each of its texts says (undefined: missing, unknown, or Entra's generic text, which
 * says nothing another text does not): the most telling outcome a text gives — `other` when the only known texts say
 * no prompt reached the user — and otherwise a failed prompt of unknown outcome. Never blind: a row Entra calls an
 * MFA failure is `other` only when a known text says why.
 */
export function decideFailure(outcomes: ReadonlyArray<FailureOutcome | undefined>): FailureOutcome {
    let best: FailureOutcome | undefined;
    for (const o of outcomes) if (o !== undefined && (best === undefined || KIND_RANK[o] > KIND_RANK[best])) best = o;
    return best ?? 'prompt-failed';
}

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
