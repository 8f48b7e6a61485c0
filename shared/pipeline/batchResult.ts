import type { SharedEgress } from '../campaign/sharedEgress';
import type { CampaignView } from '../campaign/campaignView';
import type { CampaignHead } from '../campaign/sourceView';
import type { Incident } from '../detection/userState';
import type { ContainedIncident } from '../userRow/userRow';
import type { RejectReason } from '../signin/signInEvent';

/** A user whose update the storage service refused for good: logged, counted, and not retried for ever. */
export interface Quarantine {
    readonly userId: string;
    /** The service's error code, e.g. EntityTooLarge. */
    readonly code: string;
    readonly message: string;
    /** Incidents detected for this user in this batch that could not be stored (still logged, so the SOC sees them). */
    readonly incidents: readonly Incident[];
}

/** A user's row that could not be read, kept aside as it was; the user started afresh with this batch. */
export interface SetAsideRow {
    readonly userId: string;
    /** Why it could not be read (never its content). */
    readonly reason: string;
    /** Where it was kept: its RowKey, beside the user's row (same PartitionKey). */
    readonly keptAs: string;
}

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
    /** Records that counted with an over-long text cut to its bound. */
    truncated: number;
    /** Distinct prompts that became known as declined in this batch. */
    newDenials: number;
    /** Users whose events reached storage (or were quarantined). */
    users: number;
    /**
     * Incidents to announce, as stored: those this batch opened, and those an earlier delivery stored but could not
     * announce (its write landed, the answer did not). Callers announce them, then `confirmAnnounced`.
     */
    newIncidents: ContainedIncident[];
    /**
     * Existing incidents that grew (late prompts, an approval), with their containment when this batch changed it (an
     * approval adds the removal of new methods): those are handed to containment too.
     */
    updatedIncidents: ContainedIncident[];
    /** Users whose update the service refused for good. */
    quarantined: number;
    quarantines: Quarantine[];
    /** Users whose stored row could not be read: set aside, and started afresh. */
    setAside: SetAsideRow[];
    /** Push-spray campaigns this batch saw, as each stood after it (one entry per campaign, the latest). */
    campaigns: CampaignView[];
    /** Campaigns this batch opened (telemetry counts each once). */
    campaignsOpened: CampaignView[];
    /** Campaign rows with a notice to send: a campaign opened, or went past CAMPAIGN_MAX_USERS. */
    campaignNotices: Array<{ readonly source: string; readonly head: CampaignHead }>;
    /** Campaign rows the service refused for good (a source's or a member's row): logged, never retried for ever. */
    campaignRefused: Array<{ readonly what: string; readonly code: string; readonly message: string }>;
    /** Sources judged a shared egress (sharedEgress.ts), each once per process: they open no campaign. */
    sharedEgress: SharedEgressNote[];
}

/** A source judged a shared egress, and the users that made it one. */
export type SharedEgressNote = { readonly source: string } & SharedEgress;

/** A user whose update failed for a reason that may pass (storage unreachable, throttled): the batch is retried. */
export interface UserFailure {
    readonly userId: string;
    readonly error: Error;
}

/** What a batch stored and what failed: a value, never an exception. */
export interface BatchOutcome {
    readonly result: BatchResult;
    readonly failures: readonly UserFailure[];
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
        truncated: 0,
        newDenials: 0,
        users: 0,
        newIncidents: [],
        updatedIncidents: [],
        quarantined: 0,
        quarantines: [],
        setAside: [],
        campaigns: [],
        campaignsOpened: [],
        campaignNotices: [],
        campaignRefused: [],
        sharedEgress: [],
    };
}

/** Adds campaign views, the latest view of each campaign replacing an earlier one. */
export function addCampaigns(into: CampaignView[], views: readonly CampaignView[]): void {
    for (const v of views) {
        const i = into.findIndex((x) => x.campaignId === v.campaignId);
        if (i >= 0) into[i] = v;
        else into.push(v);
    }
}

/** Adds `b` into `a` (running totals across batches). */
export function addBatchResult(a: BatchResult, b: BatchResult): void {
    a.records += b.records;
    a.dropped += b.dropped;
    a.other += b.other;
    a.events += b.events;
    a.rejected += b.rejected;
    a.truncated += b.truncated;
    a.newDenials += b.newDenials;
    a.users += b.users;
    a.quarantined += b.quarantined;
    for (const [reason, n] of Object.entries(b.rejectedByReason) as Array<[RejectReason, number]>) {
        a.rejectedByReason[reason] = (a.rejectedByReason[reason] ?? 0) + n;
        a.rejectedSamples[reason] ??= b.rejectedSamples[reason];
    }
    a.newIncidents.push(...b.newIncidents);
    a.updatedIncidents.push(...b.updatedIncidents);
    a.quarantines.push(...b.quarantines);
    a.setAside.push(...b.setAside);
    addCampaigns(a.campaigns, b.campaigns);
    a.campaignRefused.push(...b.campaignRefused);
    a.sharedEgress.push(...b.sharedEgress);
}
