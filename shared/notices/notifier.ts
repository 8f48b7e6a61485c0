import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { incidentView } from './incidentView';
import type { Containment, NoticeKind } from '../containment/model';
import { noticeLines, noticeTitle } from './noticeText';
import { teamsMessage } from './teamsCard';

/** Sends a notice to the SOC within `timeoutMs` (when given); resolves on a 2xx, rejects otherwise. */
export type Notifier = (payload: Record<string, unknown>, options?: { timeoutMs?: number }) => Promise<void>;

/** POSTs JSON to the webhook with a timeout. */
export function webhookNotifier(url: string, timeoutMs = 10_000): Notifier {
    return async (payload, options = {}) => {
        const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(payload),
            signal: AbortSignal.timeout(Math.max(1, Math.min(timeoutMs, options.timeoutMs ?? timeoutMs))),
        });
        if (!res.ok) throw new Error(`webhook answered ${res.status}`);
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
