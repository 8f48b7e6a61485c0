/**
 * Which Entra audit activities change a way to authenticate, what each means (a method registered, updated, made
 * the default, deleted) and which method types a record names. The audit parser (auditLog.ts) reads records with it.
 *
 * Sources: the Entra audit activity reference
 * (https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities: "Authentication Methods" —
 * User/Admin registered, updated, deleted security info, User changed default security info, User registered all
 * required security info; "Core Directory" — Add / Remove users strong authentication phone app detail, Update user;
 * "Device Registration Service" — Add FIDO2 security key, Add Windows Hello for Business credential, Add passwordless
 * phone sign-in credential, Add platform credential), the TAP and passkey examples of the Entra security operations
 * guide (https://learn.microsoft.com/entra/architecture/security-operations-privileged-accounts: "Admin registered
 * security info" with the reason "Admin registered temporary access pass method for user"), and the legacy "Update
 * user." with a modified `StrongAuthenticationPhoneAppDetail` that Azure-Sentinel's hunting query
 * riskySignInToNewMFAMethod.yaml reads (the 2017 audit attribute list names StrongAuthenticationMethod,
 * StrongAuthenticationUserDetails and StrongAuthenticationPhoneAppDetail).
 */
import type { SecurityInfoChange } from './signInEvent';

/** A method type, named as Graph's authentication method resources are (`unknown` when the record does not say). */
export type MethodType =
    | 'microsoftAuthenticator'
    | 'fido2'
    | 'temporaryAccessPass'
    | 'windowsHelloForBusiness'
    | 'platformCredential'
    | 'softwareOath'
    | 'phone'
    | 'email'
    | 'unknown';

export interface Activity {
    readonly name: RegExp;
    /** What it changes; `legacy` for "Update user", which means a change only with StrongAuthentication* properties. */
    readonly change: SecurityInfoChange | 'legacy';
    /** The method the activity itself names, if any. */
    readonly method?: MethodType;
}

/** Activities (`activityDisplayName` / `operationName`) that change a user's ways to authenticate. */
export const ACTIVITIES: readonly Activity[] = [
    { name: /^(user|admin) registered security info$/i, change: 'method-registered' },
    { name: /^user registered all required security info$/i, change: 'method-registered' },
    { name: /^(user|admin) updated security info$/i, change: 'method-updated' },
    { name: /^(user|admin) changed default security info$/i, change: 'default-method-changed' },
    { name: /^(user|admin) deleted security info$/i, change: 'method-deleted' },
    { name: /^add fido2 security key$/i, change: 'method-registered', method: 'fido2' },
    { name: /^add passkey\b/i, change: 'method-registered', method: 'fido2' },
    {
        name: /^add passwordless phone sign-in credential$/i,
        change: 'method-registered',
        method: 'microsoftAuthenticator',
    },
    {
        name: /^add users? strong authentication phone app detail$/i,
        change: 'method-registered',
        method: 'microsoftAuthenticator',
    },
    {
        name: /^add windows hello for business credential$/i,
        change: 'method-registered',
        method: 'windowsHelloForBusiness',
    },
    { name: /^add platform credential$/i, change: 'method-registered', method: 'platformCredential' },
    {
        name: /^(remove|delete) users? strong authentication phone app detail$/i,
        change: 'method-deleted',
        method: 'microsoftAuthenticator',
    },
    { name: /^delete (fido2 security key|passkey\b)/i, change: 'method-deleted', method: 'fido2' },
    {
        name: /^delete windows hello for business credential$/i,
        change: 'method-deleted',
        method: 'windowsHelloForBusiness',
    },
    { name: /^update user\.?$/i, change: 'legacy' },
];

/**
 * Method types named in free text (resultReason, resultDescription, the AuthenticationMethod detail): first match
 * wins, so "Authenticator App with Notification and Code" is the app, not a code.
 */
const METHOD_TEXTS: ReadonlyArray<readonly [RegExp, MethodType]> = [
    [/temporary access pass/i, 'temporaryAccessPass'],
    [/passkey|fido2|fido|security key/i, 'fido2'],
    [/windows hello/i, 'windowsHelloForBusiness'],
    [/platform credential/i, 'platformCredential'],
    [/authenticator|phone app|passwordless phone|app notification/i, 'microsoftAuthenticator'],
    [/software oath|oath|third[- ]party/i, 'softwareOath'],
    [/phone|sms|text message|voice|mobile/i, 'phone'],
    [/e-?mail/i, 'email'],
];

export function methodTypeOf(text: string): MethodType | undefined {
    return METHOD_TEXTS.find(([re]) => re.test(text))?.[1];
}

/**
 * The legacy per-user MFA properties of "Update user" that give a way to authenticate, and the method each is.
 * StrongAuthenticationRequirement (per-user MFA on or off) gives none: it is not read. The values of
 * StrongAuthenticationMethod name the methods ("PhoneAppNotification", "OneWaySMS", ...) where they are present.
 */
const LEGACY_PROPERTIES: ReadonlyArray<readonly [RegExp, MethodType]> = [
    [/^strongauthenticationphoneappdetails?$/i, 'microsoftAuthenticator'],
    [/^strongauthenticationuserdetails?$/i, 'phone'],
    [/^strongauthenticationmethods?$/i, 'unknown'],
];

const LEGACY_VALUES: ReadonlyArray<readonly [RegExp, MethodType]> = [
    [/phoneapp(notification|otp)/i, 'microsoftAuthenticator'],
    [/onewaysms|twowayvoice|twowaysms/i, 'phone'],
];

/** A modified property value that holds nothing: the data was removed. */
const isEmptyValue = (v: string) => /^\s*("?\[\s*\]"?|""|null|)\s*$/i.test(v);

export interface ModifiedProperty {
    readonly displayName: string;
    readonly oldValue: string;
    readonly newValue: string;
}

/**
 * What an "Update user" changed of a user's ways to authenticate: nothing (undefined) unless a StrongAuthentication*
 * property that gives one was modified; a deletion when every such property lost its value; else an update, with
 * the method types the properties (and StrongAuthenticationMethod's values) name.
 */
export function legacyChange(
    properties: readonly ModifiedProperty[],
): { change: SecurityInfoChange; methods: MethodType[]; names: string[] } | undefined {
    // "Included Updated Properties" lists the names of a change whose values are logged apart.
    const included = properties
        .filter((p) => /^included updated properties$/i.test(p.displayName))
        .flatMap((p) => p.newValue.replace(/"/g, '').split(/[,\s]+/))
        .map((name) => ({ displayName: name, oldValue: '', newValue: 'x' }));
    const isRelevant = (p: ModifiedProperty) => LEGACY_PROPERTIES.some(([re]) => re.test(p.displayName));
    const direct = properties.filter(isRelevant);
    const relevant = direct.length > 0 ? direct : included.filter(isRelevant);
    if (relevant.length === 0) return undefined;
    const methods = new Set<MethodType>();
    for (const p of relevant) {
        const type = LEGACY_PROPERTIES.find(([re]) => re.test(p.displayName))![1];
        const named = LEGACY_VALUES.filter(([re]) => re.test(p.newValue) || re.test(p.oldValue)).map(([, t]) => t);
        for (const t of type === 'unknown' && named.length > 0 ? named : [type]) methods.add(t);
    }
    if (methods.size > 1) methods.delete('unknown');
    const deleted = relevant.every((p) => isEmptyValue(p.newValue) && !isEmptyValue(p.oldValue));
    return {
        change: deleted ? 'method-deleted' : 'method-updated',
        methods: [...methods],
        names: [...new Set(relevant.map((p) => p.displayName))],
    };
}
