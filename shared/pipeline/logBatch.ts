import { incidentLogLine } from '../notices/incidentView';
import type { Logger } from '../logger';
import { oneWord, singleLine } from '../singleLine';
import type { BatchOutcome } from './batchResult';

/**
 * Logs a batch: a summary line, a sample per reject reason (reason and detail only, never the record), each
 * quarantined user with the service's error code, each unreadable row set aside (where it was kept), each incident
 * this batch opened (stored or not), approvals, and the users whose update must be retried.
 */
export function logBatch(outcome: BatchOutcome, logger: Logger): void {
    const { result, failures } = outcome;
    logger.log(
        `Sign-in batch: ${JSON.stringify({
            event: 'BatchProcessed',
            records: result.records,
            mfaEvents: result.events,
            other: result.other,
            dropped: result.dropped,
            rejected: result.rejected,
            truncated: result.truncated,
            users: result.users,
            newDenials: result.newDenials,
            newIncidents: result.newIncidents.length,
            quarantined: result.quarantined,
            setAside: result.setAside.length,
            failed: failures.length,
        })}`,
    );
    for (const [reason, n] of Object.entries(result.rejectedByReason)) {
        logger.warn(
            `Rejected ${n} sign-in record(s) as ${reason}; e.g. ${singleLine(result.rejectedSamples[reason as keyof typeof result.rejectedSamples] ?? '', 500)}`,
        );
    }
    for (const q of result.quarantines) {
        logger.error(
            `Quarantined the update of user ${q.userId}: the service refused it (${singleLine(q.code, 100)}) and retrying cannot fix it; the rest of the batch was stored. ${singleLine(q.message, 500)}`,
        );
        for (const inc of q.incidents) logger.warn(incidentLogLine(inc, undefined, false));
    }
    for (const a of result.setAside) {
        logger.error(
            `Set aside the unreadable row of user ${a.userId} (${a.reason}): kept as it was under RowKey ${a.keptAs} beside it; the user starts afresh with this batch. Incidents and containments it held (a push block to undo) must be checked by hand.`,
        );
    }
    for (const { incident, containment } of result.newIncidents) logger.warn(incidentLogLine(incident, containment));
    for (const c of result.campaignsOpened) {
        // One line per campaign that a Log Analytics alert can match, as for incidents; the users are on the incidents.
        const { users: _users, ...campaign } = c;
        logger.warn(`MFA push spray campaign detected: ${JSON.stringify({ event: 'CampaignOpened', ...campaign })}`);
    }
    for (const e of result.sharedEgress) {
        logger.log(
            `Source ${singleLine(e.source, 200)} judged a shared egress, not a push-spray campaign: ${e.estimated ? 'about ' : ''}${e.approvers} users only approved from it, ${e.refusers} refused (declare a known gateway in TRUSTED_SOURCE_RANGES)`,
        );
    }
    for (const r of result.campaignRefused) {
        logger.error(
            `Campaign detection left ${r.what} aside: the service refused its row (${r.code}) and retrying cannot fix it; the rest of the batch was stored. ${r.message}`,
        );
    }
    for (const { incident } of result.updatedIncidents) {
        if (incident.approval)
            logger.warn(
                `User approved a prompt during incident ${incident.id} (${oneWord(incident.userPrincipalName, incident.userId)})`,
            );
    }
    if (failures.length > 0) {
        const first = failures[0]!.error;
        logger.error(
            `Sign-in batch not fully stored (${failures.length} of ${result.users} users); the host retries it: ${singleLine(first.message, 500)}`,
        );
    }
}
