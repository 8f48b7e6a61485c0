/**
 * A local stand-in for the one Azure Resource Manager read the doctor makes: the tenant's Entra diagnostic settings,
 * GET /providers/microsoft.aadiam/diagnosticSettings?api-version=2017-04-01. The list's shape follows the REST spec's
 * example (Azure/azure-rest-api-specs, specification/azureactivedirectory/resource-manager/Microsoft.Aadiam/stable/
 * 2017-04-01/examples/listDiagnosticSettings.json). As the real service does, it answers 403 AuthorizationFailed to
 * service principals and managed identities whatever their roles (Azure/azure-rest-api-specs#11085), with the body
 * hashicorp/terraform-provider-azurerm#12986 shows; `refuseUsers` refuses people too (a sign-in without the role).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:https';

import { closer, FakeIdentity, listen, track } from './fakeGraph';

export interface FakeDiagnosticSetting {
    name: string;
    /** Send rule of the namespace (namespace-level) the setting uses. */
    namespace: string;
    /** Absent: Azure Monitor sends each category to its own insights-logs-<category> hub. */
    eventHubName?: string;
    categories: string[];
}

export interface FakeArm {
    /** https://localhost:<port>, for --arm-endpoint. */
    readonly endpoint: string;
    readonly settings: FakeDiagnosticSetting[];
    refuseUsers: boolean;
    readonly requests: Array<{ path: string; status: number }>;
    close(): Promise<void>;
}

const SUBSCRIPTION = '3f2504e0-4f89-41d3-9a0c-0305e82c3301';

function claimsOf(token: string): { idtyp?: string; oid?: string; appid?: string } {
    try {
        return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as { idtyp?: string };
    } catch {
        return {};
    }
}

export async function startFakeArm(tls: { key: string; cert: string }, identity: FakeIdentity): Promise<FakeArm> {
    const state = { refuseUsers: false };
    const settings: FakeDiagnosticSetting[] = [];
    const requests: FakeArm['requests'] = [];
    let endpoint = '';
    const send = (res: import('node:http').ServerResponse, status: number, body: unknown) => {
        res.writeHead(status, {
            'content-type': 'application/json; charset=utf-8',
            'x-ms-request-id': randomUUID(),
            ...(status === 403 ? { 'x-ms-failure-cause': 'gateway' } : {}),
        });
        res.end(JSON.stringify(body));
        return status;
    };
    const server = createServer(tls, (req, res) => {
        const url = new URL(req.url ?? '/', 'https://localhost');
        const record = (status: number) => requests.push({ path: `${url.pathname}${url.search}`, status });
        const token = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? '';
        if (identity.issued.get(token) !== endpoint) {
            return record(
                send(res, 401, {
                    error: { code: 'InvalidAuthenticationToken', message: 'The access token is invalid.' },
                }),
            );
        }
        if (url.pathname.toLowerCase() !== '/providers/microsoft.aadiam/diagnosticsettings' || req.method !== 'GET') {
            return record(
                send(res, 404, {
                    error: { code: 'InvalidResourceType', message: `The resource type could not be found.` },
                }),
            );
        }
        if (!url.searchParams.get('api-version')) {
            return record(
                send(res, 400, {
                    error: {
                        code: 'MissingApiVersionParameter',
                        message: 'The api-version query parameter (?api-version=) is required for all requests.',
                    },
                }),
            );
        }
        const claims = claimsOf(token);
        if (claims.idtyp === 'app' || state.refuseUsers) {
            const who = claims.oid ?? claims.appid ?? randomUUID();
            return record(
                send(res, 403, {
                    error: {
                        code: 'AuthorizationFailed',
                        message: `The client '${who}' with object id '${who}' does not have authorization to perform action 'microsoft.aadiam/diagnosticSettings/read' over scope '/providers/microsoft.aadiam' or the scope is invalid. If access was recently granted, please refresh your credentials.`,
                    },
                }),
            );
        }
        return record(
            send(res, 200, {
                value: settings.map((s) => ({
                    id: `providers/Microsoft.Aadiam/diagnosticSettings/${s.name}`,
                    name: s.name,
                    type: null,
                    location: null,
                    kind: null,
                    tags: null,
                    properties: {
                        storageAccountId: null,
                        serviceBusRuleId: null,
                        workspaceId: null,
                        eventHubAuthorizationRuleId: `/subscriptions/${SUBSCRIPTION}/resourceGroups/rg-mfa/providers/Microsoft.EventHub/namespaces/${s.namespace}/authorizationrules/entra-diagnostics-send`,
                        eventHubName: s.eventHubName ?? null,
                        metrics: null,
                        logs: ['AuditLogs', 'SignInLogs', 'NonInteractiveUserSignInLogs'].map((category) => ({
                            category,
                            enabled: s.categories.includes(category),
                            retentionPolicy: { enabled: false, days: 0 },
                        })),
                    },
                    identity: null,
                })),
            }),
        );
    });
    const sockets = track(server);
    const port = await listen(server);
    endpoint = `https://localhost:${port}`;
    return {
        endpoint,
        settings,
        requests,
        get refuseUsers() {
            return state.refuseUsers;
        },
        set refuseUsers(v: boolean) {
            state.refuseUsers = v;
        },
        close: closer(server, sockets),
    };
}
