import type { ContainmentConfig } from '../config';
import { ContainedIncident, planContainment } from '../containment/model';
import { applyEvents } from '../detection/detect';
import type { DetectionPolicy } from '../detection/policy';
import { StateStoreError } from '../errors';
import { RawItem, recordsFromMessage } from '../signin/envelope';
import { parseSignIn } from '../signin/parseSignIn';
import type { RejectReason, SignInEvent } from '../signin/signInEvent';
import type { UserStateStore } from '../state/stateStore';
import { updateUserState } from '../state/updateUserState';
import { BatchResult, emptyBatchResult } from './batchResult';
import { mapConcurrent } from './mapConcurrent';

export interface ProcessSignInBatchOptions {
    readonly store: UserStateStore;
    readonly policy: DetectionPolicy;
    readonly categories: ReadonlySet<string>;
    /** Wall clock, ms. */
    readonly now?: () => number;
    /** Users updated in parallel. */
    readonly concurrency?: number;
    /** When given, every new incident gets its containment plan in the same write that opens it. */
    readonly containment?: ContainmentConfig;
}

/** Splits messages into records and parses them, counting every outcome. No I/O. */
export function parseMessages(
    messages: Iterable<unknown>,
    categories: ReadonlySet<string>,
    result: BatchResult,
): Map<string, SignInEvent[]> {
    const byUser = new Map<string, SignInEvent[]>();
    const reject = (reason: RejectReason, detail: string): void => {
        result.rejected++;
        result.rejectedByReason[reason] = (result.rejectedByReason[reason] ?? 0) + 1;
        result.rejectedSamples[reason] ??= detail;
    };
    for (const message of messages) {
        for (const item of recordsFromMessage(message) as Iterable<RawItem>) {
            result.records++;
            if (item.type === 'rejected') {
                reject(item.reason, item.detail);
                continue;
            }
            const outcome = parseSignIn(item.record, { categories });
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
                    const list = byUser.get(outcome.event.userId);
                    if (list) list.push(outcome.event);
                    else byUser.set(outcome.event.userId, [outcome.event]);
                }
            }
        }
    }
    return byUser;
}

/**
 * The whole ingest path for one batch: unpack, parse, group by user, and fold each user's events into that user's
 * state with one optimistic read-modify-write (two Table round trips per user, whatever the number of rows). Records
 * that cannot be used are counted, never thrown. Storage failures are collected and rethrown once every other user
 * is done, so that the host retries the batch; redelivery is harmless because every update is idempotent.
 */
export async function processSignInBatch(
    messages: Iterable<unknown>,
    options: ProcessSignInBatchOptions,
): Promise<BatchResult> {
    const result = emptyBatchResult();
    const byUser = parseMessages(messages, options.categories, result);
    const now = options.now ?? Date.now;
    const users = [...byUser.entries()];
    result.users = users.length;

    const settled = await mapConcurrent(users, options.concurrency ?? 32, ([userId, events]) =>
        updateUserState(options.store, userId, (current) => {
            const t = now();
            const applied = applyEvents(current?.state, events, { policy: options.policy, now: t });
            if (options.containment) {
                for (const inc of applied.newIncidents as ContainedIncident[]) {
                    inc.containment = planContainment(applied.state, inc, options.containment, t);
                }
            }
            return { ...(applied.changed ? { state: applied.state } : {}), result: applied };
        }),
    );

    const failures: unknown[] = [];
    for (const s of settled) {
        if (s.status === 'rejected') {
            failures.push(s.reason);
            continue;
        }
        result.newDenials += s.value.newDenials;
        result.newIncidents.push(...s.value.newIncidents);
        result.updatedIncidents.push(...s.value.updatedIncidents);
    }
    if (failures.length > 0) {
        const first = failures[0] as Error;
        throw new BatchIncompleteError(
            `${failures.length} of ${users.length} user updates failed; first: ${first?.message ?? String(first)}`,
            result,
            first,
        );
    }
    return result;
}

/**
 * Some users' state could not be stored. `partial` holds what the rest of the batch did (incidents included: they
 * are stored and must be reported now, since a redelivery will see them as known).
 */
export class BatchIncompleteError extends StateStoreError {
    constructor(
        message: string,
        readonly partial: BatchResult,
        cause: unknown,
    ) {
        super(message, { cause });
    }
}
