/**
 * The Microsoft Graph application permissions (app roles) of the responder's managed identity, by GraphActions
 * method, least privileged first. infra/graph/graph-permissions.bicep and infra/scripts/grant-graph-permissions.sh grant
 * exactly these; a test checks that every GraphActions method is listed and every role is granted by both.
 * Sources: the Graph v1.0 API reference page of each call (https://learn.microsoft.com/graph/api/overview), section
 * "Permissions".
 */
export const GRAPH_APP_ROLES = {
    getUser: {
        roles: ['User.Read.All'],
        why: 'read the account before acting (UPN, guest or member, synced from on-premises, enabled)',
    },
    isMember: {
        roles: ['User.Read.All', 'GroupMember.Read.All'],
        why: 'verify that the user is in the push-block group after adding them',
    },
    listMethods: {
        roles: ['UserAuthenticationMethod.ReadWrite.All'],
        why: 'REMOVE_NEW_METHODS=true (default): find the methods created since the attack began',
    },
    deleteMethods: {
        roles: ['UserAuthenticationMethod.ReadWrite.All'],
        why: 'REMOVE_NEW_METHODS=true (default) or PUSH_BLOCK_MODE=remove-method: delete methods, each by its type',
    },
    resetPassword: {
        roles: ['User-PasswordProfile.ReadWrite.All'],
        why: 'RESET_PASSWORD=true only; also needs the User Administrator directory role (Privileged Authentication Administrator for users who hold admin roles)',
    },
    memberOf: {
        roles: ['User.Read.All', 'GroupMember.Read.All'],
        why: 'checkMemberGroups for NEVER_CONTAIN_GROUP_IDS',
    },
    revokeSignInSessions: { roles: ['User.RevokeSessions.All'], why: "revoke the attacked user's sessions" },
    addGroupMember: {
        roles: ['GroupMember.ReadWrite.All'],
        why: 'add the user to the push-block group (PUSH_BLOCK_MODE=group)',
    },
    removeGroupMember: {
        roles: ['GroupMember.ReadWrite.All'],
        why: 'release: remove the user from the push-block group',
    },
    listAuthenticatorMethods: {
        roles: ['UserAuthenticationMethod.ReadWrite.All'],
        why: 'PUSH_BLOCK_MODE=remove-method only',
    },
    deleteAuthenticatorMethods: {
        roles: ['UserAuthenticationMethod.ReadWrite.All'],
        why: 'PUSH_BLOCK_MODE=remove-method only',
    },
    confirmCompromised: {
        roles: ['IdentityRiskyUser.ReadWrite.All'],
        why: 'CONFIRM_COMPROMISED=true only (Entra ID P2)',
    },
    disableAccount: { roles: ['User.EnableDisableAccount.All'], why: 'DISABLE_ACCOUNT=true only' },
} as const;

/** Every role of the map, once. */
export const ALL_GRAPH_APP_ROLES: readonly string[] = [
    ...new Set(Object.values(GRAPH_APP_ROLES).flatMap((p) => p.roles)),
];

/** What decides which roles a deployment needs: the containment mode and settings. */
export interface RoleNeeds {
    /** dry-run makes no Graph call at all (the whole containment is decided without I/O): it needs no role. */
    readonly mode: 'dry-run' | 'live';
    readonly pushBlockMode: 'group' | 'remove-method';
    readonly removeNewMethods: boolean;
    readonly resetPassword: boolean;
    readonly confirmCompromised: boolean;
    readonly disableAccount: boolean;
}

/**
 * The roles these settings need, each with why: exactly what infra/scripts/grant-graph-permissions.sh and
 * infra/graph/graph-permissions.bicep grant for the same choices (test/infra/grantScript.test.ts holds the three
 * together). None in dry-run. In live mode the base holds in either push-block mode: a release removes a user from
 * the push-block group even after a switch to remove-method.
 */
export function requiredGraphRoles(needs: RoleNeeds): Map<string, string> {
    const roles = new Map<string, string>();
    if (needs.mode !== 'live') return roles;
    roles.set('User.Read.All', GRAPH_APP_ROLES.getUser.why);
    roles.set('GroupMember.Read.All', GRAPH_APP_ROLES.memberOf.why);
    roles.set('User.RevokeSessions.All', GRAPH_APP_ROLES.revokeSignInSessions.why);
    roles.set('GroupMember.ReadWrite.All', GRAPH_APP_ROLES.addGroupMember.why);
    if (needs.pushBlockMode === 'remove-method' || needs.removeNewMethods) {
        roles.set(
            'UserAuthenticationMethod.ReadWrite.All',
            needs.pushBlockMode === 'remove-method'
                ? GRAPH_APP_ROLES.deleteAuthenticatorMethods.why
                : GRAPH_APP_ROLES.deleteMethods.why,
        );
    }
    if (needs.resetPassword) roles.set('User-PasswordProfile.ReadWrite.All', GRAPH_APP_ROLES.resetPassword.why);
    if (needs.confirmCompromised) roles.set('IdentityRiskyUser.ReadWrite.All', GRAPH_APP_ROLES.confirmCompromised.why);
    if (needs.disableAccount) roles.set('User.EnableDisableAccount.All', GRAPH_APP_ROLES.disableAccount.why);
    return roles;
}

/** The grant script's arguments for these settings, so that a fix can be typed as printed. */
export function grantScriptFlags(needs: RoleNeeds): string[] {
    if (needs.mode !== 'live') return ['--mode', 'dry-run'];
    return [
        '--mode',
        'live',
        ...(needs.pushBlockMode === 'remove-method' ? ['--remove-method'] : []),
        ...(needs.pushBlockMode !== 'remove-method' && !needs.removeNewMethods ? ['--no-remove-new-methods'] : []),
        ...(needs.resetPassword ? ['--reset-password'] : []),
        ...(needs.confirmCompromised ? ['--confirm-compromised'] : []),
        ...(needs.disableAccount ? ['--disable-account'] : []),
    ];
}

/** Directory roles an app-only password reset needs (template ids, the same in every tenant). */
export const PASSWORD_RESET_DIRECTORY_ROLES = {
    'fe930be7-5e62-47db-91af-98c3a49a38b1': 'User Administrator',
    '7be44c8a-adaf-4e2a-84d6-ab2649e08a13': 'Privileged Authentication Administrator',
} as const;
