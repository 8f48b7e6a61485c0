import type { ContainmentConfig } from '../settings/containment';
import { amendForApproval, amendForRegistration, planContainment } from '../containment/core';
import { Containment, isActive } from '../containment/model';
import {
    ContainedIncident,
    evictableIn,
    newRecord,
    updateRecord,
    UserRecord,
    UserRecordStore,
} from '../containment/userRecord';
import { applyEvents, ApplyEventsResult } from '../detection/detect';
import type { DetectionPolicy } from '../detection/policy';
import { SHRINK_LEVELS } from '../detection/shrinkState';
import { PERSISTENCE_TRIGGER } from '../detection/userState';
import { ConcurrencyConflictError, UnreadableRowError, WriteRejectedError } from '../errors';
import { RawItem, visitRecords } from '../signin/envelope';
import { parseSignIn } from '../signin/parseSignIn';
import type { RejectReason, UserEvent } from '../signin/signInEvent';
import { NO_TELEMETRY, Telemetry } from '../telemetry/telemetry';
import { BatchOutcome, BatchResult, emptyBatchResult, UserFailure } from './batchResult';
import { mapConcurrent } from './mapConcurrent';

export interface ProcessSignInBatchOptions {
    readonly store: UserRecordStore;
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
}

/** Retries of notices and steps when no containment is configured: only used to decide what history may go. */
const NO_CONTAINMENT = { maxStepAttempts: 1 };

/** Splits messages into records and parses them, counting every outcome. No I/O. */
export function parseMessages(
    messages: Iterable<unknown>,
    options: {
        categories: ReadonlySet<string>;
        auditCategories?: ReadonlySet<string>;
        drillUsers?: ReadonlySet<string>;
        now?: number;
        maxClockSkewMs?: number;
    },
    result: BatchResult,
): Map<string, UserEvent[]> {
    const byUser = new Map<string, UserEvent[]>();
    const reject = (reason: RejectReason, detail: string): void => {
        result.rejected++;
        result.rejectedByReason[reason] = (result.rejectedByReason[reason] ?? 0) + 1;
        result.rejectedSamples[reason] ??= detail;
    };
    const visit = (item: RawItem): void => {
        result.records++;
        if (item.type === 'rejected') {
            reject(item.reason, item.detail);
            return;
        }
        const outcome = parseSignIn(item.record, options);
        switch (outcome.type) {
            case 'rejected':
                reject(outcome.reason, outcome.detail);
                break;
            case 'dropped':
                result.dropped++;
                break;
            case 'other':
                result.other++;
                break;
            case 'event': {
                result.events++;
                if (outcome.truncated > 0) result.truncated++;
                const list = byUser.get(outcome.event.userId);
                if (list) list.push(outcome.event);
                else byUser.set(outcome.event.userId, [outcome.event]);
            }
        }
    };
    for (const message of messages) visitRecords(message, visit);
    return byUser;
}

interface UserOutcome {
    readonly applied: ApplyEventsResult;
    readonly planned: readonly Containment[];
    /** Containments of existing incidents that changed with these events (an approval added removal steps). */
    readonly amended: readonly Containment[];
    /**
     * What this invocation announces: the incidents it opened, and those an earlier one stored without announcing
     * (its write landed, its acknowledgement did not), each with its containment as stored.
     */
    readonly announce: readonly ContainedIncident[];
}

/** Folds one user's events into their record; pure, so that a conflict can re-run it on a fresh read. */
function ingest(
    current: UserRecord | undefined,
    events: readonly UserEvent[],
    options: ProcessSignInBatchOptions,
    now: number,
): { record?: UserRecord; result: UserOutcome } {
    const earlier = current?.containments ?? [];
    const applied = applyEvents(current?.state, events, {
        policy: options.policy,
        now,
        isEvictable: evictableIn(earlier, options.containment ?? NO_CONTAINMENT),
    });
    // An unchanged state serialises as the row did, and updateRecord then writes nothing (a redelivery).
    const planned: Containment[] = [];
    const amended: Containment[] = [];
    let containments = [...earlier];
    if (options.containment) {
        const config = options.containment;
        for (const incident of applied.updatedIncidents) {
            const persistence = incident.trigger === PERSISTENCE_TRIGGER;
            if (!incident.approval && !persistence) continue;
            containments = containments.map((c) => {
                if (c.incidentId !== incident.id) return c;
                // An approval adds the removal steps; another registration runs them again.
                const next = persistence
                    ? amendForRegistration(c, config, now)
                    : amendForApproval(c, incident, config, now);
                if (next !== c) amended.push(next);
                return next;
            });
        }
        for (const incident of applied.newIncidents) {
            planned.push(
                planContainment({
                    incident,
                    earlier: [...containments, ...planned],
                    ...(applied.state.userType ? { userType: applied.state.userType } : {}),
                    config,
                    now,
                }),
            );
        }
    }
    const all = [...containments, ...planned];
    const unannounced = [...new Set([...(current?.unannounced ?? []), ...applied.newIncidents.map((i) => i.id)])];
    const announce = unannounced.flatMap((id): ContainedIncident[] => {
        const incident = applied.state.incidents.find((i) => i.id === id);
        const containment = all.find((c) => c.incidentId === id);
        if (!incident) return [];
        return [containment ? { incident, containment } : { incident }];
    });
    return {
        record: newRecord(applied.state, all, unannounced),
        result: { applied, planned, amended, announce },
    };
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
    const recordOptions = { windowMs: options.policy.windowMs, config: options.containment ?? NO_CONTAINMENT };

    await mapConcurrent(users, options.concurrency ?? 32, async ([userId, events]) => {
        let last: UserOutcome | undefined;
        const update = (minLevel: number) =>
            updateRecord(
                options.store,
                userId,
                (current) => {
                    const r = ingest(current, events, options, clock());
                    last = r.result;
                    return r;
                },
                { ...recordOptions, minLevel },
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
                    const keptAs = await options.store.setAside(userId, e.etag, e.reason);
                    result.setAside.push({ userId, reason: e.reason, keptAs });
                } catch (conflict) {
                    // Someone else replaced (or set aside) that version meanwhile: go on from what is there now.
                    if (!(conflict instanceof ConcurrencyConflictError)) throw conflict;
                }
                return update(minLevel);
            }
        };
        let outcome: UserOutcome;
        try {
            try {
                outcome = await attempt(0);
            } catch (e) {
                if (!(e instanceof WriteRejectedError)) throw e;
                // Refused for good (Azure's own size or content rules): once more with the least detail.
                outcome = await attempt(SHRINK_LEVELS - 1);
            }
        } catch (e) {
            if (e instanceof WriteRejectedError) {
                result.quarantined++;
                result.quarantines.push({
                    userId,
                    code: e.serviceCode,
                    message: e.message,
                    incidents: last?.applied.newIncidents ?? [],
                });
            } else {
                failures.push({ userId, error: e instanceof Error ? e : new Error(String(e)) });
            }
            return;
        }
        result.newDenials += outcome.applied.newDenials;
        result.newIncidents.push(...outcome.announce);
        result.updatedIncidents.push(
            ...outcome.applied.updatedIncidents.map((incident): ContainedIncident => {
                const containment = outcome.amended.find((c) => c.incidentId === incident.id);
                return containment ? { incident, containment } : { incident };
            }),
        );
    });
    recordBatch(telemetry, result);
    return { result, failures };
}

/** What a batch did, as metrics and events: counted from the returned result, once per processing of the batch. */
function recordBatch(telemetry: Telemetry, result: BatchResult): void {
    telemetry.recordsRead(result.records);
    for (const [reason, n] of Object.entries(result.rejectedByReason) as Array<[RejectReason, number]>) {
        telemetry.recordsRejected(n, reason);
    }
    telemetry.denials(result.newDenials);
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
