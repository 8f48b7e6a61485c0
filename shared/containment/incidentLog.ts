import type { IncidentRow } from './incidentRow';
import type { SentinelRowError } from './model';

/**
 * Where incident rows go: the port. The adapter is logsIngestion.ts (the Logs Ingestion API); tests and the core see
 * only this.
 */
export type IncidentLog = (rows: readonly IncidentRow[], options?: { timeoutMs?: number }) => Promise<void>;

/** A row the service refused or never answered; `retryAfterMs` when it said when to come back (429, 503). */
export class LogRowSendError extends Error {
    constructor(
        readonly error: SentinelRowError,
        readonly retryAfterMs?: number,
    ) {
        super(`${error.status ?? ''} ${error.code}: ${error.message}`.trim());
        this.name = 'LogRowSendError';
    }
}
