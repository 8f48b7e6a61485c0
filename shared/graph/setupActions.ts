import type { Client } from '@microsoft/microsoft-graph-client';

import { ResponderError } from '../errors';
import { callGraph, CallGraphOptions } from './callGraph';
import { assertGuid } from './graphActions';

/**
 * The method policies whose exclusions hold the push-block group: Microsoft Authenticator (push), and optionally SMS
 * and voice, for tenants where attackers bomb by call or text
 * (https://learn.microsoft.com/graph/api/resources/authenticationmethodconfiguration).
 */
export const BLOCKABLE_METHODS = {
    microsoftAuthenticator: '#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration',
    sms: '#microsoft.graph.smsAuthenticationMethodConfiguration',
    voice: '#microsoft.graph.voiceAuthenticationMethodConfiguration',
} as const;
export type BlockableMethod = keyof typeof BLOCKABLE_METHODS;

const policyPath = (method: BlockableMethod) =>
    `/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/${method}`;

export interface ExcludeTarget {
    readonly id: string;
    readonly targetType: 'group' | 'user';
}

/** Group names go into a $filter: keep them to a plain alphabet rather than trust any escaping. */
const GROUP_NAME = /^[A-Za-z0-9 ._()-]{1,120}$/;

export interface SetupResult {
    readonly groupId: string;
    readonly groupCreated: boolean;
    /** The Microsoft Authenticator policy's exclusion (the first method), as before. */
    readonly excluded: 'added' | 'already';
    readonly excludeTargets: readonly ExcludeTarget[];
    /** Every method policy set up, with its exclusion. */
    readonly methods: ReadonlyArray<{ method: BlockableMethod; excluded: 'added' | 'already'; exclusions: number }>;
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

    async #excludeTargets(method: BlockableMethod): Promise<ExcludeTarget[]> {
        const policy = (await this.#call((signal) =>
            this.client.api(policyPath(method)).option('signal', signal).get(),
        )) as { excludeTargets?: ExcludeTarget[] };
        return policy.excludeTargets ?? [];
    }

    async ensurePushBlockGroup(options: {
        groupId?: string;
        groupName: string;
        methods?: readonly BlockableMethod[];
    }): Promise<SetupResult> {
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

        const methods = options.methods ?? ['microsoftAuthenticator'];
        const done: Array<{ method: BlockableMethod; excluded: 'added' | 'already'; exclusions: ExcludeTarget[] }> = [];
        for (const method of methods) done.push({ method, ...(await this.#exclude(method, groupId)) });
        const first = done[0]!;
        return {
            groupId,
            groupCreated,
            excluded: first.excluded,
            excludeTargets: first.exclusions,
            methods: done.map((d) => ({ method: d.method, excluded: d.excluded, exclusions: d.exclusions.length })),
        };
    }

    /** Adds the group to one policy's excludeTargets, keeping every existing entry; verified by reading back. */
    async #exclude(
        method: BlockableMethod,
        groupId: string,
    ): Promise<{ excluded: 'added' | 'already'; exclusions: ExcludeTarget[] }> {
        for (let attempt = 0; attempt < 3; attempt++) {
            const current = await this.#excludeTargets(method);
            if (current.some((t) => t.id.toLowerCase() === groupId)) {
                return { excluded: attempt === 0 ? 'already' : 'added', exclusions: current };
            }
            await this.#call((signal) =>
                this.client
                    .api(policyPath(method))
                    .option('signal', signal)
                    .patch({
                        '@odata.type': BLOCKABLE_METHODS[method],
                        excludeTargets: [...current, { id: groupId, targetType: 'group' }],
                    }),
            );
            // Another admin may have written in between: read back, and go again if our entry or theirs is missing.
            const after = await this.#excludeTargets(method);
            if (
                after.some((t) => t.id.toLowerCase() === groupId) &&
                current.every((c) => after.some((a) => a.id === c.id))
            ) {
                return { excluded: 'added', exclusions: after };
            }
        }
        throw new ResponderError(
            'PolicyChangedConcurrently',
            `the ${method} policy kept changing while it was being updated; run setup again`,
        );
    }
}
