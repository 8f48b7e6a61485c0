import type { Containment } from '../containment/model';
import { listIncidents } from '../userRow/listIncidents';
import { duration, Finding, ok, problem } from './check';
import type { HealthCheck } from './context';

const TITLE = 'Notices and Sentinel rows';
/** How long a given-up notice or row keeps the check failed: long enough for the next person on call to see it. */
export const GIVEN_UP_SHOWN_MS = 24 * 3_600_000;
/** Incidents named in a finding; the rest are counted. */
const SHOWN = 5;

/** One notice or Sentinel row the SOC did not get (yet). */
export interface ReportFailure {
    readonly incidentId: string;
    /** `notice:incident`, `notice:needs-attention`, ..., or `row:<state>`. */
    readonly what: string;
    readonly attempts: number;
    /** The last error, redacted as stored. */
    readonly error: string;
    /** Retried at this time (failing), or given up at this time. */
    readonly nextAttemptAt?: number;
    readonly gaveUpAt?: number;
    /** When its first attempt failed. */
    readonly since?: number;
}

/** The notices and Sentinel rows of one containment that are failing or were given up. */
export function reportFailures(c: Containment): ReportFailure[] {
    const out: ReportFailure[] = [];
    for (const n of c.notices) {
        if (n.status !== 'failed') continue;
        out.push({
            incidentId: c.incidentId,
            what: `notice:${n.kind}`,
            attempts: n.attempts,
            error: n.error ?? 'unknown',
            // A notice failed before retries had a horizon has neither: it was given up when it last failed.
            ...(n.nextAttemptAt !== undefined
                ? { nextAttemptAt: n.nextAttemptAt }
                : { gaveUpAt: n.gaveUpAt ?? n.at ?? 0 }),
            ...(n.firstFailedAt !== undefined ? { since: n.firstFailedAt } : {}),
        });
    }
    const f = c.logRows?.failing;
    if (f && c.logRows?.reported !== f.state) {
        out.push({
            incidentId: c.incidentId,
            what: `row:${f.state}`,
            attempts: f.attempts,
            error: `${f.error.status ?? ''} ${f.error.code}: ${f.error.message}`.trim(),
            ...(f.gaveUpAt !== undefined ? { gaveUpAt: f.gaveUpAt } : { nextAttemptAt: f.nextAttemptAt }),
            ...(f.since !== undefined ? { since: f.since } : {}),
        });
    }
    return out;
}

export interface ReportsReading {
    readonly failures: readonly ReportFailure[];
    readonly now: number;
    /** Leave incident ids (which hold user ids) out: /api/health, whose key may sit in a monitor. */
    readonly withoutNames?: boolean;
}

/**
 * Failing notices and rows are a warning (they are retried with backoff until NOTICE_RETRY_HOURS); one given up in
 * the last day is a failure: the SOC was never told about an incident.
 */
export function evaluateReports(r: ReportsReading): Finding[] {
    const retrying = r.failures.filter((f) => f.gaveUpAt === undefined);
    const givenUp = r.failures.filter((f) => f.gaveUpAt !== undefined && r.now - f.gaveUpAt < GIVEN_UP_SHOWN_MS);
    const describe = (list: readonly ReportFailure[]) =>
        r.withoutNames
            ? `last error: ${list[0]!.error}`
            : list
                  .slice(0, SHOWN)
                  .map((f) => `${f.what} of ${f.incidentId} (${f.attempts} attempt(s)): ${f.error}`)
                  .join('; ') + (list.length > SHOWN ? `; and ${list.length - SHOWN} more` : '');
    const count = (list: readonly ReportFailure[], kind: 'notice' | 'row') =>
        list.filter((f) => f.what.startsWith(kind)).length;
    const counts = (list: readonly ReportFailure[]) =>
        `${count(list, 'notice')} notice(s) and ${count(list, 'row')} Sentinel row(s)`;
    const findings: Finding[] = [];
    if (givenUp.length > 0) {
        findings.push(
            problem(
                'failed',
                'reports.given-up',
                TITLE,
                `${counts(givenUp)} given up in the last ${duration(GIVEN_UP_SHOWN_MS)}: the SOC was not told. ${describe(givenUp)}`,
                'Fix the webhook or the Logs Ingestion role the error names, then read the incidents (mfa-responder incidents) and tell the SOC by hand. NOTICE_RETRY_HOURS sets how long they are retried.',
                { notices: count(givenUp, 'notice'), rows: count(givenUp, 'row') },
            ),
        );
    }
    if (retrying.length > 0) {
        const oldest = Math.min(...retrying.map((f) => f.since ?? r.now));
        findings.push(
            problem(
                'warning',
                'reports.failing',
                TITLE,
                `${counts(retrying)} failing for ${duration(r.now - oldest)}, retried with backoff: ${describe(retrying)}`,
                'Check the webhook (NOTIFY_WEBHOOK_URL) or the role on the data collection rule; they are sent as soon as it answers, the latest state of each incident once.',
                { notices: count(retrying, 'notice'), rows: count(retrying, 'row') },
            ),
        );
    }
    if (findings.length === 0) findings.push(ok('reports', TITLE, 'no notice or Sentinel row is failing'));
    return findings;
}

export const reportsCheck: HealthCheck = {
    id: 'reports',
    title: TITLE,
    app: true,
    rights: () => 'Storage Table Data Reader on the state table',
    run: async (ctx) => {
        const { incidents } = await listIncidents(ctx.runtime.store);
        const failures = incidents.flatMap(({ containment }) => (containment ? reportFailures(containment) : []));
        return evaluateReports({
            failures,
            now: ctx.now(),
            ...(ctx.withoutNames ? { withoutNames: true } : {}),
        });
    },
};
