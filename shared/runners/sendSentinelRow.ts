import { isSentinelRowReady, reportedState, sentinelRowAccepted, sentinelRowFailed } from '../containment/due';
import type { Containment, SentinelRows } from '../containment/model';
import type { Incident } from '../detection/userState';
import { sentinelRow } from '../sentinel/sentinelRow';
import { redactSecrets } from '../redact';
import { SentinelRowSendError } from '../sentinel/sentinelRowSender';
import type { ContainmentDeps } from './containmentDeps';

/** What sending a Sentinel row needs of the containment dependencies: the rows, settings, log, and where rows go. */
export type SentinelRowDeps = Pick<ContainmentDeps, 'rows' | 'config' | 'logger' | 'now' | 'sentinel'>;

function asSendError(e: unknown): SentinelRowSendError {
    if (e instanceof SentinelRowSendError) return e;
    const error = e as { name?: string; message?: string };
    return new SentinelRowSendError({
        code: error.name ?? 'Error',
        message: redactSecrets(String(error.message ?? e), 300),
    });
}

/**
 * Sends the incident's Sentinel row when one is ready (containment/due.ts isSentinelRowReady) and records what
 * happened on the containment, in a conditional write of its own: accepted (the state and sequence), or failed (the
 * status and code, and when to try again). A failure is stored and logged, never thrown: containment never waits for
 * Sentinel. `known` is the incident as the caller just read or wrote it.
 */
export async function sendSentinelRow(
    userId: string,
    incidentId: string,
    deps: SentinelRowDeps,
    known: { incident: Incident; containment: Containment },
    options: { readonly deadline?: number } = {},
): Promise<void> {
    const now = deps.now ?? Date.now;
    const { incident, containment } = known;
    if (!isSentinelRowReady(containment, deps.config, now())) return;
    // Past the caller's deadline the row is left to the timer (it is due, so the row stays pending).
    if (options.deadline !== undefined && now() >= options.deadline) return;
    const state = reportedState(containment);
    let update: (rows: SentinelRows) => SentinelRows;
    if (!deps.sentinel) {
        update = (rows) => ({ ...rows, skipped: 'LOGS_INGESTION_ENDPOINT and LOGS_INGESTION_RULE_ID are not set' });
    } else {
        const sequence = containment.logRows!.sequence + 1;
        try {
            const row = sentinelRow(incident, containment, { state, sequence, now: now() }, deps.config);
            await deps.sentinel([row], {
                ...(options.deadline !== undefined ? { timeoutMs: options.deadline - now() } : {}),
            });
            update = (rows) => sentinelRowAccepted(rows, { state, sequence }, now());
        } catch (e) {
            const sent = asSendError(e);
            // The service's message may echo what it was sent: kept bounded and redacted, like every stored error.
            const failure = new SentinelRowSendError(
                { ...sent.error, message: redactSecrets(sent.error.message, 300) },
                sent.retryAfterMs,
            );
            update = (rows) => sentinelRowFailed(rows, state, failure.error, now(), deps.config, failure.retryAfterMs);
            deps.logger.warn(`Incident row (${state}) for incident ${incidentId} failed: ${failure.message}`);
        }
    }
    await deps.rows.updateContainment(userId, incidentId, (c) =>
        c.logRows ? { ...c, logRows: update(c.logRows) } : undefined,
    );
}
