import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

import { randomInt } from 'node:crypto';

import { ResponderError } from '../errors';
import { singleLine } from '../singleLine';
import { callGraph, CallGraphOptions, GraphCallError } from './callGraph';
import { retryAllowance } from './retryPolicy';

const guid = z.guid();

/** Refuses to put anything but a GUID into a Graph URL: no path traversal, no query injection, ever. */
export function assertGuid(value: string, what: string): string {
    if (!guid.safeParse(value).success)
        throw new ResponderError('InvalidGraphId', `${what} is not a GUID; refusing to call Graph`);
    return value.toLowerCase();
}

/** What a deletion did: how many are gone, and the default method Graph would not delete while others exist. */
export interface DeletedMethods {
    readonly deleted: number;
    readonly refusedAsDefault: readonly AuthMethod[];
}

export interface AuthenticatorMethod {
    readonly id: string;
    readonly displayName?: string;
}

/** Graph says "already a member" with 400 and this text (group-post-members). */
const ALREADY_MEMBER = /already exist/i;
/**
 * Graph's refusal (400 badRequest) to delete a default method while others exist, in both wordings seen: "Cannot
 * delete default method with other methods configured…" and "…matches the user's current default authentication
 * method…" (microsoftgraph/microsoft-graph-docs-contrib issues 2913 and 1888).
 */
const DEFAULT_METHOD = /default (authentication )?method/i;

/**
 * Exactly the Microsoft Graph calls the responder makes, each behind callGraph's retry policy. Ids are validated
 * GUIDs; nothing from a sign-in record other than the validated user id reaches a URL.
 */
export interface GraphUser {
    readonly id: string;
    readonly userPrincipalName?: string;
    readonly userType?: string;
    readonly accountEnabled?: boolean;
    /** true: synced from on-premises AD now (a cloud disable or password reset does not stick). */
    readonly onPremisesSyncEnabled?: boolean;
}

/** One authentication method of a user, as the list endpoint describes it. */
export interface AuthMethod {
    readonly id: string;
    /** Graph's resource name, e.g. `microsoftAuthenticator` (from `@odata.type`), `unknown` for a type we do not know. */
    readonly type: string;
    /** Where its DELETE goes (`/users/{id}/authentication/{segment}/{id}`); absent when it cannot be deleted. */
    readonly segment?: string;
    /** `createdDateTime` (or `creationDateTime`, as one list example spells it), ms; absent when Graph does not say. */
    readonly createdAt?: number;
    readonly displayName?: string;
}

/**
 * Method types by `@odata.type`, with the typed path their DELETE needs (`/authentication/methods/{id}` does not
 * delete). Source: the Graph v1.0 authentication methods overview and each type's delete page
 * (https://learn.microsoft.com/graph/api/resources/authenticationmethods-overview).
 */
const METHOD_TYPES: Readonly<Record<string, { type: string; segment?: string }>> = {
    '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod': {
        type: 'microsoftAuthenticator',
        segment: 'microsoftAuthenticatorMethods',
    },
    '#microsoft.graph.fido2AuthenticationMethod': { type: 'fido2', segment: 'fido2Methods' },
    '#microsoft.graph.softwareOathAuthenticationMethod': { type: 'softwareOath', segment: 'softwareOathMethods' },
    '#microsoft.graph.phoneAuthenticationMethod': { type: 'phone', segment: 'phoneMethods' },
    '#microsoft.graph.emailAuthenticationMethod': { type: 'email', segment: 'emailMethods' },
    '#microsoft.graph.temporaryAccessPassAuthenticationMethod': {
        type: 'temporaryAccessPass',
        segment: 'temporaryAccessPassMethods',
    },
    '#microsoft.graph.windowsHelloForBusinessAuthenticationMethod': {
        type: 'windowsHelloForBusiness',
        segment: 'windowsHelloForBusinessMethods',
    },
    '#microsoft.graph.platformCredentialAuthenticationMethod': {
        type: 'platformCredential',
        segment: 'platformCredentialMethods',
    },
    '#microsoft.graph.passwordAuthenticationMethod': { type: 'password' },
};

/** Method ids come from Graph, but they still go into a URL: keep them to the documented id alphabet. */
const METHOD_ID = /^[A-Za-z0-9_-]{1,128}$/;

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

    /**
     * The same actions for one step of one run: every call bounded by `deadline` (wall clock, ms; no retry or wait goes
     * past it), and all of them sharing one allowance of retries (retryPolicy.ts MAX_RETRIES_PER_STEP).
     */
    static withDeadline(actions: GraphActions, deadline: number): GraphActions {
        return new GraphActions(actions.client, { ...actions.options, deadline, allowance: retryAllowance() });
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
                .select(['id', 'userPrincipalName', 'userType', 'accountEnabled', 'onPremisesSyncEnabled'])
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
            ...(typeof res.onPremisesSyncEnabled === 'boolean'
                ? { onPremisesSyncEnabled: res.onPremisesSyncEnabled }
                : {}),
        };
    }

    /** Whether the user is (directly or not) in the group: checkMemberGroups, to verify a push block took. */
    async isMember(userId: string, groupId: string): Promise<boolean> {
        const groups = await this.memberOf(userId, [groupId]);
        return groups.includes(groupId.toLowerCase());
    }

    /**
     * GET /users/{id}/authentication/methods — every method of the user; needs UserAuthenticationMethod.ReadWrite.All.
     * One response: the API takes no query parameters and is not documented to page (no `@odata.nextLink`;
     * https://learn.microsoft.com/graph/api/authentication-list-methods).
     */
    async listMethods(userId: string): Promise<AuthMethod[]> {
        const id = assertGuid(userId, 'user id');
        const res = (await this.#call((signal) =>
            this.client.api(`/users/${id}/authentication/methods`).option('signal', signal).get(),
        )) as { value?: Array<Record<string, unknown>> };
        return (res.value ?? []).flatMap((m): AuthMethod[] => {
            if (typeof m.id !== 'string') return [];
            const known = METHOD_TYPES[String(m['@odata.type'])];
            const created = m.createdDateTime ?? m.creationDateTime;
            const createdAt = typeof created === 'string' ? Date.parse(created) : NaN;
            return [
                {
                    id: m.id,
                    type: known?.type ?? 'unknown',
                    ...(known?.segment ? { segment: known.segment } : {}),
                    ...(Number.isFinite(createdAt) ? { createdAt } : {}),
                    // A device name is whatever its owner (perhaps the attacker) typed: one line, bounded.
                    ...(typeof m.displayName === 'string' ? { displayName: singleLine(m.displayName, 128) } : {}),
                },
            ];
        });
    }

    /**
     * Deletes these methods, each through its own type's path. Graph refuses (400) to delete the default method while
     * others exist, so a refused one is tried again after the rest; what is still refused then is returned for a
     * person (change the user's default method first), not retried: retrying cannot change the answer.
     */
    async deleteMethods(userId: string, methods: readonly AuthMethod[]): Promise<DeletedMethods> {
        const id = assertGuid(userId, 'user id');
        const remove = async (m: AuthMethod): Promise<boolean> => {
            if (!m.segment || !METHOD_ID.test(m.id))
                throw new ResponderError('InvalidGraphId', `method ${m.type} cannot be deleted through Graph`);
            try {
                await this.#call((signal) =>
                    this.client
                        .api(`/users/${id}/authentication/${m.segment}/${m.id}`)
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
        const refused: AuthMethod[] = [];
        let deleted = 0;
        for (const m of methods) {
            if (await remove(m)) deleted++;
            else refused.push(m);
        }
        const defaults: AuthMethod[] = [];
        for (const m of refused) {
            if (await remove(m)) deleted++;
            else defaults.push(m);
        }
        return { deleted, refusedAsDefault: defaults };
    }

    /**
     * PATCH /users/{id} with a new random password the user must change at next sign-in — needs
     * User-PasswordProfile.ReadWrite.All and a directory role that covers the user (User Administrator; Privileged
     * Authentication Administrator for admins). The password is made here and goes nowhere but this request.
     */
    async resetPassword(userId: string): Promise<void> {
        const id = assertGuid(userId, 'user id');
        const passwordProfile = { password: randomPassword(), forceChangePasswordNextSignIn: true };
        try {
            await this.#call((signal) =>
                this.client.api(`/users/${id}`).option('signal', signal).patch({ passwordProfile }),
            );
        } catch (e) {
            // Whatever the service echoed, the password it was sent goes no further than this request.
            if (e instanceof GraphCallError && e.message.includes(passwordProfile.password)) {
                throw new GraphCallError(e.message.split(passwordProfile.password).join('[redacted]'), {
                    ...(e.status !== undefined ? { status: e.status } : {}),
                    graphCode: e.graphCode,
                    ...(e.retryAt !== undefined ? { retryAt: e.retryAt } : {}),
                });
            }
            throw e;
        }
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
        )) as { value?: Array<Record<string, unknown>> };
        return (res.value ?? []).flatMap((m): AuthenticatorMethod[] =>
            typeof m.id === 'string'
                ? [
                      {
                          id: m.id,
                          ...(typeof m.displayName === 'string' ? { displayName: singleLine(m.displayName, 128) } : {}),
                      },
                  ]
                : [],
        );
    }

    /**
     * Deletes every Microsoft Authenticator registration of the user (PUSH_BLOCK_MODE=remove-method), the default one
     * last (see deleteMethods).
     */
    async deleteAuthenticatorMethods(userId: string): Promise<DeletedMethods> {
        const methods = await this.listAuthenticatorMethods(userId);
        return this.deleteMethods(
            userId,
            methods.map((m) => ({
                id: m.id,
                type: 'microsoftAuthenticator',
                segment: 'microsoftAuthenticatorMethods',
                ...(m.displayName !== undefined ? { displayName: m.displayName } : {}),
            })),
        );
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

const LOWER = 'abcdefghijkmnopqrstuvwxyz';
const UPPER = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const DIGITS = '23456789';
const SYMBOLS = '!@#$%^&*-_+=?';

/**
 * 24 characters from a CSPRNG with every class Entra asks for (lowercase, uppercase, digits, symbols; three are
 * required, https://learn.microsoft.com/entra/identity/authentication/concept-sspr-policy), shuffled.
 */
export function randomPassword(length = 24): string {
    const all = LOWER + UPPER + DIGITS + SYMBOLS;
    const pick = (set: string) => set.charAt(randomInt(set.length));
    const chars = [pick(LOWER), pick(UPPER), pick(DIGITS), pick(SYMBOLS)];
    while (chars.length < length) chars.push(pick(all));
    for (let i = chars.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [chars[i], chars[j]] = [chars[j]!, chars[i]!];
    }
    return chars.join('');
}
