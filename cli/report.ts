import type { CampaignView } from '../shared/campaign/campaignView';
import { incidentView } from '../shared/notices/incidentView';
import type { ContainedIncident } from '../shared/userRow/userRow';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { jsonLine } from '../shared/singleLine';

/**
 * The version of the `--json` lines' shape. Lines only gain fields; a field renamed or removed, or a change of
 * meaning, would raise it. docs/backtest.md describes each line type.
 */
export const JSON_SCHEMA_VERSION = 1;

/** The `--json` incident line (replay and incidents): the one incident view, typed and versioned. */
export function incidentJson({ incident, containment }: ContainedIncident): Record<string, unknown> {
    return { type: 'incident', schemaVersion: JSON_SCHEMA_VERSION, ...incidentView(incident, containment) };
}

/** The `--json` campaign line: the one campaign view, typed and versioned (docs/backtest.md describes it). */
export function campaignJson(view: CampaignView): Record<string, unknown> {
    return { type: 'campaign', schemaVersion: JSON_SCHEMA_VERSION, ...view };
}

export function summaryJson(totals: BatchResult, incidents: number): Record<string, unknown> {
    return {
        type: 'summary',
        schemaVersion: JSON_SCHEMA_VERSION,
        records: totals.records,
        rejected: totals.rejected,
        denials: totals.newDenials,
        incidents,
        campaigns: totals.campaigns.length,
        dropped: totals.dropped,
        other: totals.other,
        mfaEvents: totals.events,
        truncated: totals.truncated,
        quarantined: totals.quarantined,
        rejectedByReason: totals.rejectedByReason,
        // Only when there is one: sources that would have been campaigns but for being a shared egress.
        ...(totals.sharedEgress.length > 0 ? { sharedEgress: totals.sharedEgress } : {}),
    };
}

/** One `--json` line: every character kept, the ones a terminal acts on escaped (\u001b, \u202e, ...). */
export function ndjsonLine(value: unknown): string {
    return `${jsonLine(value)}\n`;
}
