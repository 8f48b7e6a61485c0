import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

import { ResponderError } from '../errors';
import { callGraph, CallGraphOptions, GraphCallError } from './callGraph';

const guid = z.guid();

/** Refuses to put anything but a GUID into a Graph URL: no path traversal, no query injection, ever. */
export function assertGuid(value: string, what: string): string {
    if (!guid.safeParse(value).success)
        throw new ResponderError('InvalidGraphId', `${what} is not a GUID; refusing to call Graph`);
    return value.toLowerCase();
}

export interface AuthenticatorMethod {
    readonly id: string;
    readonly displayName?: string;
}

/** Graph says "already a member" with 400 and this text (group-post-members). */
const ALREADY_MEMBER = /already exist/i;
/** Graph's refusal to delete a default method while others exist. */
const DEFAULT_METHOD = /default method/i;

/**
 * Exactly the Microsoft Graph calls the responder makes, each behind callGraph's retry policy. Ids are validated
 * GUIDs; nothing from a sign-in record other than the validated user id reaches a URL.
 */
export interface GraphUser {
    readonly id: string;
    readonly userPrincipalName?: string;
    readonly userType?: string;
    readonly accountEnabled?: boolean;
}

export interface GraphActionsOptions extends CallGraphOptions {
    /** Graph's base URL (national clouds), for the `@odata.id` of a member reference. */
    readonly baseUrl: string;
    /** Wall-clock time (ms) no call, retry or wait may go past. */
    readonly deadline?: number;
}

export class GraphActions {
    constructor(
        private readonly client: Client,
        private readonly options: GraphActionsOptions,
    ) {}

    /** The same actions, every call bounded by `deadline` (wall clock, ms): no retry or wait goes past it. */
    static withDeadline(actions: GraphActions, deadline: number): GraphActions {
        return new GraphActions(actions.client, { ...actions.options, deadline });
    }

    #call<T>(request: (signal: AbortSignal) => Promise<T>): Promise<T> {
        const { deadline } = this.options;
        if (deadline === undefined) return callGraph(request, this.options);
        const remaining = Math.max(1, deadline - (this.options.now ?? Date.now)());
        return callGraph(request, {
            ...this.options,
            callTimeoutMs: Math.min(this.options.callTimeoutMs, remaining),
            budgetMs: Math.min(this.options.budgetMs, remaining),
        });
    }

    /** GET /users/{id}: the account's UPN, member or guest, enabled — needs User.Read.All. */
    async getUser(userId: string): Promise<GraphUser> {
        const id = assertGuid(userId, 'user id');
        const res = (await this.#call((signal) =>
            this.client
                .api(`/users/${id}`)
                .select(['id', 'userPrincipalName', 'userType', 'accountEnabled'])
                .option('signal', signal)
                .get(),
        )) as Partial<GraphUser>;
        return {
            id,
            ...(typeof res.userPrincipalName === 'string'
                ? { userPrincipalName: res.userPrincipalName.slice(0, 256) }
                : {}),
            ...(typeof res.userType === 'string' ? { userType: res.userType.slice(0, 32) } : {}),
            ...(typeof res.accountEnabled === 'boolean' ? { accountEnabled: res.accountEnabled } : {}),
        };
    }

    /** POST /users/{id}/checkMemberGroups: which of these groups the user is in, nested membership included. */
    async memberOf(userId: string, groupIds: readonly string[]): Promise<string[]> {
        const id = assertGuid(userId, 'user id');
        const ids = groupIds.map((g) => assertGuid(g, 'group id'));
        if (ids.length === 0) return [];
        const res = (await this.#call((signal) =>
            this.client.api(`/users/${id}/checkMemberGroups`).option('signal', signal).post({ groupIds: ids }),
        )) as { value?: string[] };
        return (res.value ?? []).map((g) => g.toLowerCase());
    }

    /** POST /users/{id}/revokeSignInSessions — needs User.RevokeSessions.All. Any 2xx is success. */
    async revokeSignInSessions(userId: string): Promise<void> {
        const id = assertGuid(userId, 'user id');
        await this.#call((signal) =>
            this.client.api(`/users/${id}/revokeSignInSessions`).option('signal', signal).post({}),
        );
    }

    /**
     * POST /groups/{id}/members/$ref — needs GroupMember.ReadWrite.All. "Already a member" (400) counts as done: a
     * retried POST whose first try succeeded answers exactly that. Returns whether the user was added now.
     */
    async addGroupMember(groupId: string, userId: string): Promise<'added' | 'already-member'> {
        const gid = assertGuid(groupId, 'group id');
        const uid = assertGuid(userId, 'user id');
        try {
            await this.#call((signal) =>
                this.client
                    .api(`/groups/${gid}/members/$ref`)
                    .option('signal', signal)
                    .post({ '@odata.id': `${this.options.baseUrl}/v1.0/directoryObjects/${uid}` }),
            );
            return 'added';
        } catch (e) {
            if (e instanceof GraphCallError && e.status === 400 && ALREADY_MEMBER.test(e.message))
                return 'already-member';
            throw e;
        }
    }

    /** DELETE /groups/{id}/members/{userId}/$ref; "not a member" (404) counts as done. */
    async removeGroupMember(groupId: string, userId: string): Promise<'removed' | 'not-a-member'> {
        const gid = assertGuid(groupId, 'group id');
        const uid = assertGuid(userId, 'user id');
        try {
            await this.#call((signal) =>
                this.client.api(`/groups/${gid}/members/${uid}/$ref`).option('signal', signal).delete(),
            );
            return 'removed';
        } catch (e) {
            if (e instanceof GraphCallError && e.status === 404) return 'not-a-member';
            throw e;
        }
    }

    /** GET /users/{id}/authentication/microsoftAuthenticatorMethods — needs UserAuthenticationMethod.ReadWrite.All. */
    async listAuthenticatorMethods(userId: string): Promise<AuthenticatorMethod[]> {
        const id = assertGuid(userId, 'user id');
        const res = (await this.#call((signal) =>
            this.client.api(`/users/${id}/authentication/microsoftAuthenticatorMethods`).option('signal', signal).get(),
        )) as { value?: AuthenticatorMethod[] };
        return res.value ?? [];
    }

    /**
     * Deletes every Microsoft Authenticator registration of the user. Graph refuses (400) to delete the default method
     * while other methods exist, so the non-default ones go first; if the default one is still refused, the error
     * says so (an admin must change the user's default method, or use group mode).
     */
    async deleteAuthenticatorMethods(userId: string): Promise<{ deleted: number }> {
        const id = assertGuid(userId, 'user id');
        const methods = await this.listAuthenticatorMethods(id);
        const refused: AuthenticatorMethod[] = [];
        let deleted = 0;
        const remove = async (m: AuthenticatorMethod): Promise<boolean> => {
            // Method ids come from Graph, but they still go into a URL: keep them to the documented id alphabet.
            if (!/^[A-Za-z0-9_-]{1,128}$/.test(m.id))
                throw new ResponderError('InvalidGraphId', 'authenticator method id has unexpected characters');
            try {
                await this.#call((signal) =>
                    this.client
                        .api(`/users/${id}/authentication/microsoftAuthenticatorMethods/${m.id}`)
                        .option('signal', signal)
                        .delete(),
                );
                return true;
            } catch (e) {
                if (e instanceof GraphCallError && e.status === 404) return true;
                if (e instanceof GraphCallError && e.status === 400 && DEFAULT_METHOD.test(e.message)) return false;
                throw e;
            }
        };
        for (const m of methods) {
            if (await remove(m)) deleted++;
            else refused.push(m);
        }
        for (const m of refused) {
            if (!(await remove(m))) {
                throw new GraphCallError(
                    "Cannot delete the default Authenticator method while the user has other methods: change the user's default method, or use PUSH_BLOCK_MODE=group",
                    { status: 400, graphCode: 'DefaultMethodCannotBeDeleted' },
                );
            }
            deleted++;
        }
        return { deleted };
    }

    /** POST /identityProtection/riskyUsers/confirmCompromised — needs IdentityRiskyUser.ReadWrite.All and P2. */
    async confirmCompromised(userId: string): Promise<void> {
        const id = assertGuid(userId, 'user id');
        await this.#call((signal) =>
            this.client
                .api('/identityProtection/riskyUsers/confirmCompromised')
                .option('signal', signal)
                .post({ userIds: [id] }),
        );
    }

    /** PATCH /users/{id} {accountEnabled:false} — needs User.EnableDisableAccount.All (+ User.Read.All). */
    async disableAccount(userId: string): Promise<void> {
        const id = assertGuid(userId, 'user id');
        await this.#call((signal) =>
            this.client.api(`/users/${id}`).option('signal', signal).patch({ accountEnabled: false }),
        );
    }
}
