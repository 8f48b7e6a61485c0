import { isNoticeReady } from '../containment/due';
import type { Containment, Notice } from '../containment/model';
import type { Incident } from '../detection/userState';
import { noticeBody } from '../notices/notifier';
import type { ContainmentDeps } from './containmentDeps';
import { sendSentinelRow } from './sendSentinelRow';

/**
 * Tells the SOC what is ready to tell: the Sentinel row (see sendSentinelRow), then every notice that is
 * ready (see isNoticeReady). A failure is stored, never thrown. `known` is the incident as the caller just read or
 * wrote it.
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
    const ready = containment.notices.filter((n) => isNoticeReady(n, containment, deps.config));
    for (const notice of ready) {
        // Past the caller's deadline a notice is left to the timer (it is due, so the row stays pending).
        if (options.deadline !== undefined && now() >= options.deadline) return;
        let update: Partial<Notice>;
        if (!deps.notify) {
            update = { status: 'skipped' };
        } else if (
            deps.config.notifyFormat === 'teams' &&
            incident.trigger === 'push-spray' &&
            notice.kind === 'incident'
        ) {
            // One Teams card per campaign lists its users (sendCampaignNotices): not one card per sprayed user. An
            // approval, a containment that needs attention or a release of one user still gets a card of its own.
            update = { status: 'skipped', error: 'in the campaign card' };
        } else {
            try {
                await deps.notify(noticeBody(incident, containment, notice.kind, deps.config), {
                    ...(options.deadline !== undefined ? { timeoutMs: options.deadline - now() } : {}),
                });
                update = { status: 'sent', attempts: notice.attempts + 1 };
            } catch (e) {
                const message = e instanceof Error ? e.message : String(e);
                update = { status: 'failed', attempts: notice.attempts + 1, error: message.slice(0, 300) };
                deps.logger.warn(`Notice ${notice.kind} for incident ${incidentId} failed: ${update.error}`);
            }
        }
        await deps.rows.updateContainment(userId, incidentId, (c) => {
            const n = c.notices.find((x) => x.kind === notice.kind);
            if (!n || n.status === 'sent') return undefined;
            return { ...c, notices: c.notices.map((x) => (x === n ? { ...x, ...update, at: now() } : x)) };
        });
    }
}
