/**
 * A local AMQP 1.0 endpoint on loopback that speaks enough of Event Hubs for the official `@azure/event-hubs` v6
 * client, over plain TCP as the client does with `UseDevelopmentEmulator=true` in its connection string:
 *
 * - CBS `put-token` on `$cbs` (every token is accepted: authentication is not emulated);
 * - `$management` READ of `com.microsoft:eventhub` (name, created_at, partition_ids) and `com.microsoft:partition`
 *   (begin/last sequence numbers, last offset and enqueued time, is_partition_empty), with the service's error
 *   status codes for an unknown hub (404) or partition (400 argument-out-of-range);
 * - sender links to `hub` or `hub/Partitions/N`, in the batch format the client sends (0x80013700: an envelope whose
 *   data sections are each a whole event), routed by partition key or round-robin;
 * - receiver links to `hub/ConsumerGroups/<group>/Partitions/N` with the client's selector filters (offset, sequence
 *   number, enqueued time, `@latest`), honouring the client's link credit.
 *
 * Wire facts (CBS replies go back on the session's sender whose source is `$cbs`, `max_message_size` in the attach
 * reply, the annotation names) are those the SDK's source shows: see `@azure/core-amqp` (cbs.js,
 * requestResponseLink.js) and `@azure/event-hubs` (managementClient.js, eventData.js, eventPosition.js). Offsets are
 * sequence numbers here, whereas the service uses opaque offsets; nothing of the product reads offsets.
 */
import type { AddressInfo, Server } from 'node:net';

import { create_container, EventContext, Message, message as amqp, Receiver, Sender, types } from 'rhea';

interface Terminus {
    address: string;
    /** The selector arrives as a described string: rhea unwraps it to its value. */
    filter?: Record<string, { value?: string } | string>;
}
/** What rhea keeps of both ends' attach frames; its typings leave these internals out. */
interface LinkInternals {
    remote: { attach: { source: Terminus; target: Terminus } };
    local: { attach: { max_message_size?: unknown } };
}
const internals = (link: Receiver | Sender) => link as unknown as LinkInternals;

export interface StoredEvent {
    readonly sequenceNumber: number;
    readonly enqueuedTime: number;
    /** The event as the client encoded it (body, properties, application properties). */
    readonly message: Message;
    readonly partitionKey?: string;
}

export interface EventHubsEmulator {
    /** `Endpoint=sb://127.0.0.1:<port>;…;UseDevelopmentEmulator=true`, for `EVENTHUB_CONNECTION_STRING`. */
    readonly connectionString: string;
    readonly eventHubName: string;
    readonly partitions: StoredEvent[][];
    /** Appends an event as if a sender had (the body is JSON), with the enqueued time the test wants. */
    publish(partitionId: number, body: unknown, enqueuedTime?: number): StoredEvent;
    /** The hub was deleted and created again: every partition is empty and numbering starts over. */
    recreate(): void;
    /**
     * Refuse this identity, as the service does for one without the Data Sender / Data Receiver role: the token is
     * taken, but a link is detached with amqp:unauthorized-access and a management read answers 401.
     */
    refuseTokens: boolean;
    /** TCP connections a client has open: 0 once every client closed its connection. */
    readonly openConnections: number;
    /**
     * Resolves once no client holds a connection, or after `ms`. A reader that closes in the background (the first
     * waiting event's) closes cleanly only while its peer is there: close the endpoint after this.
     */
    clientsGone(ms: number): Promise<void>;
    close(): Promise<void>;
}

interface Options {
    readonly eventHubName?: string;
    readonly partitionCount?: number;
    /** Consumer groups that exist (compared case-insensitively, as the service does). */
    readonly consumerGroups?: readonly string[];
}

const BATCH_FORMAT = 0x80013700;
const MAX_MESSAGE_SIZE = 1024 * 1024;

/** Parses the client's selector into a predicate over stored events (eventPosition.js getEventPositionFilter). */
function startFilter(selector: string | undefined, partition: readonly StoredEvent[]): (e: StoredEvent) => boolean {
    const m = /^amqp\.annotation\.x-opt-(offset|sequence-number|enqueued-time) (>=?) '([^']*)'$/.exec(selector ?? '');
    if (!m) return () => true;
    const [, field, op, value] = m;
    if (value === '@latest') {
        const last = partition.length;
        return (e) => e.sequenceNumber >= last;
    }
    const bound = Number(value);
    const key = (e: StoredEvent) => (field === 'enqueued-time' ? e.enqueuedTime : e.sequenceNumber);
    return op === '>=' ? (e) => key(e) >= bound : (e) => key(e) > bound;
}

function hash(key: string): number {
    let h = 0;
    for (const ch of key) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
    return h;
}

export async function startEventHubsEmulator(options: Options = {}): Promise<EventHubsEmulator> {
    const hubName = options.eventHubName ?? 'entra-signins';
    const groups = new Set((options.consumerGroups ?? ['$Default']).map((g) => g.toLowerCase()));
    const partitions: StoredEvent[][] = Array.from({ length: options.partitionCount ?? 2 }, () => []);
    const createdAt = Date.now();
    const readers = new Set<{ sender: Sender; partition: number; next: (e: StoredEvent) => boolean; sent: number }>();
    let roundRobin = 0;
    const state = { refuseTokens: false };

    const annotations = (e: StoredEvent) => ({
        'x-opt-sequence-number': types.wrap_long(e.sequenceNumber),
        'x-opt-offset': String(e.sequenceNumber),
        'x-opt-enqueued-time': types.wrap_timestamp(e.enqueuedTime),
        ...(e.partitionKey !== undefined ? { 'x-opt-partition-key': e.partitionKey } : {}),
    });
    /** Sends a reader what it may have: only while it has credit (the client opens with none and adds it). */
    const pump = (reader: typeof readers extends Set<infer R> ? R : never) => {
        const events = partitions[reader.partition]!;
        while (reader.sent < events.length && reader.sender.sendable()) {
            const e = events[reader.sent++]!;
            if (!reader.next(e)) continue;
            reader.sender.send({
                ...e.message,
                message_annotations: { ...(e.message.message_annotations ?? {}), ...annotations(e) },
            });
        }
    };
    const store = (partition: number, message: Message, enqueuedTime = Date.now(), partitionKey?: string) => {
        const events = partitions[partition]!;
        const e: StoredEvent = {
            sequenceNumber: events.length,
            enqueuedTime,
            message,
            ...(partitionKey !== undefined ? { partitionKey } : {}),
        };
        events.push(e);
        for (const r of readers) if (r.partition === partition) pump(r);
        return e;
    };

    const status = (code: number, description: string, condition?: string) => ({
        'status-code': code,
        'status-description': description,
        ...(condition ? { 'error-condition': condition } : {}),
    });
    /** Answers a $cbs or $management request on the session's sender whose source is that node. */
    const reply = (ctx: EventContext, node: string, properties: Record<string, unknown>, body?: unknown) => {
        const request = ctx.message!;
        const sender = ctx.connection.find_sender(
            (s: Sender) => s.session === ctx.session && s.source?.address === node,
        );
        sender?.send({ correlation_id: request.message_id, application_properties: properties, body });
    };
    const management = (ctx: EventContext) => {
        const p = ctx.message!.application_properties ?? {};
        if (state.refuseTokens) {
            return reply(
                ctx,
                '$management',
                status(
                    401,
                    "Unauthorized access. 'Listen' claim(s) are required to perform this operation.",
                    'com.microsoft:unauthorized-access',
                ),
            );
        }
        if (p.operation !== 'READ') return reply(ctx, '$management', status(400, 'unsupported operation'));
        if (String(p.name) !== hubName)
            return reply(
                ctx,
                '$management',
                status(404, `The messaging entity '${String(p.name)}' could not be found.`),
            );
        if (p.type === 'com.microsoft:eventhub') {
            return reply(ctx, '$management', status(200, 'OK'), {
                name: hubName,
                created_at: types.wrap_timestamp(createdAt),
                partition_ids: partitions.map((_, i) => String(i)),
            });
        }
        const index = /^\d+$/.test(String(p.partition)) ? Number(p.partition) : -1;
        const events = partitions[index];
        if (p.type !== 'com.microsoft:partition' || !events) {
            return reply(
                ctx,
                '$management',
                status(
                    400,
                    `The specified partition is invalid: ${String(p.partition)}`,
                    'com.microsoft:argument-out-of-range',
                ),
            );
        }
        const last = events[events.length - 1];
        reply(ctx, '$management', status(200, 'OK'), {
            name: hubName,
            partition: String(index),
            begin_sequence_number: types.wrap_long(0),
            last_enqueued_sequence_number: types.wrap_long(last ? last.sequenceNumber : -1),
            last_enqueued_offset: last ? String(last.sequenceNumber) : '-1',
            last_enqueued_time_utc: types.wrap_timestamp(last ? last.enqueuedTime : 0),
            is_partition_empty: events.length === 0,
        });
    };
    /** An event batch: the envelope's data sections each hold one whole encoded event. */
    const receive = (ctx: EventContext) => {
        const target = String(ctx.receiver!.target?.address ?? '');
        if (target === '$cbs') return reply(ctx, '$cbs', status(202, 'Accepted'));
        if (target === '$management') return management(ctx);
        const raw = ctx.message as unknown;
        const envelope = ((ctx as { format?: number }).format === BATCH_FORMAT
            ? amqp.decode(raw as Buffer)
            : ctx.message!) as unknown as Message;
        const key = envelope.message_annotations?.['x-opt-partition-key'] as string | undefined;
        const fixed = /\/Partitions\/(\d+)$/.exec(target)?.[1];
        const partition =
            fixed !== undefined
                ? Number(fixed)
                : key !== undefined
                  ? hash(key) % partitions.length
                  : roundRobin++ % partitions.length;
        const sections = (envelope.body as { multiple?: boolean; content?: unknown } | undefined) ?? {};
        const inner =
            (ctx as { format?: number }).format === BATCH_FORMAT
                ? (sections.multiple ? (sections.content as Buffer[]) : [sections.content as Buffer]).map(
                      (b) => amqp.decode(b) as unknown as Message,
                  )
                : [envelope];
        for (const m of inner) store(partition, m, Date.now(), key);
    };

    const container = create_container({ id: 'event-hubs-emulator' });
    container.on('error', (e: unknown) => console.error('event hubs emulator:', (e as Error)?.stack ?? e));
    container.on('receiver_open', (ctx: EventContext) => {
        const link = ctx.receiver!;
        const remote = internals(link).remote.attach;
        link.set_target(remote.target);
        link.set_source(remote.source);
        const address = String(remote.target?.address ?? '');
        const hub = address.split('/')[0];
        if (!address.startsWith('$') && state.refuseTokens) {
            link.close({
                condition: 'amqp:unauthorized-access',
                description: `Unauthorized access. 'Send' claim(s) are required to perform this operation. Resource: 'sb://127.0.0.1/${address}'.`,
            });
            return;
        }
        if (!address.startsWith('$') && hub !== hubName) {
            link.close({
                condition: 'amqp:not-found',
                description: `The messaging entity '${address}' could not be found.`,
            });
            return;
        }
        // createBatch() reads the largest message the service takes from this attach reply.
        internals(link).local.attach.max_message_size = MAX_MESSAGE_SIZE;
    });
    container.on('sender_open', (ctx: EventContext) => {
        const link = ctx.sender!;
        const remote = internals(link).remote.attach;
        link.set_source(remote.source);
        link.set_target(remote.target);
        const address = String(remote.source?.address ?? '');
        if (address.startsWith('$')) return;
        if (state.refuseTokens) {
            link.close({
                condition: 'amqp:unauthorized-access',
                description: `Unauthorized access. 'Listen' claim(s) are required to perform this operation. Resource: 'sb://127.0.0.1/${address}'.`,
            });
            return;
        }
        const m = /^([^/]+)\/ConsumerGroups\/([^/]+)\/Partitions\/(\d+)$/i.exec(address);
        if (!m || m[1] !== hubName || !groups.has(m[2]!.toLowerCase()) || !partitions[Number(m[3])]) {
            link.close({
                condition: 'amqp:not-found',
                description: `The messaging entity '${address}' could not be found.`,
            });
            return;
        }
        const selector = remote.source?.filter?.['apache.org:selector-filter:string'];
        const partition = Number(m[3]);
        const selectorText = typeof selector === 'string' ? selector : (selector?.value ?? '');
        const reader = { sender: link, partition, next: startFilter(selectorText, partitions[partition]!), sent: 0 };
        readers.add(reader);
        link.on('sendable', () => pump(reader));
        link.on('sender_close', () => readers.delete(reader));
        ctx.connection.on('disconnected', () => readers.delete(reader));
    });
    container.on('message', receive);

    const server: Server = container.listen({ port: 0, host: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    const port = (server.address() as AddressInfo).port;
    const sockets = new Set<import('node:net').Socket>();
    server.on('connection', (s) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });

    return {
        connectionString: `Endpoint=sb://127.0.0.1:${port};SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=emulator;UseDevelopmentEmulator=true`,
        eventHubName: hubName,
        partitions,
        publish: (partition, body, enqueuedTime) =>
            store(partition, { body: amqp.data_section(Buffer.from(JSON.stringify(body))) }, enqueuedTime),
        get openConnections() {
            return sockets.size;
        },
        clientsGone: async (ms) => {
            const end = Date.now() + ms;
            while (sockets.size > 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
        },
        get refuseTokens() {
            return state.refuseTokens;
        },
        set refuseTokens(v: boolean) {
            state.refuseTokens = v;
        },
        recreate: () => {
            for (const events of partitions) events.length = 0;
            for (const r of readers) r.sent = 0;
        },
        close: () =>
            new Promise<void>((resolve) => {
                for (const s of sockets) s.destroy();
                server.close(() => resolve());
            }),
    };
}
