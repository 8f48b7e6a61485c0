import type { BatchResult } from '../shared/pipeline/batchResult';
import { singleLine } from '../shared/singleLine';
import type { InputSeen } from './inputSeen';

/** The exports a replay reads, for the message that says an input is none of them. */
export const SUPPORTED_EXPORTS =
    'Event Hub envelopes or records (JSON, NDJSON), Graph pages as az rest writes them, the Entra admin ' +
    'center\'s sign-in download (JSON or CSV), and Log Analytics "Export to CSV" (or JSON) of SigninLogs, ' +
    'AADNonInteractiveUserSignInLogs and AuditLogs; how to get each: docs/backtest.md';

/** The input held no sign-in or audit record the responder could read: exit 65 (EX_DATAERR), naming what it saw. */
export class NoUsableRecordError extends Error {}

const n = (x: number) => x.toLocaleString('en-US');

/** Column names and keys come from the input file: each through the output rule before the terminal. */
function listed(items: readonly string[], max: number): string {
    const shown = items.slice(0, max).map((i) => singleLine(i, 100));
    return items.length > max ? `${shown.join(', ')} and ${items.length - max} more` : shown.join(', ');
}

/** "this looks like a CSV with columns …", from what the reader saw. */
function shapeOf(seen: InputSeen): string {
    if (seen.columns) {
        const zoned = seen.columns.filter((c) => /\[[^\]]+\]$/.test(c));
        return (
            `this looks like a CSV with columns ${listed(seen.columns, 8)}` +
            (zoned.length > 0
                ? ` (a time column in another zone than UTC, ${zoned[0]}: set the display time zone to UTC before exporting)`
                : '')
        );
    }
    if (seen.firstKeys) return `this looks like JSON objects with keys ${listed(seen.firstKeys, 8)}`;
    return 'this looks like neither JSON nor CSV';
}

function reasons(totals: BatchResult): string {
    return Object.entries(totals.rejectedByReason)
        .sort((a, b) => (b[1] ?? 0) - (a[1] ?? 0))
        .map(([reason, count]) => `${n(count ?? 0)} × ${reason}`)
        .join(', ');
}

/**
 * What a replay may say about its input once it is read. Nothing usable (no sign-in, of any outcome, and no audit
 * record) is an error: a backtest that read nothing must never say "No user was under MFA push attack". More rejected
 * records than usable ones is a warning with the counts by reason: the result covers only the rest.
 */
export function inputVerdict(totals: BatchResult, seen: InputSeen): { warning?: string } {
    const usable = totals.events + totals.other;
    if (totals.records === 0) {
        throw new NoUsableRecordError(
            `the input holds no record (it is empty); supported exports: ${SUPPORTED_EXPORTS}`,
        );
    }
    if (usable === 0) {
        const parts = [
            totals.rejected > 0 ? `${n(totals.rejected)} rejected (${reasons(totals)})` : '',
            totals.dropped > 0
                ? `${n(totals.dropped)} of categories the responder does not read (service principals, managed identities)`
                : '',
        ].filter(Boolean);
        throw new NoUsableRecordError(
            `0 of ${n(totals.records)} records were user sign-ins or audit records${parts.length > 0 ? `: ${parts.join('; ')}` : ''}. ` +
                `${shapeOf(seen)}. Supported exports: ${SUPPORTED_EXPORTS}`,
        );
    }
    if (totals.rejected > usable) {
        const pct = Math.round((100 * totals.rejected) / totals.records);
        return {
            warning:
                `warning: ${n(totals.rejected)} of ${n(totals.records)} records (${pct}%) were rejected: ${reasons(totals)}. ` +
                `The results cover the other ${n(totals.records - totals.rejected)} only.`,
        };
    }
    return {};
}
