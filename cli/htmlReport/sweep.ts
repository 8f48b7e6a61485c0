import type { BacktestReport } from '../backtestReport';
import { Html, markup } from '../html';
import { number, plural } from './format';

/** A cell's lightness: 100 (white) for no incident, then 92 down to 42 in proportion to its count. */
export function sweepLightness(incidents: number, max: number): number {
    return incidents === 0 ? 100 : 92 - Math.round((50 * incidents) / Math.max(1, max));
}

/** The threshold sweep: incidents for each DENIAL_THRESHOLD x DENIAL_WINDOW_MINUTES, this run's cell outlined. */
export function sweepSection(r: BacktestReport): Html | null {
    const s = r.sweep;
    if (!s) return null;
    const max = Math.max(1, ...s.cells.map((c) => c.incidents));
    const cell = (threshold: number, windowMinutes: number) => {
        const c = s.cells.find((x) => x.threshold === threshold && x.windowMinutes === windowMinutes)!;
        const current = threshold === s.current.threshold && windowMinutes === s.current.windowMinutes;
        // White for none, then from pale to deep red by count: the eye finds where incidents pile up.
        const lightness = sweepLightness(c.incidents, max);
        const detail = Object.entries(c.byTrigger)
            .map(([trigger, n]) => `${trigger}: ${n}`)
            .join(', ');
        const title =
            `DENIAL_THRESHOLD=${threshold}, DENIAL_WINDOW_MINUTES=${windowMinutes}: ` +
            `${plural(c.incidents, 'incident')} for ${plural(c.users, 'user')}${detail ? ` (${detail})` : ''}` +
            (current ? ' (the settings of this run)' : '');
        const ink = lightness < 60 ? ';color:#fff' : '';
        return markup`<td class="${current ? 'current' : ''}" style="background:hsl(0,75%,${lightness}%)${ink}" title="${title}" data-threshold="${threshold}" data-window="${windowMinutes}">${number(c.incidents)}</td>`;
    };
    return markup`<section id="sweep">
<h2>Threshold sweep</h2>
<p>Incidents over the same input for each <code>DENIAL_THRESHOLD</code> (rows) and <code>DENIAL_WINDOW_MINUTES</code>
(columns), every other setting as in this run; the outlined cell is this run's settings. Fraud reports open an
incident whatever the threshold; approvals after denials depend on the window and
<code>SPAM_THEN_SUCCESS_MIN_DENIALS</code>. Hover a cell for its incidents by trigger. Pick the strictest cell that
still catches the attacks you know of, and look at the incidents it adds before going live.</p>
${r.eventsDropped > 0 ? markup`<p><strong>Partial:</strong> the sweep and the timelines cover the MFA events read first; ${number(r.eventsDropped)} later ones are counted in the summary but were not kept (memory bound).</p>` : null}
<div class="scroll card"><table class="sweep">
<tr><th class="axis">threshold ↓ · window (min) →</th>${s.grid.windowsMinutes.map((w) => markup`<th class="num">${w}</th>`)}</tr>
${s.grid.thresholds.map(
    (t) => markup`<tr><th class="num">${t}</th>${s.grid.windowsMinutes.map((w) => cell(t, w))}</tr>
`,
)}</table></div>
<p class="scale muted"><span style="background:hsl(0,75%,92%)">fewer</span><span style="background:hsl(0,75%,66%)">…</span><span style="background:hsl(0,75%,42%);color:#fff">more incidents</span></p>
</section>
`;
}

/**
 * The long window's sweep: incidents for each SUSTAINED_THRESHOLD x SUSTAINED_WINDOW_HOURS, the short window as in
 * this run; drawn like the threshold sweep, in a table of its own.
 */
export function sustainedSweepSection(r: BacktestReport): Html | null {
    const s = r.sweep?.sustained;
    if (!s) return null;
    const max = Math.max(1, ...s.cells.map((c) => c.incidents));
    const cell = (threshold: number, windowHours: number) => {
        const c = s.cells.find((x) => x.threshold === threshold && x.windowHours === windowHours)!;
        const current = threshold === s.current.threshold && windowHours === s.current.windowHours;
        const lightness = sweepLightness(c.incidents, max);
        const detail = Object.entries(c.byTrigger)
            .map(([trigger, n]) => `${trigger}: ${n}`)
            .join(', ');
        const title =
            `SUSTAINED_THRESHOLD=${threshold}, SUSTAINED_WINDOW_HOURS=${windowHours}: ` +
            `${plural(c.incidents, 'incident')} for ${plural(c.users, 'user')}${detail ? ` (${detail})` : ''}` +
            (current ? ' (the settings of this run)' : '');
        const ink = lightness < 60 ? ';color:#fff' : '';
        return markup`<td class="${current ? 'current' : ''}" style="background:hsl(0,75%,${lightness}%)${ink}" title="${title}" data-sustained-threshold="${threshold}" data-sustained-window="${windowHours}">${number(c.incidents)}</td>`;
    };
    return markup`<section id="sweep-sustained">
<h2>Long-window sweep</h2>
<p>Incidents over the same input for each <code>SUSTAINED_THRESHOLD</code> (rows) and <code>SUSTAINED_WINDOW_HOURS</code>
(columns), <code>DENIAL_THRESHOLD</code> and <code>DENIAL_WINDOW_MINUTES</code> as in this run: attacks paced to slip
under the short window, and approvals after refused prompts from their own source over hours. The outlined cell is this
run's settings. Hover a cell for its incidents by trigger.</p>
<div class="scroll card"><table class="sweep">
<tr><th class="axis">threshold ↓ · window (hours) →</th>${s.grid.windowsHours.map((w) => markup`<th class="num">${w}</th>`)}</tr>
${s.grid.thresholds.map(
    (t) => markup`<tr><th class="num">${t}</th>${s.grid.windowsHours.map((w) => cell(t, w))}</tr>
`,
)}</table></div>
</section>
`;
}
