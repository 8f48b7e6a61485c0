import { RawItem, visitRecords } from '../signin/envelope';
import { parseSignIn } from '../signin/parseSignIn';
import type { RejectReason, UserEvent } from '../signin/signInEvent';
import type { BatchResult } from './batchResult';

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
