import { randomUUID } from 'node:crypto';

/**
 * The synthetic push-bombing episode of `mfa-responder drill`: N declined pushes for one canary user, shaped exactly
 * like the SignInLogs records Entra's diagnostic settings stream (the Event Hub format: https://learn.microsoft.com/
 * entra/identity/monitoring-health/reference-azure-monitor-sign-ins-log-schema), in `{"records":[…]}` messages
 * (https://learn.microsoft.com/azure/azure-monitor/essentials/resource-logs-stream-event-hubs). Each record carries
 * `properties.drillId`, which the responder honours only for users in DRILL_USER_IDS. Nothing here is real: the
 * address is from the documentation range 192.0.2.0/24 (RFC 5737) and the application says it is a drill.
 */

export const DRILL_APP = 'MFA Fatigue Responder drill';
/** TEST-NET-1 (RFC 5737): never routed, so no real sign-in shares it. */
export const DRILL_IP = '192.0.2.10';
const FAILURE = 'Authentication failed during strong authentication request.';
const DECLINED = 'MFA denied; user declined the authentication';
/** Records per message: Azure Monitor packs several into one; ten keeps a message far below 1 MB. */
const RECORDS_PER_MESSAGE = 10;

export interface DrillPlan {
    readonly drillId: string;
    readonly userId: string;
    readonly userPrincipalName?: string;
    /** Declined pushes to send. */
    readonly denials: number;
    /** Event time of the last push, ms; the others are `spacingMs` apart before it. */
    readonly at: number;
    readonly spacingMs: number;
    /** Tenant the records name (resourceId, tenantId); all zeros when unknown. */
    readonly tenantId?: string;
    readonly newId?: () => string;
}

/** Seconds between a drill's pushes, in event time, when the window allows: a person tapping Deny, prompt after prompt. */
const NATURAL_SPACING_MS = 3_000;

/**
 * The spacing of a drill's pushes: a few seconds apart, closer when the episode would not otherwise fit in one
 * DENIAL_WINDOW_MINUTES (a high threshold with a short window), since a drill that cannot trigger proves nothing.
 */
export function drillSpacingMs(denials: number, windowMs: number): number {
    return Math.min(NATURAL_SPACING_MS, Math.floor(windowMs / Math.max(1, denials)));
}

/** A drill's id: when it started and a random part, short enough for the incident (64 characters at most). */
export function newDrillId(now: number, random: string = randomUUID().slice(0, 8)): string {
    return `drill-${new Date(now).toISOString().replace(/[-:]|\.\d+/g, '')}-${random}`;
}

/** Entra's 7-digit fractions: 2026-11-02T09:14:45.1230000Z, and +00:00 inside properties. */
const iso7 = (ms: number) => new Date(ms).toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

export function drillRecords(plan: DrillPlan): Array<Record<string, unknown>> {
    const newId = plan.newId ?? randomUUID;
    const tenantId = plan.tenantId ?? '00000000-0000-0000-0000-000000000000';
    return Array.from({ length: plan.denials }, (_, i) => {
        const at = plan.at - (plan.denials - 1 - i) * plan.spacingMs;
        const id = newId();
        const correlationId = newId();
        const created = iso7(at).replace('Z', '+00:00');
        return {
            time: iso7(at),
            resourceId: `/tenants/${tenantId}/providers/Microsoft.aadiam`,
            operationName: 'Sign-in activity',
            operationVersion: '1.0',
            category: 'SignInLogs',
            tenantId,
            resultType: '500121',
            resultSignature: 'None',
            resultDescription: FAILURE,
            durationMs: 0,
            callerIpAddress: DRILL_IP,
            correlationId,
            Level: 4,
            properties: {
                id,
                createdDateTime: created,
                ...(plan.userPrincipalName ? { userPrincipalName: plan.userPrincipalName } : {}),
                userId: plan.userId,
                appDisplayName: DRILL_APP,
                ipAddress: DRILL_IP,
                status: { errorCode: 500121, failureReason: FAILURE, additionalDetails: DECLINED },
                clientAppUsed: 'Browser',
                correlationId,
                originalRequestId: id,
                conditionalAccessStatus: 'failure',
                authenticationRequirement: 'multiFactorAuthentication',
                authenticationDetails: [
                    {
                        authenticationStepDateTime: iso7(at - 4000).replace('Z', '+00:00'),
                        authenticationMethod: 'Password',
                        succeeded: true,
                        authenticationStepResultDetail: 'Correct password',
                        authenticationStepRequirement: 'Primary authentication',
                    },
                    {
                        authenticationStepDateTime: created,
                        authenticationMethod: 'Mobile app notification',
                        succeeded: false,
                        authenticationStepResultDetail: DECLINED,
                        authenticationStepRequirement: 'Multi-factor authentication',
                    },
                ],
                isInteractive: true,
                userType: 'Member',
                drillId: plan.drillId,
            },
        };
    });
}

/** The records as diagnostic-setting messages: `{"records":[…]}`, several records each. */
export function drillMessages(records: ReadonlyArray<Record<string, unknown>>): Array<{ records: unknown[] }> {
    const messages: Array<{ records: unknown[] }> = [];
    for (let i = 0; i < records.length; i += RECORDS_PER_MESSAGE) {
        messages.push({ records: records.slice(i, i + RECORDS_PER_MESSAGE) });
    }
    return messages;
}

/** The ids the responder keeps as evidence (the record id), to recognise the drill's prompts in an incident. */
export function drillRecordIds(records: ReadonlyArray<Record<string, unknown>>): string[] {
    return records.map((r) => String((r.properties as { id: string }).id).toLowerCase());
}
