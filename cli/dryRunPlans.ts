import { planContainment } from '../shared/containment/plan';
import type { Containment } from '../shared/containment/model';
import type { ContainmentConfig } from '../shared/settings/containment';
import type { ContainedIncident } from '../shared/userRow/userRow';

/** An incident with the containment to show: the one a rehearsal ran, or the dry-run plan; and which it is. */
export interface ShownIncident extends ContainedIncident {
    readonly containment: Containment;
    /** The containment was planned for this output (dry-run), not run (`--contain` runs it). */
    readonly planOnly: boolean;
}

/**
 * Each incident with a containment to show. Without `--contain`, it is what the plan would be in dry-run with the
 * current settings, planned at the trigger's event time (so that the cooldown between two incidents of a user reads
 * as it would have live); the circuit breaker, which needs the live count, is not simulated. One rule for the text
 * report, the HTML report and the notices a replay writes.
 */
export function withDryRunPlans(
    incidents: readonly ContainedIncident[],
    config: ContainmentConfig,
    userTypeOf: (userId: string) => string | undefined = () => undefined,
): ShownIncident[] {
    const dryRun: ContainmentConfig = { ...config, mode: 'dry-run' };
    const plannedByUser = new Map<string, Containment[]>();
    return incidents.map(({ incident, containment }) => {
        if (containment) return { incident, containment, planOnly: false };
        const earlier = plannedByUser.get(incident.userId) ?? [];
        const userType = userTypeOf(incident.userId);
        const planned = planContainment({
            incident,
            earlier,
            ...(userType ? { userType } : {}),
            config: dryRun,
            now: incident.detectedAt,
        });
        plannedByUser.set(incident.userId, [...earlier, planned]);
        return { incident, containment: planned, planOnly: true };
    });
}
