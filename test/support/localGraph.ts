import type { RoleNeeds } from '../../shared/graph/permissions';
import { FakeGraph, FakeIdentity, startFakeGraph, startFakeIdentity } from './fakeGraph';
import { grantedRoles, grantedRolesFor } from './grantedRoles';

export interface LocalGraph {
    readonly identity: FakeIdentity;
    readonly graph: FakeGraph;
}

/**
 * The local managed-identity endpoint and Graph for a test file: the app's `@azure/identity` credential finds the
 * endpoint through IDENTITY_ENDPOINT and IDENTITY_HEADER, as on App Service. With `group`, the push-block group
 * exists. The identity's tokens carry exactly the app roles infra/scripts/grant-graph-permissions.sh grants for
 * `grant` (default: `--mode live`, the default live deployment), and the local Graph refuses any call those roles do
 * not allow: a test whose settings need another role grants it the way an admin would, with the script's flags
 * (`identity.addClient(grantedRolesFor([...]).roles)`).
 */
export async function startLocalGraph(
    options: { group?: string; grant?: readonly string[] } = {},
): Promise<LocalGraph> {
    const identity = await startFakeIdentity();
    identity.roles = grantedRolesFor(options.grant ?? ['--mode', 'live']).roles;
    const graph = await startFakeGraph(identity);
    process.env.IDENTITY_ENDPOINT = identity.endpoint;
    process.env.IDENTITY_HEADER = identity.secret;
    if (options.group) graph.addGroup(options.group, 'SG-MFA-Push-Blocked');
    return { identity, graph };
}

export async function stopLocalGraph(local: LocalGraph | undefined): Promise<void> {
    await local?.graph.close();
    await local?.identity.close();
}

const clientsByGrant = new WeakMap<FakeIdentity, Map<string, string>>();
const setting = (env: Record<string, string | undefined>, name: string, fallback: string) =>
    (env[name]?.trim() || fallback).toLowerCase();

/**
 * The client id to run the app with these settings as: an identity whose tokens carry exactly what the grant script
 * grants for them (the flags `mfa-responder doctor` prints for the same settings), as an admin would have run it.
 */
export function appClientFor(identity: FakeIdentity, env: Record<string, string | undefined>): string {
    const needs: RoleNeeds = {
        mode: setting(env, 'CONTAINMENT_MODE', 'dry-run') === 'live' ? 'live' : 'dry-run',
        pushBlockMode: setting(env, 'PUSH_BLOCK_MODE', 'group') === 'remove-method' ? 'remove-method' : 'group',
        removeNewMethods: setting(env, 'REMOVE_NEW_METHODS', 'true') === 'true',
        resetPassword: setting(env, 'RESET_PASSWORD', 'false') === 'true',
        confirmCompromised: setting(env, 'CONFIRM_COMPROMISED', 'false') === 'true',
        disableAccount: setting(env, 'DISABLE_ACCOUNT', 'false') === 'true',
    };
    const roles = grantedRoles(needs).roles;
    if ([...roles].sort().join() === [...identity.roles].sort().join()) return identity.clientId;
    const byGrant = clientsByGrant.get(identity) ?? new Map<string, string>();
    clientsByGrant.set(identity, byGrant);
    const key = [...roles].sort().join();
    let client = byGrant.get(key);
    if (!client) {
        client = identity.addClient(roles);
        byGrant.set(key, client);
    }
    return client;
}
