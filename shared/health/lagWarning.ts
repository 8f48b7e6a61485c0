import { loadCheckpointStoreConfig, loadEventHubConfig, loadLagWarningMs } from '../settings/eventHub';
import { exactLag, readCheckpoints, readPartitions } from '../eventhub/hubReadings';
import { hubLag, latePartitions, PartitionLag } from '../eventhub/lag';
import type { Logger } from '../logger';
import type { Runtime } from '../runtime';
import { duration } from './check';
import { withTimeout } from './context';

/** One lag read never holds the timer longer than this (a second one follows only to confirm a fresh lag). */
export const LAG_READ_TIMEOUT_MS = 10_000;
/** A lag read that keeps failing is said once an hour per worker, not every minute. */
const FAILURE_REPEAT_MS = 60 * 60_000;

/** The warning line for partitions past the limit, or undefined when none is (pure). */
export function lagWarningLine(lag: readonly PartitionLag[], warningMs: number): string | undefined {
    const late = latePartitions(lag, warningMs);
    const ahead = lag.filter((p) => p.state === 'checkpoint-ahead');
    if (late.length === 0 && ahead.length === 0) return undefined;
    const parts = [
        ...late.map(
            (p) =>
                `partition ${p.partitionId} has ${p.events} event(s) waiting, ${p.lagExact ? 'the oldest for' : 'its checkpoint unmoved for'} ${duration(p.lagMs ?? 0)}`,
        ),
        ...ahead.map(
            (p) =>
                `partition ${p.partitionId} has a checkpoint (${p.checkpoint}) ahead of the hub (${p.lastSequenceNumber}): new events are skipped`,
        ),
    ];
    return `Event Hub lag: ${parts.join('; ')} (LAG_WARNING_MINUTES=${warningMs / 60_000}; run mfa-responder doctor): ${JSON.stringify(
        [...late, ...ahead].map((p) => ({
            partitionId: p.partitionId,
            state: p.state,
            events: p.events,
            lagMs: p.lagMs ?? null,
        })),
    )}`;
}

/**
 * The timer's lag check: reads the hub's partitions and the host's checkpoints, bounded by LAG_READ_TIMEOUT_MS, and
 * logs one warning line when a partition is further behind than LAG_WARNING_MINUTES (or its checkpoint is ahead of
 * the hub). A lag that may be a quiet spell ending is read again after a pause before it is believed. Never throws: a
 * read that fails is logged (once an hour), and the timer's work goes on.
 */
export function createLagWatch(options: { timeoutMs?: number; clock?: () => number } = {}) {
    const clock = options.clock ?? Date.now;
    let lastFailureLogged = -Infinity;
    return async function watchLag(runtime: Runtime, logger: Logger, now: number): Promise<PartitionLag[] | undefined> {
        const env = runtime.env;
        try {
            const hub = loadEventHubConfig(env);
            const store = loadCheckpointStoreConfig(env);
            if (!hub || !store) return undefined;
            const credential = () => runtime.credential;
            const timeoutMs = options.timeoutMs ?? LAG_READ_TIMEOUT_MS;
            const read = async () => {
                const [partitions, checkpoints] = await withTimeout('the lag read', timeoutMs, () =>
                    Promise.all([
                        readPartitions(hub, { credential, timeoutMs }),
                        readCheckpoints(hub, store, { credential }),
                    ]),
                );
                return exactLag(hub, hubLag(partitions, checkpoints, clock()), { credential, timeoutMs, now: clock });
            };
            const warningMs = loadLagWarningMs(env);
            const lag = await read();
            const line = lagWarningLine(lag, warningMs);
            if (line) logger.warn(line);
            return lag;
        } catch (e) {
            if (now - lastFailureLogged >= FAILURE_REPEAT_MS) {
                lastFailureLogged = now;
                logger.warn(
                    `Event Hub lag could not be read (said once an hour): ${String((e as Error)?.message ?? e).slice(0, 300)}`,
                );
            }
            return undefined;
        }
    };
}
