import type { ContainmentConfig } from '../settings/containment';
import { isActive } from '../containment/model';
import type { DetectionPolicy } from '../detection/policy';
import { SHRINK_LEVELS } from '../detection/shrinkState';
import { ConcurrencyConflictError, UnreadableRowError, WriteRejectedError } from '../errors';
import { mapConcurrent } from '../mapConcurrent';
import type { RejectReason, UserEvent } from '../signin/signInEvent';
import { NO_TELEMETRY, Telemetry } from '../telemetry/telemetry';
import type { ContainedIncident } from '../userRow/userRow';
import type { UserRows } from '../userRow/userRows';
import { addCampaigns, BatchOutcome, BatchResult, emptyBatchResult, UserFailure } from './batchResult';
import { CampaignDeps, runCampaignStep } from './campaignStep';
import { FoldOptions, foldUserEvents, UserOutcome } from './foldUserEvents';
import { parseMessages } from './parseMessages';

export interface ProcessSignInBatchOptions {
    readonly rows: UserRows;
    readonly policy: DetectionPolicy;
    readonly categories: ReadonlySet<string>;
    /** AuditLogs categories to read (security-information changes); none when absent. */
    readonly auditCategories?: ReadonlySet<string>;
    /** Canary users whose drill records are drills (DRILL_USER_IDS). */
    readonly drillUsers?: ReadonlySet<string>;
    /** Wall clock, ms. */
    readonly now?: () => number;
    /** Users updated in parallel. */
    readonly concurrency?: number;
    /** When given, every new incident gets its containment plan in the same write that opens it. */
    readonly containment?: ContainmentConfig;
    /** Metrics and events of the batch (the function app's); nothing is recorded without it. */
    readonly telemetry?: Telemetry;
    /** Sees the batch's events, grouped by user, once parsed (a backtest keeps them for its threshold sweep). */
    readonly onParsed?: (byUser: ReadonlyMap<string, readonly UserEvent[]>) => void;
    /** When given, prompts are also counted by source, across users (push-spray campaigns). */
    readonly campaigns?: CampaignDeps;
    /** This writer's shard of the campaign rows: the Event Hub partition the batch came from ('0' for a replay). */
    readonly shard?: string;
}

/**
 * The whole ingest path for one batch: unpack, parse, group by user, and fold each user's events into that user's
 * row with one optimistic read-modify-write (two Table round trips per user, whatever the number of rows).
 *
 * Returns what it stored and what failed, as values. Records that cannot be used are counted. A user whose row the
 * service refuses for good (a 400: too large, invalid) is retried once with the least detail, then quarantined:
 * logged with the service's code, its detected incidents still reported, and the rest of the batch goes on. Only
 * transient failures (storage unreachable, throttled) are returned as failures, for the host to retry the batch;
 * redelivery is harmless because every update is idempotent.
 */
export async function processSignInBatch(
    messages: Iterable<unknown>,
    options: ProcessSignInBatchOptions,
): Promise<BatchOutcome> {
    const clock = options.now ?? Date.now;
    const result = emptyBatchResult();
    const byUser = parseMessages(
        messages,
        {
            categories: options.categories,
            ...(options.auditCategories ? { auditCategories: options.auditCategories } : {}),
            ...(options.drillUsers ? { drillUsers: options.drillUsers } : {}),
            now: clock(),
            maxClockSkewMs: options.policy.maxClockSkewMs,
        },
        result,
    );
    options.onParsed?.(byUser);
    const telemetry = options.telemetry ?? NO_TELEMETRY;
    if (options.telemetry) {
        const parsedAt = clock();
        for (const events of byUser.values()) for (const e of events) telemetry.eventRead(e, parsedAt);
    }
    const users = [...byUser.entries()];
    result.users = users.length;
    const failures: UserFailure[] = [];
    /** Addresses each user approved MFA from, in what their row remembers: their own networks. */
    const approvedFrom = new Map<string, Set<string>>();
    await mapConcurrent(users, options.concurrency ?? 32, async ([userId, events]) => {
        const stored = await storeUserEvents(userId, events, options, result);
        if ('failure' in stored) {
            failures.push(stored.failure);
            return;
        }
        if (!stored.outcome) return;
        const outcome = stored.outcome;
        if (options.campaigns) approvedFrom.set(userId, approvedAddresses(outcome));
        result.newDenials += outcome.applied.newDenials;
        result.newIncidents.push(...outcome.announce);
        result.updatedIncidents.push(
            ...outcome.applied.updatedIncidents.map((incident): ContainedIncident => {
                const containment = outcome.amended.find((c) => c.incidentId === incident.id);
                return containment ? { incident, containment } : { incident };
            }),
        );
    });
    if (options.campaigns) await detectCampaigns(byUser, approvedFrom, options, result, failures);
    recordBatch(telemetry, result);
    return { result, failures };
}

function approvedAddresses(outcome: UserOutcome): Set<string> {
    const ips = new Set<string>();
    for (const p of outcome.applied.state.prompts) if (p.kind === 'mfa-approved' && p.ipAddress) ips.add(p.ipAddress);
    return ips;
}

/** Campaign detection across the batch's users, once each user's own row is stored (campaignStep.ts). */
async function detectCampaigns(
    byUser: ReadonlyMap<string, readonly UserEvent[]>,
    approvedFrom: ReadonlyMap<string, ReadonlySet<string>>,
    options: ProcessSignInBatchOptions,
    result: BatchResult,
    failures: UserFailure[],
): Promise<void> {
    const step = await runCampaignStep(byUser, (userId, ip) => approvedFrom.get(userId)?.has(ip) === true, {
        campaigns: options.campaigns!,
        rows: options.rows,
        windowMs: options.policy.windowMs,
        ...(options.containment ? { containment: options.containment } : {}),
        shard: options.shard ?? '0',
        now: options.now ?? Date.now,
    });
    result.newIncidents.push(...step.newIncidents);
    result.updatedIncidents.push(...step.updatedIncidents);
    addCampaigns(result.campaigns, step.campaigns);
    result.campaignsOpened.push(...step.opened);
    result.campaignNotices.push(...step.pending);
    result.campaignRefused.push(...step.refused);
    result.sharedEgress.push(...step.sharedEgress);
    for (const f of step.failures) failures.push({ userId: `source ${f.source}`, error: f.error });
}

/**
 * Folds one user's events into their row, whatever the row holds: an unreadable row is set aside, a write the service
 * refuses is tried once more with the least detail and then quarantined (both counted in `result`). Returns what was
 * stored, nothing when quarantined, or the failure the host must retry.
 */
async function storeUserEvents(
    userId: string,
    events: readonly UserEvent[],
    options: ProcessSignInBatchOptions,
    result: BatchResult,
): Promise<{ outcome?: UserOutcome } | { failure: UserFailure }> {
    const clock = options.now ?? Date.now;
    const fold: FoldOptions = {
        policy: options.policy,
        ...(options.containment ? { containment: options.containment } : {}),
        evictable: (containments) => options.rows.evictable(containments),
    };
    let last: UserOutcome | undefined;
    const update = (minLevel: number) =>
        options.rows.update(
            userId,
            (current) => {
                const r = foldUserEvents(current, events, fold, clock());
                last = r.result;
                return r;
            },
            { minLevel },
        );
    // A row that cannot be read (a corrupted chunk, a shape no version wrote) would fail every delivery of every
    // batch with this user, and hold the partition for ever under the host's retries. Of what is left to do, the
    // safest: keep the row as it was, beside the user's (RowStore.setAside: for a person to read, with the
    // reason), and start the user afresh, so that detection goes on for them with this batch. Dropping their
    // events instead would leave them unprotected for as long as the row stays broken; overwriting it would lose
    // what it held (a push block to undo, an incident to finish), which the kept copy and the error log tell.
    const attempt = async (minLevel: number): Promise<UserOutcome> => {
        try {
            return await update(minLevel);
        } catch (e) {
            if (!(e instanceof UnreadableRowError) || e.etag === undefined) throw e;
            try {
                const keptAs = await options.rows.setAside(userId, e.etag, e.reason);
                result.setAside.push({ userId, reason: e.reason, keptAs });
            } catch (conflict) {
                // Someone else replaced (or set aside) that version meanwhile: go on from what is there now.
                if (!(conflict instanceof ConcurrencyConflictError)) throw conflict;
            }
            return update(minLevel);
        }
    };
    try {
        try {
            return { outcome: await attempt(0) };
        } catch (e) {
            if (!(e instanceof WriteRejectedError)) throw e;
            // Refused for good (Azure's own size or content rules): once more with the least detail.
            return { outcome: await attempt(SHRINK_LEVELS - 1) };
        }
    } catch (e) {
        if (!(e instanceof WriteRejectedError)) {
            return { failure: { userId, error: e instanceof Error ? e : new Error(String(e)) } };
        }
        result.quarantined++;
        result.quarantines.push({
            userId,
            code: e.serviceCode,
            message: e.message,
            incidents: last?.applied.newIncidents ?? [],
        });
        return {};
    }
}

/** What a batch did, as metrics and events: counted from the returned result, once per processing of the batch. */
function recordBatch(telemetry: Telemetry, result: BatchResult): void {
    telemetry.recordsRead(result.records);
    for (const [reason, n] of Object.entries(result.rejectedByReason) as Array<[RejectReason, number]>) {
        telemetry.recordsRejected(n, reason);
    }
    telemetry.denials(result.newDenials);
    for (const campaign of result.campaignsOpened) telemetry.campaignOpened(campaign);
    for (const { incident, containment } of result.newIncidents) {
        telemetry.incidentOpened(incident, containment);
        // A plan decided at once (dry-run, never-contain, cooldown) is final here: no runner will report it.
        if (containment && !isActive(containment)) {
            for (const step of containment.steps) {
                if (step.status === 'dry-run') telemetry.containmentStep(step.name, 'dry-run');
            }
            telemetry.containmentFinished(incident, containment);
        }
    }
}
