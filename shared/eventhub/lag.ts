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
     * How long the oldest waiting event has waited. Exact (`lagExact`) when one event waits (it is the hub's last) or
     * when the first event after the checkpoint was read from the hub (`withFirstWaiting`). Otherwise the checkpoint's
     * age, now minus its blob's Last-Modified (a checkpoint has no enqueued time): it grows for as long as the consumer
     * is stuck, whether or not newer events arrive, but after a quiet spell it shows the whole spell until the host
     * takes the new events. Absent when nothing waits or there is no checkpoint.
     */
    readonly lagMs?: number;
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
    // One event waiting is the hub's last one: its wait is known exactly (a quiet spell ending is no lag).
    if (events === 1)
        return { ...base, state: 'behind', events, lagMs: Math.max(0, now - p.lastEnqueuedAt), lagExact: true };
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
