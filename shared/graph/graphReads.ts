import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';

import { callGraph, CallGraphOptions } from './callGraph';
import { isUserPrincipalName } from '../settings/breakGlass';
import { ResponderError } from '../errors';
import { assertGuid } from './graphActions';

/** Microsoft Graph's own application (its service principal holds the app roles). */
export const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';

/** Pages followed at most when listing (a bound for a hostile or broken nextLink chain). */
const MAX_PAGES = 50;

const servicePrincipal = z.object({ id: z.guid(), displayName: z.string().nullish() });
const graphServicePrincipal = z.object({
    id: z.guid(),
    appRoles: z.array(z.object({ id: z.guid(), value: z.string().nullish() })).default([]),
});
const page = <T extends z.ZodType>(item: T) =>
    z.object({ value: z.array(item).default([]), '@odata.nextLink': z.string().nullish() });
const appRoleAssignment = z.object({ id: z.string(), appRoleId: z.guid(), resourceId: z.guid() });
const directoryRoleAssignment = z.object({ roleDefinitionId: z.string(), directoryScopeId: z.string().nullish() });
const target = z.object({ id: z.string(), targetType: z.string().nullish() });
const methodsPolicy = z.object({ policyMigrationState: z.string().nullish() });
const authenticatorConfig = z.object({
    state: z.string().nullish(),
    includeTargets: z.array(target).nullish(),
    excludeTargets: z.array(target).nullish(),
});
const betaMethodsPolicy = z.object({
    reportSuspiciousActivitySettings: z.object({ state: z.string().nullish() }).nullish(),
});
const group = z.object({
    id: z.guid(),
    displayName: z.string().nullish(),
    securityEnabled: z.boolean().nullish(),
    isAssignableToRole: z.boolean().nullish(),
    groupTypes: z.array(z.string()).nullish(),
});
const conditionalAccessPolicy = z.object({
    id: z.string(),
    displayName: z.string().nullish(),
    state: z.string().nullish(),
    conditions: z
        .object({
            applications: z.object({ includeUserActions: z.array(z.string()).nullish() }).nullish(),
            locations: z.object({ includeLocations: z.array(z.string()).nullish() }).nullish(),
        })
        .nullish(),
    grantControls: z.object({ builtInControls: z.array(z.string()).nullish() }).nullish(),
});
const user = z.object({ id: z.guid(), userPrincipalName: z.string().nullish() });
const userAccount = user.extend({ accountEnabled: z.boolean().nullish() });

export type UserAccount = z.infer<typeof userAccount>;
export type AuthenticatorConfig = z.infer<typeof authenticatorConfig>;
export type GroupInfo = z.infer<typeof group>;
export type ConditionalAccessPolicy = z.infer<typeof conditionalAccessPolicy>;

const guidLike = /^[0-9a-f-]{36}$/i;

/** A UPN goes into a $filter: keep it to the characters a UPN may hold rather than trust any escaping. */
const UPN = /^[A-Za-z0-9._%+'#!$&*=?^`{|}~-]{1,113}@[A-Za-z0-9.-]{1,140}$/;

/**
 * The read-only Graph calls of `mfa-responder doctor` and `drill`, made with the operator's sign-in (delegated): who
 * holds which app roles, the Authentication methods policy, the push-block group, Conditional Access. The function
 * app never makes them, so its identity needs none of their permissions. Every answer is validated (zod).
 */
export class GraphReads {
    constructor(
        private readonly client: Client,
        private readonly options: CallGraphOptions,
    ) {}

    async #get<T>(path: string, schema: z.ZodType<T>, version: 'v1.0' | 'beta' = 'v1.0'): Promise<T> {
        const body: unknown = await callGraph(
            (signal) => this.client.api(path).version(version).option('signal', signal).get() as Promise<unknown>,
            this.options,
        );
        return schema.parse(body);
    }

    async #list<T>(path: string, item: z.ZodType<T>): Promise<T[]> {
        const all: T[] = [];
        let next: string | undefined = path;
        for (let n = 0; next && n < MAX_PAGES; n++) {
            const res: { value: T[]; '@odata.nextLink'?: string | null | undefined } = await this.#get(
                next,
                page(item),
            );
            all.push(...res.value);
            next = res['@odata.nextLink'] ?? undefined;
        }
        return all;
    }

    /** GET /servicePrincipals(appId='…'): the service principal (object id = principal id) of an app or identity. */
    servicePrincipalOf(appId: string): Promise<z.infer<typeof servicePrincipal>> {
        return this.#get(`/servicePrincipals(appId='${assertGuid(appId, 'client id')}')`, servicePrincipal);
    }

    /** Graph's own service principal with its app roles (id → permission name). */
    graphServicePrincipal(): Promise<z.infer<typeof graphServicePrincipal>> {
        return this.#get(`/servicePrincipals(appId='${GRAPH_APP_ID}')?$select=id,appRoles`, graphServicePrincipal);
    }

    /** GET /servicePrincipals/{id}/appRoleAssignments: the app roles granted to this principal, every page. */
    appRoleAssignments(principalId: string): Promise<Array<z.infer<typeof appRoleAssignment>>> {
        return this.#list(
            `/servicePrincipals/${assertGuid(principalId, 'principal id')}/appRoleAssignments`,
            appRoleAssignment,
        );
    }

    /** GET /roleManagement/directory/roleAssignments for one principal: its directory roles (template ids). */
    directoryRoleAssignments(principalId: string): Promise<Array<z.infer<typeof directoryRoleAssignment>>> {
        const id = assertGuid(principalId, 'principal id');
        return this.#list(
            `/roleManagement/directory/roleAssignments?$filter=principalId eq '${id}'`,
            directoryRoleAssignment,
        );
    }

    /** GET /policies/authenticationMethodsPolicy: its policyMigrationState. */
    methodsPolicy(): Promise<z.infer<typeof methodsPolicy>> {
        return this.#get('/policies/authenticationMethodsPolicy', methodsPolicy);
    }

    authenticatorConfig(): Promise<AuthenticatorConfig> {
        return this.#get(
            '/policies/authenticationMethodsPolicy/authenticationMethodConfigurations/microsoftAuthenticator',
            authenticatorConfig,
        );
    }

    /** Report suspicious activity lives in the beta policy only (reportSuspiciousActivitySettings). */
    reportSuspiciousActivity(): Promise<z.infer<typeof betaMethodsPolicy>> {
        return this.#get('/policies/authenticationMethodsPolicy', betaMethodsPolicy, 'beta');
    }

    /** GET /groups/{id}: the properties that decide whether the responder can manage its members. */
    group(groupId: string): Promise<GroupInfo> {
        return this.#get(
            `/groups/${assertGuid(groupId, 'group id')}?$select=id,displayName,securityEnabled,isAssignableToRole,groupTypes`,
            group,
        );
    }

    /**
     * GET /users/{id | userPrincipalName}?$select=id,userPrincipalName,accountEnabled (User.Read.All): the account a
     * NEVER_CONTAIN entry names. Only a GUID or a UPN as Entra allows it goes into the path, percent-encoded (a guest's
     * `#EXT#` would otherwise end the path); anything else is refused before any call.
     */
    user(idOrUpn: string): Promise<UserAccount> {
        const key = guidLike.test(idOrUpn)
            ? assertGuid(idOrUpn, 'user id')
            : isUserPrincipalName(idOrUpn)
              ? encodeURIComponent(idOrUpn)
              : undefined;
        if (key === undefined)
            throw new ResponderError('InvalidGraphId', 'user is neither a GUID nor a UPN; refusing to call Graph');
        return this.#get(`/users/${key}?$select=id,userPrincipalName,accountEnabled`, userAccount);
    }

    conditionalAccessPolicies(): Promise<ConditionalAccessPolicy[]> {
        return this.#list('/identity/conditionalAccess/policies', conditionalAccessPolicy);
    }

    /** The object id of the user with this UPN, or undefined when nobody has it. */
    async userIdByUpn(upn: string): Promise<string | undefined> {
        if (!UPN.test(upn)) return undefined;
        const found = await this.#list(
            `/users?$filter=userPrincipalName eq '${encodeURIComponent(upn.replace(/'/g, "''"))}'&$select=id,userPrincipalName`,
            user,
        );
        return found.length === 1 ? found[0]!.id.toLowerCase() : undefined;
    }
}
