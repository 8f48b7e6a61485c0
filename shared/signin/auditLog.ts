/**
 * Entra AuditLogs records that say a user's security information changed: a method registered (by the user or an
 * admin), a Temporary Access Pass created, the default method changed, a passkey, FIDO2 key or passwordless phone
 * sign-in added. Everything else in the audit stream is `other`, never rejected.
 *
 * Sources: the activity list of the Entra audit log reference
 * (https://learn.microsoft.com/entra/identity/monitoring-health/reference-audit-activities, "Authentication Methods",
 * "Core Directory", "Device Registration Service"), the Azure Monitor audit log schema
 * (https://learn.microsoft.com/entra/identity/monitoring-health/reference-azure-monitor-audit-log-schema), the Graph
 * directoryAudit resource (https://learn.microsoft.com/graph/api/resources/directoryaudit), Sentinel's
 * "Authentication Methods Changed for Privileged Account" rule (which reads ResultReason and InitiatedBy), and the
 * TAP and passkey examples of the Microsoft Entra security operations guide.
 */
import { z } from 'zod';

import type { ParseOutcome, RejectReason, SecurityInfoChange } from './signInEvent';

export const AUDIT_CATEGORIES = ['AuditLogs'] as const;

/** A method type, named as Graph's authentication method resources are (`unknown` when the record does not say). */
export type MethodType =
    | 'microsoftAuthenticator'
    | 'fido2'
    | 'temporaryAccessPass'
    | 'windowsHelloForBusiness'
    | 'softwareOath'
    | 'phone'
    | 'email'
    | 'unknown';

interface Activity {
    readonly name: RegExp;
    readonly change: SecurityInfoChange;
    /** The method the activity itself names, if any. */
    readonly method?: MethodType;
}

/** Activities (`activityDisplayName` / `operationName`) that change a user's security information. */
const ACTIVITIES: readonly Activity[] = [
    { name: /^(user|admin) registered security info$/i, change: 'method-registered' },
    { name: /^user registered all required security info$/i, change: 'method-registered' },
    { name: /^(user|admin) changed default security info$/i, change: 'default-method-changed' },
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
];

/**
 * Method types named in free text (resultReason, resultDescription, the AuthenticationMethod detail): first match
 * wins, so "Authenticator App with Notification and Code" is the app, not a code.
 */
const METHOD_TEXTS: ReadonlyArray<readonly [RegExp, MethodType]> = [
    [/temporary access pass/i, 'temporaryAccessPass'],
    [/passkey|fido2|fido|security key/i, 'fido2'],
    [/windows hello/i, 'windowsHelloForBusiness'],
    [/authenticator|phone app|passwordless phone|app notification/i, 'microsoftAuthenticator'],
    [/software oath|oath|third[- ]party/i, 'softwareOath'],
    [/phone|sms|text message|voice|mobile/i, 'phone'],
    [/e-?mail/i, 'email'],
];

export function methodTypeOf(text: string): MethodType | undefined {
    return METHOD_TEXTS.find(([re]) => re.test(text))?.[1];
}

const GUID = z.guid();
const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const obj = (v: unknown): Record<string, unknown> | undefined =>
    typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
/** Sentinel trims quotes around UPNs from audit targets; so do we. */
const unquote = (s: string) => s.replace(/^"+|"+$/g, '').trim();

/** True for a Graph directoryAudit object (no envelope, no category). */
export function isDirectoryAudit(raw: Record<string, unknown>): boolean {
    return 'activityDisplayName' in raw && ('initiatedBy' in raw || 'loggedByService' in raw);
}

function reject(reason: RejectReason, detail: string): ParseOutcome {
    return { type: 'rejected', reason, detail };
}

/** `result` is text (`success`, `Success`) or, in older records, the number 0. */
function succeeded(props: Record<string, unknown>, raw: Record<string, unknown>): boolean {
    const result = props.result ?? raw.resultType;
    if (result === 0 || result === '0') return true;
    return typeof result === 'string' && result.toLowerCase() === 'success';
}

export interface ParseAuditOptions {
    readonly parseTime: (text: string) => number | undefined;
    readonly now?: number;
    readonly maxClockSkewMs?: number;
}

/**
 * Parses one AuditLogs record (Event Hub shape `{category, properties}` or a Graph directoryAudit object). Records
 * that are not a successful security-information change are `other`.
 */
export function parseAudit(raw: Record<string, unknown>, options: ParseAuditOptions): ParseOutcome {
    const props = obj(raw.properties) ?? raw;
    const activity = str(props.activityDisplayName) || str(raw.operationName);
    const known = ACTIVITIES.find((a) => a.name.test(activity.trim()));
    if (!known || !succeeded(props, raw)) return { type: 'other' };

    const initiatedBy = obj(props.initiatedBy);
    const byUser = obj(initiatedBy?.user);
    const byApp = obj(initiatedBy?.app);
    const targets = Array.isArray(props.targetResources) ? (props.targetResources as unknown[]) : [];
    // Graph's own examples write the target's type as `Type`.
    const target = targets.map(obj).find((t) => t && str(t.type ?? t.Type).toLowerCase() === 'user');
    const userId = str(target?.id) || str(byUser?.id);
    if (!userId) return reject('missing-user-id', 'no target user in a security info change');
    if (!GUID.safeParse(userId).success) return reject('invalid-user-id', 'the target user id is not a GUID');

    const timeText = str(props.activityDateTime) || str(raw.time);
    const time = timeText ? options.parseTime(timeText) : undefined;
    if (time === undefined) return reject('invalid-time', 'no valid activityDateTime or time');
    if (
        options.now !== undefined &&
        options.maxClockSkewMs !== undefined &&
        time > options.now + options.maxClockSkewMs
    ) {
        return reject('future-time', `audit time ${new Date(time).toISOString()} is ahead of the clock`);
    }

    const details = Array.isArray(props.additionalDetails) ? (props.additionalDetails as unknown[]) : [];
    const detailTexts = details
        .map(obj)
        .filter((d) => d && /authenticationmethod|methodtype|method/i.test(str(d.key)))
        .map((d) => str(d!.value));
    const reasonTexts = [str(props.resultReason), str(raw.resultDescription), str(props.resultDescription)];
    const methods = new Set<MethodType>();
    if (known.method) methods.add(known.method);
    for (const text of [...detailTexts, ...reasonTexts]) {
        const type = text ? methodTypeOf(text) : undefined;
        if (type) methods.add(type);
    }
    if (known.change === 'method-registered' && methods.size === 0) methods.add('unknown');

    const ip = [str(byUser?.ipAddress), str(byApp?.ipAddress), str(raw.callerIpAddress)].find(
        (a) => a !== '' && a !== '<null>' && a !== '0.0.0.0',
    );
    const recordId = str(props.id).slice(0, 128) || str(raw.correlationId).slice(0, 128);
    const correlationId = (str(props.correlationId) || str(raw.correlationId)).slice(0, 128).toLowerCase();
    const keys = [
        ...(recordId ? [`i:${recordId.toLowerCase()}`] : []),
        // The rows of one registration (e.g. "User registered security info" and "Add Passkey" beside it) share it.
        ...(correlationId ? [`c:${correlationId}|${known.change}`] : []),
    ];
    if (keys.length === 0) return reject('missing-record-id', 'an audit record without id or correlation id');
    const upn = unquote(
        str(target?.userPrincipalName) || (byUser && str(byUser.id) === userId ? str(byUser.userPrincipalName) : ''),
    );
    return {
        type: 'event',
        truncated: 0,
        event: {
            kind: known.change,
            userId: userId.toLowerCase(),
            ...(upn ? { userPrincipalName: upn.slice(0, 256) } : {}),
            time,
            methods: [...methods],
            ...(ip ? { ipAddress: ip.slice(0, 64) } : {}),
            initiatedBy:
                byUser && str(byUser.id).toLowerCase() === userId.toLowerCase() ? 'user' : byUser ? 'admin' : 'app',
            recordId: recordId || keys[0]!,
            keys,
        },
    };
}

/** Log Analytics `AuditLogs` columns (PascalCase; InitiatedBy, TargetResources, AdditionalDetails as JSON text). */
export function fromLogAnalyticsAuditRow(
    raw: Record<string, unknown>,
    dynamic: (v: unknown) => unknown,
): Record<string, unknown> {
    return {
        category: 'AuditLogs',
        time: raw.ActivityDateTime ?? raw.TimeGenerated,
        operationName: raw.OperationName,
        resultType: raw.ResultType,
        resultDescription: raw.ResultDescription,
        correlationId: raw.CorrelationId,
        properties: {
            id: raw.Id,
            category: raw.Category,
            correlationId: raw.CorrelationId,
            result: raw.Result,
            resultReason: raw.ResultReason,
            activityDisplayName: raw.ActivityDisplayName ?? raw.OperationName,
            activityDateTime: raw.ActivityDateTime ?? raw.TimeGenerated,
            loggedByService: raw.LoggedByService,
            operationType: raw.AADOperationType,
            initiatedBy: dynamic(raw.InitiatedBy),
            targetResources: dynamic(raw.TargetResources),
            additionalDetails: dynamic(raw.AdditionalDetails),
        },
    };
}
