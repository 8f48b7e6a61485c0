import type { IncidentView } from '../../shared/notices/incidentView';
import { Html, markup } from '../html';
import type { Timeline, TimelineEntry } from '../timeline';
import { KIND_LABELS, utc } from './format';

/** The timeline's rows, top to bottom: each kind of prompt or change is drawn on one of them. */
const ROWS: ReadonlyArray<{ label: string; kinds: ReadonlyArray<TimelineEntry['kind']> }> = [
    { label: 'declined', kinds: ['push-denied', 'voice-denied', 'sms-wrong-code', 'fraud-report'] },
    { label: 'unanswered', kinds: ['push-timeout', 'voice-timeout', 'prompt-failed'] },
    { label: 'approved', kinds: ['mfa-approved'] },
    {
        label: 'method registered',
        kinds: ['method-registered', 'default-method-changed', 'method-updated', 'method-deleted'],
    },
];

function marker(e: TimelineEntry, x: number, y: number): Html {
    const title = [
        `${utc(e.time)}: ${KIND_LABELS[e.kind]}`,
        e.ipAddress ? `from ${e.ipAddress}` : '',
        e.app ? `app ${e.app}` : '',
        e.methods && e.methods.length > 0 ? `methods ${e.methods.join(', ')}` : '',
    ]
        .filter(Boolean)
        .join(' · ');
    const cx = x.toFixed(1);
    let shape: Html;
    switch (e.kind) {
        case 'fraud-report':
            shape = markup`<path d="M${cx} ${y - 7}L${(x + 7).toFixed(1)} ${y + 6}L${(x - 7).toFixed(1)} ${y + 6}Z" fill="#6a1b9a"/>`;
            break;
        case 'push-timeout':
        case 'voice-timeout':
        case 'prompt-failed':
            shape = markup`<circle cx="${cx}" cy="${y}" r="4.5" fill="#fff" stroke="#ef6c00" stroke-width="2"/>`;
            break;
        case 'mfa-approved':
            shape = markup`<circle cx="${cx}" cy="${y}" r="6" fill="#2e7d32"/>`;
            break;
        case 'method-registered':
        case 'default-method-changed':
        case 'method-updated':
        case 'method-deleted':
            shape = markup`<rect x="${(x - 5).toFixed(1)}" y="${y - 5}" width="10" height="10" fill="#1565c0" transform="rotate(45 ${cx} ${y})"/>`;
            break;
        case 'voice-denied':
        case 'sms-wrong-code':
            shape = markup`<rect x="${(x - 4.5).toFixed(1)}" y="${y - 4.5}" width="9" height="9" fill="#c62828"/>`;
            break;
        default:
            shape = markup`<circle cx="${cx}" cy="${y}" r="5" fill="#c62828" fill-opacity="0.85"/>`;
    }
    return markup`<g class="mark" data-kind="${e.kind}"><title>${title}</title>${shape}</g>`;
}

export function timelineSvg(view: IncidentView, t: Timeline): Html {
    const W = 960;
    const left = 130;
    const right = 20;
    const top = 26;
    const rowH = 24;
    const axisY = top + ROWS.length * rowH + 4;
    const H = axisY + 26;
    const span = Math.max(1, t.to - t.from);
    const x = (ms: number) => left + ((ms - t.from) / span) * (W - left - right);
    const withDate = new Date(t.from).toISOString().slice(0, 10) !== new Date(t.to).toISOString().slice(0, 10);
    const ticks = Array.from({ length: 5 }, (_, i) => t.from + (span * i) / 4);
    const first = Date.parse(view.firstSeen);
    const last = Date.parse(view.lastSeen);
    const detected = Date.parse(view.detectedAt);
    const rows = ROWS.map((row, i) => {
        const y = top + i * rowH;
        return markup`<text x="8" y="${y + 4}" font-size="12" fill="#5f6b7a">${row.label}</text>
<line x1="${left}" x2="${W - right}" y1="${y}" y2="${y}" stroke="#e3e8ee"/>
${t.entries.filter((e) => row.kinds.includes(e.kind)).map((e) => marker(e, x(e.time), y))}
`;
    });
    const tickLabels = ticks.map((ms, i) => {
        const anchor = i === 0 ? 'start' : i === ticks.length - 1 ? 'end' : 'middle';
        const label = withDate ? utc(ms).slice(5, 16) : utc(ms, false);
        return markup`<text x="${x(ms).toFixed(1)}" y="${axisY + 16}" font-size="11" fill="#5f6b7a" text-anchor="${anchor}">${label}</text>`;
    });
    const trigger = x(detected).toFixed(1);
    return markup`<svg class="timeline" viewBox="0 0 ${W} ${H}" role="img" aria-label="Timeline of the user's prompts">
<rect x="${x(first).toFixed(1)}" y="${top - 12}" width="${Math.max(2, x(last) - x(first)).toFixed(1)}" height="${ROWS.length * rowH}" fill="#fde7e7"><title>the attack: ${utc(first)} to ${utc(last)}</title></rect>
${rows}<line x1="${trigger}" x2="${trigger}" y1="6" y2="${axisY}" stroke="#1d2330" stroke-width="1.5" stroke-dasharray="4 3"><title>trigger point: ${utc(detected)}</title></line>
<text x="${(x(detected) + 4).toFixed(1)}" y="12" font-size="11" font-weight="600" fill="#1d2330">trigger</text>
<line x1="${left}" x2="${W - right}" y1="${axisY}" y2="${axisY}" stroke="#9aa5b1"/>
${tickLabels}
</svg>`;
}
