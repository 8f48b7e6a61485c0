import type { IncidentView } from '../../shared/notices/incidentView';
import { BacktestReport, MAX_DETAILED_INCIDENTS, MAX_INDEXED_INCIDENTS, ReportIncident } from '../backtestReport';
import { Html, markup } from '../html';
import type { Timeline } from '../timeline';
import { KIND_LABELS, number, plural, TRIGGER_LABELS, utc } from './format';
import { legend } from './marks';
import { timelineSvg } from './timelineSvg';

/** A table that scrolls inside its own box on a narrow screen, never the page. */
export const scrollBox = (content: Html) => markup`<div class="scroll">${content}</div>`;

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
<div class="scroll"><table>
<tr><th>Time (UTC)</th><th>What</th><th>IP address</th><th>App or methods</th></tr>
${t.entries.map(
    (
        e,
    ) => markup`<tr><td class="mono">${utc(e.time)}</td><td>${KIND_LABELS[e.kind]}</td><td class="mono">${e.ipAddress ?? ''}</td><td>${e.app ?? e.methods?.join(', ') ?? ''}</td></tr>
`,
)}</table></div>
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
    const table = markup`<div class="scroll"><table>
<tr><th>Step</th><th>Status</th><th>What</th></tr>
${steps.map(
    (
        s,
    ) => markup`<tr><td><code>${s.name}</code></td><td class="step-${s.status}">${s.status}</td><td>${what(s)}</td></tr>
`,
)}</table></div>`;
    return markup`<h3 style="margin-top:14px">${i.planOnly ? 'Containment plan (dry-run: what the responder would do with these settings)' : 'Containment'}</h3>
<p>Status <span class="badge">${v.containment}</span>${v.containmentReason ? ` — ${v.containmentReason}` : ''}</p>
${steps.length > 0 ? table : null}
${i.planOnly ? null : markup`<p class="muted">Release once safe: <code>mfa-responder release ${v.userId} --reason "…"</code></p>`}
`;
}

function incidentSection(i: ReportIncident, index: number, windowMs: number): Html {
    const v = i.view;
    const timeline = i.timeline
        ? markup`<div class="scroll">${timelineSvg(v, i.timeline, windowMs)}</div>
${legend()}
${promptTable(i.timeline)}`
        : null;
    return markup`<article class="card" id="incident-${index + 1}">
<h3>${index + 1}. ${v.userPrincipalName ?? v.userId} — ${TRIGGER_LABELS[v.trigger]}</h3>
${facts(v)}${timeline}${plan(i)}</article>
`;
}

export function incidentsSection(r: BacktestReport): Html {
    const listed = r.incidents.slice(0, MAX_INDEXED_INCIDENTS);
    const detailed = r.incidents.slice(0, MAX_DETAILED_INCIDENTS);
    const index = markup`<div class="scroll card"><table>
<tr><th>#</th><th>User</th><th>Trigger</th><th>Trigger point (UTC)</th><th class="num">Declined</th><th class="num">Unanswered</th><th>Containment</th></tr>
${listed.map(({ view: v }, n) => {
    const link = n < MAX_DETAILED_INCIDENTS ? markup`<a href="#incident-${n + 1}">${n + 1}</a>` : n + 1;
    return markup`<tr><td>${link}</td><td>${v.userPrincipalName ?? v.userId}</td><td>${v.trigger}</td><td class="mono">${v.detectedAt}</td><td class="num">${v.denials}</td><td class="num">${v.timeouts}</td><td>${v.containment ?? ''}</td></tr>
`;
})}</table></div>`;
    return markup`<section id="incidents">
<h2>Incidents (${number(r.incidents.length)})</h2>
${r.incidents.length === 0 ? markup`<p>None with these settings.</p>` : index}
${r.incidents.length > listed.length ? markup`<p>${number(r.incidents.length - listed.length)} more incidents are not listed; <code>--json</code> has them all.</p>` : null}
${detailed.map((i, n) => incidentSection(i, n, r.windowMs))}${r.incidents.length > detailed.length ? markup`<p>Timelines are drawn for the first ${MAX_DETAILED_INCIDENTS} incidents.</p>` : null}
</section>
`;
}
