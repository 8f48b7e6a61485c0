import type { RejectReason } from './signInEvent';

/** One item out of a hub message: a raw record to parse, or a message part that could not be read. */
export type RawItem =
    | { readonly type: 'record'; readonly record: unknown }
    | { readonly type: 'rejected'; readonly reason: RejectReason; readonly detail: string };

const MAX_NESTING = 3;

/**
 * Splits whatever the Functions host hands over into raw records, handing each to `visit` in order. The host
 * delivers a JSON body as a parsed object, a non-JSON body as a string and a binary body as a Buffer; the body itself
 * may be the diagnostic-settings envelope `{"records":[...]}`, a Graph page `{"value":[...]}`, a bare record, or an
 * array of any of these. A callback rather than a generator: this runs once per record of the whole stream.
 */
export function visitRecords(message: unknown, visit: (item: RawItem) => void, depth = 0): void {
    if (depth > MAX_NESTING) {
        visit({ type: 'rejected', reason: 'invalid-envelope', detail: 'arrays nested too deeply' });
        return;
    }
    if (typeof message === 'string') {
        let parsed: unknown;
        try {
            parsed = JSON.parse(message);
        } catch (e) {
            visit({ type: 'rejected', reason: 'invalid-json', detail: (e as Error).message.slice(0, 200) });
            return;
        }
        if (typeof parsed === 'string') {
            visit({ type: 'rejected', reason: 'not-an-object', detail: 'message is a JSON string' });
            return;
        }
        visitRecords(parsed, visit, depth + 1);
        return;
    }
    if (message instanceof UnreadableInput) {
        visit({ type: 'rejected', reason: message.reason, detail: message.detail });
        return;
    }
    if (message instanceof Uint8Array) {
        const text = Buffer.from(message.buffer, message.byteOffset, message.byteLength).toString('utf8');
        visitRecords(text, visit, depth);
        return;
    }
    if (Array.isArray(message)) {
        for (const item of message) visitRecords(item, visit, depth + 1);
        return;
    }
    if (typeof message === 'object' && message !== null) {
        const envelope = message as Record<string, unknown>;
        const list = Object.prototype.hasOwnProperty.call(envelope, 'records')
            ? envelope.records
            : Object.prototype.hasOwnProperty.call(envelope, 'value') && !('properties' in envelope)
              ? envelope.value
              : undefined;
        if (list === undefined) {
            visit({ type: 'record', record: message });
        } else if (Array.isArray(list)) {
            for (const record of list) visit({ type: 'record', record });
        } else {
            visit({ type: 'rejected', reason: 'invalid-envelope', detail: 'records/value is not an array' });
        }
        return;
    }
    visit({
        type: 'rejected',
        reason: 'not-an-object',
        detail: `message is ${message === null ? 'null' : typeof message}`,
    });
}

/** The raw records of one message, as a list (see visitRecords). */
export function recordsFromMessage(message: unknown): RawItem[] {
    const items: RawItem[] = [];
    visitRecords(message, (item) => items.push(item));
    return items;
}

/**
 * A part of an input that could not be read as JSON at all (a broken line in an export, a truncated document).
 * Readers pass it through the pipeline so that it is counted as a rejected record, like any other bad record.
 */
export class UnreadableInput {
    constructor(
        readonly reason: RejectReason,
        readonly detail: string,
    ) {}
}
