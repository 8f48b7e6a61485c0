import type { Incident } from '../detection/userState';
import type { RejectReason } from '../signin/signInEvent';

/** What one batch did, for logs, metrics and the CLI report. */
export interface BatchResult {
    /** Raw records seen (after unpacking envelopes), including rejected and dropped ones. */
    records: number;
    /** Records of categories the responder does not read. */
    dropped: number;
    /** User sign-ins that are not MFA push outcomes. */
    other: number;
    /** MFA outcomes handed to detection. */
    events: number;
    rejected: number;
    rejectedByReason: Partial<Record<RejectReason, number>>;
    /** One example per reason, to log (never the whole record: it holds personal data). */
    rejectedSamples: Partial<Record<RejectReason, string>>;
    /** Distinct prompts that became known as declined in this batch. */
    newDenials: number;
    /** Users whose events reached storage. */
    users: number;
    newIncidents: Incident[];
    updatedIncidents: Incident[];
}

export function emptyBatchResult(): BatchResult {
    return {
        records: 0,
        dropped: 0,
        other: 0,
        events: 0,
        rejected: 0,
        rejectedByReason: {},
        rejectedSamples: {},
        newDenials: 0,
        users: 0,
        newIncidents: [],
        updatedIncidents: [],
    };
}

/** Adds `b` into `a` (for running totals across batches). */
export function addBatchResult(a: BatchResult, b: BatchResult): void {
    a.records += b.records;
    a.dropped += b.dropped;
    a.other += b.other;
    a.events += b.events;
    a.rejected += b.rejected;
    a.newDenials += b.newDenials;
    a.users += b.users;
    for (const [reason, n] of Object.entries(b.rejectedByReason) as Array<[RejectReason, number]>) {
        a.rejectedByReason[reason] = (a.rejectedByReason[reason] ?? 0) + n;
        a.rejectedSamples[reason] ??= b.rejectedSamples[reason];
    }
    a.newIncidents.push(...b.newIncidents);
    a.updatedIncidents.push(...b.updatedIncidents);
}
