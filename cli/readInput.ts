import Parser from 'stream-json/Parser';

import { UnreadableInput } from '../shared/signin/envelope';
import { readCsv } from './csvInput';
import { InputSeen, noteFirstKeys } from './inputSeen';

/** One NDJSON line may hold a whole Event Hub message; Event Hubs caps those at 1 MB, so 64 MB is generous. */
const MAX_LINE_BYTES = 64 * 1024 * 1024;
/** How much of the input is looked at to tell NDJSON from one large JSON document. */
const SNIFF_BYTES = 1024 * 1024;

interface Token {
    name: string;
    value?: string;
}

/**
 * Builds JSON values from stream-json's packed tokens. Keys are defined as own properties, as JSON.parse does, so
 * that a `__proto__` key in an export is data, never a prototype.
 */
class ValueBuilder {
    #stack: Array<{ container: Record<string, unknown> | unknown[]; key: string | undefined }> = [];
    #key: string | undefined;
    value: unknown;
    done = false;

    consume(token: Token): void {
        switch (token.name) {
            case 'startObject':
                return this.#open({});
            case 'startArray':
                return this.#open([]);
            case 'endObject':
            case 'endArray': {
                const frame = this.#stack.pop()!;
                this.#key = frame.key;
                return this.#save(frame.container);
            }
            case 'keyValue':
                this.#key = token.value;
                return;
            case 'stringValue':
                return this.#save(token.value);
            case 'numberValue':
                return this.#save(Number(token.value));
            case 'nullValue':
                return this.#save(null);
            case 'trueValue':
                return this.#save(true);
            case 'falseValue':
                return this.#save(false);
        }
    }

    #open(container: Record<string, unknown> | unknown[]): void {
        this.#stack.push({ container, key: this.#key });
    }

    #save(v: unknown): void {
        const top = this.#stack[this.#stack.length - 1];
        if (!top) {
            this.value = v;
            this.done = true;
        } else if (Array.isArray(top.container)) {
            top.container.push(v);
        } else {
            Object.defineProperty(top.container, this.#key!, {
                value: v,
                enumerable: true,
                writable: true,
                configurable: true,
            });
        }
    }
}

/**
 * The parser's tokens, chunk by chunk. Not `pipe` + async iteration: on a syntax error that would throw away the
 * tokens already parsed, and the records before a truncation must still count.
 */
async function* tokensOf(source: AsyncIterable<Buffer>): AsyncGenerator<Token> {
    const parser = new Parser({ jsonStreaming: true, packValues: true, streamValues: false });
    const queue: Token[] = [];
    let error: Error | undefined;
    let ended = false;
    parser.on('data', (t: Token) => queue.push(t));
    parser.on('error', (e: Error) => (error = e));
    parser.on('end', () => (ended = true));
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    for await (const chunk of source) {
        parser.write(chunk);
        await settle();
        yield* queue.splice(0);
        if (error) throw error;
    }
    parser.end();
    while (!ended && !error) await settle();
    yield* queue.splice(0);
    if (error) throw error;
}

const ENVELOPE_KEYS = new Set(['records', 'value']);

/**
 * Streams one JSON document (or several, concatenated) without holding it in memory: the elements of a top-level
 * array, or of the `records` / `value` array of a top-level envelope, come out one at a time. A top-level object
 * without such an array is a bare record.
 */
async function* readDocument(source: AsyncIterable<Buffer>, seen?: InputSeen): AsyncGenerator<unknown> {
    const tokens = tokensOf(source);
    let state: 'top' | 'topArray' | 'topObject' | 'envelopeArray' = 'top';
    let builder: ValueBuilder | undefined;
    let pending: Record<string, unknown> = {};
    let pendingKey: string | undefined;
    let sawEnvelope = false;
    const note = (value: unknown) => noteFirstKeys(seen, value);
    /** Starts a value at `token`; a scalar is complete at once, a container completes later in `builder`. */
    const begin = (token: Token): { value: unknown } | undefined => {
        builder = new ValueBuilder();
        builder.consume(token);
        if (!builder.done) return undefined;
        const value = builder.value;
        builder = undefined;
        return { value };
    };
    const keep = (key: string, value: unknown) =>
        Object.defineProperty(pending, key, { value, enumerable: true, writable: true, configurable: true });
    try {
        for await (const token of tokens) {
            if (builder) {
                builder.consume(token);
                if (builder.done) {
                    const value = builder.value;
                    builder = undefined;
                    if (state === 'topObject') keep(pendingKey!, value);
                    else {
                        note(value);
                        yield value;
                    }
                }
                continue;
            }
            if (state === 'top') {
                if (token.name === 'startArray') state = 'topArray';
                else if (token.name === 'startObject') {
                    state = 'topObject';
                    pending = {};
                    sawEnvelope = false;
                } else {
                    const scalar = begin(token);
                    if (scalar) yield scalar.value;
                }
            } else if (state === 'topArray' || state === 'envelopeArray') {
                if (token.name === 'endArray') {
                    state = state === 'topArray' ? 'top' : 'topObject';
                } else {
                    const scalar = begin(token);
                    if (scalar) yield scalar.value;
                }
            } else if (token.name === 'keyValue') {
                pendingKey = token.value;
            } else if (token.name === 'endObject') {
                note(pending);
                if (!sawEnvelope) yield pending;
                state = 'top';
            } else if (token.name === 'startArray' && ENVELOPE_KEYS.has(pendingKey ?? '')) {
                state = 'envelopeArray';
                sawEnvelope = true;
            } else {
                const scalar = begin(token);
                if (scalar) keep(pendingKey!, scalar.value);
            }
        }
    } catch (e) {
        yield new UnreadableInput('invalid-json', `document is not valid JSON: ${(e as Error).message.slice(0, 200)}`);
    }
}

/**
 * Splits NDJSON into lines as strings, a chunk's worth at a time (one array per chunk read: fewer async hops than one
 * per line); an overlong line is skipped and reported, never buffered whole.
 */
async function* readLines(source: AsyncIterable<Buffer>): AsyncGenerator<unknown[]> {
    let parts: Buffer[] = [];
    let size = 0;
    let overflow = false;
    const tooLong = () => new UnreadableInput('line-too-long', `a line is longer than ${MAX_LINE_BYTES} bytes`);
    for await (const chunk of source) {
        const out: unknown[] = [];
        let start = 0;
        for (let nl = chunk.indexOf(10, start); nl !== -1; nl = chunk.indexOf(10, start)) {
            if (overflow || size + nl - start > MAX_LINE_BYTES) {
                out.push(tooLong());
            } else {
                // Most lines sit inside one chunk: decode them in place, without copying.
                const line =
                    parts.length === 0
                        ? chunk.toString('utf8', start, nl)
                        : Buffer.concat([...parts, chunk.subarray(start, nl)]).toString('utf8');
                if (line.trim() !== '') out.push(line);
            }
            start = nl + 1;
            parts = [];
            size = 0;
            overflow = false;
        }
        const rest = chunk.length - start;
        if (!overflow && size + rest > MAX_LINE_BYTES) {
            overflow = true;
            parts = [];
        }
        if (!overflow && rest > 0) {
            parts.push(chunk.subarray(start));
            size += rest;
        }
        if (out.length > 0) yield out;
    }
    if (overflow) yield [tooLong()];
    else if (size > 0) {
        const line = Buffer.concat(parts).toString('utf8');
        if (line.trim() !== '') yield [line];
    }
}

/** Reads chunks until `limit` bytes or a newline past the first non-blank character, keeping them for replay. */
async function sniff(iterator: AsyncIterator<Buffer>): Promise<{ head: Buffer[]; done: boolean }> {
    const head: Buffer[] = [];
    let size = 0;
    for (;;) {
        const next = await iterator.next();
        if (next.done) return { head, done: true };
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        head.push(chunk);
        size += chunk.length;
        const text = Buffer.concat(head).toString('utf8');
        const firstChar = text.search(/\S/);
        if (firstChar !== -1 && text.indexOf('\n', firstChar) !== -1) return { head, done: false };
        if (size >= SNIFF_BYTES) return { head, done: false };
    }
}

/**
 * Yields the messages of an export, as the hub would deliver them, from any of the shapes Entra and Graph produce:
 * NDJSON (one record or envelope per line), one Event Hub envelope `{"records":[...]}`, a Graph page
 * `{"value":[...]}`, or a JSON array. Streams: memory stays flat however large the input. NDJSON lines are yielded as
 * strings, so that a broken line is one rejected record and the rest of the file still counts.
 */
export async function* readSignInMessages(
    input: AsyncIterable<Buffer | string>,
    seen?: InputSeen,
): AsyncGenerator<unknown> {
    for await (const batch of readSignInMessageBatches(input, seen)) yield* batch;
}

/**
 * A CSV export (Log Analytics "Export to CSV", the Entra admin center's download): a first line that is not JSON but
 * holds a comma, with a byte-order mark or not.
 */
function looksLikeCsv(trimmed: string): boolean {
    const text = trimmed.replace(/^\uFEFF/, '');
    if (text.startsWith('{') || text.startsWith('[')) return false;
    const firstLine = text.split('\n', 1)[0]!;
    return firstLine.includes(',');
}

/** readSignInMessages, several messages at a time (as they come off the input): what a fast reader iterates. */
export async function* readSignInMessageBatches(
    input: AsyncIterable<Buffer | string>,
    seen?: InputSeen,
): AsyncGenerator<unknown[]> {
    const iterator = (async function* () {
        for await (const c of input) yield typeof c === 'string' ? Buffer.from(c) : c;
    })();
    const { head, done } = await sniff(iterator);
    const headText = Buffer.concat(head).toString('utf8');
    const trimmed = headText.trimStart();
    if (trimmed === '') return;
    const rest = (async function* () {
        yield* head;
        if (!done) yield* iterator;
    })();
    if (looksLikeCsv(trimmed)) {
        yield* readCsv(rest, seen);
        return;
    }

    // A first line that is a whole JSON value means NDJSON; anything else is one document, read as a stream.
    const firstLine = trimmed.split('\n', 1)[0]!.trim();
    let ndjson = false;
    if (!trimmed.startsWith('[') && firstLine.length < SNIFF_BYTES && trimmed.includes('\n')) {
        try {
            JSON.parse(firstLine);
            ndjson = true;
        } catch {
            // A broken first record line still reads as NDJSON; `{` or `{"records": [` alone starts a document.
            ndjson = firstLine.startsWith('{') && firstLine.endsWith('}');
        }
    } else if (!trimmed.startsWith('[') && !trimmed.includes('\n')) {
        // A single line: a one-line document or a one-line NDJSON file, which read the same way.
        ndjson = false;
    }
    if (seen) seen.kind = ndjson ? 'ndjson' : 'json';
    if (ndjson) {
        if (seen) {
            try {
                noteFirstKeys(seen, JSON.parse(firstLine));
            } catch {
                // A broken first line: nothing to note.
            }
        }
        yield* readLines(rest);
    } else for await (const message of readDocument(rest, seen)) yield [message];
}
