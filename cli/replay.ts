import { createReadStream } from 'node:fs';
import { access, constants, stat } from 'node:fs/promises';

import type { ContainmentConfig } from '../shared/settings/containment';
import type { DetectionConfig } from '../shared/settings/detection';
import type { Logger } from '../shared/logger';
import { addBatchResult, BatchOutcome, BatchResult, emptyBatchResult } from '../shared/pipeline/batchResult';
import { handleSignInBatch, SignInBatchNotStoredError, SignInBatchUseCase } from '../shared/pipeline/handleSignInBatch';
import type { CampaignView } from '../shared/campaign/campaignView';
import type { CampaignDeps } from '../shared/pipeline/campaignStep';
import type { ContainmentDeps } from '../shared/runners/containmentDeps';
import type { UserEvent } from '../shared/signin/signInEvent';
import { MemoryRowStore } from '../shared/state/memoryRowStore';
import { ContainedIncident, containmentOf, UserRowStore } from '../shared/userRow/userRow';
import { UserRows } from '../shared/userRow/userRows';
import type { InputSeen } from './inputSeen';
import { readSignInMessageBatches } from './readInput';

/** Reads an export in large chunks: a replay is bound by how fast it gets bytes to JSON.parse. */
const READ_CHUNK_BYTES = 1024 * 1024;

export interface ReplayOptions {
    /** Files to read in order; '-' is standard input. */
    readonly inputs: readonly string[];
    readonly detection: DetectionConfig;
    readonly store: UserRowStore;
    /** Messages per pipeline batch, as the hub delivers them (host.json maxEventBatchSize, 256). */
    readonly batchSize?: number;
    readonly stdin?: NodeJS.ReadableStream;
    /** When given, new incidents get a containment plan, as in the function. */
    readonly containment?: ContainmentConfig;
    /** When given, each batch's incidents are contained as the Event Hub function does (`replay --contain`). */
    readonly contain?: ContainmentDeps;
    /** Called with each batch's outcome once it was handled, for progress. */
    readonly onBatch?: (outcome: BatchOutcome) => Promise<void> | void;
    /** Called once the whole input is read, before the incidents are read back (the containment timer's turn). */
    readonly afterInput?: () => Promise<void>;
    /** Sees each batch's parsed events, by user (the HTML report keeps them for its sweep and timelines). */
    readonly onParsed?: (byUser: ReadonlyMap<string, readonly UserEvent[]>) => void;
    /** With the in-memory store: users without an incident held at most (MEMORY_STORE_USERS). */
    readonly memoryUsers?: number;
    /** When given, prompts are counted across users by source too: push-spray campaigns, as in the function. */
    readonly campaigns?: CampaignDeps;
    /** Filled with what the reader saw of the input's shape (for the message when nothing in it is usable). */
    readonly seen?: InputSeen;
}

/**
 * Users without an incident the in-memory store keeps, the least recently seen forgotten first. A user's state is
 * forgotten only once this many other users had MFA events after their last one, whatever order the export is in
 * (by time, newest first, by user): far more users than are under attack at once in any tenant, and some 300 MB at
 * the bound (a few KB a user, measured by `npm run bench memory`). `--store azurite` forgets nothing.
 */
export const MEMORY_STORE_USERS = 100_000;

export interface ReplayResult {
    readonly totals: BatchResult;
    /** Incidents opened during the replay, in their final state, in the order they fired. */
    readonly incidents: ContainedIncident[];
    /** Push-spray campaigns, as each stood at the end of the replay, in the order they were detected. */
    readonly campaigns: CampaignView[];
}

/** The input could not be opened: the CLI exits non-zero with this message. */
export class UnreadableInputError extends Error {}

/** A batch could not be stored (the table is unreachable): the replay stops, naming the cause. */
export class ReplayStorageError extends Error {}

/** A replay reports its totals itself (text or --json): the function's batch log lines would only repeat them. */
const SILENT: Logger = { log: () => undefined, warn: () => undefined, error: () => undefined };

async function* openInputs(
    inputs: readonly string[],
    stdin: NodeJS.ReadableStream | undefined,
    seen: InputSeen | undefined,
): AsyncGenerator<unknown[]> {
    for (const input of inputs) {
        const stream =
            input === '-' ? (stdin ?? process.stdin) : createReadStream(input, { highWaterMark: READ_CHUNK_BYTES });
        yield* readSignInMessageBatches(stream as AsyncIterable<Buffer>, seen);
    }
}

/** Every named input is a file that can be read, checked before any is: a folder is named as one. */
async function checkInputs(inputs: readonly string[]): Promise<void> {
    for (const input of inputs) {
        if (input === '-') continue;
        try {
            await access(input, constants.R_OK);
        } catch (e) {
            throw new UnreadableInputError(
                `cannot read ${input}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
            );
        }
        if ((await stat(input)).isDirectory()) {
            throw new UnreadableInputError(
                `cannot read ${input}: it is a folder; name the export files in it (mfa-responder replay ${input.replace(/\/$/, '')}/*)`,
            );
        }
    }
}

/**
 * Runs exported sign-in logs through the same pipeline as the Event Hub function, in batches as the hub would
 * deliver them. Reads streaming, so an export larger than memory works; with the in-memory store, the users seen
 * least recently are forgotten beyond MEMORY_STORE_USERS, so memory is bounded whatever the size of the input.
 */
export async function replay(options: ReplayOptions): Promise<ReplayResult> {
    await checkInputs(options.inputs);
    const batchSize = options.batchSize ?? 256;
    const totals = emptyBatchResult();
    const opened = new Map<string, string>();
    const memoryUsers = options.memoryUsers ?? MEMORY_STORE_USERS;
    let batch: unknown[] = [];
    const useCase: SignInBatchUseCase = {
        rows:
            options.contain?.rows ??
            new UserRows({
                store: options.store,
                windowMs: options.detection.policy.windowMs,
                longWindowMs: options.detection.policy.sustainedWindowMs,
                ...(options.containment ? { containment: options.containment } : {}),
            }),
        detection: options.detection,
        ...(options.containment ? { containment: options.containment } : {}),
        ...(options.contain ? { contain: options.contain } : {}),
        logger: SILENT,
        ...(options.onParsed ? { onParsed: options.onParsed } : {}),
        ...(options.campaigns ? { campaigns: options.campaigns } : {}),
    };

    const flush = async (): Promise<void> => {
        if (batch.length === 0) return;
        const messages = batch;
        batch = [];
        let outcome: BatchOutcome;
        try {
            outcome = await handleSignInBatch(messages, useCase);
        } catch (e) {
            if (!(e instanceof SignInBatchNotStoredError)) throw e;
            const first = e.outcome.failures[0]!;
            throw new ReplayStorageError(`state could not be stored for ${first.userId}: ${first.error.message}`);
        }
        // By arrival, never by event time: an export sorted newest first, by user, or with one record dated far
        // ahead must not make the replay forget a user in the middle of their attack.
        if (options.store instanceof MemoryRowStore) options.store.evictBeyond(memoryUsers);
        for (const { incident } of outcome.result.newIncidents) opened.set(incident.id, incident.userId);
        addBatchResult(totals, outcome.result);
        await options.onBatch?.(outcome);
    };

    try {
        for await (const messages of openInputs(options.inputs, options.stdin, options.seen)) {
            for (const message of messages) {
                batch.push(message);
                if (batch.length < batchSize) continue;
                await flush();
            }
        }
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'EISDIR' || (e as NodeJS.ErrnoException).code === 'EACCES') {
            throw new UnreadableInputError(`cannot read input: ${(e as Error).message}`);
        }
        throw e;
    }
    await flush();
    await options.afterInput?.();

    const incidents: ContainedIncident[] = [];
    const byUser = new Map<string, string[]>();
    for (const [id, userId] of opened) byUser.set(userId, [...(byUser.get(userId) ?? []), id]);
    for (const [userId, ids] of byUser) {
        const row = await useCase.rows.read(userId);
        if (!row) continue;
        for (const id of ids) {
            const incident = row.state.incidents.find((i) => i.id === id);
            const containment = containmentOf(row, id);
            if (incident) incidents.push(containment ? { incident, containment } : { incident });
        }
    }
    // Incidents a batch opened but the service refused to store are still reported.
    for (const q of totals.quarantines) for (const incident of q.incidents) incidents.push({ incident });
    incidents.sort(
        (a, b) => a.incident.detectedAt - b.incident.detectedAt || a.incident.userId.localeCompare(b.incident.userId),
    );
    const campaigns = [...totals.campaigns].sort(
        (a, b) => a.detectedAt.localeCompare(b.detectedAt) || a.campaignId.localeCompare(b.campaignId),
    );
    return { totals, incidents, campaigns };
}
