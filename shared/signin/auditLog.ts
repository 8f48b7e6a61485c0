/**
 * Entra AuditLogs records that say a user's ways to authenticate changed: a method registered, updated or deleted (by
 * the user or an admin), a Temporary Access Pass created, the default method changed, a passkey, FIDO2 key or
 * passwordless phone sign-in added, the legacy per-user MFA data of "Update user" changed. Which activities those are
 * is auditActivities.ts. Everything else in the audit stream is `other`, never rejected.
 *
 * Sources: the Azure Monitor audit log schema
 * (https://learn.microsoft.com/entra/identity/monitoring-health/reference-azure-monitor-audit-log-schema), the Graph
 * directoryAudit resource (https://learn.microsoft.com/graph/api/resources/directoryaudit), Sentinel's
 * "Authentication Methods Changed for Privileged Account" rule (which reads ResultReason and InitiatedBy), and the
 * TAP and passkey examples of the Microsoft Entra security operations guide.
 */
import { z } from 'zod';

import { Activity, ACTIVITIES, legacyChange, MethodType, methodTypeOf, ModifiedProperty } from './auditActivities';
import type { ParseOutcome, RejectReason, SecurityInfoChange } from './signInEvent';

export const AUDIT_CATEGORIES = ['AuditLogs'] as const;

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

    const what = changeOf(known, activity, props, raw, targets);
    if (!what) return { type: 'other' };
    const ip = [str(byUser?.ipAddress), str(byApp?.ipAddress), str(raw.callerIpAddress)].find(
        (a) => a !== '' && a !== '<null>' && a !== '0.0.0.0',
    );
    const recordId = str(props.id).slice(0, 128) || str(raw.correlationId).slice(0, 128);
    const correlationId = (str(props.correlationId) || str(raw.correlationId)).slice(0, 128).toLowerCase();
    const keys = [
        ...(recordId ? [`i:${recordId.toLowerCase()}`] : []),
        // One change, logged twice: same correlation id, activity, methods and target, to the second. Two methods
        // registered under one correlation id are two changes, each removed; never one hiding the other.
        ...(correlationId
            ? [`c:${correlationId}|${what.identity}|${new Date(Math.floor(time / 1000) * 1000).toISOString()}`]
            : []),
    ];
    if (keys.length === 0) return reject('missing-record-id', 'an audit record without id or correlation id');
    const upn = unquote(
        str(target?.userPrincipalName) || (byUser && str(byUser.id) === userId ? str(byUser.userPrincipalName) : ''),
    );
    return {
        type: 'event',
        truncated: 0,
        event: {
            kind: what.change,
            userId: userId.toLowerCase(),
            ...(upn ? { userPrincipalName: upn.slice(0, 256) } : {}),
            time,
            methods: what.methods,
            ...(what.detail ? { detail: what.detail } : {}),
            ...(ip ? { ipAddress: ip.slice(0, 64) } : {}),
            initiatedBy:
                byUser && str(byUser.id).toLowerCase() === userId.toLowerCase() ? 'user' : byUser ? 'admin' : 'app',
            recordId: recordId || keys[0]!,
            keys,
        },
    };
}

/** Longest `detail` kept: what changed, for people. */
const MAX_DETAIL = 160;

/**
 * What a known activity changed: the change, its method types (never empty: `unknown` when the record does not
 * say), a line for people (the activity and its reason, or the legacy properties modified) and what identifies the
 * change among the rows of one correlation id (activity, methods, target). Undefined: an "Update user" that touched
 * no way to authenticate.
 */
function changeOf(
    known: Activity,
    activity: string,
    props: Record<string, unknown>,
    raw: Record<string, unknown>,
    targets: readonly unknown[],
): { change: SecurityInfoChange; methods: string[]; detail?: string; identity: string } | undefined {
    const details = (Array.isArray(props.additionalDetails) ? (props.additionalDetails as unknown[]) : []).map(obj);
    const detailTexts = details
        .filter((d) => d && /authenticationmethod|methodtype|method/i.test(str(d.key)))
        .map((d) => str(d!.value));
    // A passkey's authenticator model (AAGuid) or a pass's id tells two registrations of one type apart.
    const target = details.find((d) => d && /^(aaguid|credentialid|keyid)$/i.test(str(d.key)))?.['value'];
    const reasonTexts = [str(props.resultReason), str(raw.resultDescription), str(props.resultDescription)];
    const methods = new Set<MethodType>();
    let change: SecurityInfoChange;
    let detail = [activity.trim(), reasonTexts.find((t) => t !== '')].filter(Boolean).join(': ');
    if (known.change === 'legacy') {
        const modified = targets.flatMap((t) => {
            const list = obj(t)?.modifiedProperties;
            return Array.isArray(list) ? list.map(obj) : [];
        });
        const legacy = legacyChange(
            modified
                .filter((m): m is Record<string, unknown> => m !== undefined)
                .map((m): ModifiedProperty => ({
                    displayName: str(m.displayName),
                    oldValue: str(m.oldValue),
                    newValue: str(m.newValue),
                })),
        );
        if (!legacy) return undefined;
        change = legacy.change;
        for (const m of legacy.methods) methods.add(m);
        detail = `${activity.trim()}: ${legacy.names.join(', ')} ${legacy.change === 'method-deleted' ? 'removed' : 'changed'}`;
    } else {
        change = known.change;
        if (known.method) methods.add(known.method);
        for (const text of [...detailTexts, ...reasonTexts]) {
            const type = text ? methodTypeOf(text) : undefined;
            if (type) methods.add(type);
        }
    }
    if (methods.size === 0) methods.add('unknown');
    const list = [...methods].sort();
    return {
        change,
        methods: list,
        ...(detail ? { detail: detail.slice(0, MAX_DETAIL) } : {}),
        identity: `${activity.trim().toLowerCase().slice(0, 64)}|${list.join(',')}|${str(target).slice(0, 64).toLowerCase()}`,
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
