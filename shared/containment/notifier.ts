import type { ContainmentConfig } from '../config';
import type { Incident } from '../detection/userState';
import { isoTime } from '../time';
import { incidentView } from './incidentView';
import type { Containment, NoticeKind } from './model';

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

function headline(inc: Incident, c: Containment | undefined, kind: NoticeKind): string {
    const who = inc.userPrincipalName ?? inc.userId;
    if (kind === 'released') return `MFA push attack on ${who}: released by ${c?.release?.by ?? 'an admin'}`;
    if (kind === 'needs-attention') return `MFA push attack on ${who}: containment NEEDS ATTENTION`;
    if (kind === 'approval')
        return `MFA push attack on ${who}: the user APPROVED a prompt — removing what was registered since the attack began`;
    if (inc.trigger === 'method-registered-after-attack')
        return `Method registered for ${who} after an MFA push attack (${(inc.methods ?? []).join(', ') || 'unknown'}): ${c?.status ?? 'detected'}`;
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

/** The release command for a person, exactly as it must be typed. */
export function releaseCommand(userId: string): string {
    return `mfa-responder release ${userId} --reason "..."`;
}

/** The JSON a notice carries: the incident view, plus a title and a text ready for a chat message. */
export function noticePayload(
    inc: Incident,
    c: Containment | undefined,
    kind: NoticeKind,
    config: Pick<ContainmentConfig, 'pushBlockMode'>,
): Record<string, unknown> {
    const title = `${inc.drill ? 'DRILL — ' : ''}${headline(inc, c, kind)}`;
    const lines = [
        title,
        inc.trigger === 'method-registered-after-attack'
            ? `Trigger: ${inc.trigger}; method(s) ${(inc.methods ?? []).join(', ')} registered at ${isoTime(inc.firstSeen)} from ${inc.ipAddresses.join(', ') || 'an unknown IP'}${inc.fromAttackIp ? ' (one of the attacking IPs)' : ''}, after incident ${inc.relatedIncidentId ?? ''}.`
            : `Trigger: ${inc.trigger}; ${inc.denials} declined, ${inc.timeouts} unanswered, ${inc.fraudReports} fraud report(s)${inc.voiceDenials ? `, ${inc.voiceDenials} phone call(s) refused` : ''}${inc.smsWrongCodes ? `, ${inc.smsWrongCodes} wrong SMS code(s)` : ''} between ${isoTime(inc.firstSeen)} and ${isoTime(inc.lastSeen)} from ${inc.ipAddresses.join(', ') || 'unknown IPs'}.`,
        ...(inc.approval
            ? [
                  `The user APPROVED a prompt at ${isoTime(inc.approval.at)} from ${inc.approval.ipAddress ?? 'an unknown IP'}${inc.approval.fromDenialIp ? ' (an attacking IP)' : ''}.`,
              ]
            : []),
        ...(c?.steps ?? []).map(
            (s) =>
                `- ${s.name}: ${s.status}${s.detail ? ` (${s.detail})` : ''}${s.error ? ` — ${s.error.status ?? ''} ${s.error.code}: ${s.error.message}` : ''}`,
        ),
        ...(c?.reason ? [`Reason: ${c.reason}`] : []),
        c && (c.status === 'contained' || c.status === 'needs-attention')
            ? `To release after verifying with the user: ${releaseCommand(inc.userId)} (or POST /api/users/${inc.userId}/release).${
                  config.pushBlockMode === 'remove-method' || c.steps.some((s) => s.name === 'remove-new-methods')
                      ? " Release before the user registers a method again: until then, a new registration is treated as the attacker's and removed."
                      : ''
              }`
            : '',
    ].filter(Boolean);
    return { type: 'mfa-fatigue-responder', kind, title, text: lines.join('\n'), ...incidentView(inc, c) };
}
