import { fromLogAnalyticsAuditRow } from './auditLog';

/**
 * Log Analytics / Sentinel exports of the `SigninLogs` and `AADNonInteractiveUserSignInLogs` tables use PascalCase
 * columns, and hold `Status` and `AuthenticationDetails` as JSON text (Sentinel's rules `todynamic()` them). SOCs
 * backtest on such exports, so a row of that shape is mapped onto the Graph `signIn` shape the parser reads.
 * Source: the Log Analytics table references for SigninLogs and AADNonInteractiveUserSignInLogs
 * (https://learn.microsoft.com/azure/azure-monitor/reference/tables/signinlogs).
 */

const TABLE_CATEGORIES: Readonly<Record<string, string>> = {
    AuditLogs: 'AuditLogs',
    SigninLogs: 'SignInLogs',
    AADNonInteractiveUserSignInLogs: 'NonInteractiveUserSignInLogs',
    AADServicePrincipalSignInLogs: 'ServicePrincipalSignInLogs',
    AADManagedIdentitySignInLogs: 'ManagedIdentitySignInLogs',
};

/** Columns copied under their camelCase name. */
const COLUMNS = [
    'Id',
    'OriginalRequestId',
    'CorrelationId',
    'UserId',
    'UserPrincipalName',
    'AppDisplayName',
    'UserType',
    'CreatedDateTime',
    // Campaign detection keys on these (shared/campaign/sourceKeys.ts).
    'UserAgent',
    'AutonomousSystemNumber',
];

export function dynamic(value: unknown): unknown {
    if (typeof value !== 'string') return value;
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/** True for a row that has Log Analytics' columns rather than the Event Hub or Graph fields. */
export function isLogAnalyticsRow(raw: Record<string, unknown>): boolean {
    return (
        'TimeGenerated' in raw &&
        !('properties' in raw) &&
        ('UserId' in raw || 'ResultType' in raw || 'ActivityDisplayName' in raw)
    );
}

/** The row in the Event Hub record shape: `category` plus a camelCase `properties` object. */
export function fromLogAnalyticsRow(raw: Record<string, unknown>): Record<string, unknown> {
    if (raw.Type === 'AuditLogs' || (raw.Type === undefined && 'ActivityDisplayName' in raw)) {
        return fromLogAnalyticsAuditRow(raw, dynamic);
    }
    const properties: Record<string, unknown> = {};
    for (const column of COLUMNS) {
        if (raw[column] !== undefined) properties[column.charAt(0).toLowerCase() + column.slice(1)] = raw[column];
    }
    properties.createdDateTime ??= raw.TimeGenerated;
    properties.ipAddress = raw.IPAddress;
    properties.status = dynamic(raw.Status);
    properties.authenticationDetails = dynamic(raw.AuthenticationDetails);
    if (raw.NetworkLocationDetails !== undefined)
        properties.networkLocationDetails = dynamic(raw.NetworkLocationDetails);
    const table = typeof raw.Type === 'string' ? raw.Type : typeof raw.Category === 'string' ? raw.Category : undefined;
    const category = table === undefined ? undefined : (TABLE_CATEGORIES[table] ?? table);
    return { ...(category !== undefined ? { category } : {}), resultType: raw.ResultType, properties };
}
