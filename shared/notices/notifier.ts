import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { incidentView } from './incidentView';
import type { Containment, NoticeKind } from '../containment/model';
import { noticeLines, noticeTitle } from './noticeText';
import { teamsMessage } from './teamsCard';

/** Sends a notice to the SOC within `timeoutMs` (when given); resolves on a 2xx, rejects otherwise. */
export type Notifier = (payload: Record<string, unknown>, options?: { timeoutMs?: number }) => Promise<void>;

/** How long one notice may wait for the webhook: short, so that a hanging receiver holds nothing for long. */
export const NOTICE_TIMEOUT_MS = 10_000;

/**
 * The webhook refused or never answered a notice. Its message never holds the URL (a Workflows URL carries its
 * signature); `retryAfterMs` when the receiver said when to come back (Teams throttles past 4 requests a second).
 */
export class WebhookError extends Error {
    constructor(
        message: string,
        readonly status?: number,
        readonly retryAfterMs?: number,
    ) {
        super(message);
        this.name = 'WebhookError';
    }
}

function retryAfterOf(header: string | null): number | undefined {
    if (!header) return undefined;
    const seconds = Number(header);
    const ms = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(header) - Date.now();
    return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 3_600_000) : undefined;
}

/** POSTs JSON to the webhook with a timeout; failures are WebhookErrors that name neither the URL nor its key. */
export function webhookNotifier(url: string, timeoutMs = NOTICE_TIMEOUT_MS): Notifier {
    return async (payload, options = {}) => {
        let res: Response;
        try {
            res = await fetch(url, {
                method: 'POST',
                headers: { 'content-type': 'application/json' },
                body: JSON.stringify(payload),
                signal: AbortSignal.timeout(Math.max(1, Math.min(timeoutMs, options.timeoutMs ?? timeoutMs))),
            });
        } catch (e) {
            const err = e as { name?: string; cause?: { code?: unknown } };
            if (err.name === 'TimeoutError' || err.name === 'AbortError')
                throw new WebhookError('no answer from the webhook in time');
            const code = typeof err.cause?.code === 'string' ? ` (${err.cause.code})` : '';
            throw new WebhookError(`the webhook could not be reached${code}`);
        }
        // The body is never read: a receiver's answer may echo what it was sent.
        void res.body?.cancel().catch(() => undefined);
        if (!res.ok) {
            const retryAfterMs = retryAfterOf(res.headers.get('retry-after'));
            throw new WebhookError(`webhook answered ${res.status}`, res.status, retryAfterMs);
        }
    };
}

/** The JSON a notice carries: the incident view, plus a title and a text ready for a chat message. */
export function noticePayload(
    inc: Incident,
    c: Containment | undefined,
    kind: NoticeKind,
    config: Pick<ContainmentConfig, 'pushBlockMode'>,
): Record<string, unknown> {
    const title = noticeTitle(inc, c, kind);
    const lines = [title, ...noticeLines(inc, c, config)];
    return { type: 'mfa-fatigue-responder', kind, title, text: lines.join('\n'), ...incidentView(inc, c) };
}

/** The body of a notice in the configured format: the JSON payload, or a Teams Workflows Adaptive Card message. */
export function noticeBody(
    inc: Incident,
    c: Containment | undefined,
    kind: NoticeKind,
    config: Pick<
        ContainmentConfig,
        'pushBlockMode' | 'notifyFormat' | 'pushBlockGroupId' | 'sentinelWorkspaceId' | 'runbookUrl'
    >,
): Record<string, unknown> {
    return config.notifyFormat === 'teams' ? teamsMessage(inc, c, kind, config) : noticePayload(inc, c, kind, config);
}
