/**
 * Builders of realistic Entra sign-in records in the Event Hub diagnostic format, shaped after the Microsoft schema
 * sample and Elastic's captured fixtures (test/fixtures/README.md names both). Deterministic:
 * every id comes from a seeded counter, so the bundled sample and the tests are reproducible.
 */

export const TENANT_ID = '72f988bf-86f1-41af-91ab-2d7cd011db47';

let counter = 0;
/** A deterministic GUID from a label and a running counter. */
export function guid(label: string | number = counter++): string {
    let h = 2166136261;
    for (const ch of String(label)) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
    const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
    const a = hex(h);
    const b = hex(Math.imul(h, 2654435761));
    const c = hex(Math.imul(h ^ 0x9e3779b9, 40503));
    const d = hex(Math.imul(h + 12345, 69069));
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-a${c.slice(1, 4)}-${c.slice(4)}${d}`;
}

export interface User {
    readonly id: string;
    readonly upn: string;
    readonly name: string;
}

export function user(name: string): User {
    const upn = `${name.toLowerCase().replace(/[^a-z0-9]+/g, '.')}@contoso.com`;
    return { id: guid(`user:${upn}`), upn, name };
}

type Step = Record<string, unknown>;

export interface SignInOptions {
    readonly user: User;
    readonly at: Date;
    readonly ip?: string;
    readonly app?: string;
    readonly category?: string;
    readonly resultType?: string;
    readonly additionalDetails?: string | null;
    readonly failureReason?: string;
    readonly steps?: Step[];
    readonly id?: string;
    readonly correlationId?: string;
    readonly originalRequestId?: string;
    readonly userType?: 'Member' | 'Guest';
    /** `autonomousSystemNumber`: the network the sign-in came from (none unless a test names one). */
    readonly asn?: number;
    /** `userAgent` (default a Chrome on Windows). */
    readonly userAgent?: string;
    /** `networkLocationDetails` (default none). */
    readonly networkLocationDetails?: Array<{ networkType: string; networkNames: string[] }>;
}

/**
 * Where a user signs in from unless a test says otherwise: an address of their own (its own /24, from their id), on a
 * large carrier. Only what a test names explicitly (an attacker's address) is shared between users.
 */
export function homeAddress(u: User): string {
    const h = parseInt(u.id.slice(0, 8), 16);
    return `${80 + (h % 40)}.${(h >>> 8) % 256}.${(h >>> 16) % 256}.${1 + ((h >>> 24) % 250)}`;
}

const iso7 = (d: Date) =>
    d
        .toISOString()
        .replace('Z', '0000Z')
        .replace(/\.(\d{3})0000Z$/, '.$10000Z');
const isoOffset = (d: Date) => iso7(d).replace('Z', '+00:00');

/** A SignInLogs (or NonInteractiveUserSignInLogs) record as Entra streams it. */
export function signIn(o: SignInOptions): Record<string, unknown> {
    const id = o.id ?? guid();
    const correlationId = o.correlationId ?? guid();
    const resultType = o.resultType ?? '0';
    const ip = o.ip ?? homeAddress(o.user);
    const status: Record<string, unknown> = { errorCode: Number(resultType) };
    if (o.failureReason) status.failureReason = o.failureReason;
    if (o.additionalDetails !== undefined) status.additionalDetails = o.additionalDetails;
    return {
        time: iso7(o.at),
        resourceId: `/tenants/${TENANT_ID}/providers/Microsoft.aadiam`,
        operationName: 'Sign-in activity',
        operationVersion: '1.0',
        category: o.category ?? 'SignInLogs',
        tenantId: TENANT_ID,
        resultType,
        resultSignature: 'None',
        ...(o.failureReason ? { resultDescription: o.failureReason } : {}),
        durationMs: 0,
        callerIpAddress: ip,
        correlationId,
        identity: o.user.name,
        Level: 4,
        location: 'NL',
        properties: {
            id,
            createdDateTime: isoOffset(o.at),
            userDisplayName: o.user.name,
            userPrincipalName: o.user.upn,
            userId: o.user.id,
            appId: '4765445b-32c6-49b0-83e6-1d93765276ca',
            appDisplayName: o.app ?? 'OfficeHome',
            ipAddress: ip,
            status,
            clientAppUsed: 'Browser',
            userAgent:
                o.userAgent ??
                'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36',
            networkLocationDetails: o.networkLocationDetails ?? [],
            correlationId,
            originalRequestId: o.originalRequestId ?? id,
            conditionalAccessStatus: resultType === '0' ? 'success' : 'failure',
            authenticationRequirement: 'multiFactorAuthentication',
            authenticationDetails: o.steps ?? [],
            mfaDetail: {},
            deviceDetail: { deviceId: '', operatingSystem: 'Windows10', browser: 'Chrome 124.0.0' },
            location: {
                city: 'Amsterdam',
                state: 'Noord-Holland',
                countryOrRegion: 'NL',
                geoCoordinates: { latitude: 52.37, longitude: 4.89 },
            },
            isInteractive: o.category !== 'NonInteractiveUserSignInLogs',
            userType: o.userType ?? 'Member',
            ...(o.asn !== undefined ? { autonomousSystemNumber: o.asn } : {}),
            crossTenantAccessType: 'none',
            riskDetail: 'none',
            riskLevelAggregated: 'none',
            riskLevelDuringSignIn: 'none',
            riskState: 'none',
            tokenIssuerType: 'AzureAD',
            servicePrincipalId: '',
        },
    };
}

const passwordStep = (at: Date): Step => ({
    authenticationStepDateTime: isoOffset(new Date(at.getTime() - 4000)),
    authenticationMethod: 'Password',
    authenticationMethodDetail: 'Password in the cloud',
    succeeded: true,
    authenticationStepResultDetail: 'Correct password',
    authenticationStepRequirement: 'Primary authentication',
});

const pushStep = (at: Date, succeeded: boolean, detail: string): Step => ({
    authenticationStepDateTime: isoOffset(at),
    authenticationMethod: 'Mobile app notification',
    authenticationMethodDetail: 'Microsoft Authenticator',
    succeeded,
    authenticationStepResultDetail: detail,
    authenticationStepRequirement: 'Multi-factor authentication',
});

const FAIL = 'Authentication failed during strong authentication request.';
export const DECLINED = 'MFA denied; user declined the authentication';
export const NO_RESPONSE = 'MFA denied; user did not respond to mobile app notification';
export const FRAUD = 'MFA denied; Phone App Reported Fraud';

type PushOptions = Omit<SignInOptions, 'resultType' | 'steps' | 'additionalDetails' | 'failureReason'>;

/** A push prompt the user declined. */
export function pushDenied(o: PushOptions, detail = DECLINED): Record<string, unknown> {
    return signIn({
        ...o,
        resultType: '500121',
        failureReason: FAIL,
        additionalDetails: detail,
        steps: [passwordStep(o.at), pushStep(o.at, false, detail)],
    });
}

/** A push prompt nobody answered. */
export function pushTimeout(o: PushOptions): Record<string, unknown> {
    return pushDenied(o, NO_RESPONSE);
}

/** A push prompt the user reported as fraud. */
export function fraudReport(o: PushOptions): Record<string, unknown> {
    return pushDenied(o, FRAUD);
}

/** A sign-in completed with a fresh push approval. */
export function pushApproved(o: PushOptions): Record<string, unknown> {
    return signIn({
        ...o,
        resultType: '0',
        additionalDetails: 'MFA completed in Azure AD',
        steps: [passwordStep(o.at), pushStep(o.at, true, 'MFA successfully completed')],
    });
}

/** A sign-in where MFA came from the token (not a fresh approval). */
export function mfaFromToken(o: PushOptions & { category?: string }): Record<string, unknown> {
    return signIn({
        ...o,
        resultType: '0',
        additionalDetails: 'MFA requirement satisfied by claim in the token',
        steps: [
            {
                authenticationStepDateTime: isoOffset(o.at),
                authenticationMethod: 'Previously satisfied',
                succeeded: true,
                authenticationStepResultDetail: 'MFA requirement satisfied by claim in the token',
                authenticationStepRequirement: 'Multi-factor authentication',
            },
        ],
    });
}

/** A password typo: not an MFA outcome. */
export function wrongPassword(o: PushOptions): Record<string, unknown> {
    return signIn({
        ...o,
        resultType: '50126',
        failureReason: 'Error validating credentials due to invalid username or password.',
    });
}

/** A ServicePrincipalSignInLogs record (no user). */
export function servicePrincipalSignIn(at: Date): Record<string, unknown> {
    return {
        time: iso7(at),
        category: 'ServicePrincipalSignInLogs',
        operationName: 'Sign-in activity',
        resultType: '0',
        callerIpAddress: '20.190.128.5',
        correlationId: guid(),
        Level: 4,
        properties: {
            id: guid(),
            createdDateTime: isoOffset(at),
            servicePrincipalId: guid('sp'),
            servicePrincipalName: 'backup-automation',
            userId: null,
            ipAddress: '20.190.128.5',
            status: { errorCode: 0 },
        },
    };
}

/** A ManagedIdentitySignInLogs record (no user, no caller IP). */
export function managedIdentitySignIn(at: Date): Record<string, unknown> {
    return {
        time: iso7(at),
        category: 'ManagedIdentitySignInLogs',
        operationName: 'Sign-in activity',
        resultType: '0',
        correlationId: guid(),
        Level: 4,
        properties: {
            id: guid(),
            createdDateTime: isoOffset(at),
            userId: null,
            ipAddress: '',
            status: { errorCode: 0 },
        },
    };
}

/** Wraps records in the diagnostic-settings envelope, one Event Hub message. */
export function envelope(records: unknown[]): { records: unknown[] } {
    return { records };
}

/** A phone-call prompt the user hung up on (or that went to voicemail). */
export function voiceDenied(
    o: PushOptions,
    detail = 'MFA denied; user hung up the phone call without succeeding the authentication',
): Record<string, unknown> {
    return signIn({
        ...o,
        resultType: '500121',
        failureReason: FAIL,
        additionalDetails: detail,
        steps: [
            passwordStep(o.at),
            {
                authenticationStepDateTime: isoOffset(o.at),
                authenticationMethod: 'Phone call (Authentication phone)',
                succeeded: false,
                authenticationStepResultDetail: detail,
                authenticationStepRequirement: 'Multi-factor authentication',
            },
        ],
    });
}

export const GENERIC_500121 =
    "The user didn't complete the MFA prompt. They may have decided not to authenticate, timed out while doing other work, or has an issue with their authentication setup.";

/**
 * A 500121 row with any texts: `additionalDetails` (the row's status) and, when `step` is given, a failed MFA step
 * with that method and detail. Without a step, the row has an empty `authenticationDetails`, as tenants report
 * (Azure-Sentinel #13176) and as the Graph v1.0 signIn has none.
 */
export function mfaFailed(
    o: PushOptions,
    additionalDetails: string | null,
    step?: { method: string; detail: string },
): Record<string, unknown> {
    return signIn({
        ...o,
        resultType: '500121',
        failureReason: FAIL,
        additionalDetails,
        steps: step
            ? [
                  passwordStep(o.at),
                  {
                      authenticationStepDateTime: isoOffset(o.at),
                      authenticationMethod: step.method,
                      succeeded: false,
                      authenticationStepResultDetail: step.detail,
                      authenticationStepRequirement: 'Multi-factor authentication',
                  },
              ]
            : [],
    });
}

/** A wrong number picked on a number-matching push (Azure-Sentinel #10230). */
export function wrongNumber(o: PushOptions): Record<string, unknown> {
    return pushDenied(o, 'MFA denied; user did not select the correct number');
}

/** A wrong code typed for an SMS prompt. */
export function smsWrongCode(o: PushOptions): Record<string, unknown> {
    const detail = 'MFA denied; user entered incorrect code';
    return signIn({
        ...o,
        resultType: '500121',
        failureReason: FAIL,
        additionalDetails: detail,
        steps: [
            passwordStep(o.at),
            {
                authenticationStepDateTime: isoOffset(o.at),
                authenticationMethod: 'Text message',
                succeeded: false,
                authenticationStepResultDetail: detail,
                authenticationStepRequirement: 'Multi-factor authentication',
            },
        ],
    });
}

export interface AuditOptions {
    readonly user: User;
    readonly at: Date;
    /** The initiator's address. */
    readonly ip?: string;
    readonly activity?: string;
    readonly reason?: string;
    /** The AuthenticationMethod detail, when the record carries one. */
    readonly method?: string;
    /** Who did it: the user (default), an admin, or an app. */
    readonly by?: User | 'app';
    readonly result?: string | number;
    readonly correlationId?: string;
    readonly id?: string;
    /** The target's modifiedProperties (the legacy "Update user" logs its StrongAuthentication* changes so). */
    readonly modified?: ReadonlyArray<{ displayName: string; oldValue: string; newValue: string }>;
    /** additionalDetails beyond the AuthenticationMethod one (e.g. a passkey's AAGuid). */
    readonly details?: ReadonlyArray<{ key: string; value: string }>;
}

/**
 * An AuditLogs record as Entra streams it (Azure Monitor audit schema; shape of Elastic's fixtures and of the
 * security-info example in Microsoft's security operations guide).
 */
export function securityInfoChange(o: AuditOptions): Record<string, unknown> {
    const by = o.by ?? o.user;
    const activity = o.activity ?? 'User registered security info';
    const legacy = /^update user/i.test(activity);
    return {
        time: iso7(o.at),
        resourceId: `/tenants/${TENANT_ID}/providers/Microsoft.aadiam`,
        operationName: activity,
        operationVersion: '1.0',
        category: 'AuditLogs',
        tenantId: TENANT_ID,
        resultSignature: 'None',
        durationMs: 0,
        callerIpAddress: o.ip ?? '198.51.100.10',
        correlationId: o.correlationId ?? guid(),
        identity: by === 'app' ? 'Some App' : by.name,
        Level: 4,
        properties: {
            id: o.id ?? (legacy ? `Directory_${guid()}_1` : `Authentication Methods_${guid()}`),
            category: 'UserManagement',
            correlationId: o.correlationId ?? guid(),
            result: o.result ?? 'success',
            resultReason: o.reason ?? (legacy ? '' : 'User registered Authenticator App with Notification and Code'),
            activityDisplayName: activity,
            activityDateTime: isoOffset(o.at),
            loggedByService: legacy ? 'Core Directory' : 'Authentication Methods',
            operationType: legacy ? 'Update' : 'Add',
            initiatedBy:
                by === 'app'
                    ? { app: { appId: guid('app'), displayName: 'Some App', servicePrincipalId: guid('sp') } }
                    : { user: { id: by.id, userPrincipalName: by.upn, ipAddress: o.ip ?? '198.51.100.10' } },
            targetResources: [
                {
                    id: o.user.id,
                    type: 'User',
                    userPrincipalName: o.user.upn,
                    modifiedProperties: o.modified ?? [],
                },
            ],
            additionalDetails: [
                ...(o.method ? [{ key: 'AuthenticationMethod', value: o.method }] : []),
                ...(o.details ?? []),
            ],
        },
    };
}

/** Audit records the responder does not need: a group change, an app consent, a device update. */
export function auditNoise(kind: 'group' | 'consent' | 'device', at: Date, u: User): Record<string, unknown> {
    const activity = { group: 'Add member to group', consent: 'Consent to application', device: 'Update device' }[kind];
    const category = { group: 'GroupManagement', consent: 'ApplicationManagement', device: 'Device' }[kind];
    const record = securityInfoChange({ user: u, at, activity, reason: '' });
    (record.properties as Record<string, unknown>).category = category;
    (record.properties as Record<string, unknown>).loggedByService = 'Core Directory';
    return record;
}

/** A Log Analytics `AuditLogs` row of the same change (PascalCase columns, dynamic columns as JSON text). */
export function auditLogsRow(record: Record<string, unknown>): Record<string, unknown> {
    const p = record.properties as Record<string, unknown>;
    return {
        TenantId: TENANT_ID,
        TimeGenerated: record.time,
        OperationName: record.operationName,
        Category: p.category,
        ResultType: '',
        CorrelationId: p.correlationId,
        Id: p.id,
        Result: p.result,
        ResultReason: p.resultReason,
        ActivityDisplayName: p.activityDisplayName,
        ActivityDateTime: p.activityDateTime,
        LoggedByService: p.loggedByService,
        AADOperationType: p.operationType,
        InitiatedBy: JSON.stringify(p.initiatedBy),
        TargetResources: JSON.stringify(p.targetResources),
        AdditionalDetails: JSON.stringify(p.additionalDetails),
        Type: 'AuditLogs',
    };
}
