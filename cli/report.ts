import { incidentView } from '../shared/notices/incidentView';
import type { ContainedIncident } from '../shared/userRow/userRow';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { address, addresses, jsonLine, singleLine } from '../shared/singleLine';
import { isoTime } from '../shared/time';

/** The `--json` incident line: the one incident view, typed. Its `detectedAt` is the event time that fired it. */
export function incidentJson({ incident, containment }: ContainedIncident): Record<string, unknown> {
    return { type: 'incident', ...incidentView(incident, containment) };
}

export function summaryJson(totals: BatchResult, incidents: number): Record<string, unknown> {
    return {
        type: 'summary',
        records: totals.records,
        rejected: totals.rejected,
        denials: totals.newDenials,
        incidents,
        dropped: totals.dropped,
        other: totals.other,
        mfaEvents: totals.events,
        truncated: totals.truncated,
        quarantined: totals.quarantined,
        rejectedByReason: totals.rejectedByReason,
    };
}

/** Text from a record, as the terminal may show it: one line, nothing a terminal acts on (the output rule). */
const text = (value: string, max = 256) => singleLine(value, max);

/** One `--json` line: every character kept, the ones a terminal acts on escaped (\u001b, \u202e, ...). */
export function ndjsonLine(value: unknown): string {
    return `${jsonLine(value)}\n`;
}

/**
 * The readable report for a terminal. App names, UPNs, reasons and samples come from the records (an attacker's):
 * each goes through the one output rule, so that no escape sequence (OSC 52 writes the clipboard, CSI clears the
 * screen), bidirectional override or newline in them reaches the terminal, and addresses are shown only as addresses.
 */
export function formatReport(totals: BatchResult, incidents: readonly ContainedIncident[]): string {
    const lines: string[] = [];
    lines.push(
        `Read ${totals.records} records: ${totals.events} MFA push outcomes, ${totals.other} other user sign-ins, ` +
            `${totals.dropped} of other categories, ${totals.rejected} rejected.`,
    );
    for (const [reason, n] of Object.entries(totals.rejectedByReason)) {
        lines.push(
            `  rejected ${n} x ${reason}, e.g. ${text(totals.rejectedSamples[reason as keyof typeof totals.rejectedSamples] ?? '', 500)}`,
        );
    }
    if (totals.truncated > 0) lines.push(`  ${totals.truncated} record(s) counted with an over-long text cut short.`);
    for (const q of totals.quarantines) {
        lines.push(`  QUARANTINED the state of ${q.userId}: ${text(q.code, 100)} (${text(q.message, 500)})`);
    }
    lines.push(`Distinct push prompts denied: ${totals.newDenials}.`);
    if (incidents.length === 0) {
        lines.push('No user was under MFA push attack.');
    } else {
        lines.push(`${incidents.length} incident(s):`);
        for (const { incident: inc, containment } of incidents) {
            lines.push(
                `  ${text(inc.userPrincipalName ?? '(no UPN)')} (${inc.userId}) — ${inc.trigger}: ${inc.denials} denied, ` +
                    `${inc.timeouts} unanswered, ${inc.fraudReports} fraud report(s) between ${isoTime(inc.firstSeen)} and ${isoTime(inc.lastSeen)}`,
            );
            lines.push(
                `    fired at ${isoTime(inc.detectedAt)} from ${addresses(inc.ipAddresses)}; apps: ${inc.apps.map((a) => text(a)).join(', ') || 'unknown'}`,
            );
            if (inc.approval) {
                lines.push(
                    `    the user APPROVED a prompt at ${isoTime(inc.approval.at)} from ${address(inc.approval.ipAddress)}` +
                        (inc.approval.fromDenialIp ? ' — one of the attacking IPs' : ''),
                );
            }
            if (containment) {
                lines.push(
                    `    containment: ${containment.status}${containment.reason ? ` (${text(containment.reason, 1000)})` : ''}`,
                );
            }
        }
    }
    return lines.join('\n');
}
