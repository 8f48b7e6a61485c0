import { IncidentView, incidentViews } from '../notices/incidentView';
import { releaseCommand } from '../notices/noticeText';
import { listIncidents } from '../userRow/listIncidents';
import { Finding, ok, problem } from './check';
import type { HealthCheck } from './context';

/** Incidents named in a finding; the rest are counted. */
const SHOWN = 5;

export interface IncidentsReading {
    readonly needsAttention: ReadonlyArray<
        Pick<IncidentView, 'incidentId' | 'userId' | 'userPrincipalName' | 'containmentReason'>
    >;
    readonly openIncidents: number;
    readonly unreadableRows: number;
    readonly breakerInLastHour: number;
    readonly breakerCap: number;
    /** Count the incidents that need a person without naming them (GET /api/health). */
    readonly withoutNames?: boolean;
}

export function evaluateIncidents(r: IncidentsReading): Finding[] {
    const findings: Finding[] = [];
    if (r.needsAttention.length === 0) {
        findings.push(ok('incidents', 'Incidents needing attention', `none (${r.openIncidents} open incident(s))`));
    } else {
        const shown = r.needsAttention
            .slice(0, SHOWN)
            .map((i) => `${i.userPrincipalName ?? i.userId}: ${i.containmentReason ?? 'see the incident'}`);
        const more = r.needsAttention.length > SHOWN ? `; and ${r.needsAttention.length - SHOWN} more` : '';
        findings.push(
            problem(
                'failed',
                'incidents',
                'Incidents needing attention',
                r.withoutNames
                    ? `${r.needsAttention.length} incident(s) need a person (named by mfa-responder doctor and incidents --open)`
                    : `${r.needsAttention.length} incident(s) need a person: ${shown.join('; ')}${more}`,
                `Read each reason (mfa-responder incidents --open); contain by hand where the responder could not, fix what it names (a 403 is a missing Graph permission), then ${releaseCommand('<userId>')} once the user is safe.`,
                r.withoutNames
                    ? { incidents: r.needsAttention.length }
                    : { incidents: r.needsAttention.map((i) => i.incidentId) },
            ),
        );
    }
    if (r.unreadableRows > 0) {
        findings.push(
            problem(
                'warning',
                'incidents.unreadable',
                'Incidents needing attention',
                `${r.unreadableRows} state row(s) could not be read`,
                'Report it: a row the responder wrote is unreadable (the log names the user).',
            ),
        );
    }
    const data = { inLastHour: r.breakerInLastHour, cap: r.breakerCap };
    const used = `${r.breakerInLastHour} of ${r.breakerCap} containment(s) in the last hour`;
    if (r.breakerInLastHour >= r.breakerCap) {
        findings.push(
            problem(
                'failed',
                'circuit-breaker',
                'Circuit breaker',
                `open: ${used}; new incidents are recorded and notified, not contained`,
                'Check the recent incidents: a real wave of attacks, or a parser bug / Entra outage making everyone look attacked. Contain real ones by hand; the breaker closes as the hour passes (MAX_CONTAINMENTS_PER_HOUR sets the cap).',
                data,
            ),
        );
    } else if (r.breakerInLastHour >= Math.ceil(r.breakerCap * 0.8)) {
        findings.push(
            problem(
                'warning',
                'circuit-breaker',
                'Circuit breaker',
                `nearly open: ${used}`,
                'Check the recent incidents (mfa-responder incidents); past the cap, incidents are only recorded and notified.',
                data,
            ),
        );
    } else {
        findings.push(ok('circuit-breaker', 'Circuit breaker', `closed: ${used}`, data));
    }
    return findings;
}

export const incidentsCheck: HealthCheck = {
    id: 'incidents',
    title: 'Incidents needing attention',
    app: true,
    rights: () => 'Storage Table Data Reader on the state table',
    run: async (ctx) => {
        const { store, breaker, containment } = ctx.runtime;
        const [listed, breakerInLastHour] = await Promise.all([
            listIncidents(store, { openOnly: true }),
            breaker.peek(ctx.now()),
        ]);
        const incidents = incidentViews(listed.incidents);
        return evaluateIncidents({
            needsAttention: incidents.filter((i) => i.containment === 'needs-attention'),
            openIncidents: incidents.length,
            unreadableRows: listed.unreadableRows,
            breakerInLastHour,
            breakerCap: containment.maxContainmentsPerHour,
            ...(ctx.withoutNames ? { withoutNames: true } : {}),
        });
    },
};
