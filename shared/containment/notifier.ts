import type { ContainmentConfig } from '../config';
import { incidentView } from './incidents';
import type { ContainedIncident, NoticeKind } from './model';
import { isoTime } from '../time';

/** Sends a notice to the SOC; resolves on a 2xx, rejects otherwise. */
export type Notifier = (payload: Record<string, unknown>) => Promise<void>;

/** POSTs JSON to the webhook with a timeout. Works with a Teams workflow ("when a webhook request is received") or any JSON receiver. */
export function webhookNotifier(url: string, timeoutMs = 10_000): Notifier {
    return async (payload) => {
        const res = await fetch(url, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify(payload),
            signal: AbortSignal.timeout(timeoutMs),
        });
        if (!res.ok) throw new Error(`webhook answered ${res.status}`);
    };
}

function headline(inc: ContainedIncident, kind: NoticeKind): string {
    const who = inc.userPrincipalName ?? inc.userId;
    const c = inc.containment;
    if (kind === 'released') return `MFA push attack on ${who}: released by ${c?.release?.by ?? 'an admin'}`;
    if (kind === 'needs-attention') return `MFA push attack on ${who}: containment NEEDS ATTENTION`;
    switch (c?.status) {
        case 'contained':
            return `MFA push attack on ${who}: contained`;
        case 'dry-run':
            return `MFA push attack on ${who}: detected (dry-run, nothing was changed)`;
        case 'not-contained':
            return `MFA push attack on ${who}: NOT contained (${c.reason ?? 'guardrail'})`;
        default:
            return `MFA push attack on ${who}: containment ${c?.status ?? 'not configured'}`;
    }
}

/** The JSON a notice carries: the incident, what was done, and how to release. `text` is ready for a chat message. */
export function noticePayload(
    inc: ContainedIncident,
    kind: NoticeKind,
    config: Pick<ContainmentConfig, 'pushBlockMode'>,
): Record<string, unknown> {
    const c = inc.containment;
    const steps = (c?.steps ?? []).map((s) => ({ name: s.name, status: s.status, detail: s.detail, error: s.error }));
    const title = headline(inc, kind);
    const lines = [
        title,
        `Trigger: ${inc.trigger}; ${inc.denials} declined, ${inc.timeouts} unanswered, ${inc.fraudReports} fraud report(s) between ${isoTime(inc.firstSeen)} and ${isoTime(inc.lastSeen)} from ${inc.ipAddresses.join(', ') || 'unknown IPs'}.`,
        ...(inc.approval
            ? [
                  `The user APPROVED a prompt at ${isoTime(inc.approval.at)} from ${inc.approval.ipAddress ?? 'an unknown IP'}${inc.approval.fromDenialIp ? ' (an attacking IP)' : ''}.`,
              ]
            : []),
        ...steps.map(
            (s) =>
                `- ${s.name}: ${s.status}${s.detail ? ` (${s.detail})` : ''}${s.error ? ` — ${s.error.status ?? ''} ${s.error.code}: ${s.error.message}` : ''}`,
        ),
        ...(c?.reason ? [`Reason: ${c.reason}`] : []),
        c?.status === 'contained' && config.pushBlockMode === 'group'
            ? `To release after verifying with the user: mfa-responder release ${inc.userId} --reason "..." (or POST /api/users/${inc.userId}/release).`
            : '',
    ].filter(Boolean);
    // The incident as the admin endpoints show it, plus what a chat message needs.
    return { type: 'mfa-fatigue-responder', kind, title, text: lines.join('\n'), ...incidentView(inc) };
}
