import type { Incident } from '../shared/detection/userState';
import type { BatchResult } from '../shared/pipeline/batchResult';
import { isoTime } from '../shared/time';

/**
 * The `--json` incident line. `detectedAt` is the event time of the record that completed the trigger: in a replay,
 * the moment a live responder would have acted.
 */
export function incidentJson(inc: Incident): Record<string, unknown> {
    return {
        type: 'incident',
        userId: inc.userId,
        userPrincipalName: inc.userPrincipalName ?? null,
        trigger: inc.trigger,
        denials: inc.denials,
        firstSeen: isoTime(inc.firstSeen),
        detectedAt: isoTime(inc.triggeredAt),
        ipAddresses: inc.ipAddresses,
        incidentId: inc.id,
        lastSeen: isoTime(inc.lastSeen),
        timeouts: inc.timeouts,
        fraudReports: inc.fraudReports,
        apps: inc.apps,
        approval: inc.approval
            ? {
                  at: isoTime(inc.approval.at),
                  ipAddress: inc.approval.ipAddress ?? null,
                  fromDenialIp: inc.approval.fromDenialIp,
              }
            : null,
        evidence: inc.evidence,
        ...(inc.containment
            ? { containment: inc.containment.status, containmentReason: inc.containment.reason ?? null }
            : {}),
    };
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
        rejectedByReason: totals.rejectedByReason,
    };
}

/** The readable report for a terminal. */
export function formatReport(totals: BatchResult, incidents: readonly Incident[]): string {
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
    lines.push(`Distinct push prompts denied: ${totals.newDenials}.`);
    if (incidents.length === 0) {
        lines.push('No user was under MFA push attack.');
    } else {
        lines.push(`${incidents.length} incident(s):`);
        for (const inc of incidents) {
            lines.push(
                `  ${inc.userPrincipalName ?? '(no UPN)'} (${inc.userId}) — ${inc.trigger}: ${inc.denials} denied, ` +
                    `${inc.timeouts} unanswered, ${inc.fraudReports} fraud report(s) between ${isoTime(inc.firstSeen)} and ${isoTime(inc.lastSeen)}`,
            );
            lines.push(
                `    fired at ${isoTime(inc.triggeredAt)} from ${inc.ipAddresses.join(', ') || 'unknown IPs'}; apps: ${inc.apps.join(', ') || 'unknown'}`,
            );
            if (inc.approval) {
                lines.push(
                    `    the user APPROVED a prompt at ${isoTime(inc.approval.at)} from ${inc.approval.ipAddress ?? 'an unknown IP'}` +
                        (inc.approval.fromDenialIp ? ' — one of the attacking IPs' : ''),
                );
            }
        }
    }
    return lines.join('\n');
}
