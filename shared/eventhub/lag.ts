/**
 * How far the responder is behind the sign-in hub, per partition, computed as the Functions scale controller does
 * (EventHubsMetricsProvider.GetUnprocessedEventCount in Azure/azure-sdk-for-net,
 * sdk/eventhub/Microsoft.Azure.WebJobs.Extensions.EventHubs/src/Listeners/EventHubsMetricsProvider.cs) from the hub's
 * partition properties and the host's checkpoint blobs. Pure: the readings come from ./hubReadings.ts.
 */

/** A partition as `getPartitionProperties` describes it (times in ms). */
export interface PartitionReading {
    readonly partitionId: string;
    readonly beginningSequenceNumber: number;
    /** -1 when the partition never held an event. */
    readonly lastEnqueuedSequenceNumber: number;
    readonly lastEnqueuedAt: number;
    readonly isEmpty: boolean;
}

/** The host's checkpoint of one partition: the last processed event's sequence number, and when it was written. */
export interface CheckpointReading {
    readonly partitionId: string;
    /** Absent when the blob exists but holds no usable sequence number (the host writes "" for none). */
    readonly sequenceNumber?: number;
    readonly writtenAt?: number;
}

export type PartitionState =
    /** Nothing unprocessed. */
    | 'caught-up'
    /** Events the host has not checkpointed yet. */
    | 'behind'
    /** The host never finished a batch from this partition (or its checkpoints are elsewhere). */
    | 'no-checkpoint'
    /** The checkpoint is past the hub's last event: the hub was recreated and old checkpoints survived. */
    | 'checkpoint-ahead'
    /** The hub retains no event on this partition. */
    | 'empty';

export interface PartitionLag {
    readonly partitionId: string;
    readonly state: PartitionState;
    /** Events not yet processed, by the scale controller's formula (0 when ahead or empty). */
    readonly events: number;
    /**
     * How long the checkpoint has not moved while events wait: now minus the checkpoint's write time. It grows for as
     * long as the consumer is stuck, whether or not newer events arrive (a checkpoint has no enqueued time, only its
     * blob's Last-Modified). After a quiet spell, the first new event shows the whole spell until the host takes it,
     * seconds later: `lagToConfirm` tells when to read again before believing it. Absent when nothing waits or there
     * is no checkpoint.
     */
    readonly lagMs?: number;
    /**
     * `lagMs` is exact: now minus the enqueued time of the first event after the checkpoint, read from the hub
     * (`withFirstWaiting`). Then it also sees a backlog that the function drains in order while it keeps checkpointing.
     */
    readonly lagExact?: boolean;
    readonly lastEnqueuedAt?: number;
    /** The hub's last sequence number on the partition (-1: it never held an event). */
    readonly lastSequenceNumber: number;
    readonly checkpoint?: number;
    readonly checkpointAt?: number;
}

/** Unprocessed events of a partition, exactly as GetUnprocessedEventCount counts them. */
export function unprocessedEvents(p: PartitionReading, checkpoint: number | undefined): number {
    if (p.isEmpty) return 0;
    if (checkpoint === undefined && p.lastEnqueuedSequenceNumber === p.beginningSequenceNumber) return 1;
    const start = checkpoint ?? p.beginningSequenceNumber - 1;
    return p.lastEnqueuedSequenceNumber > start ? p.lastEnqueuedSequenceNumber - start : 0;
}

export function partitionLag(p: PartitionReading, cp: CheckpointReading | undefined, now: number): PartitionLag {
    const seq = cp?.sequenceNumber;
    const base = {
        partitionId: p.partitionId,
        lastSequenceNumber: p.lastEnqueuedSequenceNumber,
        ...(p.isEmpty ? {} : { lastEnqueuedAt: p.lastEnqueuedAt }),
        ...(seq !== undefined ? { checkpoint: seq } : {}),
        ...(cp?.writtenAt !== undefined ? { checkpointAt: cp.writtenAt } : {}),
    };
    const events = unprocessedEvents(p, seq);
    if (seq !== undefined && seq > p.lastEnqueuedSequenceNumber)
        return { ...base, state: 'checkpoint-ahead', events: 0 };
    if (p.isEmpty) return { ...base, state: 'empty', events: 0 };
    if (seq === undefined) return { ...base, state: 'no-checkpoint', events };
    if (events === 0) return { ...base, state: 'caught-up', events };
    const lagMs = cp?.writtenAt !== undefined ? Math.max(0, now - cp.writtenAt) : undefined;
    return { ...base, state: 'behind', events, ...(lagMs !== undefined ? { lagMs } : {}) };
}

/** Joins the hub's partitions with the host's checkpoints, as of `now`. */
export function hubLag(
    partitions: readonly PartitionReading[],
    checkpoints: ReadonlyMap<string, CheckpointReading>,
    now: number,
): PartitionLag[] {
    return partitions.map((p) => partitionLag(p, checkpoints.get(p.partitionId), now));
}

/** Partitions further behind than the limit. */
export function latePartitions(lag: readonly PartitionLag[], warningMs: number): PartitionLag[] {
    return lag.filter((p) => p.state === 'behind' && (p.lagMs ?? 0) > warningMs);
}

/** A healthy host takes a new event within seconds; this long without it is not a quiet spell ending. */
export const FRESH_EVENT_MS = 60_000;
/** How long to wait before reading again a lag that may be a quiet spell ending. */
export const LAG_CONFIRM_DELAY_MS = 10_000;

const fresh = (p: PartitionLag, now: number) =>
    p.lastEnqueuedAt !== undefined && now - p.lastEnqueuedAt < FRESH_EVENT_MS;

/**
 * Whether a late partition's newest event is so fresh that the lag may only be a quiet spell ending (the host has not
 * taken that event yet): read again after LAG_CONFIRM_DELAY_MS and judge by both readings (`confirmLag`).
 */
export function lagToConfirm(lag: readonly PartitionLag[], warningMs: number, now: number): boolean {
    return latePartitions(lag, warningMs).some((p) => !p.lagExact && fresh(p, now));
}

/** Partitions behind a checkpoint, with the sequence number after which their first waiting event is. */
export function waitingAfter(lag: readonly PartitionLag[]): Array<{ partitionId: string; after: number }> {
    return lag.flatMap((p) =>
        p.state === 'behind' && p.checkpoint !== undefined ? [{ partitionId: p.partitionId, after: p.checkpoint }] : [],
    );
}

/** Exact waits where the first waiting event's enqueued time could be read; the checkpoint's age elsewhere. */
export function withFirstWaiting(
    lag: readonly PartitionLag[],
    firstWaiting: ReadonlyMap<string, number>,
    now: number,
): PartitionLag[] {
    return lag.map((p) => {
        const t = p.state === 'behind' ? firstWaiting.get(p.partitionId) : undefined;
        return t === undefined ? p : { ...p, lagMs: Math.max(0, now - t), lagExact: true };
    });
}

/**
 * The lag to believe after a second reading. A partition still late whose newest event is still fresh, where nothing
 * arrived between the two readings and the checkpoint did not move, may be a quiet spell ending on a consumer that is
 * starting cold (Flex Consumption can take tens of seconds to start the trigger after idle): its wait is counted from
 * its newest event (a lower bound), not from the old checkpoint. Where events kept arriving, the checkpoint's age is
 * the answer: a stuck consumer in a busy stream. A stuck consumer in a sparse stream is caught by the first reading
 * whose newest event is older than FRESH_EVENT_MS.
 */
export function confirmLag(
    first: readonly PartitionLag[],
    second: readonly PartitionLag[],
    now: number,
): PartitionLag[] {
    const before = new Map(first.map((p) => [p.partitionId, p]));
    return second.map((p) => {
        const was = before.get(p.partitionId);
        const quiet =
            p.state === 'behind' &&
            !p.lagExact &&
            fresh(p, now) &&
            was !== undefined &&
            was.lastSequenceNumber === p.lastSequenceNumber &&
            was.checkpoint === p.checkpoint;
        return quiet ? { ...p, lagMs: Math.max(0, now - p.lastEnqueuedAt!) } : p;
    });
}

/** The blob name prefix of the host's checkpoints: every segment lower case (BlobCheckpointStoreInternal.cs). */
export function checkpointPrefix(fullyQualifiedNamespace: string, eventHubName: string, consumerGroup: string): string {
    return `${fullyQualifiedNamespace}/${eventHubName}/${consumerGroup}/checkpoint/`.toLowerCase();
}

/**
 * Reads one checkpoint blob's name and metadata. `sequencenumber` is the last processed event; the host writes "" when
 * it has none, and `offset` is no longer populated, so it is never used.
 */
export function readCheckpointBlob(
    prefix: string,
    name: string,
    metadata: Readonly<Record<string, string>> | undefined,
    lastModified: Date | undefined,
): CheckpointReading | undefined {
    if (!name.startsWith(prefix)) return undefined;
    const partitionId = name.slice(prefix.length);
    if (!/^\d{1,4}$/.test(partitionId)) return undefined;
    const raw = metadata?.sequencenumber?.trim();
    return {
        partitionId,
        ...(raw && /^-?\d{1,19}$/.test(raw) ? { sequenceNumber: Number(raw) } : {}),
        ...(lastModified ? { writtenAt: lastModified.getTime() } : {}),
    };
}
