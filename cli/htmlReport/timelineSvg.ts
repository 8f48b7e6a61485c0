import type { IncidentView } from '../../shared/notices/incidentView';
import { Html, markup } from '../html';
import type { Timeline, TimelineEntry } from '../timeline';
import { KIND_LABELS, utc } from './format';
import { markShape } from './marks';
import { roundTicks, tickLabel } from './timeAxis';

/** The timeline's rows, top to bottom: each kind of prompt or change is drawn on one of them. */
const ROWS: ReadonlyArray<{ label: string; kinds: ReadonlyArray<TimelineEntry['kind']> }> = [
    { label: 'declined', kinds: ['push-denied', 'voice-denied', 'sms-wrong-code', 'fraud-report'] },
    { label: 'unanswered', kinds: ['push-timeout', 'voice-timeout', 'prompt-failed'] },
    { label: 'approved', kinds: ['mfa-approved'] },
    { label: 'registered', kinds: ['method-registered', 'default-method-changed', 'method-updated', 'method-deleted'] },
];

/**
 * Drawn in a 720-unit box and never narrower than 560 px (style.ts): on a phone the drawing scrolls in its own box
 * rather than shrinking its 14-unit labels below about 11 px.
 */
const W = 720;
const LEFT = 96;
const RIGHT = 16;
const TOP = 34;
const ROW_H = 30;
const FONT = 14;

function marker(e: TimelineEntry, x: number, y: number): Html {
    const title = [
        `${utc(e.time)}: ${KIND_LABELS[e.kind]}`,
        e.ipAddress ? `from ${e.ipAddress}` : '',
        e.app ? `app ${e.app}` : '',
        e.methods && e.methods.length > 0 ? `methods ${e.methods.join(', ')}` : '',
    ]
        .filter(Boolean)
        .join(' · ');
    return markup`<g class="mark" data-kind="${e.kind}"><title>${title}</title>${markShape(e.kind, x, y)}</g>`;
}

/**
 * One incident's prompts on a time axis: a row per kind, the attack shaded, the sliding window that fired (the
 * DENIAL_WINDOW_MINUTES before the trigger point) drawn, the trigger marked, ticks at round UTC times under an axis
 * title.
 */
export function timelineSvg(view: IncidentView, t: Timeline, windowMs: number): Html {
    const axisY = TOP + ROWS.length * ROW_H - 6;
    const H = axisY + 46;
    const span = Math.max(1, t.to - t.from);
    const x = (ms: number) => LEFT + ((Math.min(Math.max(ms, t.from), t.to) - t.from) / span) * (W - LEFT - RIGHT);
    const withDate = new Date(t.from).toISOString().slice(0, 10) !== new Date(t.to).toISOString().slice(0, 10);
    const first = Date.parse(view.firstSeen);
    const last = Date.parse(view.lastSeen);
    const detected = Date.parse(view.detectedAt);
    const rows = ROWS.map((row, i) => {
        const y = TOP + i * ROW_H;
        return markup`<text x="8" y="${y + 5}" font-size="${FONT}" fill="#3d4957">${row.label}</text>
<line x1="${LEFT}" x2="${W - RIGHT}" y1="${y}" y2="${y}" stroke="#e3e8ee"/>
${t.entries.filter((e) => row.kinds.includes(e.kind)).map((e) => marker(e, x(e.time), y))}
`;
    });
    const { ticks } = roundTicks(t.from, t.to);
    const tickMarks = ticks.map(
        (ms) =>
            markup`<line x1="${x(ms).toFixed(1)}" x2="${x(ms).toFixed(1)}" y1="${axisY}" y2="${axisY + 5}" stroke="#9aa5b1"/><text class="tick" x="${x(ms).toFixed(1)}" y="${axisY + 20}" font-size="13" fill="#3d4957" text-anchor="middle">${tickLabel(ms, withDate)}</text>`,
    );
    const bandTop = TOP - 16;
    const bandH = ROWS.length * ROW_H;
    const windowFrom = x(detected - windowMs);
    const trigger = x(detected).toFixed(1);
    return markup`<svg class="timeline" viewBox="0 0 ${W} ${H}" role="img" aria-label="Timeline of the user's prompts">
<rect class="attack" x="${x(first).toFixed(1)}" y="${bandTop}" width="${Math.max(2, x(last) - x(first)).toFixed(1)}" height="${bandH}" fill="#fde7e7"><title>the attack: ${utc(first)} to ${utc(last)}</title></rect>
<rect class="window" x="${windowFrom.toFixed(1)}" y="${bandTop + 2}" width="${Math.max(2, x(detected) - windowFrom).toFixed(1)}" height="${bandH - 4}" fill="#fff3c4" fill-opacity="0.75" stroke="#c9a227" stroke-dasharray="3 2"><title>the sliding window that fired: the ${Math.round(windowMs / 60_000)} min before the trigger point</title></rect>
${rows}<line x1="${trigger}" x2="${trigger}" y1="6" y2="${axisY}" stroke="#1d2330" stroke-width="1.5" stroke-dasharray="4 3"><title>trigger point: ${utc(detected)}</title></line>
<text x="${(x(detected) + 4).toFixed(1)}" y="14" font-size="13" font-weight="600" fill="#1d2330">trigger</text>
<line x1="${LEFT}" x2="${W - RIGHT}" y1="${axisY}" y2="${axisY}" stroke="#9aa5b1"/>
${tickMarks}
<text class="axis-title" x="${((LEFT + W - RIGHT) / 2).toFixed(1)}" y="${H - 4}" font-size="13" fill="#3d4957" text-anchor="middle">time (UTC${withDate ? ', month-day hour:minute' : ', hour:minute'})</text>
</svg>`;
}
