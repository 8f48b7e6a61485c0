import type { IncidentView } from '../shared/notices/incidentView';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { Html, markup } from './html';
import type { SweepResult } from './thresholdSweep';
import type { Timeline, TimelineEntry } from './timeline';

/** One incident as the report shows it: the one incident view, its timeline (for the detailed ones), its plan. */
export interface ReportIncident {
    readonly view: IncidentView;
    readonly timeline?: Timeline;
    /** The containment shown was planned for this report (dry-run), not run (`--contain` runs it). */
    readonly planOnly: boolean;
}

export interface BacktestReport {
    /** Wall clock when the report was made, ms. */
    readonly generatedAt: number;
    readonly inputs: readonly string[];
    /** The settings the replay ran with, by name. */
    readonly settings: ReadonlyArray<readonly [string, string]>;
    readonly totals: BatchResult;
    readonly incidents: readonly ReportIncident[];
    readonly sweep?: SweepResult;
    /** MFA events read but not kept for the sweep and timelines (past the memory bound). */
    readonly eventsDropped: number;
    readonly elapsedMs: number;
}

/** Incidents drawn in full (timeline, prompts, plan); the rest are listed in the index only. */
export const MAX_DETAILED_INCIDENTS = 100;
/** Rows of the incident index at most. */
export const MAX_INDEXED_INCIDENTS = 5_000;

const STYLE = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#d8dee6; --bg:#f6f8fa; --card:#fff; --deny:#c62828; --fraud:#6a1b9a;
  --timeout:#ef6c00; --ok:#2e7d32; --reg:#1565c0; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; color:var(--fg); background:var(--bg); }
main { max-width:1100px; margin:0 auto; padding:24px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:19px; margin:32px 0 10px; } h3 { font-size:16px; margin:0 0 8px; }
.muted { color:var(--muted); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px; margin:12px 0; }
.stats { display:grid; grid-template-columns:repeat(auto-fill,minmax(170px,1fr)); gap:10px; margin:0; }
.stats div { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.stats dt { color:var(--muted); font-size:12px; } .stats dd { margin:0; font-size:22px; font-weight:600; }
table { border-collapse:collapse; width:100%; }
th, td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; }
th { font-weight:600; background:#eef1f5; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; overflow-wrap:anywhere; }
.sweep { width:auto; } .sweep th.axis { white-space:nowrap; background:none; color:var(--muted); font-weight:400; }
.sweep td { text-align:center; font-variant-numeric:tabular-nums; min-width:64px; }
.sweep td.current { outline:3px solid var(--fg); outline-offset:-3px; font-weight:700; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; background:#eef1f5; }
.badge.threshold, .badge.fraud-report, .badge.spam-then-success, .badge.method-registered-after-attack { background:#fde7e7; color:var(--deny); }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:8px 0 12px; }
.facts dt { color:var(--muted); } .facts dd { margin:0; overflow-wrap:anywhere; }
svg.timeline { width:100%; height:auto; background:#fbfcfd; border:1px solid var(--line); border-radius:6px; }
.legend { display:flex; flex-wrap:wrap; gap:14px; font-size:12px; color:var(--muted); margin:6px 0 10px; }
.legend span::before { content:""; display:inline-block; width:10px; height:10px; margin-right:5px; border-radius:50%; vertical-align:-1px; }
.legend .l-deny::before { background:var(--deny); } .legend .l-fraud::before { background:var(--fraud); border-radius:0; }
.legend .l-timeout::before { border:2px solid var(--timeout); width:8px; height:8px; }
.legend .l-ok::before { background:var(--ok); } .legend .l-reg::before { background:var(--reg); border-radius:0; transform:rotate(45deg); }
.legend .l-trigger::before { background:none; border-left:2px dashed var(--fg); border-radius:0; width:2px; }
details summary { cursor:pointer; color:var(--muted); margin:6px 0; }
.step-done { color:var(--ok); } .step-failed { color:var(--deny); } .step-dry-run { color:var(--reg); }
footer { margin:40px 0 10px; color:var(--muted); font-size:12px; }
`;

const number = (n: number) => n.toLocaleString('en-US');
const plural = (n: number, one: string, many = `${one}s`) => `${number(n)} ${n === 1 ? one : many}`;

function utc(ms: number, withDate = true): string {
    const iso = new Date(ms).toISOString();
    return withDate ? `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC` : iso.slice(11, 19);
}

const KIND_LABELS: Readonly<Record<TimelineEntry['kind'], string>> = {
    'push-denied': 'push declined',
    'push-timeout': 'push unanswered',
    'voice-denied': 'call declined',
    'voice-timeout': 'call unanswered',
    'sms-wrong-code': 'wrong SMS code',
    'fraud-report': 'fraud reported',
    'mfa-approved': 'approved',
    'method-registered': 'method registered',
    'default-method-changed': 'default method changed',
};

const TRIGGER_LABELS: Readonly<Record<IncidentView['trigger'], string>> = {
    threshold: 'denial threshold reached',
    'fraud-report': 'fraud reported',
    'spam-then-success': 'approved after denials',
    'method-registered-after-attack': 'method registered after an attack',
};

// ---------------------------------------------------------------------------------------------------------------
// Summary

function summary(r: BacktestReport): Html {
    const t = r.totals;
    const byTrigger = new Map<IncidentView['trigger'], number>();
    for (const { view } of r.incidents) byTrigger.set(view.trigger, (byTrigger.get(view.trigger) ?? 0) + 1);
    const users = new Set(r.incidents.map((i) => i.view.userId)).size;
    const stat = (label: string, value: number) => markup`<div><dt>${label}</dt><dd>${number(value)}</dd></div>`;
    const rejected = Object.entries(t.rejectedByReason);
    const triggers = markup`<table>
<tr><th>Trigger</th><th class="num">Incidents</th></tr>
${[...byTrigger].map(
    ([
        trigger,
        n,
    ]) => markup`<tr><td>${TRIGGER_LABELS[trigger]} <span class="muted">(${trigger})</span></td><td class="num">${number(n)}</td></tr>
`,
)}</table>`;
    const rejections = markup`<h3 style="margin-top:14px">Rejected records</h3>
<table>
<tr><th>Reason</th><th class="num">Records</th><th>Example</th></tr>
${rejected.map(
    ([
        reason,
        n,
    ]) => markup`<tr><td><code>${reason}</code></td><td class="num">${number(n)}</td><td class="mono">${t.rejectedSamples[reason as keyof typeof t.rejectedSamples] ?? ''}</td></tr>
`,
)}</table>`;
    return markup`<section id="summary">
<h2>Summary</h2>
<dl class="stats">
${stat('Records read', t.records)}${stat('MFA outcomes', t.events)}${stat('Other sign-ins', t.other)}
${stat('Other categories (dropped)', t.dropped)}${stat('Rejected records', t.rejected)}
${stat('Distinct prompts declined', t.newDenials)}${stat('Incidents', r.incidents.length)}${stat('Users with incidents', users)}
</dl>
<div class="card">
<h3>Incidents by trigger</h3>
${byTrigger.size === 0 ? markup`<p>No user was under MFA push attack with these settings.</p>` : triggers}
${rejected.length > 0 ? rejections : null}
${t.quarantined > 0 ? markup`<p>${plural(t.quarantined, 'user')} quarantined: the store refused their state for good.</p>` : null}
</div>
<details class="card">
<summary>Settings of this run, and its input</summary>
<table>
${r.settings.map(
    ([name, value]) => markup`<tr><td><code>${name}</code></td><td>${value}</td></tr>
`,
)}${r.inputs.map(
        (input) => markup`<tr><td>input</td><td class="mono">${input === '-' ? 'standard input' : input}</td></tr>
`,
    )}</table>
</details>
</section>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Threshold sweep

function sweepSection(r: BacktestReport): Html | null {
    const s = r.sweep;
    if (!s) return null;
    const max = Math.max(1, ...s.cells.map((c) => c.incidents));
    const cell = (threshold: number, windowMinutes: number) => {
        const c = s.cells.find((x) => x.threshold === threshold && x.windowMinutes === windowMinutes)!;
        const current = threshold === s.current.threshold && windowMinutes === s.current.windowMinutes;
        // White for none, darker red for more: the eye finds where incidents pile up.
        const lightness = c.incidents === 0 ? 100 : 90 - Math.round((30 * c.incidents) / max);
        const detail = Object.entries(c.byTrigger)
            .map(([trigger, n]) => `${trigger}: ${n}`)
            .join(', ');
        const title =
            `DENIAL_THRESHOLD=${threshold}, DENIAL_WINDOW_MINUTES=${windowMinutes}: ` +
            `${plural(c.incidents, 'incident')} for ${plural(c.users, 'user')}${detail ? ` (${detail})` : ''}` +
            (current ? ' (the settings of this run)' : '');
        return markup`<td class="${current ? 'current' : ''}" style="background:hsl(0,75%,${lightness}%)" title="${title}" data-threshold="${threshold}" data-window="${windowMinutes}">${number(c.incidents)}</td>`;
    };
    return markup`<section id="sweep">
<h2>Threshold sweep</h2>
<p>Incidents over the same input for each <code>DENIAL_THRESHOLD</code> (rows) and <code>DENIAL_WINDOW_MINUTES</code>
(columns), every other setting as in this run; the outlined cell is this run's settings. Fraud reports open an
incident whatever the threshold; approvals after denials depend on the window and
<code>SPAM_THEN_SUCCESS_MIN_DENIALS</code>. Hover a cell for its incidents by trigger. Pick the strictest cell that
still catches the attacks you know of, and look at the incidents it adds before going live.</p>
${r.eventsDropped > 0 ? markup`<p><strong>Partial:</strong> the sweep and the timelines cover the MFA events read first; ${number(r.eventsDropped)} later ones are counted in the summary but were not kept (memory bound).</p>` : null}
<table class="sweep card">
<tr><th class="axis">threshold ↓ · window (min) →</th>${s.grid.windowsMinutes.map((w) => markup`<th class="num">${w}</th>`)}</tr>
${s.grid.thresholds.map(
    (t) => markup`<tr><th class="num">${t}</th>${s.grid.windowsMinutes.map((w) => cell(t, w))}</tr>
`,
)}</table>
</section>
`;
}

// ---------------------------------------------------------------------------------------------------------------
// Incidents

const ROWS: ReadonlyArray<{ label: string; kinds: ReadonlyArray<TimelineEntry['kind']> }> = [
    { label: 'declined', kinds: ['push-denied', 'voice-denied', 'sms-wrong-code', 'fraud-report'] },
    { label: 'unanswered', kinds: ['push-timeout', 'voice-timeout'] },
    { label: 'approved', kinds: ['mfa-approved'] },
    { label: 'method registered', kinds: ['method-registered', 'default-method-changed'] },
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
            shape = markup`<circle cx="${cx}" cy="${y}" r="4.5" fill="#fff" stroke="#ef6c00" stroke-width="2"/>`;
            break;
        case 'mfa-approved':
            shape = markup`<circle cx="${cx}" cy="${y}" r="6" fill="#2e7d32"/>`;
            break;
        case 'method-registered':
        case 'default-method-changed':
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

function timelineSvg(view: IncidentView, t: Timeline): Html {
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

function facts(v: IncidentView): Html {
    const row = (label: string, value: Html | string | null) =>
        value === null || value === ''
            ? null
            : markup`<dt>${label}</dt><dd>${value}</dd>
`;
    const counts =
        `${plural(v.denials, 'declined prompt')} (${plural(v.fraudReports, 'fraud report')}), ` +
        plural(v.timeouts, 'unanswered push', 'unanswered pushes') +
        (v.voiceDenials > 0 ? `, ${plural(v.voiceDenials, 'call')} declined or unanswered` : '') +
        (v.smsWrongCodes > 0 ? `, ${plural(v.smsWrongCodes, 'wrong SMS code')}` : '');
    const approval = v.approval
        ? `approved at ${v.approval.at} from ${v.approval.ipAddress ?? 'an unknown address'}` +
          (v.approval.fromDenialIp ? ' — one of the attacking addresses' : '')
        : null;
    return markup`<dl class="facts">
${row('User', markup`${v.userPrincipalName ?? '(no UPN)'} <span class="muted mono">${v.userId}</span>`)}${row('Trigger', markup`<span class="badge ${v.trigger}">${v.trigger}</span> ${TRIGGER_LABELS[v.trigger]}`)}${row('Trigger point', `${v.detectedAt} (event time of the row that completed the trigger)`)}${row('Attack', `${v.firstSeen} to ${v.lastSeen}`)}${row('Counts', counts)}${row('IP addresses', v.ipAddresses.length > 0 ? markup`<span class="mono">${v.ipAddresses.join(', ')}</span>` : null)}${row('Apps', v.apps.length > 0 ? v.apps.join(', ') : null)}${row('Approval', approval)}${row('Methods registered', v.methods && v.methods.length > 0 ? v.methods.join(', ') : null)}${row('Follows incident', v.relatedIncidentId)}${row('Incident id', markup`<span class="mono">${v.incidentId}</span>`)}</dl>
`;
}

function promptTable(t: Timeline): Html {
    const more = t.omitted > 0 ? `: a sample spread over the span, ${number(t.omitted)} more not shown` : '';
    return markup`<details>
<summary>${plural(t.entries.length, 'prompt or change', 'prompts and changes')} around the attack${more}</summary>
<table>
<tr><th>Time (UTC)</th><th>What</th><th>IP address</th><th>App or methods</th></tr>
${t.entries.map(
    (
        e,
    ) => markup`<tr><td class="mono">${utc(e.time)}</td><td>${KIND_LABELS[e.kind]}</td><td class="mono">${e.ipAddress ?? ''}</td><td>${e.app ?? e.methods?.join(', ') ?? ''}</td></tr>
`,
)}</table>
</details>
`;
}

interface StepView {
    readonly name: string;
    readonly status: string;
    readonly detail?: string;
    readonly attention?: string;
    readonly error?: { readonly status?: number; readonly code: string; readonly message: string };
}

function plan(i: ReportIncident): Html {
    const v = i.view;
    if (v.containment === null) return markup`<p class="muted">No containment plan.</p>`;
    // The view's steps are the containment's steps, times as ISO strings (incidentView).
    const steps = (v.steps ?? []) as unknown as readonly StepView[];
    const what = (s: StepView) =>
        (s.detail ?? '') +
        (s.attention ? ` — a person must: ${s.attention}` : '') +
        (s.error ? ` — ${s.error.status ?? ''} ${s.error.code}: ${s.error.message}` : '');
    const table = markup`<table>
<tr><th>Step</th><th>Status</th><th>What</th></tr>
${steps.map(
    (
        s,
    ) => markup`<tr><td><code>${s.name}</code></td><td class="step-${s.status}">${s.status}</td><td>${what(s)}</td></tr>
`,
)}</table>`;
    return markup`<h3 style="margin-top:14px">${i.planOnly ? 'Containment plan (dry-run: what the responder would do with these settings)' : 'Containment'}</h3>
<p>Status <span class="badge">${v.containment}</span>${v.containmentReason ? ` — ${v.containmentReason}` : ''}</p>
${steps.length > 0 ? table : null}
${i.planOnly ? null : markup`<p class="muted">Release once safe: <code>mfa-responder release ${v.userId} --reason "…"</code></p>`}
`;
}

function incidentSection(i: ReportIncident, index: number): Html {
    const v = i.view;
    const timeline = i.timeline
        ? markup`${timelineSvg(v, i.timeline)}
<div class="legend"><span class="l-deny">declined</span><span class="l-fraud">fraud reported</span><span class="l-timeout">unanswered</span><span class="l-ok">approved</span><span class="l-reg">method registered</span><span class="l-trigger">trigger point</span></div>
${promptTable(i.timeline)}`
        : null;
    return markup`<article class="card" id="incident-${index + 1}">
<h3>${index + 1}. ${v.userPrincipalName ?? v.userId} — ${TRIGGER_LABELS[v.trigger]}</h3>
${facts(v)}${timeline}${plan(i)}</article>
`;
}

function incidentsSection(r: BacktestReport): Html {
    const listed = r.incidents.slice(0, MAX_INDEXED_INCIDENTS);
    const detailed = r.incidents.slice(0, MAX_DETAILED_INCIDENTS);
    const index = markup`<table class="card">
<tr><th>#</th><th>User</th><th>Trigger</th><th>Trigger point (UTC)</th><th class="num">Declined</th><th class="num">Unanswered</th><th>Containment</th></tr>
${listed.map(({ view: v }, n) => {
    const link = n < MAX_DETAILED_INCIDENTS ? markup`<a href="#incident-${n + 1}">${n + 1}</a>` : n + 1;
    return markup`<tr><td>${link}</td><td>${v.userPrincipalName ?? v.userId}</td><td>${v.trigger}</td><td class="mono">${v.detectedAt}</td><td class="num">${v.denials}</td><td class="num">${v.timeouts}</td><td>${v.containment ?? ''}</td></tr>
`;
})}</table>`;
    return markup`<section id="incidents">
<h2>Incidents (${number(r.incidents.length)})</h2>
${r.incidents.length === 0 ? markup`<p>None with these settings.</p>` : index}
${r.incidents.length > listed.length ? markup`<p>${number(r.incidents.length - listed.length)} more incidents are not listed; <code>--json</code> has them all.</p>` : null}
${detailed.map((i, n) => incidentSection(i, n))}${r.incidents.length > detailed.length ? markup`<p>Timelines are drawn for the first ${MAX_DETAILED_INCIDENTS} incidents.</p>` : null}
</section>
`;
}

/**
 * The whole report as one self-contained HTML document: inline CSS and SVG, no script, and a Content-Security-Policy
 * that forbids every fetch, so that it opens from disk anywhere and nothing in it can reach the network.
 */
export function renderBacktestHtml(r: BacktestReport): string {
    const title = `MFA fatigue backtest: ${plural(r.incidents.length, 'incident')}`;
    const contained = r.incidents.some((i) => !i.planOnly);
    return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<main>
<header>
<h1>MFA fatigue backtest</h1>
<p class="muted">${plural(r.totals.records, 'record')} replayed through the responder's detection in ${(r.elapsedMs / 1000).toFixed(1)} s · report made ${utc(r.generatedAt)} · mfa-responder replay --html</p>
</header>
${summary(r)}${sweepSection(r)}${incidentsSection(r)}
<footer>Made by <code>mfa-responder replay --html</code>. Times are UTC event times from the sign-in logs. Nothing was changed in the tenant${contained ? ' except by --contain' : ''}.</footer>
</main>
</body>
</html>
`.text;
}
