/**
 * Planning a new incident's containment, without I/O: the local guardrails (NEVER_CONTAIN, the cooldown), dry-run,
 * and the steps to run. The plan is written in the same conditional write that opens the incident.
 */
import type { ContainmentConfig } from '../settings/containment';
import type { Incident } from '../detection/userState';
import { upnForms } from '../upn';
import { Containment, ContainmentStatus, newNotice, StepName } from './model';
import { STEP_BY_NAME, STEPS } from './stepTable';

/**
 * Why a push-spray incident is held back from automatic containment, or undefined when it is contained as any other.
 * Campaign detection decides it when the incident opens (shared/campaign/campaignHold.ts: a campaign above
 * CAMPAIGN_MAX_USERS, or named by an autonomous system only); a user who approved a prompt or reported fraud is
 * contained whatever it says, their account being known to be in play. Break-glass exclusions still apply to them, as
 * to everyone.
 */
function campaignHold(
    incident: Pick<
        Incident,
        'trigger' | 'campaignHold' | 'approval' | 'fraudReports' | 'approvedWithoutRefusal' | 'campaignId'
    >,
): string | undefined {
    if (incident.trigger === 'push-spray' && incident.approvedWithoutRefusal && incident.fraudReports === 0) {
        return `approved a prompt from the source of campaign ${incident.campaignId ?? ''} without refusing any of its prompts: someone who signs in where the attacker does (shared Wi-Fi, a proxy) or a victim who approved the first push; not contained automatically: verify with the user`;
    }
    if (incident.trigger !== 'push-spray' || !incident.campaignHold) return undefined;
    if (incident.approval !== undefined || incident.fraudReports > 0) return undefined;
    return incident.campaignHold;
}

/** Statuses of a containment that may still hold the user (not released, not deliberately left alone, not dry-run). */
const HOLDING: ReadonlySet<ContainmentStatus> = new Set([
    'pending',
    'running',
    'retrying',
    'contained',
    'needs-attention',
]);

/** Steps that write to the directory: the ones whose success means the containment took effect. */
const GATES: ReadonlySet<StepName> = new Set(['check-exclusions', 'circuit-breaker']);

/**
 * When a containment took effect: the time of its first directory write that succeeded (sessions revoked, push
 * blocked, ...), or undefined when none did. A containment that ended without touching the user (the breaker row was
 * unreadable, every step was refused) never starts a cooldown: a second attack on that user is contained.
 */
export function tookEffectAt(c: Containment): number | undefined {
    if (!HOLDING.has(c.status)) return undefined;
    const writes = c.steps.filter((s) => !GATES.has(s.name) && s.status === 'done' && s.at !== undefined);
    return writes.length === 0 ? undefined : Math.min(...writes.map((s) => s.at!));
}

/** True when NEVER_CONTAIN names the user by id or by any form of a UPN we know for them. */
export function isNeverContained(
    config: Pick<ContainmentConfig, 'neverContain'>,
    incident: Pick<Incident, 'userId' | 'userPrincipalName'>,
    c?: Pick<Containment, 'account'>,
): boolean {
    if (config.neverContain.has(incident.userId.toLowerCase())) return true;
    const forms = [...upnForms(incident.userPrincipalName), ...upnForms(c?.account?.userPrincipalName)];
    return forms.some((f) => config.neverContain.has(f));
}

export interface PlanInput {
    readonly incident: Incident;
    /** The user's other containments (for the cooldown). */
    readonly earlier: readonly Containment[];
    /** From the sign-in records. */
    readonly userType?: string;
    readonly config: ContainmentConfig;
    readonly now: number;
}

/**
 * Decides, without I/O, what a new incident's containment will be: the local guardrails (never-contain by id or
 * UPN, a cooldown after an earlier containment of the same user), dry-run, and the steps to run. Written in the same
 * conditional write that opens the incident.
 */
export function planContainment(input: PlanInput): Containment {
    const { incident, now } = input;
    // A drill never writes to Graph and never takes a breaker slot: it is planned as a dry-run, whatever the mode.
    const config: ContainmentConfig = incident.drill ? { ...input.config, mode: 'dry-run' } : input.config;
    const base: Containment = {
        incidentId: incident.id,
        status: 'pending',
        mode: config.mode,
        plannedAt: now,
        steps: STEPS.filter((s) => s.included(config, incident)).map((s) => ({
            name: s.name,
            status: 'pending',
            attempts: 0,
        })),
        runs: 0,
        notices: [newNotice('incident', config)],
        ...(config.incidentLog ? { logRows: { sequence: 0 } } : {}),
        ...(input.userType ? { userType: input.userType } : {}),
    };
    const finish = (status: ContainmentStatus, reason: string): Containment => ({
        ...base,
        status,
        reason,
        steps: [],
        finishedAt: now,
    });
    if (isNeverContained(config, incident)) return finish('not-contained', 'NEVER_CONTAIN lists this user');
    // A method registered after an attack, or an approval of an attack already released, is its follow-up, not a
    // second containment of the same attack: it is contained whatever the cooldown says (what the attacker
    // registered must go).
    const earlier =
        incident.relatedIncidentId === undefined
            ? input.earlier.find((c) => {
                  const at = c.incidentId !== incident.id ? tookEffectAt(c) : undefined;
                  return at !== undefined && now - at < config.cooldownMs;
              })
            : undefined;
    if (earlier) {
        const since = new Date(tookEffectAt(earlier)!).toISOString();
        return finish(
            'not-contained',
            `cooldown: incident ${earlier.incidentId} already contained this user at ${since}`,
        );
    }
    const held = campaignHold(incident);
    if (held) return finish('needs-attention', held);
    if (config.mode === 'dry-run') {
        // Dry-run needs no I/O at all: the whole containment is decided here.
        return {
            ...base,
            status: 'dry-run',
            finishedAt: now,
            steps: base.steps.map((s) => ({
                ...s,
                status: 'dry-run',
                detail: STEP_BY_NAME.get(s.name)!.wouldDo(config, incident),
                at: now,
            })),
        };
    }
    return base;
}
