import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import type { Logger } from '../logger';
import { isLogRowReady, logRowAccepted, logRowFailed, reportedState } from './core';
import { IncidentLog, LogRowSendError } from './incidentLog';
import { incidentRow } from './incidentRow';
import type { Containment, LogRows } from './model';
import { updateContainment, UserRecordStore } from './userRecord';

/** What sending a row needs: the containment dependencies' store, settings and log, and where rows go. */
export interface LogRowDeps {
    readonly store: UserRecordStore;
    readonly config: ContainmentConfig;
    readonly windowMs: number;
    readonly logger: Logger;
    readonly now?: () => number;
    readonly incidentLog?: IncidentLog;
}

function asSendError(e: unknown): LogRowSendError {
    if (e instanceof LogRowSendError) return e;
    const error = e as { name?: string; message?: string };
    return new LogRowSendError({ code: error.name ?? 'Error', message: String(error.message ?? e).slice(0, 300) });
}

/**
 * Sends the incident's row when one is ready (core.ts isLogRowReady) and records what happened on the containment, in
 * a conditional write of its own: accepted (the state and sequence), or failed (the status and code, and when to try
 * again). A failure is stored and logged, never thrown: containment never waits for Sentinel. `known` is the incident
 * as the caller just read or wrote it.
 */
export async function sendLogRow(
    userId: string,
    incidentId: string,
    deps: LogRowDeps,
    known: { incident: Incident; containment: Containment },
    options: { readonly deadline?: number } = {},
): Promise<void> {
    const now = deps.now ?? Date.now;
    const { incident, containment } = known;
    if (!isLogRowReady(containment, deps.config, now())) return;
    // Past the caller's deadline the row is left to the timer (it is due, so the row stays pending).
    if (options.deadline !== undefined && now() >= options.deadline) return;
    const state = reportedState(containment);
    let update: (rows: LogRows) => LogRows;
    if (!deps.incidentLog) {
        update = (rows) => ({ ...rows, skipped: 'LOGS_INGESTION_ENDPOINT and LOGS_INGESTION_RULE_ID are not set' });
    } else {
        const sequence = containment.logRows!.sequence + 1;
        try {
            const row = incidentRow(incident, containment, { state, sequence, now: now() }, deps.config);
            await deps.incidentLog([row], {
                ...(options.deadline !== undefined ? { timeoutMs: options.deadline - now() } : {}),
            });
            update = (rows) => logRowAccepted(rows, { state, sequence }, now());
        } catch (e) {
            const failure = asSendError(e);
            update = (rows) => logRowFailed(rows, state, failure.error, now(), failure.retryAfterMs);
            deps.logger.warn(`Incident row (${state}) for incident ${incidentId} failed: ${failure.message}`);
        }
    }
    await updateContainment(
        deps.store,
        userId,
        incidentId,
        (c) => (c.logRows ? { ...c, logRows: update(c.logRows) } : undefined),
        { windowMs: deps.windowMs, config: deps.config },
    );
}
