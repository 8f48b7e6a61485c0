import type { IncidentView } from '../../shared/notices/incidentView';
import type { BacktestReport } from '../backtestReport';
import { Html, markup } from '../html';
import { number, plural, TRIGGER_LABELS } from './format';

/** The report's summary: what was read, the incidents by trigger, the rejected records, the run's settings. */
export function summarySection(r: BacktestReport): Html {
    const t = r.totals;
    const byTrigger = new Map<IncidentView['trigger'], number>();
    for (const { view } of r.incidents) byTrigger.set(view.trigger, (byTrigger.get(view.trigger) ?? 0) + 1);
    const users = new Set(r.incidents.map((i) => i.view.userId)).size;
    const stat = (label: string, value: number) => markup`<div><dt>${label}</dt><dd>${number(value)}</dd></div>`;
    const rejected = Object.entries(t.rejectedByReason);
    const triggers = markup`<div class="scroll"><table>
<tr><th>Trigger</th><th class="num">Incidents</th></tr>
${[...byTrigger].map(
    ([
        trigger,
        n,
    ]) => markup`<tr><td>${TRIGGER_LABELS[trigger]} <span class="muted">(${trigger})</span></td><td class="num">${number(n)}</td></tr>
`,
)}</table></div>`;
    const rejections = markup`<h3 style="margin-top:14px">Rejected records</h3>
<div class="scroll"><table>
<tr><th>Reason</th><th class="num">Records</th><th>Example</th></tr>
${rejected.map(
    ([
        reason,
        n,
    ]) => markup`<tr><td><code>${reason}</code></td><td class="num">${number(n)}</td><td class="mono">${t.rejectedSamples[reason as keyof typeof t.rejectedSamples] ?? ''}</td></tr>
`,
)}</table></div>`;
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
<div class="scroll"><table>
${r.settings.map(
    ([name, value]) => markup`<tr><td><code>${name}</code></td><td>${value}</td></tr>
`,
)}${r.inputs.map(
        (input) => markup`<tr><td>input</td><td class="mono">${input === '-' ? 'standard input' : input}</td></tr>
`,
    )}</table></div>
</details>
</section>
`;
}
