import type { CampaignView } from '../shared/campaign/campaignView';
import { incidentView } from '../shared/notices/incidentView';
import type { ContainedIncident } from '../shared/userRow/userRow';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { isoTime } from '../shared/time';

/** The `--json` incident line: the one incident view, typed. Its `detectedAt` is the event time that fired it. */
export function incidentJson({ incident, containment }: ContainedIncident): Record<string, unknown> {
    return { type: 'incident', ...incidentView(incident, containment) };
}

/** The `--json` campaign line: the one campaign view, typed (docs/backtest.md describes it). */
export function campaignJson(view: CampaignView): Record<string, unknown> {
    return { type: 'campaign', ...view };
}

export function summaryJson(totals: BatchResult, incidents: number): Record<string, unknown> {
    return {
        type: 'summary',
        records: totals.records,
        rejected: totals.rejected,
        denials: totals.newDenials,
        incidents,
        campaigns: totals.campaigns.length,
        dropped: totals.dropped,
        other: totals.other,
        mfaEvents: totals.events,
        truncated: totals.truncated,
        quarantined: totals.quarantined,
        rejectedByReason: totals.rejectedByReason,
    };
}

/** The campaigns, in a few lines each, for a terminal. */
function campaignLines(campaigns: readonly CampaignView[]): string[] {
    if (campaigns.length === 0) return [];
    const lines = [`${campaigns.length} push-spray campaign(s):`];
    for (const c of campaigns) {
        lines.push(
            `  ${c.campaignId} — ${c.source.type} ${c.source.value}: ${c.estimated ? 'about ' : ''}${c.userCount} users between ${c.firstSeen} and ${c.lastSeen}` +
                `; ${c.approvals} approved, ${c.fraudReports} reported fraud; severity ${c.severity}, ${c.containment}`,
        );
    }
    return lines;
}

/** The readable report for a terminal. */
export function formatReport(
    totals: BatchResult,
    incidents: readonly ContainedIncident[],
    campaigns: readonly CampaignView[] = [],
): string {
    const lines: string[] = [];
    lines.push(
        `Read ${totals.records} records: ${totals.events} MFA push outcomes, ${totals.other} other user sign-ins, ` +
            `${totals.dropped} of other categories, ${totals.rejected} rejected.`,
    );
    for (const [reason, n] of Object.entries(totals.rejectedByReason)) {
        lines.push(
            `  rejected ${n} x ${reason}, e.g. ${totals.rejectedSamples[reason as keyof typeof totals.rejectedSamples] ?? ''}`,
        );
    }
    if (totals.truncated > 0) lines.push(`  ${totals.truncated} record(s) counted with an over-long text cut short.`);
    for (const q of totals.quarantines) {
        lines.push(`  QUARANTINED the state of ${q.userId}: ${q.code} (${q.message})`);
    }
    lines.push(`Distinct push prompts denied: ${totals.newDenials}.`);
    if (incidents.length === 0) {
        lines.push('No user was under MFA push attack.');
    } else {
        lines.push(`${incidents.length} incident(s):`);
        for (const { incident: inc, containment } of incidents) {
            lines.push(
                `  ${inc.userPrincipalName ?? '(no UPN)'} (${inc.userId}) — ${inc.trigger}: ${inc.denials} denied, ` +
                    `${inc.timeouts} unanswered, ${inc.fraudReports} fraud report(s) between ${isoTime(inc.firstSeen)} and ${isoTime(inc.lastSeen)}`,
            );
            lines.push(
                `    fired at ${isoTime(inc.detectedAt)} from ${inc.ipAddresses.join(', ') || 'unknown IPs'}; apps: ${inc.apps.join(', ') || 'unknown'}`,
            );
            if (inc.approval) {
                lines.push(
                    `    the user APPROVED a prompt at ${isoTime(inc.approval.at)} from ${inc.approval.ipAddress ?? 'an unknown IP'}` +
                        (inc.approval.fromDenialIp ? ' — one of the attacking IPs' : ''),
                );
            }
            if (containment) {
                lines.push(
                    `    containment: ${containment.status}${containment.reason ? ` (${containment.reason})` : ''}`,
                );
            }
        }
    }
    lines.push(...campaignLines(campaigns));
    return lines.join('\n');
}
