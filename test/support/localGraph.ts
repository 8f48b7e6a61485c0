import { FakeGraph, FakeIdentity, startFakeGraph, startFakeIdentity } from './fakeGraph';

export interface LocalGraph {
    readonly identity: FakeIdentity;
    readonly graph: FakeGraph;
}

/**
 * The local managed-identity endpoint and Graph for a test file: the app's `@azure/identity` credential finds the
 * endpoint through IDENTITY_ENDPOINT and IDENTITY_HEADER, as on App Service. With `group`, the push-block group
 * exists.
 */
export async function startLocalGraph(options: { group?: string } = {}): Promise<LocalGraph> {
    const identity = await startFakeIdentity();
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
