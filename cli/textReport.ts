import type { CampaignView } from '../shared/campaign/campaignView';
import type { Containment } from '../shared/containment/model';
import type { Incident } from '../shared/detection/userState';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { address, addresses, singleLine } from '../shared/singleLine';
import { isoTime } from '../shared/time';
import type { ShownIncident } from './dryRunPlans';

/** "5 min 27 s", "2 h 3 min", "40 s": a lead time as a person reads it. */
export function duration(ms: number): string {
    const s = Math.round(Math.abs(ms) / 1000);
    if (s < 60) return `${s} s`;
    if (s < 3600) return `${Math.floor(s / 60)} min${s % 60 ? ` ${s % 60} s` : ''}`;
    return `${Math.floor(s / 3600)} h${Math.floor((s % 3600) / 60) ? ` ${Math.floor((s % 3600) / 60)} min` : ''}`;
}

/** Text from a record or a service, as the terminal may show it: one line, nothing a terminal acts on (the output rule). */
const text = (value: string, max = 256) => singleLine(value, max);

const clock = (ms: number) => isoTime(ms).slice(11, 19);

/** How long before the user gave in the responder would have acted: the time a live responder buys. */
function leadTime(inc: Incident): string | undefined {
    if (!inc.approval) return undefined;
    const lead = inc.approval.at - inc.detectedAt;
    return lead > 0
        ? `    lead time: it fired at ${clock(inc.detectedAt)}, ${duration(lead)} before the user approved at ${clock(inc.approval.at)}`
        : `    lead time: none; it fired at the approval itself (${clock(inc.approval.at)}): the threshold was not reached before`;
}

/** The containment, a line per step: the dry-run plan, or what `--contain` did. */
function planLines(c: Containment, planOnly: boolean): string[] {
    const head = planOnly
        ? `    what the responder would do (dry-run plan with these settings; CONTAINMENT_MODE=live does it):`
        : `    containment: ${c.status}${c.reason ? ` (${text(c.reason, 1000)})` : ''}`;
    if (c.steps.length === 0) return [planOnly ? `${head} nothing: ${text(c.reason ?? c.status, 1000)}` : head];
    return [
        head,
        ...c.steps.map(
            (s, i) =>
                `      ${i + 1}. ${s.name}: ${planOnly ? text(s.detail ?? s.status, 1000) : `${s.status}${s.detail ? ` (${text(s.detail, 1000)})` : ''}`}`,
        ),
    ];
}

function incidentLines({ incident: inc, containment, planOnly }: ShownIncident): string[] {
    return [
        `  ${text(inc.userPrincipalName ?? '(no UPN)')} (${inc.userId}) — ${inc.trigger}: ${inc.denials} denied, ` +
            `${inc.timeouts} unanswered, ${inc.fraudReports} fraud report(s) between ${isoTime(inc.firstSeen)} and ${isoTime(inc.lastSeen)}`,
        `    fired at ${isoTime(inc.detectedAt)} from ${addresses(inc.ipAddresses)}; apps: ${inc.apps.map((a) => text(a)).join(', ') || 'unknown'}`,
        ...(inc.approval
            ? [
                  `    the user APPROVED a prompt at ${isoTime(inc.approval.at)} from ${address(inc.approval.ipAddress)}` +
                      (inc.approval.fromDenialIp ? ' — one of the attacking IPs' : ''),
              ]
            : []),
        ...[leadTime(inc)].filter((l): l is string => l !== undefined),
        ...planLines(containment, planOnly),
    ];
}

/** The campaigns, in a line each: one source prompting many users (each user also has its push-spray incident above). */
function campaignLines(campaigns: readonly CampaignView[]): string[] {
    if (campaigns.length === 0) return [];
    return [
        `${campaigns.length} push-spray campaign(s):`,
        ...campaigns.map(
            (c) =>
                `  ${c.campaignId} — ${c.source.type} ${c.source.value}: ${c.estimated ? 'about ' : ''}${c.userCount} users between ${c.firstSeen} and ${c.lastSeen}` +
                `; ${c.approvals} approved, ${c.fraudReports} reported fraud; severity ${c.severity}, ${c.containment}`,
        ),
    ];
}

/** What to run next: the report of this same input, and the guides. */
function nextLines(inputs: readonly string[], incidents: number): string[] {
    const files = inputs.filter((i) => i !== '-').join(' ') || '<export>';
    const what = `${incidents > 0 ? 'a timeline of each attack, ' : ''}the threshold sweep`;
    // The same with --html or without: stdout never depends on it (docs/backtest.md).
    return [
        'Next:',
        `  mfa-responder replay --html report.html ${files}   # ${what}`,
        '  your own tenant: export its sign-in logs and replay them (docs/backtest.md)',
        '  deploy it, in dry-run until you turn containment on: docs/deploy.md',
    ];
}

/**
 * The readable report for a terminal: what was read, each incident with its lead time and plan, the push-spray
 * campaigns, what to do next.
 * App names, UPNs, reasons and samples come from the records (an attacker's): each goes through the one output rule,
 * so that no escape sequence (OSC 52 writes the clipboard, CSI clears the screen), bidirectional override or newline
 * in them reaches the terminal, and addresses are shown only as addresses.
 */
export function formatReport(
    totals: BatchResult,
    incidents: readonly ShownIncident[],
    inputs: readonly string[] = [],
    campaigns: readonly CampaignView[] = [],
): string {
    const lines: string[] = [
        `Read ${totals.records} records: ${totals.events} MFA push outcomes, ${totals.other} other user sign-ins, ` +
            `${totals.dropped} of other categories, ${totals.rejected} rejected.`,
    ];
    for (const [reason, n] of Object.entries(totals.rejectedByReason)) {
        lines.push(
            `  rejected ${n} x ${reason}, e.g. ${text(totals.rejectedSamples[reason as keyof typeof totals.rejectedSamples] ?? '', 500)}`,
        );
    }
    if (totals.truncated > 0) lines.push(`  ${totals.truncated} record(s) counted with an over-long text cut short.`);
    for (const q of totals.quarantines)
        lines.push(`  QUARANTINED the state of ${q.userId}: ${text(q.code, 100)} (${text(q.message, 500)})`);
    lines.push(`Distinct push prompts denied: ${totals.newDenials}.`);
    if (incidents.length === 0) lines.push('No user was under MFA push attack.');
    else {
        lines.push(`${incidents.length} incident(s):`);
        for (const shown of incidents) lines.push(...incidentLines(shown));
    }
    for (const e of totals.sharedEgress)
        lines.push(
            `Source ${text(e.source, 200)} judged a shared egress (${e.estimated ? 'about ' : ''}${e.approvers} users only approved, ${e.refusers} refused): no campaign.`,
        );
    return [...lines, ...campaignLines(campaigns), '', ...nextLines(inputs, incidents.length)].join('\n');
}
