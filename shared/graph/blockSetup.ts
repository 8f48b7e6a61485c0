import type { Client } from '@microsoft/microsoft-graph-client';

import { callGraph, CallGraphOptions } from './callGraph';
import { assertGuid } from './graphActions';
import { ipRange } from './namedLocations';

/** The untrusted IP named location the responder adds campaign sources to. */
export const BLOCK_LOCATION_NAME = 'MFA responder: blocked campaign sources';
/** The Conditional Access policy that blocks sign-ins from it: report-only until an admin switches it on. */
export const BLOCK_POLICY_NAME = 'MFA responder: block campaign sources';

export interface BlockSetupResult {
    readonly locationId: string;
    readonly locationCreated: boolean;
    readonly policyId: string;
    readonly policyCreated: boolean;
    /** The policy's state as found or created: enabledForReportingButNotEnforced, enabled or disabled. */
    readonly policyState: string;
}

/**
 * The one-time setup of source blocking (`mfa-responder setup --block-sources`, an admin's delegated sign-in with
 * Conditional Access Administrator): an untrusted IP named location that holds a placeholder range until a campaign's
 * source is added, and a policy that blocks every user signing in from it, report-only (the admin reads its report
 * and switches it on), with the break-glass exclusions (NEVER_CONTAIN user ids, NEVER_CONTAIN_GROUP_IDS) excluded, so
 * that an attacker who shares a break-glass account's network can never lock it out. Idempotent: found by name.
 * https://learn.microsoft.com/graph/api/conditionalaccessroot-post-namedlocations,
 * https://learn.microsoft.com/graph/api/conditionalaccessroot-post-policies
 */
export class GraphBlockSetup {
    constructor(
        private readonly client: Client,
        private readonly options: CallGraphOptions,
    ) {}

    async #findByName(collection: 'namedLocations' | 'policies', name: string): Promise<Record<string, unknown>[]> {
        const res = (await callGraph(
            (signal) =>
                this.client
                    .api(`/identity/conditionalAccess/${collection}`)
                    .filter(`displayName eq '${name.replace(/'/g, "''")}'`)
                    .option('signal', signal)
                    .get(),
            this.options,
        )) as { value?: Record<string, unknown>[] };
        return (res.value ?? []).filter((v) => v.displayName === name);
    }

    async ensureBlockPolicy(options: {
        /** Use this named location rather than the one found or created by name. */
        readonly locationId?: string;
        readonly placeholderRange: string;
        readonly excludeUsers: readonly string[];
        readonly excludeGroups: readonly string[];
    }): Promise<BlockSetupResult> {
        let locationId = options.locationId && assertGuid(options.locationId, 'named location id');
        let locationCreated = false;
        if (!locationId) {
            const found = (await this.#findByName('namedLocations', BLOCK_LOCATION_NAME))[0];
            if (found && typeof found.id === 'string') {
                locationId = found.id;
            } else {
                const created = (await callGraph(
                    (signal) =>
                        this.client
                            .api('/identity/conditionalAccess/namedLocations')
                            .option('signal', signal)
                            .post({
                                '@odata.type': '#microsoft.graph.ipNamedLocation',
                                displayName: BLOCK_LOCATION_NAME,
                                isTrusted: false,
                                ipRanges: [ipRange(options.placeholderRange)],
                            }),
                    this.options,
                )) as { id: string };
                locationId = created.id;
                locationCreated = true;
            }
        }
        const existing = (await this.#findByName('policies', BLOCK_POLICY_NAME))[0];
        if (existing && typeof existing.id === 'string') {
            return {
                locationId: locationId.toLowerCase(),
                locationCreated,
                policyId: existing.id,
                policyCreated: false,
                policyState: String(existing.state),
            };
        }
        const policy = (await callGraph(
            (signal) =>
                this.client
                    .api('/identity/conditionalAccess/policies')
                    .option('signal', signal)
                    .post({
                        displayName: BLOCK_POLICY_NAME,
                        state: 'enabledForReportingButNotEnforced',
                        conditions: {
                            clientAppTypes: ['all'],
                            applications: { includeApplications: ['All'] },
                            users: {
                                includeUsers: ['All'],
                                excludeUsers: options.excludeUsers.map((u) => assertGuid(u, 'break-glass user id')),
                                excludeGroups: options.excludeGroups.map((g) => assertGuid(g, 'break-glass group id')),
                            },
                            locations: { includeLocations: [locationId] },
                        },
                        grantControls: { operator: 'OR', builtInControls: ['block'] },
                    }),
            this.options,
        )) as { id: string; state?: string };
        return {
            locationId: locationId.toLowerCase(),
            locationCreated,
            policyId: policy.id,
            policyCreated: true,
            policyState: policy.state ?? 'enabledForReportingButNotEnforced',
        };
    }
}
