import { createWriteStream } from 'node:fs';

import { rng } from '../test/support/sampleStream';
import { guid, TENANT_ID } from '../test/support/signInFactory';

/**
 * A stream shaped like a real tenant's diagnostic export, one record per line, with the fields real records carry
 * (Conditional Access policies, device, location, processing details: about 3 KB a record, as in Microsoft's schema
 * sample), in the mix real streams have: about 85% successful sign-ins whose MFA was satisfied by a token claim (70% of
 * all records non-interactive), 5% "keep me signed in" interrupts, 5% service principals, 4% fresh push approvals and
 * 1% push denials. The product's own bench stream (streams.ts) is richer in MFA outcomes and does not represent this.
 */

const APPS = [
    'Office 365 Exchange Online',
    'Microsoft Teams',
    'Office 365 SharePoint Online',
    'Azure Portal',
    'OfficeHome',
];
const POLICIES = [
    { id: 'ae11ffaa-9879-44e0-972c-7538fd5c4d1a', displayName: 'Require MFA for all users' },
    { id: 'b1c2d3e4-0000-4000-8000-000000000001', displayName: 'Block legacy authentication' },
    { id: 'b1c2d3e4-0000-4000-8000-000000000002', displayName: 'Require compliant device for admins' },
];

function iso7(ms: number): string {
    return new Date(ms).toISOString().replace('Z', '0000+00:00');
}

interface Person {
    readonly id: string;
    readonly upn: string;
    readonly name: string;
}

function record(o: {
    person: Person;
    at: number;
    category: string;
    resultType: string;
    status: Record<string, unknown>;
    steps: unknown[];
    app: string;
    interactive: boolean;
}): Record<string, unknown> {
    const id = guid();
    const correlationId = guid();
    return {
        time: new Date(o.at).toISOString().replace('Z', '0000Z'),
        resourceId: `/tenants/${TENANT_ID}/providers/Microsoft.aadiam`,
        operationName: 'Sign-in activity',
        operationVersion: '1.0',
        category: o.category,
        tenantId: TENANT_ID,
        resultType: o.resultType,
        resultSignature: 'None',
        durationMs: 0,
        callerIpAddress: '198.51.100.23',
        correlationId,
        identity: o.person.name,
        Level: 4,
        location: 'NL',
        properties: {
            id,
            createdDateTime: iso7(o.at),
            userDisplayName: o.person.name,
            userPrincipalName: o.person.upn,
            userId: o.person.id,
            appId: '00000002-0000-0ff1-ce00-000000000000',
            appDisplayName: o.app,
            ipAddress: '198.51.100.23',
            status: o.status,
            clientAppUsed: 'Mobile Apps and Desktop clients',
            userAgent:
                'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0',
            deviceDetail: {
                deviceId: guid(),
                displayName: 'LAPTOP-7Q2N4K',
                operatingSystem: 'Windows10',
                browser: 'Chrome 124.0.0',
                isCompliant: true,
                isManaged: true,
                trustType: 'Azure AD joined',
            },
            location: {
                city: 'Amsterdam',
                state: 'Noord-Holland',
                countryOrRegion: 'NL',
                geoCoordinates: { latitude: 52.37, longitude: 4.89 },
            },
            correlationId,
            conditionalAccessStatus: 'success',
            appliedConditionalAccessPolicies: POLICIES.map((p) => ({
                ...p,
                enforcedGrantControls: ['Mfa'],
                enforcedSessionControls: [],
                result: 'success',
                conditionsSatisfied: 3,
                conditionsNotSatisfied: 0,
            })),
            originalRequestId: id,
            isInteractive: o.interactive,
            authenticationProcessingDetails: [
                { key: 'Legacy TLS (TLS 1.0, 1.1, 3DES)', value: 'False' },
                { key: 'Is CAE Token', value: 'True' },
            ],
            networkLocationDetails: [],
            processingTimeInMilliseconds: 112,
            riskDetail: 'none',
            riskLevelAggregated: 'none',
            riskLevelDuringSignIn: 'none',
            riskState: 'none',
            riskEventTypes: [],
            riskEventTypes_v2: [],
            resourceDisplayName: o.app,
            resourceId: '00000002-0000-0ff1-ce00-000000000000',
            resourceTenantId: TENANT_ID,
            homeTenantId: TENANT_ID,
            tokenIssuerName: '',
            tokenIssuerType: 'AzureAD',
            authenticationDetails: o.steps,
            authenticationRequirementPolicies: [
                { requirementProvider: 'multiConditionalAccess', detail: 'Conditional Access' },
            ],
            authenticationRequirement: 'multiFactorAuthentication',
            servicePrincipalId: '',
            userType: 'Member',
            flaggedForReview: false,
            isTenantRestricted: false,
            autonomousSystemNumber: 1136,
            crossTenantAccessType: 'none',
            privateLinkDetails: {},
            ssoExtensionVersion: '',
        },
    };
}

const claimSteps = (at: number) => [
    {
        authenticationStepDateTime: iso7(at),
        authenticationMethod: 'Previously satisfied',
        succeeded: true,
        authenticationStepResultDetail: 'First factor requirement satisfied by claim in the token',
        authenticationStepRequirement: 'Primary authentication',
    },
    {
        authenticationStepDateTime: iso7(at),
        authenticationMethod: 'Previously satisfied',
        succeeded: true,
        authenticationStepResultDetail: 'MFA requirement satisfied by claim in the token',
        authenticationStepRequirement: 'Multi-factor authentication',
    },
];

const pushSteps = (at: number, succeeded: boolean, detail: string) => [
    {
        authenticationStepDateTime: iso7(at - 4000),
        authenticationMethod: 'Password',
        succeeded: true,
        authenticationStepResultDetail: 'Correct password',
        authenticationStepRequirement: 'Primary authentication',
    },
    {
        authenticationStepDateTime: iso7(at),
        authenticationMethod: 'Mobile app notification',
        authenticationMethodDetail: 'Microsoft Authenticator',
        succeeded,
        authenticationStepResultDetail: detail,
        authenticationStepRequirement: 'Multi-factor authentication',
    },
];

function servicePrincipal(at: number): Record<string, unknown> {
    return {
        time: new Date(at).toISOString(),
        resourceId: `/tenants/${TENANT_ID}/providers/Microsoft.aadiam`,
        operationName: 'Sign-in activity',
        category: 'ServicePrincipalSignInLogs',
        tenantId: TENANT_ID,
        resultType: '0',
        callerIpAddress: '20.190.128.5',
        correlationId: guid(),
        Level: 4,
        properties: {
            id: guid(),
            createdDateTime: iso7(at),
            appId: guid('app'),
            appDisplayName: 'backup-automation',
            ipAddress: '20.190.128.5',
            status: { errorCode: 0 },
            servicePrincipalId: guid('sp'),
            servicePrincipalName: 'backup-automation',
            resourceDisplayName: 'Microsoft Graph',
            resourceId: '00000003-0000-0000-c000-000000000000',
            conditionalAccessStatus: 'notApplied',
            location: { city: 'Dublin', countryOrRegion: 'IE', geoCoordinates: {} },
        },
    };
}

/** Writes `records` records to `file`, one per line, and resolves with its size in bytes. */
export async function writeRealisticStream(
    file: string,
    options: { records: number; users: number; seed?: number },
): Promise<number> {
    const random = rng(options.seed ?? 7);
    const people: Person[] = Array.from({ length: options.users }, (_, i) => {
        const name = `Realistic User ${i}`;
        return { id: guid(`real:${i}`), upn: `realistic.user.${i}@contoso.com`, name };
    });
    const start = Date.parse('2026-11-02T06:00:00Z');
    const out = createWriteStream(file);
    let bytes = 0;
    for (let i = 0; i < options.records; i++) {
        const at = start + Math.floor((i / options.records) * 8 * 3_600_000);
        const person = people[Math.floor(random() * people.length)]!;
        const app = APPS[Math.floor(random() * APPS.length)]!;
        const roll = random();
        let r: Record<string, unknown>;
        if (roll < 0.7) {
            r = record({
                person,
                at,
                category: 'NonInteractiveUserSignInLogs',
                resultType: '0',
                status: { errorCode: 0, additionalDetails: 'MFA requirement satisfied by claim in the token' },
                steps: claimSteps(at),
                app,
                interactive: false,
            });
        } else if (roll < 0.85) {
            r = record({
                person,
                at,
                category: 'SignInLogs',
                resultType: '0',
                status: { errorCode: 0, additionalDetails: 'MFA requirement satisfied by claim in the token' },
                steps: claimSteps(at),
                app,
                interactive: true,
            });
        } else if (roll < 0.9) {
            const fresh = random() < 0.5;
            r = record({
                person,
                at,
                category: 'SignInLogs',
                resultType: '50140',
                status: {
                    errorCode: 50140,
                    failureReason:
                        "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
                },
                steps: fresh ? pushSteps(at, true, 'MFA successfully completed') : claimSteps(at),
                app,
                interactive: true,
            });
        } else if (roll < 0.95) {
            r = servicePrincipal(at);
        } else if (roll < 0.99) {
            r = record({
                person,
                at,
                category: 'SignInLogs',
                resultType: '0',
                status: { errorCode: 0, additionalDetails: 'MFA completed in Azure AD' },
                steps: pushSteps(at, true, 'MFA successfully completed'),
                app,
                interactive: true,
            });
        } else {
            const detail = 'MFA denied; user declined the authentication';
            r = record({
                person,
                at,
                category: 'SignInLogs',
                resultType: '500121',
                status: {
                    errorCode: 500121,
                    failureReason: 'Authentication failed during strong authentication request.',
                    additionalDetails: detail,
                },
                steps: pushSteps(at, false, detail),
                app,
                interactive: true,
            });
        }
        const line = `${JSON.stringify(r)}\n`;
        bytes += Buffer.byteLength(line);
        if (!out.write(line)) await new Promise<void>((res) => out.once('drain', () => res()));
    }
    await new Promise<void>((res) => out.end(() => res()));
    return bytes;
}
