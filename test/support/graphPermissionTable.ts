/**
 * The Microsoft Graph application permissions (app roles) that Graph's documentation accepts for each v1.0 call the
 * responder, its doctor and its setup make: the "Application" row of the Permissions table of each API reference page
 * (https://learn.microsoft.com/graph/api/<page>?view=graph-rest-1.0). The local Graph (fakeGraph.ts) accepts an
 * app-only call only when its token's `roles` claim holds every role of one of the call's alternatives, and fails
 * loudly on a call this table does not know: a new Graph call must come with its row.
 *
 * An alternative with two roles is a combination the page requires together (checkMemberGroups on a user: User.Read.All
 * and GroupMember.Read.All; accountEnabled: User.EnableDisableAccount.All and User.Read.All). Least privileged first.
 */
export interface PermissionRule {
    readonly method: string;
    /** Matched against the decoded path (no query). */
    readonly path: RegExp;
    /** For calls whose permission depends on what they change (PATCH /users/{id}). */
    readonly body?: (body: unknown) => boolean;
    /** Each alternative: roles that must all be in the token. */
    readonly application: ReadonlyArray<readonly string[]>;
    /** The API reference page the row comes from. */
    readonly page: string;
}

const GUID = '[0-9a-fA-F-]{36}';
const USER = `/v1\\.0/users/${GUID}`;
const re = (s: string) => new RegExp(`^${s}$`);
const has = (key: string) => (body: unknown) => typeof body === 'object' && body !== null && key in body;

/** Deleting a method of one type: UserAuthenticationMethod.ReadWrite.All on every page (per-type roles aside). */
const methodDelete = (segment: string, page: string): PermissionRule => ({
    method: 'DELETE',
    path: re(`${USER}/authentication/${segment}/[^/]+`),
    application: [['UserAuthenticationMethod.ReadWrite.All']],
    page,
});

export const APPLICATION_PERMISSIONS: readonly PermissionRule[] = [
    // --- containment (the function app's identity) ---
    {
        // By object id (containment) or by userPrincipalName (the doctor's break-glass check): the same page.
        method: 'GET',
        path: re('/v1\\.0/users/[^/]+'),
        application: [['User.Read.All'], ['User.ReadWrite.All'], ['Directory.Read.All'], ['Directory.ReadWrite.All']],
        page: 'user-get',
    },
    {
        method: 'POST',
        path: re(`${USER}/checkMemberGroups`),
        application: [
            ['User.Read.All', 'GroupMember.Read.All'],
            ['User.Read.All', 'Group.Read.All'],
            ['Directory.Read.All'],
            ['Directory.ReadWrite.All'],
        ],
        page: 'directoryobject-checkmembergroups',
    },
    {
        method: 'POST',
        path: re(`${USER}/revokeSignInSessions`),
        application: [['User.RevokeSessions.All']],
        page: 'user-revokesigninsessions',
    },
    {
        method: 'POST',
        path: re(`/v1\\.0/groups/${GUID}/members/\\$ref`),
        application: [['GroupMember.ReadWrite.All'], ['Group.ReadWrite.All'], ['Directory.ReadWrite.All']],
        page: 'group-post-members',
    },
    {
        method: 'DELETE',
        path: re(`/v1\\.0/groups/${GUID}/members/${GUID}/\\$ref`),
        application: [['GroupMember.ReadWrite.All'], ['Group.ReadWrite.All'], ['Directory.ReadWrite.All']],
        page: 'group-delete-members',
    },
    {
        method: 'GET',
        path: re(`${USER}/authentication/microsoftAuthenticatorMethods`),
        application: [['UserAuthenticationMethod.Read.All'], ['UserAuthenticationMethod.ReadWrite.All']],
        page: 'microsoftauthenticatorauthenticationmethod-list',
    },
    {
        method: 'GET',
        path: re(`${USER}/authentication/methods`),
        application: [['UserAuthenticationMethod.Read.All'], ['UserAuthenticationMethod.ReadWrite.All']],
        page: 'authentication-list-methods',
    },
    methodDelete('microsoftAuthenticatorMethods', 'microsoftauthenticatorauthenticationmethod-delete'),
    methodDelete('fido2Methods', 'fido2authenticationmethod-delete'),
    methodDelete('softwareOathMethods', 'softwareoathauthenticationmethod-delete'),
    methodDelete('phoneMethods', 'phoneauthenticationmethod-delete'),
    methodDelete('emailMethods', 'emailauthenticationmethod-delete'),
    methodDelete('temporaryAccessPassMethods', 'temporaryaccesspassauthenticationmethod-delete'),
    methodDelete('windowsHelloForBusinessMethods', 'windowshelloforbusinessauthenticationmethod-delete'),
    {
        method: 'POST',
        path: re('/v1\\.0/identityProtection/riskyUsers/confirmCompromised'),
        application: [['IdentityRiskyUser.ReadWrite.All']],
        page: 'riskyuser-confirmcompromised',
    },
    {
        method: 'PATCH',
        path: re(USER),
        body: has('passwordProfile'),
        application: [['User-PasswordProfile.ReadWrite.All'], ['User.ReadWrite.All'], ['Directory.ReadWrite.All']],
        page: 'user-update (passwordProfile)',
    },
    {
        method: 'PATCH',
        path: re(USER),
        body: has('accountEnabled'),
        application: [
            ['User.EnableDisableAccount.All', 'User.Read.All'],
            ['User.ReadWrite.All'],
            ['Directory.ReadWrite.All'],
        ],
        page: 'user-update (accountEnabled)',
    },
    // --- blocking campaign sources (BLOCK_CAMPAIGN_SOURCES=true) ---
    {
        method: 'GET',
        path: re(`/v1\\.0/identity/conditionalAccess/namedLocations/${GUID}`),
        application: [['Policy.Read.All']],
        page: 'namedlocation-get',
    },
    {
        method: 'PATCH',
        path: re(`/v1\\.0/identity/conditionalAccess/namedLocations/${GUID}`),
        application: [['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess']],
        page: 'ipnamedlocation-update',
    },
    // --- doctor, drill and setup (normally a person's delegated sign-in; these rows apply when an app calls) ---
    {
        method: 'GET',
        path: re('/v1\\.0/identity/conditionalAccess/namedLocations'),
        application: [['Policy.Read.All']],
        page: 'conditionalaccessroot-list-namedlocations',
    },
    {
        method: 'POST',
        path: re('/v1\\.0/identity/conditionalAccess/namedLocations'),
        application: [['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess']],
        page: 'conditionalaccessroot-post-namedlocations',
    },
    {
        method: 'POST',
        path: re('/v1\\.0/identity/conditionalAccess/policies'),
        application: [['Policy.Read.All', 'Policy.ReadWrite.ConditionalAccess', 'Application.Read.All']],
        page: 'conditionalaccessroot-post-policies',
    },
    {
        method: 'GET',
        path: /^\/v1\.0\/servicePrincipals\(appId='[^']+'\)$/,
        application: [['Application.Read.All'], ['Application.ReadWrite.All'], ['Directory.Read.All']],
        page: 'serviceprincipal-get',
    },
    {
        method: 'GET',
        path: re(`/v1\\.0/servicePrincipals/${GUID}/appRoleAssignments`),
        application: [['Application.Read.All'], ['Application.ReadWrite.All'], ['Directory.Read.All']],
        page: 'serviceprincipal-list-approleassignments',
    },
    {
        method: 'GET',
        path: re('/v1\\.0/roleManagement/directory/roleAssignments'),
        application: [['RoleManagement.Read.Directory'], ['RoleManagement.Read.All'], ['Directory.Read.All']],
        page: 'rbacapplication-list-roleassignments',
    },
    {
        method: 'GET',
        path: /^\/(v1\.0|beta)\/policies\/authenticationMethodsPolicy$/,
        application: [['Policy.Read.All'], ['Policy.ReadWrite.AuthenticationMethod']],
        page: 'authenticationmethodspolicy-get',
    },
    {
        method: 'GET',
        path: re('/v1\\.0/identity/conditionalAccess/policies'),
        application: [['Policy.Read.All'], ['Policy.ReadWrite.ConditionalAccess']],
        page: 'conditionalaccessroot-list-policies',
    },
    {
        method: 'GET',
        path: re('/v1\\.0/users'),
        application: [['User.Read.All'], ['User.ReadWrite.All'], ['Directory.Read.All']],
        page: 'user-list',
    },
    {
        method: 'GET',
        path: re('/v1\\.0/groups'),
        application: [['GroupMember.Read.All'], ['Group.Read.All'], ['Directory.Read.All']],
        page: 'group-list',
    },
    {
        method: 'GET',
        path: re(`/v1\\.0/groups/${GUID}`),
        application: [['GroupMember.Read.All'], ['Group.Read.All'], ['Directory.Read.All']],
        page: 'group-get',
    },
    {
        method: 'POST',
        path: re('/v1\\.0/groups'),
        application: [['Group.Create'], ['Group.ReadWrite.All'], ['Directory.ReadWrite.All']],
        page: 'group-post-groups',
    },
    {
        method: 'GET',
        path: /^\/v1\.0\/policies\/authenticationMethodsPolicy\/authenticationMethodConfigurations\/[A-Za-z]+$/,
        application: [['Policy.Read.All'], ['Policy.ReadWrite.AuthenticationMethod']],
        page: 'authenticationmethodconfiguration-get',
    },
    {
        method: 'PATCH',
        path: /^\/v1\.0\/policies\/authenticationMethodsPolicy\/authenticationMethodConfigurations\/[A-Za-z]+$/,
        application: [['Policy.ReadWrite.AuthenticationMethod']],
        page: 'authenticationmethodconfiguration-update',
    },
];

/** The rule for a call, or undefined when the table does not know it. */
export function permissionRuleFor(method: string, path: string, body: unknown): PermissionRule | undefined {
    return APPLICATION_PERMISSIONS.find((r) => r.method === method && r.path.test(path) && (!r.body || r.body(body)));
}

/** The alternative these roles satisfy (the least privileged first), or undefined: the call is refused. */
export function satisfiedBy(rule: PermissionRule, roles: ReadonlySet<string>): readonly string[] | undefined {
    return rule.application.find((alternative) => alternative.every((r) => roles.has(r)));
}
