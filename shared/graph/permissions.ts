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
