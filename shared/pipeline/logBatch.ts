import type { Incident } from '../detection/userState';
import type { Logger } from '../logger';
import type { BatchResult } from './batchResult';
import { isoTime } from '../time';

/** One structured line per new incident: what a SOC alert rule in Log Analytics matches on. */
export function incidentLogLine(inc: Incident): string {
    return `MFA push attack detected: ${JSON.stringify({
        event: 'IncidentOpened',
        incidentId: inc.id,
        userId: inc.userId,
        userPrincipalName: inc.userPrincipalName,
        trigger: inc.trigger,
        denials: inc.denials,
        timeouts: inc.timeouts,
        fraudReports: inc.fraudReports,
        firstSeen: isoTime(inc.firstSeen),
        triggeredAt: isoTime(inc.triggeredAt),
        ipAddresses: inc.ipAddresses,
        apps: inc.apps,
        approval: inc.approval && { ...inc.approval, at: isoTime(inc.approval.at) },
    })}`;
}

/** Logs a batch: a summary line, a sample per reject reason (reason and detail only, never the record), incidents. */
export function logBatch(result: BatchResult, logger: Logger): void {
    logger.log(
        `Sign-in batch: ${JSON.stringify({
            event: 'BatchProcessed',
            records: result.records,
            mfaEvents: result.events,
            other: result.other,
            dropped: result.dropped,
            rejected: result.rejected,
            users: result.users,
            newDenials: result.newDenials,
            newIncidents: result.newIncidents.length,
        })}`,
    );
    for (const [reason, n] of Object.entries(result.rejectedByReason)) {
        logger.warn(
            `Rejected ${n} sign-in record(s) as ${reason}; e.g. ${result.rejectedSamples[reason as keyof typeof result.rejectedSamples] ?? ''}`,
        );
    }
    for (const inc of result.newIncidents) logger.warn(incidentLogLine(inc));
    for (const inc of result.updatedIncidents) {
        if (inc.approval)
            logger.warn(`User approved a prompt during incident ${inc.id} (${inc.userPrincipalName ?? inc.userId})`);
    }
}
