import { Html, markup } from '../html';
import type { TimelineEntry } from '../timeline';

/**
 * How each kind of prompt or change is drawn, declared once: the timeline's marks and the legend's samples are the
 * same shapes in the same colours. An approval during an attack is the worst news a timeline holds: red, the largest
 * mark; a declined prompt is the attack going on (orange); an unanswered one is hollow.
 */
export const MARK_COLOURS = {
    declined: '#e65100',
    fraud: '#6a1b9a',
    unanswered: '#546e7a',
    approved: '#c62828',
    registered: '#1565c0',
} as const;

type Kind = TimelineEntry['kind'];

export function markShape(kind: Kind, x: number, y: number): Html {
    const cx = x.toFixed(1);
    switch (kind) {
        case 'fraud-report':
            return markup`<path d="M${cx} ${y - 7}L${(x + 7).toFixed(1)} ${y + 6}L${(x - 7).toFixed(1)} ${y + 6}Z" fill="${MARK_COLOURS.fraud}"/>`;
        case 'push-timeout':
        case 'voice-timeout':
        case 'prompt-failed':
            return markup`<circle cx="${cx}" cy="${y}" r="4.5" fill="#fff" stroke="${MARK_COLOURS.unanswered}" stroke-width="2"/>`;
        case 'mfa-approved':
            return markup`<circle cx="${cx}" cy="${y}" r="7" fill="${MARK_COLOURS.approved}" stroke="#fff" stroke-width="1.5"/>`;
        case 'method-registered':
        case 'default-method-changed':
        case 'method-updated':
        case 'method-deleted':
            return markup`<rect x="${(x - 5).toFixed(1)}" y="${y - 5}" width="10" height="10" fill="${MARK_COLOURS.registered}" transform="rotate(45 ${cx} ${y})"/>`;
        case 'voice-denied':
        case 'sms-wrong-code':
            return markup`<rect x="${(x - 4.5).toFixed(1)}" y="${y - 4.5}" width="9" height="9" fill="${MARK_COLOURS.declined}"/>`;
        default:
            return markup`<circle cx="${cx}" cy="${y}" r="5" fill="${MARK_COLOURS.declined}"/>`;
    }
}

/** The legend: each entry a small drawing of the very mark it names. */
export function legend(): Html {
    const item = (kind: Kind, label: string) =>
        markup`<span class="legend-item" data-kind="${kind}"><svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true">${markShape(kind, 9, 9)}</svg>${label}</span>`;
    return markup`<div class="legend">${item('push-denied', 'declined')}${item('fraud-report', 'fraud reported')}${item('push-timeout', 'unanswered')}${item('mfa-approved', 'approved')}${item('method-registered', 'method registered')}<span class="legend-item"><svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><line x1="9" x2="9" y1="1" y2="17" stroke="#1d2330" stroke-width="1.5" stroke-dasharray="4 3"/></svg>trigger point</span><span class="legend-item"><svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><rect x="1" y="3" width="16" height="12" fill="#fff3c4" stroke="#c9a227"/></svg>sliding window at the trigger</span><span class="legend-item"><svg width="18" height="18" viewBox="0 0 18 18" aria-hidden="true"><rect x="1" y="3" width="16" height="12" fill="#fde7e7"/></svg>the attack</span></div>`;
}
