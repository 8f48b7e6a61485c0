import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import type { Containment } from '../containment/model';
import { incidentView } from '../notices/incidentView';
import { kindOfState, noticeLines, noticeTitle, releaseCommandFor } from '../notices/noticeText';
import { address, singleLine } from '../singleLine';

/**
 * An incident as a row of the Log Analytics table that Sentinel's rule reads (MfaFatigueIncidents_CL), built from the
 * one incident view. One row per state the SOC should see (the incident, each change of its containment status);
 * `RowId` is the same for every retry of a row, so that a duplicate from an at-least-once retry can be told apart
 * (Log Analytics does not de-duplicate).
 *
 * The columns are declared here once; infra/app/incident-log.bicep declares the same list for the table and the data
 * collection rule's stream, and test/infra checks that the two agree. Column names follow the service's rules
 * (a letter first, at most 45 letters, digits or underscores; none of the reserved names such as Title or Type):
 * https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview
 */

/** Types of a data collection rule's stream declaration (the table says dateTime for datetime). */
export type ColumnType = 'string' | 'int' | 'long' | 'real' | 'boolean' | 'dynamic' | 'datetime';

export const SENTINEL_ROW_COLUMNS = [
    { name: 'TimeGenerated', type: 'datetime' },
    { name: 'RowId', type: 'string' },
    { name: 'Sequence', type: 'int' },
    { name: 'IncidentId', type: 'string' },
    { name: 'Severity', type: 'string' },
    { name: 'Headline', type: 'string' },
    { name: 'Summary', type: 'string' },
    { name: 'UserId', type: 'string' },
    { name: 'UserPrincipalName', type: 'string' },
    { name: 'Trigger', type: 'string' },
    { name: 'Denials', type: 'int' },
    { name: 'Timeouts', type: 'int' },
    { name: 'FraudReports', type: 'int' },
    { name: 'VoiceDenials', type: 'int' },
    { name: 'SmsWrongCodes', type: 'int' },
    { name: 'FirstSeen', type: 'datetime' },
    { name: 'LastSeen', type: 'datetime' },
    { name: 'DetectedAt', type: 'datetime' },
    { name: 'RecordedAt', type: 'datetime' },
    { name: 'IPAddresses', type: 'dynamic' },
    { name: 'Apps', type: 'dynamic' },
    { name: 'Approved', type: 'boolean' },
    { name: 'ApprovedAt', type: 'datetime' },
    { name: 'ApprovalIPAddress', type: 'string' },
    { name: 'ApprovalFromAttackIP', type: 'boolean' },
    { name: 'ContainmentStatus', type: 'string' },
    { name: 'ContainmentReason', type: 'string' },
    { name: 'ContainmentMode', type: 'string' },
    { name: 'Steps', type: 'dynamic' },
    { name: 'NextAttemptAt', type: 'datetime' },
    { name: 'ReleaseCommand', type: 'string' },
    { name: 'ReleasedBy', type: 'string' },
    { name: 'ReleaseReason', type: 'string' },
    { name: 'ClosedAt', type: 'datetime' },
    { name: 'Account', type: 'dynamic' },
    { name: 'RelatedIncidentId', type: 'string' },
    { name: 'Methods', type: 'dynamic' },
    { name: 'FromAttackIP', type: 'boolean' },
    { name: 'Drill', type: 'boolean' },
    { name: 'Evidence', type: 'dynamic' },
    { name: 'Trimmed', type: 'dynamic' },
] as const satisfies ReadonlyArray<{ name: string; type: ColumnType }>;

export type SentinelRowColumn = (typeof SENTINEL_ROW_COLUMNS)[number]['name'];
export type SentinelRow = Record<SentinelRowColumn, unknown>;

/**
 * The service truncates a field over 64 KB, which would break a dynamic column's JSON; every text and dynamic column
 * stays well under it. Bounded inputs (32 addresses, 100 evidence ids, ten steps) keep a row far below the 1 MB a
 * call may carry.
 */
const MAX_FIELD_BYTES = 16_000;
const MAX_TEXT = 4_000;
const MAX_STEP_TEXT = 1_000;

function cut(text: string | null | undefined, max: number): string | null {
    if (text === null || text === undefined) return null;
    return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** A list whose JSON fits MAX_FIELD_BYTES: the tail gives way to "… and N more". */
function boundList<T>(items: readonly T[] | null | undefined): Array<T | string> | null {
    if (!items) return null;
    let kept = items.length;
    const fits = (n: number) =>
        Buffer.byteLength(JSON.stringify([...items.slice(0, n), `… and ${items.length - n} more`])) <= MAX_FIELD_BYTES;
    if (Buffer.byteLength(JSON.stringify(items)) <= MAX_FIELD_BYTES) return [...items];
    while (kept > 0 && !fits(kept)) kept--;
    return [...items.slice(0, kept), `… and ${items.length - kept} more`];
}

function boundStep(step: Record<string, unknown>): Record<string, unknown> {
    const out: Record<string, unknown> = { ...step };
    for (const key of ['detail', 'attention'] as const) {
        if (typeof out[key] === 'string') out[key] = cut(out[key], MAX_STEP_TEXT);
    }
    const error = out.error as { message?: string } | undefined;
    if (error?.message) out.error = { ...error, message: cut(error.message, MAX_STEP_TEXT) };
    return out;
}

export interface SentinelRowContext {
    /** The state the row reports (containment/due.ts reportedState) and its place in the incident's rows. */
    readonly state: string;
    readonly sequence: number;
    /** When the row is made, ms: TimeGenerated. */
    readonly now: number;
}

/** The row of an incident in its current state. */
export function sentinelRow(
    inc: Incident,
    c: Containment | undefined,
    row: SentinelRowContext,
    config: Pick<ContainmentConfig, 'pushBlockMode'>,
): SentinelRow {
    const v = incidentView(inc, c);
    return {
        TimeGenerated: new Date(row.now).toISOString(),
        RowId: `${v.incidentId}/${row.state}`,
        Sequence: row.sequence,
        IncidentId: v.incidentId,
        Severity: v.severity,
        Headline: cut(noticeTitle(inc, c, kindOfState(c)), 250),
        Summary: cut(noticeLines(inc, c, config).join('\n'), MAX_TEXT),
        UserId: v.userId,
        // Sentinel's rule puts these in the alert's title and entities: one line, an address only when it is one.
        UserPrincipalName: v.userPrincipalName === null ? null : singleLine(v.userPrincipalName, 256),
        Trigger: v.trigger,
        Denials: v.denials,
        Timeouts: v.timeouts,
        FraudReports: v.fraudReports,
        VoiceDenials: v.voiceDenials,
        SmsWrongCodes: v.smsWrongCodes,
        FirstSeen: v.firstSeen,
        LastSeen: v.lastSeen,
        DetectedAt: v.detectedAt,
        RecordedAt: v.recordedAt,
        IPAddresses: boundList(v.ipAddresses.map((a) => address(a))),
        Apps: boundList(v.apps.map((a) => singleLine(a, 256))),
        Approved: v.approval !== null,
        ApprovedAt: v.approval?.at ?? null,
        ApprovalIPAddress: v.approval?.ipAddress ? address(v.approval.ipAddress) : null,
        ApprovalFromAttackIP: v.approval?.fromDenialIp ?? null,
        ContainmentStatus: v.containment,
        ContainmentReason: cut(v.containmentReason, MAX_TEXT),
        ContainmentMode: v.containmentMode ?? null,
        Steps: boundList((v.steps ?? []).map(boundStep)),
        NextAttemptAt: v.nextAttemptAt ?? null,
        ReleaseCommand: releaseCommandFor(inc, c) ?? null,
        ReleasedBy: cut(c?.release?.by, MAX_STEP_TEXT),
        ReleaseReason: cut(c?.release?.reason, MAX_STEP_TEXT),
        ClosedAt: v.closedAt,
        Account: v.account ?? null,
        RelatedIncidentId: v.relatedIncidentId,
        Methods: boundList(v.methods),
        FromAttackIP: v.fromAttackIp,
        Drill: v.drill,
        Evidence: boundList(v.evidence),
        Trimmed: v.trimmed ?? null,
    };
}
