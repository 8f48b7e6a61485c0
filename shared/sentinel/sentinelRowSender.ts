import type { SentinelRowError } from '../containment/model';
import type { SentinelRow } from './sentinelRow';

/**
 * Where Sentinel rows go: the port. The adapter is logsIngestion.ts (the Logs Ingestion API); tests and the runners
 * see only this.
 */
export type SentinelRowSender = (rows: readonly SentinelRow[], options?: { timeoutMs?: number }) => Promise<void>;

/** A row the service refused or never answered; `retryAfterMs` when it said when to come back (429, 503). */
export class SentinelRowSendError extends Error {
    constructor(
        readonly error: SentinelRowError,
        readonly retryAfterMs?: number,
    ) {
        super(`${error.status ?? ''} ${error.code}: ${error.message}`.trim());
        this.name = 'SentinelRowSendError';
    }
}
