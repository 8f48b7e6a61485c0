import { createReadStream } from 'node:fs';
import { access, constants } from 'node:fs/promises';

import type { ContainmentConfig, DetectionConfig } from '../shared/config';
import type { Incident } from '../shared/detection/userState';
import { addBatchResult, BatchResult, emptyBatchResult } from '../shared/pipeline/batchResult';
import { processSignInBatch } from '../shared/pipeline/processSignInBatch';
import { MemoryStateStore } from '../shared/state/memoryStateStore';
import type { UserStateStore } from '../shared/state/stateStore';
import { readSignInMessages } from './readInput';

export interface ReplayOptions {
    /** Files to read in order; '-' is standard input. */
    readonly inputs: readonly string[];
    readonly detection: DetectionConfig;
    readonly store: UserStateStore;
    /** Messages per pipeline batch, as the hub's maxEventBatchSize. */
    readonly batchSize?: number;
    readonly stdin?: NodeJS.ReadableStream;
    /** When given, new incidents get a containment plan, as in the function. */
    readonly containment?: ContainmentConfig;
    /** Called with each batch's result, for progress and containment. */
    readonly onBatch?: (result: BatchResult) => Promise<void> | void;
}

export interface ReplayResult {
    readonly totals: BatchResult;
    /** Incidents opened during the replay, in their final state, in the order they fired. */
    readonly incidents: Incident[];
}

/** The input could not be opened: the CLI exits non-zero with this message. */
export class UnreadableInputError extends Error {}

async function* openInputs(inputs: readonly string[], stdin?: NodeJS.ReadableStream): AsyncGenerator<unknown> {
    for (const input of inputs) {
        const stream = input === '-' ? (stdin ?? process.stdin) : createReadStream(input);
        yield* readSignInMessages(stream as AsyncIterable<Buffer>);
    }
}

/**
 * Runs exported sign-in logs through the same pipeline as the Event Hub function, in batches as the hub would
 * deliver them. Reads streaming, so an export larger than memory works; with the in-memory store, idle users are
 * forgotten as event time moves on, so memory follows the number of active users, not the size of the input.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
    for (const input of options.inputs) {
        if (input === '-') continue;
        try {
            await access(input, constants.R_OK);
        } catch (e) {
            throw new UnreadableInputError(
                `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            );
        }
    }
    const batchSize = options.batchSize ?? 100;
    const totals = emptyBatchResult();
    const opened = new Map<string, string>();
    let batch: unknown[] = [];

    const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const result = await processSignInBatch(batch, {
            store: options.store,
            policy: options.detection.policy,
            categories: options.detection.categories,
            ...(options.containment ? { containment: options.containment } : {}),
        });
        batch = [];
        for (const inc of result.newIncidents) opened.set(inc.id, inc.userId);
        addBatchResult(totals, result);
        await options.onBatch?.(result);
    };

    let batches = 0;
    try {
        for await (const message of openInputs(options.inputs, options.stdin)) {
            batch.push(message);
            if (batch.length >= batchSize) {
                await flush();
                if (++batches % 50 === 0 && options.store instanceof MemoryStateStore) {
                    options.store.evictIdle(options.store.newestEventTime - options.detection.policy.retentionMs);
                }
            }
        }
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EISDIR' || (e as NodeJS.ErrnoException).code === 'EACCES') {
            throw new UnreadableInputError(`cannot read input: ${(e as Error).message}`);
        }
        throw e;
    }
    await flush();

    const incidents: Incident[] = [];
    for (const [id, userId] of opened) {
        const stored = await options.store.read(userId);
        const inc = stored?.state.incidents.find((i) => i.id === id);
        if (inc) incidents.push(inc);
    }
    incidents.sort((a, b) => a.triggeredAt - b.triggeredAt || a.userId.localeCompare(b.userId));
    return { totals, incidents };
}
