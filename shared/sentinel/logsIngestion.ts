import { isRestError } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import {
    isAggregateLogsUploadError,
    KnownMonitorAudience,
    LogsIngestionClient,
    LogsIngestionClientOptions,
} from '@azure/monitor-ingestion';

import type { IncidentLogConfig } from '../settings/sentinelRows';
import { SentinelRowSender, SentinelRowSendError } from './sentinelRowSender';

/**
 * Sentinel rows to Log Analytics through the Logs Ingestion API, with the app's managed identity (Monitoring Metrics
 * Publisher on the data collection rule). https://learn.microsoft.com/azure/azure-monitor/logs/logs-ingestion-api-overview
 *
 * The SDK gzips the JSON array, splits it below the 1 MB a call may carry, and succeeds on 204 only. It is told not to
 * retry: the containment timer is the one retry policy for rows (with backoff, honouring Retry-After), so that a
 * refusal is recorded on the incident with its status and code instead of being waited out inside the event handler.
 */

/** The token audience of the endpoint's cloud: https://monitor.azure.com, or the US Government and China ones. */
export function audienceOf(endpoint: string): string {
    const host = new URL(endpoint).hostname.toLowerCase();
    if (host.endsWith('.azure.us')) return KnownMonitorAudience.AzureGovernment;
    if (host.endsWith('.azure.cn')) return KnownMonitorAudience.AzureChina;
    return KnownMonitorAudience.AzurePublicCloud;
}

const MAX_RETRY_AFTER_MS = 3_600_000;

function retryAfterOf(headers: { get(name: string): string | undefined } | undefined): number | undefined {
    const ms = Number(headers?.get('retry-after-ms'));
    if (Number.isFinite(ms) && ms > 0) return Math.min(ms, MAX_RETRY_AFTER_MS);
    const value = headers?.get('retry-after');
    if (!value) return undefined;
    const seconds = Number(value);
    const wait = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - Date.now();
    return Number.isFinite(wait) && wait > 0 ? Math.min(wait, MAX_RETRY_AFTER_MS) : undefined;
}

/** What went wrong, for the incident: the HTTP status and the service's error code when there was an answer. */
export function toSentinelRowSendError(e: unknown): SentinelRowSendError {
    if (e instanceof SentinelRowSendError) return e;
    // upload() gathers the failure of each chunk; its own message says nothing ("undefined\n}").
    const cause = isAggregateLogsUploadError(e) ? (e.errors[0]?.cause ?? e) : e;
    const message = (cause instanceof Error ? cause.message : String(cause)).slice(0, 300);
    if (isRestError(cause) && cause.statusCode !== undefined) {
        return new SentinelRowSendError(
            { status: cause.statusCode, code: cause.code ?? `HTTP${cause.statusCode}`, message },
            retryAfterOf(cause.response?.headers),
        );
    }
    const name = cause instanceof Error ? cause.name : 'Error';
    if (name === 'AbortError' || name === 'TimeoutError') {
        return new SentinelRowSendError({ code: 'Timeout', message: 'no answer from the Logs Ingestion API in time' });
    }
    const code = (cause as { code?: unknown }).code;
    return new SentinelRowSendError({ code: typeof code === 'string' ? code : name, message });
}

export interface LogsIngestionOptions {
    /** The longest one send may take, ms (the caller's deadline may shorten it). */
    readonly timeoutMs?: number;
    /** Pipeline options (tests trust their local endpoint's certificate through `tlsOptions`). */
    readonly clientOptions?: LogsIngestionClientOptions;
}

/** Sends rows to the rule's stream; rejects with SentinelRowSendError. */
export function logsIngestionSender(
    config: IncidentLogConfig,
    credential: TokenCredential,
    options: LogsIngestionOptions = {},
): SentinelRowSender {
    const client = new LogsIngestionClient(config.endpoint, credential, {
        audience: audienceOf(config.endpoint),
        ...options.clientOptions,
        retryOptions: { maxRetries: 0 },
    });
    const limit = options.timeoutMs ?? 10_000;
    return async (rows, sendOptions = {}) => {
        const timeoutMs = Math.max(1, Math.min(limit, sendOptions.timeoutMs ?? limit));
        const controller = new AbortController();
        let timer: ReturnType<typeof setTimeout> | undefined;
        // The timeout does not rely on the SDK honouring the signal: the token request it makes first (a managed
        // identity endpoint in a brownout) may not, and would otherwise hold the event handler for ever.
        const timeout = new Promise<never>((_, reject) => {
            timer = setTimeout(() => {
                controller.abort();
                reject(
                    new SentinelRowSendError({
                        code: 'Timeout',
                        message: 'no answer from the Logs Ingestion API in time',
                    }),
                );
            }, timeoutMs);
        });
        const upload = client.upload(config.ruleId, config.stream, [...rows] as Array<Record<string, unknown>>, {
            maxConcurrency: 1,
            abortSignal: controller.signal,
        });
        // An upload given up on may still settle later; its outcome is no longer anyone's.
        upload.catch(() => undefined);
        try {
            await Promise.race([upload, timeout]);
        } catch (e) {
            throw toSentinelRowSendError(e);
        } finally {
            clearTimeout(timer);
        }
    };
}
