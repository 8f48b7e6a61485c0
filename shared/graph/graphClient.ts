import { AuthenticationHandler, Client, HTTPMessageHandler, TelemetryHandler } from '@microsoft/microsoft-graph-client';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { TokenCredential } from '@azure/identity';

import type { GraphConfig } from '../settings/graph';

/** Hosts the Graph SDK already sends tokens to (src/Constants.ts GRAPH_URLS). */
const BUILT_IN_GRAPH_HOSTS = new Set([
    'graph.microsoft.com',
    'graph.microsoft.us',
    'dod-graph.microsoft.us',
    'graph.microsoft.de',
    'microsoftgraph.chinacloudapi.cn',
    'canary.graph.microsoft.com',
]);

/**
 * A Graph client whose token scope follows the base URL (national clouds). The middleware chain deliberately leaves
 * out the SDK's RetryHandler: it retries only 429/503/504 and can sleep 180 s; shared/graph/callGraph.ts applies one
 * policy to every call instead (429 and 5xx with Retry-After, network errors, per-call timeout, bounded budget).
 */
export function createGraphClient(config: Pick<GraphConfig, 'baseUrl'>, credential: TokenCredential): Client {
    const authProvider = new TokenCredentialAuthenticationProvider(credential, {
        scopes: [`${config.baseUrl}/.default`],
    });
    const auth = new AuthenticationHandler(authProvider);
    const telemetry = new TelemetryHandler();
    auth.setNext(telemetry);
    telemetry.setNext(new HTTPMessageHandler());
    const host = new URL(config.baseUrl).hostname;
    return Client.initWithMiddleware({
        middleware: auth,
        baseUrl: `${config.baseUrl}/`,
        defaultVersion: 'v1.0',
        // The SDK attaches the token only to Graph hosts; any other host (a sovereign proxy, a local test endpoint)
        // must be named here, or requests go out without it.
        ...(BUILT_IN_GRAPH_HOSTS.has(host) ? {} : { customHosts: new Set([host]) }),
    });
}
