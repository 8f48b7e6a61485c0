import { noticeFailed, noticeToSend } from '../containment/due';
import type { Containment, Notice } from '../containment/model';
import type { Incident } from '../detection/userState';
import { noticeBody, WebhookError } from '../notices/notifier';
import { redactSecrets } from '../redact';
import type { ContainmentDeps } from './containmentDeps';
import { sendSentinelRow } from './sendSentinelRow';

/**
 * Tells the SOC what is ready to tell: the Sentinel row (see sendSentinelRow), then the incident's newest due notice,
 * which carries its latest state and stands for the earlier due ones (see noticeToSend): after an outage the SOC gets
 * one notice per incident, not every intermediate one. A failure is stored with its backoff (noticeFailed), never
 * thrown. `known` is the incident as the caller just read or wrote it.
 */
export async function sendNotices(
    userId: string,
    incidentId: string,
    deps: ContainmentDeps,
    known: { incident: Incident; containment: Containment },
    options: { readonly deadline?: number } = {},
): Promise<void> {
    const now = deps.now ?? Date.now;
    const { incident, containment } = known;
    await sendSentinelRow(userId, incidentId, deps, known, options);
    const pick = noticeToSend(containment, deps.config, now());
    // Past the caller's deadline a notice is left to the timer (it is due, so the row stays pending).
    if (!pick || (options.deadline !== undefined && now() >= options.deadline)) return;
    const { notice, supersedes } = pick;
    let update: (n: Notice) => Notice;
    if (!deps.notify) {
        update = (n) => ({ ...n, status: 'skipped', at: now() });
    } else {
        try {
            await deps.notify(noticeBody(incident, containment, notice.kind, deps.config), {
                ...(options.deadline !== undefined ? { timeoutMs: options.deadline - now() } : {}),
            });
            update = (n) => ({ ...n, status: 'sent', attempts: n.attempts + 1, at: now() });
        } catch (e) {
            const webhookUrl = deps.config.notifyWebhookUrl;
            const message = redactSecrets(
                e instanceof Error ? e.message : String(e),
                300,
                webhookUrl ? [webhookUrl] : [],
            );
            const retryAfterMs = e instanceof WebhookError ? e.retryAfterMs : undefined;
            update = (n) => noticeFailed(n, message, now(), deps.config, retryAfterMs);
            const outcome = update(notice);
            if (outcome.gaveUpAt !== undefined)
                deps.logger.error(
                    `Notice ${notice.kind} for incident ${incidentId} given up after ${outcome.attempts} attempt(s) over NOTICE_RETRY_HOURS: ${message}`,
                );
            else deps.logger.warn(`Notice ${notice.kind} for incident ${incidentId} failed: ${message}`);
        }
    }
    await deps.rows.updateContainment(userId, incidentId, (c) => {
        const current = c.notices.find((x) => x.kind === notice.kind);
        if (!current || current.status === 'sent') return undefined;
        const notices = c.notices.map((x): Notice => {
            if (x === current) return update(x);
            // The earlier notices this one stands for are done: it carries the incident's latest state.
            if (
                supersedes.includes(x.kind) &&
                (x.status === 'pending' || x.status === 'failed') &&
                x.gaveUpAt === undefined
            )
                return { ...x, status: 'superseded', supersededBy: notice.kind, at: now() };
            return x;
        });
        return { ...c, notices };
    });
}
