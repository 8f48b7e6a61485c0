import type { Client } from '@microsoft/microsoft-graph-client';

import { ResponderError } from '../errors';
import { callGraph, CallGraphOptions } from './callGraph';
import { assertGuid } from './graphActions';

const POLICY = '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/microsoftAuthenticator';
const ODATA_TYPE = '#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration';

export interface ExcludeTarget {
    readonly id: string;
    readonly targetType: 'group' | 'user';
}

/** Group names go into a $filter: keep them to a plain alphabet rather than trust any escaping. */
const GROUP_NAME = /^[A-Za-z0-9 ._()-]{1,120}$/;

export interface SetupResult {
    readonly groupId: string;
    readonly groupCreated: boolean;
    readonly excluded: 'added' | 'already';
    readonly excludeTargets: readonly ExcludeTarget[];
}

/**
 * The one-time tenant setup an admin runs (delegated, with their own login): the push-block group and its exclusion
 * from the Microsoft Authenticator policy. PATCH replaces the whole excludeTargets collection, so the exclusion is a
 * read-modify-write that keeps every existing entry, verified by reading back.
 */
export class GraphSetupActions {
    constructor(
        private readonly client: Client,
        private readonly options: CallGraphOptions,
    ) {}

    #call<T>(request: (signal: AbortSignal) => Promise<T>): Promise<T> {
        return callGraph(request, this.options);
    }

    async #findGroup(name: string): Promise<string | undefined> {
        const res = (await this.#call((signal) =>
            this.client
                .api('/groups')
                .filter(`displayName eq '${name.replace(/'/g, "''")}'`)
                .select(['id', 'displayName'])
                .option('signal', signal)
                .get(),
        )) as { value?: Array<{ id: string }> };
        const found = res.value ?? [];
        if (found.length > 1)
            throw new ResponderError('AmbiguousGroup', `${found.length} groups are named "${name}"; pass --group-id`);
        return found[0]?.id;
    }

    async #excludeTargets(): Promise<ExcludeTarget[]> {
        const policy = (await this.#call((signal) => this.client.api(POLICY).option('signal', signal).get())) as {
            excludeTargets?: ExcludeTarget[];
        };
        return policy.excludeTargets ?? [];
    }

    async ensurePushBlockGroup(options: { groupId?: string; groupName: string }): Promise<SetupResult> {
        let groupId: string;
        let groupCreated = false;
        if (options.groupId) {
            groupId = assertGuid(options.groupId, 'group id');
            await this.#call((signal) =>
                this.client.api(`/groups/${groupId}`).select(['id']).option('signal', signal).get(),
            );
        } else {
            if (!GROUP_NAME.test(options.groupName))
                throw new ResponderError(
                    'InvalidGroupName',
                    'group names may use letters, digits, spaces and ._()- (at most 120)',
                );
            const existing = await this.#findGroup(options.groupName);
            if (existing) {
                groupId = existing;
            } else {
                const created = (await this.#call((signal) =>
                    this.client
                        .api('/groups')
                        .option('signal', signal)
                        .post({
                            displayName: options.groupName,
                            description:
                                'Users whose Microsoft Authenticator push is blocked by MFA Fatigue Responder. Excluded from the Authenticator policy.',
                            mailEnabled: false,
                            mailNickname:
                                options.groupName.replace(/[^A-Za-z0-9]/g, '').slice(0, 60) || 'mfapushblocked',
                            securityEnabled: true,
                        }),
                )) as { id: string };
                groupId = created.id;
                groupCreated = true;
            }
        }
        groupId = groupId.toLowerCase();

        for (let attempt = 0; attempt < 3; attempt++) {
            const current = await this.#excludeTargets();
            if (current.some((t) => t.id.toLowerCase() === groupId)) {
                return {
                    groupId,
                    groupCreated,
                    excluded: attempt === 0 ? 'already' : 'added',
                    excludeTargets: current,
                };
            }
            await this.#call((signal) =>
                this.client
                    .api(POLICY)
                    .option('signal', signal)
                    .patch({
                        '@odata.type': ODATA_TYPE,
                        excludeTargets: [...current, { id: groupId, targetType: 'group' }],
                    }),
            );
            // Another admin may have written in between: read back, and go again if our entry or theirs is missing.
            const after = await this.#excludeTargets();
            if (
                after.some((t) => t.id.toLowerCase() === groupId) &&
                current.every((c) => after.some((a) => a.id === c.id))
            ) {
                return { groupId, groupCreated, excluded: 'added', excludeTargets: after };
            }
        }
        throw new ResponderError(
            'PolicyChangedConcurrently',
            'the Authenticator policy kept changing while it was being updated; run setup again',
        );
    }
}
