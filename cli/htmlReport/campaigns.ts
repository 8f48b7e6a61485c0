import type { CampaignView } from '../../shared/campaign/campaignView';
import type { BacktestReport } from '../backtestReport';
import { Html, markup } from '../html';
import { number, plural } from './format';

/** Users listed per campaign before "and N more": the campaign's line in `replay --json` has them all. */
const USERS_SHOWN = 25;

function campaignCard(c: CampaignView): Html {
    const shown = c.users.slice(0, USERS_SHOWN);
    const more = c.userCount - shown.length;
    return markup`<div class="card" id="campaign-${c.campaignId}">
<h3>${c.source.type} ${c.source.value} <span class="muted">· ${c.estimated ? 'about ' : ''}${plural(c.userCount, 'user')} · severity ${c.severity} · ${c.containment}</span></h3>
<p class="muted">Campaign <code>${c.campaignId}</code>: window of ${c.windowMinutes} min from ${c.windowStart}, threshold ${c.threshold} users, detected at ${c.detectedAt}; prompts between ${c.firstSeen} and ${c.lastSeen}${c.source.userAgent ? markup`; user agent <code>${c.source.userAgent}</code>` : null}. ${plural(c.approvals, 'user')} approved a prompt, ${plural(c.fraudReports, 'user')} reported fraud.${c.hold ? markup` <strong>Needs attention:</strong> ${c.hold}.` : null}</p>
<div class="scroll"><table>
<tr><th>User</th><th class="num">Declined</th><th class="num">Unanswered</th><th>Outcome</th><th>First prompt</th></tr>
${shown.map(
    (u) =>
        markup`<tr><td>${u.userPrincipalName ?? u.userId}</td><td class="num">${number(u.denials)}</td><td class="num">${number(u.timeouts)}</td><td>${u.approved ? markup`<strong>APPROVED</strong>` : u.fraudReports > 0 ? 'reported fraud' : u.incident ? 'push-spray incident' : 'counted'}</td><td>${u.firstSeen}</td></tr>
`,
)}${more > 0 ? markup`<tr><td colspan="5" class="muted">and ${number(more)} more</td></tr>` : null}</table></div>
</div>
`;
}

/** The campaign sweep: campaigns for each CAMPAIGN_MIN_USERS × CAMPAIGN_WINDOW_MINUTES, this run's cell outlined. */
function sweepTable(r: BacktestReport): Html | null {
    const s = r.campaignSweep;
    if (!s) return null;
    const max = Math.max(1, ...s.cells.map((c) => c.campaigns));
    const cell = (minUsers: number, windowMinutes: number) => {
        const c = s.cells.find((x) => x.minUsers === minUsers && x.windowMinutes === windowMinutes)!;
        const current = minUsers === s.current.minUsers && windowMinutes === s.current.windowMinutes;
        const lightness = c.campaigns === 0 ? 100 : 90 - Math.round((30 * c.campaigns) / max);
        const title =
            `CAMPAIGN_MIN_USERS=${minUsers}, CAMPAIGN_WINDOW_MINUTES=${windowMinutes}: ` +
            `${plural(c.campaigns, 'campaign')} prompting ${plural(c.users, 'user')}` +
            (current ? ' (the settings of this run)' : '');
        return markup`<td class="${current ? 'current' : ''}" style="background:hsl(30,80%,${lightness}%)" title="${title}" data-min-users="${minUsers}" data-window="${windowMinutes}">${number(c.campaigns)}</td>`;
    };
    return markup`<h3 style="margin-top:14px">Campaign sweep</h3>
<p>Campaigns over the same input for each <code>CAMPAIGN_MIN_USERS</code> (rows) and <code>CAMPAIGN_WINDOW_MINUTES</code>
(columns), every other setting as in this run (a /24 or /64 needs 1.5 times the users, an autonomous system with a user
agent 3 times, alone 5 times). Hover a cell for the users it would prompt. Sources your users share at large belong in
<code>TRUSTED_SOURCE_RANGES</code> or <code>CAMPAIGN_SHARED_ASNS</code> before a lower threshold does.</p>
${s.dropped > 0 ? markup`<p><strong>Partial:</strong> ${number(s.dropped)} prompts were read but not kept for the sweep (memory bound).</p>` : null}
<div class="scroll card"><table class="campaign-sweep">
<tr><th class="axis">min users ↓ · window (min) →</th>${s.windowsMinutes.map((w) => markup`<th class="num">${w}</th>`)}</tr>
${s.minUsers.map(
    (m) => markup`<tr><th class="num">${m}</th>${s.windowsMinutes.map((w) => cell(m, w))}</tr>
`,
)}</table></div>
`;
}

/** Push-spray campaigns: one source prompting many users, each campaign with its users, and the sweep. */
export function campaignsSection(r: BacktestReport): Html | null {
    const campaigns = r.campaigns ?? [];
    if (campaigns.length === 0 && !r.campaignSweep) return null;
    return markup`<section id="campaigns">
<h2>Campaigns (push spray)</h2>
<p>${campaigns.length === 0 ? 'No source prompted enough users to be a campaign with these settings.' : `${plural(campaigns.length, 'campaign')}: one source prompting many users, each user's password known to the attacker.`}</p>
${campaigns.map(campaignCard)}${sweepTable(r)}</section>
`;
}
