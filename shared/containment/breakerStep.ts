/**
 * The circuit-breaker step: a normal incident takes one of MAX_CONTAINMENTS_PER_HOUR (or shares its campaign's), and
 * past the cap is held — recorded, notified as a possible decoy flood or false-positive storm naming every user held
 * that hour, not contained. A high-confidence incident is contained whatever the breaker says, even when the breaker
 * cannot be read: decoys cannot spend its protection. The decision table is in docs/how-it-works.md (Guardrails).
 */
import type { BreakerDecision } from './circuitBreaker';
import { highConfidenceReason, incidentConfidence, shareKeyOf } from './confidence';
import { stepError, StepSpec } from './steps';

export const CIRCUIT_BREAKER: StepSpec = {
    name: 'circuit-breaker',
    included: () => true,
    wouldDo: (config) => `would take one of the ${config.maxContainmentsPerHour} containments allowed per hour`,
    gate: true,
    idempotent:
        'a slot is taken once: the step is done afterwards, and a repeat after a crash shares the slot of its share key',
    run: async ({ incident, config, breaker, now }) => {
        const max = config.maxContainmentsPerHour;
        const high = incidentConfidence(incident) === 'high';
        const why = highConfidenceReason(incident);
        let decision: BreakerDecision;
        try {
            decision = await breaker.tryAcquire({
                now: now(),
                max,
                shareKey: shareKeyOf(incident),
                confidence: high ? 'high' : 'normal',
                holder: incident.userPrincipalName ?? incident.userId,
            });
        } catch (e) {
            if (high) {
                return {
                    status: 'done',
                    detail: `the circuit breaker could not be read or updated (${stepError(e).code}); high confidence (${why}): contained without it`,
                };
            }
            return {
                status: 'skipped',
                detail: 'the circuit breaker could not be read or updated',
                stop: {
                    status: 'needs-attention',
                    reason: `circuit breaker unavailable (${stepError(e).code}): not contained; contain by hand if needed`,
                },
            };
        }
        if (!decision.acquired) {
            const users = [...decision.held];
            return {
                status: 'skipped',
                detail: `${decision.inLastHour} containments in the last hour`,
                facts: { heldByBreaker: { at: now(), inLastHour: decision.inLastHour, users } },
                stop: {
                    status: 'not-contained',
                    reason:
                        `circuit breaker open: ${decision.inLastHour} containments in the last hour (MAX_CONTAINMENTS_PER_HOUR=${max}): ` +
                        `possible decoy flood or false-positive storm; held this hour: ${users.join(', ')}; recorded and notified, not contained ` +
                        '(a fraud report, an approval from the attacking source or a method registered after the attack still contains)',
                },
            };
        }
        if (decision.shared) {
            return {
                status: 'done',
                detail: `shares a containment slot already taken this hour (${decision.inLastHour} of ${max})`,
            };
        }
        return {
            status: 'done',
            detail: decision.overCap
                ? `high confidence (${why}): contained past the cap, containment ${decision.inLastHour} in the last hour (MAX_CONTAINMENTS_PER_HOUR=${max})`
                : `containment ${decision.inLastHour} of ${max} allowed in the last hour`,
        };
    },
};
