/**
 * The step table: every Graph action of a containment, in order, with what makes it idempotent, and the helpers only
 * the steps use (read-backs, the guest rule, what a person must do about a default method).
 */
import { GraphCallError } from '../graph/callGraph';
import type { AccountFacts, Containment, StepName } from './model';
import { CIRCUIT_BREAKER } from './breakerStep';
import { REMOVE_NEW_METHODS, removesNewMethods } from './removeNewMethods';
import { defaultMethodAttention, readBack, StepContext, StepResult, StepSpec, verifyLater, windowText } from './steps';

const GUEST_NOT_REVOKED =
    'guest user: Graph does not revoke sign-in sessions of external users; their home tenant must';

function isGuest(c: Containment): boolean {
    return (c.account?.userType ?? c.userType)?.toLowerCase() === 'guest';
}

const stepDone = (c: Containment, name: StepName) => c.steps.some((s) => s.name === name && s.status === 'done');
const isSynced = (c: Containment) => c.account?.onPremisesSyncEnabled === true;

/** What a person must do about a 403 on a sensitive property (accountEnabled, passwordProfile) of an admin. */
const COVERS_ADMINS =
    'for a user who holds an admin role, the app also needs a directory role that covers theirs: Privileged Authentication Administrator (User Administrator covers only users without an admin role and a few limited ones)';

async function revoke(ctx: StepContext): Promise<StepResult> {
    if (isGuest(ctx.containment)) return { status: 'skipped', detail: GUEST_NOT_REVOKED };
    await ctx.graph.revokeSignInSessions(ctx.incident.userId);
    return {
        status: 'done',
        detail: 'sessions revoked; existing access tokens stay valid until they expire (minutes; CAE-aware apps sooner)',
    };
}

/**
 * The step table: every Graph action of a containment, in order, with what makes it idempotent. Graph permissions
 * per action are in shared/graph/permissions.ts.
 */
export const STEPS: readonly StepSpec[] = [
    {
        name: 'check-exclusions',
        included: () => true,
        wouldDo: (config) =>
            config.neverContainGroupIds.length > 0
                ? `would read the account and check membership of ${config.neverContainGroupIds.length} never-contain group(s)`
                : 'would read the account (UPN, guest or member) and check NEVER_CONTAIN',
        everyRun: true,
        gate: true,
        idempotent: 'reads only',
        run: async ({ incident, config, graph }) => {
            const user = await graph.getUser(incident.userId);
            const account: AccountFacts = {
                ...(user.userPrincipalName ? { userPrincipalName: user.userPrincipalName } : {}),
                ...(user.userType ? { userType: user.userType } : {}),
                ...(user.accountEnabled !== undefined ? { accountEnabled: user.accountEnabled } : {}),
                ...(user.onPremisesSyncEnabled !== undefined
                    ? { onPremisesSyncEnabled: user.onPremisesSyncEnabled }
                    : {}),
            };
            if (config.neverContainGroupIds.length === 0) {
                return {
                    status: 'done',
                    detail: 'account read; no NEVER_CONTAIN_GROUP_IDS configured',
                    facts: { account },
                };
            }
            const member = await graph.memberOf(incident.userId, config.neverContainGroupIds);
            if (member.length > 0) {
                return {
                    status: 'done',
                    detail: `member of never-contain group ${member.join(', ')}`,
                    facts: { account },
                    stop: {
                        status: 'not-contained',
                        reason: `member of NEVER_CONTAIN_GROUP_IDS group ${member.join(', ')}`,
                    },
                };
            }
            return {
                status: 'done',
                detail: `account read; in none of the ${config.neverContainGroupIds.length} never-contain group(s)`,
                facts: { account },
            };
        },
    },
    CIRCUIT_BREAKER,
    {
        name: 'revoke-sessions',
        included: () => true,
        wouldDo: () => 'would revoke sign-in sessions',
        idempotent: 'revoking twice only revokes again',
        run: revoke,
    },
    {
        name: 'block-push',
        included: () => true,
        wouldDo: (config) =>
            config.pushBlockMode === 'group'
                ? `would add the user to group ${config.pushBlockGroupId ?? '(PUSH_BLOCK_GROUP_ID unset)'}`
                : 'would delete the Microsoft Authenticator registrations',
        idempotent: 'Graph answers "already a member" to a second add, 404 to a second delete; both count as done',
        run: async (ctx) => {
            const { incident, config, graph } = ctx;
            if (config.pushBlockMode === 'group') {
                const groupId = config.pushBlockGroupId!;
                const r = await graph.addGroupMember(groupId, incident.userId);
                const verified = await readBack(ctx, () => graph.isMember(incident.userId, groupId));
                if (verified !== true) {
                    const later = verifyLater(ctx, 'block-push', 'the push-block membership');
                    if (later) return later;
                }
                return {
                    status: 'done',
                    detail:
                        (r === 'added'
                            ? `added to push-block group ${groupId}`
                            : `already a member of push-block group ${groupId}`) +
                        (verified === true
                            ? '; membership read back'
                            : `; membership NOT confirmed on read-back within ${windowText(ctx)}`),
                    facts: { pushBlock: { mode: 'group', groupId } },
                    verified: verified === true,
                    ...(verified === true
                        ? {}
                        : {
                              attention: `the push block could not be confirmed within ${windowText(ctx)}: check that the user is in group ${groupId}`,
                          }),
                };
            }
            const r = await graph.deleteAuthenticatorMethods(incident.userId);
            const kept = r.refusedAsDefault.length > 0;
            // A refused default stays listed: reading back for it would only spend the step's time.
            const read = kept
                ? false
                : await readBack(ctx, async () => (await graph.listAuthenticatorMethods(incident.userId)).length === 0);
            if (read !== true && !kept) {
                const later = verifyLater(ctx, 'block-push', 'the deletion of the Authenticator registrations');
                if (later) return later;
            }
            const verified = read === true;
            return {
                status: 'done',
                detail: `deleted ${r.deleted} Microsoft Authenticator registration(s)${verified ? '; none left on read-back' : '; some still listed on read-back'}`,
                facts: { pushBlock: { mode: 'remove-method', deleted: r.deleted } },
                verified,
                ...(kept
                    ? { attention: defaultMethodAttention(r.refusedAsDefault) }
                    : verified
                      ? {}
                      : { attention: 'Microsoft Authenticator registrations are still listed for the user' }),
            };
        },
    },
    REMOVE_NEW_METHODS,
    {
        name: 'reset-password',
        included: (config) => config.resetPassword,
        wouldDo: () => 'would set a random password the user must change at next sign-in',
        idempotent: 'a second reset sets another random password nobody knows',
        run: async ({ incident, containment, graph }) => {
            if (isSynced(containment)) {
                return {
                    status: 'skipped',
                    detail: 'synced from on-premises AD: not reset in the cloud',
                    attention: 'reset the password in on-premises AD — a cloud reset needs password writeback',
                };
            }
            try {
                await graph.resetPassword(incident.userId);
            } catch (e) {
                if (e instanceof GraphCallError && e.status === 403) {
                    return {
                        error: {
                            status: 403,
                            code: e.graphCode,
                            message:
                                'Graph refused the password reset: the app needs User-PasswordProfile.ReadWrite.All and the User Administrator directory role (Privileged Authentication Administrator for users who hold admin roles)',
                        },
                    };
                }
                throw e;
            }
            return { status: 'done', detail: 'password reset to a random value the user must change at next sign-in' };
        },
    },
    {
        name: 'confirm-compromised',
        included: (config) => config.confirmCompromised,
        wouldDo: () => 'would confirm the user compromised',
        idempotent: 'confirming twice leaves the risk at high',
        run: async ({ incident, graph }) => {
            await graph.confirmCompromised(incident.userId);
            return { status: 'done', detail: 'user risk set to high in Identity Protection' };
        },
    },
    {
        name: 'disable-account',
        included: (config) => config.disableAccount,
        wouldDo: () => 'would disable the account',
        idempotent: 'disabling a disabled account changes nothing',
        run: async ({ incident, containment, graph }) => {
            if (isSynced(containment)) {
                return {
                    status: 'skipped',
                    detail: 'synced from on-premises AD: not disabled in the cloud',
                    attention: 'disable in on-premises AD: a cloud disable reverts at the next sync',
                };
            }
            try {
                await graph.disableAccount(incident.userId);
            } catch (e) {
                if (e instanceof GraphCallError && e.status === 403) {
                    return {
                        error: {
                            status: 403,
                            code: e.graphCode,
                            message: `Graph refused to disable the account: the app needs User.EnableDisableAccount.All, and ${COVERS_ADMINS}`,
                        },
                    };
                }
                throw e;
            }
            return { status: 'done', detail: 'account disabled' };
        },
    },
    {
        // A reset does not end sessions born from passkeys or Windows Hello, and a removed method's sessions live on:
        // revoke once more after any of them.
        name: 'revoke-sessions-again',
        included: (config, incident) =>
            config.disableAccount || config.resetPassword || (config.removeNewMethods && removesNewMethods(incident)),
        wouldDo: () => 'would revoke sign-in sessions again',
        applies: (c) =>
            stepDone(c, 'disable-account') || stepDone(c, 'reset-password') || stepDone(c, 'remove-new-methods'),
        idempotent: 'revoking twice only revokes again',
        run: revoke,
    },
];

export const STEP_BY_NAME: ReadonlyMap<StepName, StepSpec> = new Map(STEPS.map((s) => [s.name, s]));
