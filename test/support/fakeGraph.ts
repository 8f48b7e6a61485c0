/**
 * A local stand-in for exactly the Microsoft Graph v1.0 calls the responder makes, over HTTPS with a certificate made
 * at test time, plus an App Service-style managed identity endpoint that issues the tokens it checks. Status codes and
 * bodies follow the Graph v1.0 API reference (https://learn.microsoft.com/graph/api/overview): 204 for member
 * references, 400 "already exist" for a duplicate member, 400 for deleting a default method, 403
 * Authorization_RequestDenied, 429 with Retry-After. Every call is recorded; faults are injected on demand.
 * Least privilege is enforced, not assumed: an app-only call is accepted only when its token's `roles` claim holds an
 * application permission that Graph's documentation lists for that call (graphPermissionTable.ts), else it is refused
 * with 403 as Graph refuses it. A person's delegated token is not checked (Graph then decides by the person's directory
 * roles, which the tests' operator is taken to hold).
 */
import { randomUUID } from 'node:crypto';
import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo, Socket } from 'node:net';

import type { AccessToken, TokenCredential } from '@azure/identity';
import { Agent, fetch as undiciFetch, setGlobalDispatcher } from 'undici';

import { FakeCaPolicy, FakeNamedLocation, namedLocationRoute } from './fakeNamedLocations';
import { permissionRuleFor, satisfiedBy } from './graphPermissionTable';
import { localhostCertificate } from './localTls';

export interface GraphCall {
    readonly method: string;
    readonly path: string;
    readonly body?: unknown;
    readonly status: number;
    readonly at: number;
}

export interface Fault {
    readonly method?: string;
    readonly path: RegExp;
    /** Only requests whose JSON body contains this text (a member reference names the user only there). */
    readonly bodyIncludes?: string;
    /**
     * HTTP status to answer, or 'reset' to drop the connection, or 'hang' to never answer. Without it (and with
     * `delayMs`) the request is answered normally, as Graph would, only late.
     */
    readonly status?: number | 'reset' | 'hang';
    /** Hold the request this long (ms) before answering it: a slow Graph. What the call changes lands at the answer. */
    readonly delayMs?: number;
    readonly code?: string;
    readonly message?: string;
    readonly retryAfter?: string;
    /** The error message repeats the request's body, as some services do (a password reset's new password included). */
    readonly echoBody?: boolean;
    /** How many matching requests fail; then the fault is spent. */
    times: number;
}

/** An authentication method other than Microsoft Authenticator, as the list endpoint shows it. */
export interface FakeMethod {
    id: string;
    /** Graph's type name: fido2, softwareOath, phone, email, temporaryAccessPass, windowsHelloForBusiness, ... */
    type: string;
    /** Absent for the types whose v1.0 resource has none (phone, email, software OATH). */
    createdDateTime?: string;
    displayName?: string;
    isDefault?: boolean;
}

export interface FakeUser {
    userPrincipalName: string;
    userType: 'Member' | 'Guest';
    accountEnabled: boolean;
    /** Synced from on-premises AD: returned only on $select, as Graph does. */
    onPremisesSyncEnabled: boolean | null;
    /** Holds a directory role: a password reset by an app with only User Administrator answers 403. */
    isAdmin: boolean;
    /** Group ids, nested membership already flattened. */
    memberOf: Set<string>;
    authenticatorMethods: Array<{ id: string; displayName: string; isDefault: boolean; createdDateTime?: string }>;
    /** Other registered methods by count only (the default-method rule counts them). */
    otherMethods: number;
    /** Other registered methods in full (listed by GET /authentication/methods, deletable by type). */
    methods: FakeMethod[];
    sessionsRevoked: number;
    /** Passwords set through PATCH /users/{id} passwordProfile (a test checks where else they appear). */
    passwordsSet: string[];
}

export interface FakeGroup {
    displayName: string;
    members: Set<string>;
    securityEnabled: boolean;
    isAssignableToRole: boolean;
    /** ['DynamicMembership'] for a dynamic group; [] for assigned membership. */
    groupTypes: string[];
}

/**
 * Microsoft Graph's own app roles (application permissions) by name. The ids of the six the responder uses are the
 * well-known ones (learn.microsoft.com/graph/permissions-reference); the rest are stand-ins, stable within a run.
 */
export const GRAPH_ROLE_IDS: Readonly<Record<string, string>> = {
    'User.Read.All': 'df021288-bdef-4463-88db-98f22de89214',
    'GroupMember.Read.All': '98830695-27a2-44f7-8c18-0c3ebc9698f6',
    'GroupMember.ReadWrite.All': 'dbaae8cf-10b5-4b86-a4a1-f871c94c6695',
    'User.RevokeSessions.All': '77f3a031-c388-4f99-b373-dc68676a979e',
    'UserAuthenticationMethod.ReadWrite.All': '50483e42-d915-4231-9639-7fdb7fd190e5',
    'User.EnableDisableAccount.All': '3011c876-62b7-4ada-afa2-506cbbecc68c',
    'User-PasswordProfile.ReadWrite.All': randomUUID(),
    'IdentityRiskyUser.ReadWrite.All': randomUUID(),
    'Directory.ReadWrite.All': randomUUID(),
    'Policy.Read.All': randomUUID(),
    'Policy.ReadWrite.ConditionalAccess': randomUUID(),
    'Application.Read.All': randomUUID(),
};
const GRAPH_APP_ID = '00000003-0000-0000-c000-000000000000';
/** Directory roles (template ids) that may change sensitive properties of users who hold admin roles. */
export const PRIVILEGED_AUTHENTICATION_ADMINISTRATOR = '7be44c8a-adaf-4e2a-84d6-ab2649e08a13';
const COVERS_ADMINS = new Set([PRIVILEGED_AUTHENTICATION_ADMINISTRATOR, '62e90394-69f5-4237-9190-012177145e10']);

export interface AuthenticatorPolicy {
    id: string;
    state: 'enabled' | 'disabled';
    excludeTargets: Array<{ id: string; targetType: 'group' | 'user' }>;
    featureSettings: Record<string, unknown>;
}

export interface FakeGraph {
    /** https://localhost:<port> */
    readonly baseUrl: string;
    /** The certificate it serves (trusted by this test file's fetch), for other local HTTPS stand-ins. */
    readonly tls: { readonly key: string; readonly cert: string };
    readonly calls: GraphCall[];
    readonly users: Map<string, FakeUser>;
    /** Group id → display name, members and the properties the doctor reads. */
    readonly groups: Map<string, FakeGroup>;
    readonly riskyConfirmed: string[];
    /** Users whose group membership reads back as absent (a replication lag that never ends). */
    readonly membershipHidden: Set<string>;
    /**
     * How long a change takes to be read back, ms (0: at once): a member added, or a method deleted, is seen by the
     * writes at once (a second add answers "already a member", a second delete 404) but by reads (checkMemberGroups,
     * the method lists) only this long after, as Entra's replicas catch up (eventual consistency,
     * https://devblogs.microsoft.com/identity/designing-for-eventual-consistency-for-microsoft-entra/).
     */
    replicationLagMs: number;
    /** The Microsoft Authenticator policy (also `policies.get('microsoftAuthenticator')`). */
    policy: AuthenticatorPolicy;
    /** Method policies by name: microsoftAuthenticator, sms, voice. */
    readonly policies: Map<string, AuthenticatorPolicy>;
    readonly faults: Fault[];
    fail(fault: Omit<Fault, 'times'> & { times?: number }): void;
    /**
     * Resolves when a request matching `method` and `path` (and whose body mentions `bodyIncludes`) has arrived, now or
     * later: with a delayed answer, the call is then in flight.
     */
    received(method: string, path: RegExp, bodyIncludes?: string): Promise<void>;
    addUser(id: string, init?: Partial<FakeUser>): FakeUser;
    addGroup(id: string, displayName: string, props?: Partial<Omit<FakeGroup, 'displayName' | 'members'>>): void;
    /** Service principals by appId (client id): the app's managed identity, and Graph's own with its app roles. */
    readonly servicePrincipals: Map<string, { id: string; displayName: string }>;
    /** App roles on Microsoft Graph granted to a principal (object id), as role names with their assignment ids. */
    readonly appRoleAssignments: Map<string, Array<{ id: string; role: string }>>;
    /** Directory role template ids held, by principal id. */
    readonly directoryRoles: Map<string, string[]>;
    /** Authentication methods policy: preMigration, migrationInProgress or migrationComplete. */
    policyMigrationState: string;
    /** reportSuspiciousActivitySettings.state (beta): default, enabled or disabled. */
    reportSuspiciousActivity: string;
    readonly conditionalAccessPolicies: FakeCaPolicy[];
    /** IP named locations by id (fakeNamedLocations.ts): what BLOCK_CAMPAIGN_SOURCES adds ranges to. */
    readonly namedLocations: Map<string, FakeNamedLocation>;
    /** Items per page of a collection (Graph pages with @odata.nextLink). */
    pageSize: number;
    /** Calls that change something in the directory. */
    writes(): GraphCall[];
    /** Requests being handled right now, and the most there ever were at once (how concurrent the client is). */
    readonly inFlight: number;
    maxInFlight: number;
    /** App-only calls refused because the token held no role the docs list for them (with the page that lists them). */
    readonly refusedForRoles: Array<{ method: string; path: string; roles: string[]; page: string }>;
    /** App roles that an app-only token presented to this Graph held, across all calls. */
    readonly rolesGranted: Set<string>;
    /** App roles that let an accepted app-only call through (of each call, the least privileged alternative held). */
    readonly rolesUsed: Set<string>;
    /** The same, for the tokens of one client id (one identity) only. */
    readonly rolesByClient: Map<string, { granted: Set<string>; used: Set<string> }>;
    /** Roles granted but needed by no call made so far (of one client id, or of all): more than the calls used. */
    unusedRoles(clientId?: string): string[];
    close(): Promise<void>;
}

export interface FakeIdentity {
    /** Set as IDENTITY_ENDPOINT. */
    readonly endpoint: string;
    /** Set as IDENTITY_HEADER. */
    readonly secret: string;
    readonly clientId: string;
    /** Token → resource it was issued for. */
    readonly issued: Map<string, string>;
    /** App roles the `roles` claim of its Graph tokens carries (what is in effect for the identity). */
    roles: string[];
    /**
     * A person's delegated token for `resource` (claims `idtyp: user` and `scp`, no roles), as `az login` would give:
     * the local services accept it like any token this endpoint issued.
     */
    userToken(resource: string): string;
    requests: number;
    /** The next `hang` token requests are never answered (an identity endpoint in a brownout). */
    hang: number;
    /**
     * Another user-assigned identity of the same app, with a token cache of its own (tokens are cached per process
     * and client id): its first token request reaches this endpoint whatever other tests did before. With `roles`,
     * its tokens carry those app roles instead of `roles` above.
     */
    addClient(roles?: readonly string[]): string;
    /**
     * A client id for which this endpoint issues a person's delegated tokens (as `userToken`): a command run with it
     * acts as an operator signed in with `az login`, not as the app.
     */
    addOperator(): string;
    close(): Promise<void>;
}

function graphError(
    res: ServerResponse,
    status: number,
    code: string,
    message: string,
    headers: Record<string, string> = {},
): void {
    const body = JSON.stringify({
        error: {
            code,
            message,
            innerError: {
                date: new Date().toISOString(),
                'request-id': randomUUID(),
                'client-request-id': randomUUID(),
            },
        },
    });
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(body);
}

function readBody(req: IncomingMessage): Promise<unknown> {
    return new Promise((resolve) => {
        let text = '';
        req.on('data', (d: Buffer) => (text += d.toString()));
        req.on('end', () => {
            try {
                resolve(text ? JSON.parse(text) : undefined);
            } catch {
                resolve(text);
            }
        });
    });
}

export function listen(server: Server): Promise<number> {
    return new Promise((resolve) =>
        server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)),
    );
}

export function closer(server: Server, sockets: Set<Socket>): () => Promise<void> {
    return () =>
        new Promise((resolve) => {
            for (const s of sockets) s.destroy();
            server.close(() => resolve());
        });
}

export function track(server: Server): Set<Socket> {
    const sockets = new Set<Socket>();
    server.on('connection', (s: Socket) => {
        sockets.add(s);
        s.on('close', () => sockets.delete(s));
    });
    return sockets;
}

/** A person's delegated token for this audience (claims `idtyp: user` and `scp`, no roles), as `az login` gives. */
function delegatedToken(audience: string): string {
    const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    return `${part({ typ: 'JWT', alg: 'none' })}.${part({
        aud: audience,
        idtyp: 'user',
        scp: 'Directory.AccessAsUser.All',
        upn: 'soc.engineer@contoso.com',
        jti: randomUUID(),
    })}.fake`;
}

/** The client and app roles of an app-only token, or undefined for a person's delegated token. */
function appRolesOf(token: string): { client: string; roles: string[] } | undefined {
    try {
        const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8')) as {
            idtyp?: string;
            appid?: string;
            roles?: string[];
        };
        return claims.idtyp === 'app' ? { client: claims.appid ?? '', roles: claims.roles ?? [] } : undefined;
    } catch {
        return undefined;
    }
}

/** The App Service managed identity protocol (api-version 2019-08-01) as MSAL and @azure/identity speak it. */
export async function startFakeIdentity(clientId = randomUUID()): Promise<FakeIdentity> {
    const secret = randomUUID();
    const issued = new Map<string, string>();
    const state = { requests: 0, hang: 0, roles: [] as string[] };
    const clients = new Set<string>([clientId]);
    /** Clients with roles of their own, and clients that stand for a person (delegated tokens). */
    const clientRoles = new Map<string, readonly string[]>();
    const operators = new Set<string>();
    const server = createHttpServer((req, res) => {
        state.requests++;
        if (state.hang > 0) {
            state.hang--;
            return;
        }
        const url = new URL(req.url ?? '/', 'http://127.0.0.1');
        const resource = url.searchParams.get('resource') ?? '';
        if (req.headers['x-identity-header'] !== secret) {
            res.writeHead(401, { 'content-type': 'application/json' });
            return res.end(
                JSON.stringify({ error: 'invalid_request', error_description: 'missing or wrong X-IDENTITY-HEADER' }),
            );
        }
        const client = url.searchParams.get('client_id') ?? '';
        if (!clients.has(client)) {
            res.writeHead(400, { 'content-type': 'application/json' });
            return res.end(JSON.stringify({ error: 'invalid_request', error_description: 'unknown client_id' }));
        }
        const audience = resource.replace(/\/\.default$/, '').replace(/\/$/, '');
        // Shaped like Entra's app-only tokens (header.payload.signature, base64url): the payload's `roles` claim lists
        // the app roles in effect. Not signed: the local services look the token up instead.
        const part = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
        const token = operators.has(client)
            ? delegatedToken(audience)
            : `${part({ typ: 'JWT', alg: 'none' })}.${part({
                  aud: audience,
                  appid: client,
                  idtyp: 'app',
                  roles: [...(clientRoles.get(client) ?? state.roles)],
                  jti: randomUUID(),
              })}.fake`;
        issued.set(token, audience);
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(
            JSON.stringify({
                access_token: token,
                expires_on: String(Math.floor(Date.now() / 1000) + 3600),
                resource,
                token_type: 'Bearer',
                client_id: client,
            }),
        );
    });
    const sockets = track(server);
    const port = await listen(server);
    return {
        endpoint: `http://127.0.0.1:${port}/msi/token`,
        secret,
        clientId,
        issued,
        get requests() {
            return state.requests;
        },
        set requests(v: number) {
            state.requests = v;
        },
        get roles() {
            return state.roles;
        },
        userToken: (resource: string) => {
            const audience = resource.replace(/\/\.default$/, '').replace(/\/$/, '');
            const token = delegatedToken(audience);
            issued.set(token, audience);
            return token;
        },
        set roles(v: string[]) {
            state.roles = v;
        },
        addClient: (roles?: readonly string[]) => {
            const id = randomUUID();
            clients.add(id);
            if (roles) clientRoles.set(id, [...roles]);
            return id;
        },
        addOperator: () => {
            const id = randomUUID();
            clients.add(id);
            operators.add(id);
            return id;
        },
        get hang() {
            return state.hang;
        },
        set hang(v: number) {
            state.hang = v;
        },
        close: closer(server, sockets),
    };
}

/** A person's `az login` as a credential: delegated tokens from the local identity endpoint (FakeIdentity.userToken). */
export function operatorCredential(identity: FakeIdentity): TokenCredential {
    return {
        getToken: async (scopes): Promise<AccessToken> => ({
            token: identity.userToken([scopes].flat()[0]!),
            expiresOnTimestamp: Date.now() + 3_600_000,
        }),
    };
}

const GUID = '[0-9a-fA-F-]{36}';

/** Starts the fake Graph, trusted by this process's fetch for the rest of the test file. */
export async function startFakeGraph(identity: FakeIdentity): Promise<FakeGraph> {
    const pems = await localhostCertificate();
    // fetch (undici) keeps its own trust store, and Jest's sandbox cannot reach the dispatcher of Node's built-in
    // fetch: use undici's own fetch, trusting this certificate, for the rest of this test file only.
    setGlobalDispatcher(new Agent({ connect: { ca: pems.cert } }));
    globalThis.fetch = undiciFetch;

    const calls: GraphCall[] = [];
    const users = new Map<string, FakeUser>();
    const groups = new Map<string, FakeGroup>();
    const newGroup = (displayName: string, props: Partial<FakeGroup> = {}): FakeGroup => ({
        displayName,
        members: new Set(),
        securityEnabled: true,
        isAssignableToRole: false,
        groupTypes: [],
        ...props,
    });
    const riskyConfirmed: string[] = [];
    const faults: Fault[] = [];
    interface Arrival {
        readonly method: string;
        readonly path: string;
        readonly body: string;
    }
    type Waiter = { method: string; path: RegExp; bodyIncludes?: string; seen: () => void };
    const matches = (w: Omit<Waiter, 'seen'>, a: Arrival) =>
        w.method === a.method &&
        w.path.test(a.path) &&
        (w.bodyIncludes === undefined || a.body.includes(w.bodyIncludes));
    const waiters: Waiter[] = [];
    const arrived: Arrival[] = [];
    const fake: Omit<FakeGraph, 'baseUrl' | 'close' | 'tls' | 'inFlight' | 'maxInFlight'> & {
        policy: AuthenticatorPolicy;
    } = {
        calls,
        users,
        groups,
        riskyConfirmed,
        membershipHidden: new Set<string>(),
        replicationLagMs: 0,
        faults,
        policy: { id: 'MicrosoftAuthenticator', state: 'enabled', excludeTargets: [], featureSettings: {} },
        policies: new Map([
            ['sms', { id: 'Sms', state: 'enabled', excludeTargets: [], featureSettings: {} }],
            ['voice', { id: 'Voice', state: 'disabled', excludeTargets: [], featureSettings: {} }],
        ]),
        fail: (f) => faults.push({ ...f, times: f.times ?? 1 }),
        received: (method, path, bodyIncludes) =>
            new Promise<void>((resolve) => {
                const w = { method, path, ...(bodyIncludes !== undefined ? { bodyIncludes } : {}) };
                if (arrived.some((a) => matches(w, a))) return resolve();
                waiters.push({ ...w, seen: resolve });
            }),
        addUser: (id, init = {}) => {
            const u: FakeUser = {
                userPrincipalName: `${id.slice(0, 8)}@contoso.com`,
                userType: 'Member',
                accountEnabled: true,
                onPremisesSyncEnabled: null,
                isAdmin: false,
                memberOf: new Set(),
                authenticatorMethods: [
                    {
                        id: randomUUID(),
                        displayName: 'iPhone 15',
                        isDefault: false,
                        createdDateTime: '2025-01-01T00:00:00Z',
                    },
                ],
                otherMethods: 0,
                methods: [],
                sessionsRevoked: 0,
                passwordsSet: [],
                ...init,
            };
            users.set(id.toLowerCase(), u);
            return u;
        },
        addGroup: (id, displayName, props = {}) => groups.set(id.toLowerCase(), newGroup(displayName, props)),
        servicePrincipals: new Map([[GRAPH_APP_ID, { id: randomUUID(), displayName: 'Microsoft Graph' }]]),
        appRoleAssignments: new Map(),
        directoryRoles: new Map(),
        policyMigrationState: 'migrationComplete',
        reportSuspiciousActivity: 'enabled',
        conditionalAccessPolicies: [],
        namedLocations: new Map(),
        pageSize: 100,
        writes: () =>
            calls.filter((c) => c.method !== 'GET' && !c.path.endsWith('/checkMemberGroups') && c.status < 300),
        refusedForRoles: [],
        rolesGranted: new Set<string>(),
        rolesUsed: new Set<string>(),
        rolesByClient: new Map(),
        unusedRoles: (clientId) => {
            const of = clientId
                ? (fake.rolesByClient.get(clientId) ?? { granted: new Set<string>(), used: new Set<string>() })
                : { granted: fake.rolesGranted, used: fake.rolesUsed };
            return [...of.granted].filter((r) => !of.used.has(r)).sort();
        },
    };
    let baseUrl = '';

    const handle = async (req: IncomingMessage, res: ServerResponse): Promise<number> => {
        const url = new URL(req.url ?? '/', 'https://localhost');
        const path = decodeURIComponent(url.pathname);
        const method = req.method ?? 'GET';
        const body = await readBody(req);
        const record = (status: number) =>
            calls.push({ method, path: `${path}${url.search}`, body, status, at: Date.now() });

        const auth = /^Bearer (.+)$/.exec(req.headers.authorization ?? '');
        const audience = auth ? identity.issued.get(auth[1]!) : undefined;
        if (!auth || audience === undefined) {
            record(401);
            graphError(res, 401, 'InvalidAuthenticationToken', 'Access token is empty.');
            return 401;
        }
        if (audience !== baseUrl) {
            record(401);
            graphError(res, 401, 'InvalidAuthenticationToken', `Invalid audience: ${audience}`);
            return 401;
        }
        const callerRoles = rolesOf(auth[1]!);
        const arrival = { method, path, body: JSON.stringify(body ?? '') };
        arrived.push(arrival);
        for (let i = waiters.length - 1; i >= 0; i--) {
            const w = waiters[i]!;
            if (matches(w, arrival)) {
                waiters.splice(i, 1);
                w.seen();
            }
        }
        const app = appRolesOf(auth[1]!);
        if (app !== undefined) {
            const appRoles = app.roles;
            const ofClient = fake.rolesByClient.get(app.client) ?? {
                granted: new Set<string>(),
                used: new Set<string>(),
            };
            fake.rolesByClient.set(app.client, ofClient);
            for (const r of appRoles) {
                fake.rolesGranted.add(r);
                ofClient.granted.add(r);
            }
            const rule = permissionRuleFor(method, path, body);
            if (!rule) {
                record(500);
                graphError(
                    res,
                    500,
                    'InternalServerError',
                    `The local Graph has no permission rule for ${method} ${path}: add the Application row of the call's Permissions table to test/support/graphPermissionTable.ts.`,
                );
                return 500;
            }
            const granted = satisfiedBy(rule, new Set(appRoles));
            if (!granted) {
                fake.refusedForRoles.push({ method, path, roles: appRoles, page: rule.page });
                record(403);
                graphError(
                    res,
                    403,
                    'Authorization_RequestDenied',
                    'Insufficient privileges to complete the operation.',
                );
                return 403;
            }
            for (const r of granted) {
                fake.rolesUsed.add(r);
                ofClient.used.add(r);
            }
        }
        const fault = faults.find(
            (f) =>
                f.times > 0 &&
                f.path.test(path) &&
                (!f.method || f.method === method) &&
                (f.bodyIncludes === undefined || arrival.body.includes(f.bodyIncludes)),
        );
        if (fault) fault.times--;
        if (fault?.delayMs) {
            // The client may give up meanwhile (a timeout): what the call changes still lands, as in Graph.
            await new Promise((r) => setTimeout(r, fault.delayMs));
        }
        if (fault && fault.status === undefined) {
            const status = route(method, path, url, body, res, callerRoles);
            record(status);
            return status;
        }
        if (fault && fault.status !== undefined) {
            record(typeof fault.status === 'number' ? fault.status : 0);
            if (fault.status === 'reset') {
                req.socket.destroy();
                return 0;
            }
            if (fault.status === 'hang') return 0;
            const code =
                fault.code ??
                {
                    429: 'TooManyRequests',
                    403: 'Authorization_RequestDenied',
                    404: 'Request_ResourceNotFound',
                    503: 'ServiceUnavailable',
                    500: 'InternalServerError',
                    502: 'BadGateway',
                    504: 'GatewayTimeout',
                }[fault.status] ??
                'UnknownError';
            const message =
                (fault.message ??
                    (fault.status === 403
                        ? 'Insufficient privileges to complete the operation.'
                        : `Injected ${fault.status}`)) +
                (fault.echoBody ? ` Request body: ${JSON.stringify(body)}` : '');
            graphError(res, fault.status, code, message, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
            return fault.status;
        }
        const status = route(method, path, url, body, res, callerRoles);
        record(status);
        return status;
    };

    /** The directory role template ids the caller's service principal holds (its token's appid). */
    const rolesOf = (token: string): readonly string[] => {
        try {
            const claims = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as {
                appid?: string;
            };
            const sp = claims.appid ? fake.servicePrincipals.get(claims.appid.toLowerCase()) : undefined;
            return sp ? (fake.directoryRoles.get(sp.id) ?? []) : [];
        } catch {
            return [];
        }
    };
    /** Changes not yet replicated to the readers: a membership `group|user`, or a deleted method, until when. */
    const notYetSeen = new Map<string, number>();
    const ghosts = new Map<string, Array<{ until: number; listed: Record<string, unknown> }>>();
    const lagged = (key: string) => (notYetSeen.get(key) ?? 0) > Date.now();
    const ghostsOf = (userId: string) =>
        (ghosts.get(userId) ?? []).filter((g) => g.until > Date.now()).map((g) => g.listed);
    const deletedLate = (userId: string, listed: Record<string, unknown>) => {
        if (fake.replicationLagMs <= 0) return;
        ghosts.set(userId, [...(ghosts.get(userId) ?? []), { until: Date.now() + fake.replicationLagMs, listed }]);
    };

    const notFound = (res: ServerResponse, id: string) => {
        graphError(
            res,
            404,
            'Request_ResourceNotFound',
            `Resource '${id}' does not exist or one of its queried reference-property objects are not present.`,
        );
        return 404;
    };
    const noContent = (res: ServerResponse) => {
        res.writeHead(204);
        res.end();
        return 204;
    };
    const ok = (res: ServerResponse, body: unknown, status = 200) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
        return status;
    };

    /** A collection, paged as Graph pages it: `pageSize` items, then an @odata.nextLink with a $skiptoken. */
    const collection = (res: ServerResponse, url: URL, context: string, items: unknown[]) => {
        const skip = Number(url.searchParams.get('$skiptoken') ?? '0') || 0;
        const next = new URL(url.toString());
        next.searchParams.set('$skiptoken', String(skip + fake.pageSize));
        return ok(res, {
            '@odata.context': context,
            value: items.slice(skip, skip + fake.pageSize),
            ...(skip + fake.pageSize < items.length
                ? { '@odata.nextLink': `${baseUrl}${next.pathname}${next.search}` }
                : {}),
        });
    };

    /**
     * The reads of `mfa-responder doctor` and `drill`: service principals and their app role assignments, directory
     * role assignments, the Authentication methods policy (v1.0 and beta), Conditional Access, users by UPN.
     * Shapes from the Graph v1.0 reference (serviceprincipal-get, serviceprincipal-list-approleassignments,
     * authenticationmethodspolicy-get, conditionalaccessroot-list-policies, user-list).
     */
    function routeDoctorReads(method: string, path: string, url: URL, res: ServerResponse): number | undefined {
        if (method !== 'GET') return undefined;
        const ctx = `${baseUrl}/v1.0/$metadata`;
        let m: RegExpExecArray | null;
        if ((m = /^\/v1\.0\/servicePrincipals\(appId='([^']+)'\)$/.exec(path))) {
            const appId = m[1]!.toLowerCase();
            const sp = fake.servicePrincipals.get(appId);
            if (!sp) return notFound(res, `appId=${appId}`);
            const select = (url.searchParams.get('$select') ?? '').split(',').filter(Boolean);
            const all: Record<string, unknown> = {
                id: sp.id,
                appId,
                displayName: sp.displayName,
                servicePrincipalType: appId === GRAPH_APP_ID ? 'Application' : 'ManagedIdentity',
                appRoles:
                    appId === GRAPH_APP_ID
                        ? Object.entries(GRAPH_ROLE_IDS).map(([value, id]) => ({
                              allowedMemberTypes: ['Application'],
                              description: value,
                              displayName: value,
                              id,
                              isEnabled: true,
                              origin: 'Application',
                              value,
                          }))
                        : [],
            };
            const shown = select.length > 0 ? select : Object.keys(all);
            return ok(res, {
                '@odata.context': `${ctx}#servicePrincipals/$entity`,
                ...Object.fromEntries(shown.filter((k) => k in all).map((k) => [k, all[k]])),
            });
        }
        if ((m = new RegExp(`^/v1\\.0/servicePrincipals/(${GUID})/appRoleAssignments$`).exec(path))) {
            const principalId = m[1]!.toLowerCase();
            const principal = [...fake.servicePrincipals.values()].find((p) => p.id === principalId);
            if (!principal) return notFound(res, principalId);
            const graphSp = fake.servicePrincipals.get(GRAPH_APP_ID)!;
            const items = (fake.appRoleAssignments.get(principalId) ?? []).map((a) => ({
                id: a.id,
                deletedDateTime: null,
                appRoleId: GRAPH_ROLE_IDS[a.role] ?? a.role,
                createdDateTime: '2026-01-05T10:00:00Z',
                principalDisplayName: principal.displayName,
                principalId,
                principalType: 'ServicePrincipal',
                resourceDisplayName: 'Microsoft Graph',
                resourceId: graphSp.id,
            }));
            return collection(res, url, `${ctx}#servicePrincipals('${principalId}')/appRoleAssignments`, items);
        }
        if (path === '/v1.0/roleManagement/directory/roleAssignments') {
            const principalId = /principalId eq '([^']+)'/
                .exec(url.searchParams.get('$filter') ?? '')?.[1]
                ?.toLowerCase();
            const items = (principalId ? (fake.directoryRoles.get(principalId) ?? []) : []).map((roleDefinitionId) => ({
                id: randomUUID(),
                principalId,
                roleDefinitionId,
                directoryScopeId: '/',
            }));
            return collection(res, url, `${ctx}#roleManagement/directory/roleAssignments`, items);
        }
        if (
            path === '/v1.0/policies/authenticationMethodsPolicy' ||
            path === '/beta/policies/authenticationMethodsPolicy'
        ) {
            const beta = path.startsWith('/beta');
            return ok(res, {
                '@odata.context': `${baseUrl}/${beta ? 'beta' : 'v1.0'}/$metadata#authenticationMethodsPolicy`,
                id: 'authenticationMethodsPolicy',
                displayName: 'Authentication Methods Policy',
                description:
                    'The tenant-wide policy that controls which authentication methods are allowed in the tenant, authentication method registration requirements, and self-service password reset settings',
                lastModifiedDateTime: '2026-01-26T10:47:26.6044384Z',
                policyVersion: '1.5',
                policyMigrationState: fake.policyMigrationState,
                registrationEnforcement: {
                    authenticationMethodsRegistrationCampaign: {
                        snoozeDurationInDays: 1,
                        state: 'default',
                        excludeTargets: [],
                        includeTargets: [
                            {
                                id: 'all_users',
                                targetType: 'group',
                                targetedAuthenticationMethod: 'microsoftAuthenticator',
                            },
                        ],
                    },
                },
                ...(beta
                    ? {
                          reportSuspiciousActivitySettings: {
                              state: fake.reportSuspiciousActivity,
                              includeTarget: { targetType: 'group', id: 'all_users' },
                              voiceReportingCode: 0,
                          },
                      }
                    : {}),
                authenticationMethodConfigurations: [
                    {
                        '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethodConfiguration',
                        id: 'MicrosoftAuthenticator',
                        state: fake.policy.state,
                        includeTargets: [{ targetType: 'group', id: 'all_users', isRegistrationRequired: false }],
                    },
                ],
            });
        }
        if (path === '/v1.0/identity/conditionalAccess/policies') {
            const items = fake.conditionalAccessPolicies.map((p) => ({
                id: p.id,
                templateId: null,
                displayName: p.displayName,
                createdDateTime: '2026-01-05T10:00:00Z',
                modifiedDateTime: null,
                state: p.state,
                conditions: {
                    userRiskLevels: [],
                    signInRiskLevels: [],
                    clientAppTypes: ['all'],
                    platforms: null,
                    locations: null,
                    applications: {
                        includeApplications: [],
                        excludeApplications: [],
                        includeUserActions: p.userActions,
                    },
                    users: { includeUsers: ['All'], excludeUsers: [], includeGroups: [], excludeGroups: [] },
                },
                grantControls: { operator: 'OR', builtInControls: ['mfa'] },
                sessionControls: null,
                // A policy created through Graph (setup) reads back as it was created.
                ...(p.created ? { conditions: p.created.conditions, grantControls: p.created.grantControls } : {}),
            }));
            return collection(res, url, `${ctx}#identity/conditionalAccess/policies`, items);
        }
        if (path === '/v1.0/users') {
            const upn = /^userPrincipalName eq '(.*)'$/
                .exec(url.searchParams.get('$filter') ?? '')?.[1]
                ?.replace(/''/g, "'");
            const items = [...users]
                .filter(([, u]) => upn === undefined || u.userPrincipalName.toLowerCase() === upn.toLowerCase())
                .map(([id, u]) => ({ id, userPrincipalName: u.userPrincipalName }));
            return collection(res, url, `${ctx}#users(id,userPrincipalName)`, items);
        }
        return undefined;
    }

    const conditionalAccess = namedLocationRoute(
        { locations: fake.namedLocations, policies: fake.conditionalAccessPolicies },
        {
            ok,
            noContent,
            notFound,
            badRequest: (res, message) => {
                graphError(res, 400, 'BadRequest', message);
                return 400;
            },
            baseUrl: () => baseUrl,
        },
    );

    function route(
        method: string,
        path: string,
        url: URL,
        body: unknown,
        res: ServerResponse,
        callerRoles: readonly string[] = [],
    ): number {
        let m: RegExpExecArray | null;
        const ctx = `${baseUrl}/v1.0/$metadata`;
        const ca = conditionalAccess(method, path, url.searchParams, body, res);
        if (ca !== undefined) return ca;
        if (method === 'GET' && (m = /^\/v1\.0\/users\/([^/]+)$/.exec(path))) {
            // A user by object id or by userPrincipalName, as Graph takes either (user-get); a group's id, or a UPN
            // nobody has, is a 404 Request_ResourceNotFound.
            const key = m[1]!.toLowerCase();
            const byUpn = [...users].find(([, x]) => x.userPrincipalName.toLowerCase() === key);
            const id = users.has(key) ? key : byUpn?.[0];
            const u = id === undefined ? undefined : users.get(id);
            if (!u || id === undefined) return notFound(res, m[1]!);
            // Without $select Graph returns the default set only; accountEnabled and onPremisesSyncEnabled need it.
            const select = (url.searchParams.get('$select') ?? '').split(',').filter(Boolean);
            const all: Record<string, unknown> = {
                id,
                userPrincipalName: u.userPrincipalName,
                userType: u.userType,
                accountEnabled: u.accountEnabled,
                onPremisesSyncEnabled: u.onPremisesSyncEnabled,
            };
            const shown = select.length > 0 ? select : ['id', 'userPrincipalName'];
            return ok(res, {
                '@odata.context': `${ctx}#users(${shown.join(',')})/$entity`,
                ...Object.fromEntries(shown.filter((k) => k in all).map((k) => [k, all[k]])),
            });
        }
        if (method === 'POST' && (m = new RegExp(`^/v1\\.0/users/(${GUID})/checkMemberGroups$`).exec(path))) {
            const u = users.get(m[1]!.toLowerCase());
            if (!u) return notFound(res, m[1]!);
            const ids = ((body as { groupIds?: string[] })?.groupIds ?? []).map((g) => g.toLowerCase());
            if (fake.membershipHidden.has(m[1]!.toLowerCase())) {
                return ok(res, { '@odata.context': `${ctx}#Collection(Edm.String)`, value: [] });
            }
            return ok(res, {
                '@odata.context': `${ctx}#Collection(Edm.String)`,
                value: ids.filter(
                    (g) =>
                        u.memberOf.has(g) ||
                        (groups.get(g)?.members.has(m![1]!.toLowerCase()) && !lagged(`${g}|${m![1]!.toLowerCase()}`)),
                ),
            });
        }
        if (method === 'POST' && (m = new RegExp(`^/v1\\.0/users/(${GUID})/revokeSignInSessions$`).exec(path))) {
            const u = users.get(m[1]!.toLowerCase());
            if (!u) return notFound(res, m[1]!);
            u.sessionsRevoked++;
            return ok(res, { '@odata.context': `${ctx}#Edm.Boolean`, value: true });
        }
        if (method === 'POST' && (m = new RegExp(`^/v1\\.0/groups/(${GUID})/members/\\$ref$`).exec(path))) {
            const g = groups.get(m[1]!.toLowerCase());
            if (!g) return notFound(res, m[1]!);
            const ref = (body as Record<string, string> | undefined)?.['@odata.id'] ?? '';
            const uid = new RegExp(`/directoryObjects/(${GUID})$`).exec(ref)?.[1]?.toLowerCase();
            if (!uid || !ref.startsWith(`${baseUrl}/v1.0/`)) {
                graphError(res, 400, 'Request_BadRequest', "Invalid object identifier in '@odata.id'.");
                return 400;
            }
            if (!users.has(uid)) return notFound(res, uid);
            if (g.members.has(uid)) {
                graphError(
                    res,
                    400,
                    'Request_BadRequest',
                    "One or more added object references already exist for the following modified properties: 'members'.",
                );
                return 400;
            }
            g.members.add(uid);
            if (fake.replicationLagMs > 0)
                notYetSeen.set(`${m[1]!.toLowerCase()}|${uid}`, Date.now() + fake.replicationLagMs);
            return noContent(res);
        }
        if (method === 'DELETE' && (m = new RegExp(`^/v1\\.0/groups/(${GUID})/members/(${GUID})/\\$ref$`).exec(path))) {
            const g = groups.get(m[1]!.toLowerCase());
            if (!g || !g.members.delete(m[2]!.toLowerCase())) return notFound(res, m[2]!);
            return noContent(res);
        }
        if (
            method === 'GET' &&
            (m = new RegExp(`^/v1\\.0/users/(${GUID})/authentication/microsoftAuthenticatorMethods$`).exec(path))
        ) {
            const u = users.get(m[1]!.toLowerCase());
            if (!u) return notFound(res, m[1]!);
            return ok(res, {
                '@odata.context': `${ctx}#users('${m[1]}')/authentication/microsoftAuthenticatorMethods`,
                value: [
                    ...u.authenticatorMethods.map((a) => ({
                        id: a.id,
                        displayName: a.displayName,
                        deviceTag: 'SoftwareTokenActivated',
                        phoneAppVersion: '6.8.7',
                        createdDateTime: '2025-01-01T00:00:00Z',
                    })),
                    ...ghostsOf(m[1]!.toLowerCase()).filter(
                        (g) => g['@odata.type'] === '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
                    ),
                ],
            });
        }
        if (
            method === 'DELETE' &&
            (m = new RegExp(`^/v1\\.0/users/(${GUID})/authentication/microsoftAuthenticatorMethods/([^/]+)$`).exec(
                path,
            ))
        ) {
            const u = users.get(m[1]!.toLowerCase());
            if (!u) return notFound(res, m[1]!);
            const idx = u.authenticatorMethods.findIndex((a) => a.id === m![2]);
            if (idx < 0) return notFound(res, m[2]!);
            // Any other method counts (the password aside), whichever list the fake keeps it in.
            const others = u.authenticatorMethods.length - 1 + u.methods.length + u.otherMethods;
            if (u.authenticatorMethods[idx]!.isDefault && others > 0) {
                graphError(
                    res,
                    400,
                    'badRequest',
                    'Cannot delete default method with other methods configured. Please change default method before deletion.',
                );
                return 400;
            }
            const [gone] = u.authenticatorMethods.splice(idx, 1);
            deletedLate(m[1]!.toLowerCase(), {
                '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
                id: gone!.id,
                displayName: gone!.displayName,
            });
            return noContent(res);
        }
        if (method === 'GET' && (m = new RegExp(`^/v1\\.0/users/(${GUID})/authentication/methods$`).exec(path))) {
            const u = users.get(m[1]!.toLowerCase());
            if (!u) return notFound(res, m[1]!);
            return ok(res, {
                '@odata.context': `${ctx}#users('${m[1]}')/authentication/methods`,
                value: [
                    {
                        '@odata.type': '#microsoft.graph.passwordAuthenticationMethod',
                        id: '28c10230-6103-485e-b985-444c60001490',
                        password: null,
                        createdDateTime: '2024-06-01T00:00:00Z',
                    },
                    ...u.authenticatorMethods.map((a) => ({
                        '@odata.type': '#microsoft.graph.microsoftAuthenticatorAuthenticationMethod',
                        id: a.id,
                        displayName: a.displayName,
                        deviceTag: 'SoftwareTokenActivated',
                        phoneAppVersion: '6.8.7',
                        ...(a.createdDateTime ? { createdDateTime: a.createdDateTime } : {}),
                    })),
                    ...u.methods.map((x) => ({
                        '@odata.type': `#microsoft.graph.${x.type}AuthenticationMethod`,
                        id: x.id,
                        ...(x.displayName ? { displayName: x.displayName } : {}),
                        ...(x.createdDateTime ? { createdDateTime: x.createdDateTime } : {}),
                    })),
                    ...ghostsOf(m[1]!.toLowerCase()),
                ],
            });
        }
        if (
            method === 'DELETE' &&
            (m = new RegExp(`^/v1\\.0/users/(${GUID})/authentication/([A-Za-z0-9]+)Methods/([^/]+)$`).exec(path)) &&
            m[2] !== 'microsoftAuthenticator'
        ) {
            const u = users.get(m[1]!.toLowerCase());
            if (!u) return notFound(res, m[1]!);
            const idx = u.methods.findIndex((x) => x.id === m![3] && x.type === m![2]);
            if (idx < 0) return notFound(res, m[3]!);
            const others = u.authenticatorMethods.length + u.methods.length - 1 + u.otherMethods;
            if (u.methods[idx]!.isDefault && others > 0) {
                graphError(
                    res,
                    400,
                    'badRequest',
                    'Cannot delete default method with other methods configured. Please change default method before deletion.',
                );
                return 400;
            }
            const [gone] = u.methods.splice(idx, 1);
            deletedLate(m[1]!.toLowerCase(), {
                '@odata.type': `#microsoft.graph.${gone!.type}AuthenticationMethod`,
                id: gone!.id,
                ...(gone!.createdDateTime ? { createdDateTime: gone!.createdDateTime } : {}),
            });
            return noContent(res);
        }
        if (method === 'POST' && path === '/v1.0/identityProtection/riskyUsers/confirmCompromised') {
            riskyConfirmed.push(...((body as { userIds?: string[] })?.userIds ?? []));
            return noContent(res);
        }
        if (method === 'PATCH' && (m = new RegExp(`^/v1\\.0/users/(${GUID})$`).exec(path))) {
            const u = users.get(m[1]!.toLowerCase());
            if (!u) return notFound(res, m[1]!);
            const patch = body as { accountEnabled?: boolean; passwordProfile?: { password?: string } } | undefined;
            // accountEnabled and passwordProfile are sensitive properties: on a user who holds an admin role, an app
            // may change them only with a directory role that covers that user's, which User Administrator does not;
            // Privileged Authentication Administrator (and Global Administrator) do. "Who can perform sensitive
            // actions": https://learn.microsoft.com/entra/identity/role-based-access-control/privileged-roles-permissions
            const sensitive = patch?.passwordProfile !== undefined || patch?.accountEnabled !== undefined;
            if (sensitive && u.isAdmin && !callerRoles.some((r) => COVERS_ADMINS.has(r))) {
                graphError(
                    res,
                    403,
                    'Authorization_RequestDenied',
                    'Insufficient privileges to complete the operation.',
                );
                return 403;
            }
            if (patch?.passwordProfile) {
                if (u.onPremisesSyncEnabled) {
                    graphError(
                        res,
                        400,
                        'Request_BadRequest',
                        'Unable to update the specified properties for on-premises mastered Directory Sync objects or objects currently undergoing migration.',
                    );
                    return 400;
                }
                u.passwordsSet.push(patch.passwordProfile.password ?? '');
            }
            if (patch?.accountEnabled === false) u.accountEnabled = false;
            return noContent(res);
        }
        const policyMatch =
            /^\/v1\.0\/policies\/authenticationMethodsPolicy\/authenticationMethodConfigurations\/([A-Za-z]+)$/.exec(
                path,
            );
        const policyName = policyMatch?.[1];
        const policyOf = (name: string) => (name === 'microsoftAuthenticator' ? fake.policy : fake.policies.get(name));
        const policyType = (name: string) => `#microsoft.graph.${name}AuthenticationMethodConfiguration`;
        if (policyName && policyOf(policyName) && method === 'GET') {
            return ok(res, {
                '@odata.context': `${ctx}#authenticationMethodConfigurations/$entity`,
                '@odata.type': policyType(policyName),
                ...policyOf(policyName),
            });
        }
        if (policyName && policyOf(policyName) && method === 'PATCH') {
            const policy = policyOf(policyName)!;
            const b = (body ?? {}) as Partial<AuthenticatorPolicy> & { '@odata.type'?: string };
            if (b['@odata.type'] !== policyType(policyName)) {
                graphError(res, 400, 'badRequest', 'The @odata.type property is required.');
                return 400;
            }
            // A collection in a PATCH replaces the whole collection.
            if (b.excludeTargets) policy.excludeTargets = b.excludeTargets;
            if (b.state) policy.state = b.state;
            return noContent(res);
        }
        if (path === '/v1.0/groups' && method === 'GET') {
            const filter = url.searchParams.get('$filter') ?? '';
            const name = /^displayName eq '(.*)'$/.exec(filter)?.[1]?.replace(/''/g, "'");
            const value = [...groups]
                .filter(([, g]) => name === undefined || g.displayName === name)
                .map(([id, g]) => ({ id, displayName: g.displayName }));
            return ok(res, { '@odata.context': `${ctx}#groups(id,displayName)`, value });
        }
        if (path === '/v1.0/groups' && method === 'POST') {
            const b = body as {
                displayName?: string;
                securityEnabled?: boolean;
                mailEnabled?: boolean;
                mailNickname?: string;
            };
            if (!b?.displayName || b.securityEnabled !== true || b.mailEnabled !== false || !b.mailNickname) {
                graphError(
                    res,
                    400,
                    'Request_BadRequest',
                    'A security group needs displayName, mailNickname, mailEnabled=false and securityEnabled=true.',
                );
                return 400;
            }
            const id = randomUUID();
            groups.set(id, newGroup(b.displayName));
            return ok(
                res,
                {
                    '@odata.context': `${ctx}#groups/$entity`,
                    id,
                    displayName: b.displayName,
                    securityEnabled: true,
                    mailEnabled: false,
                },
                201,
            );
        }
        if (method === 'GET' && (m = new RegExp(`^/v1\\.0/groups/(${GUID})$`).exec(path))) {
            const g = groups.get(m[1]!.toLowerCase());
            if (!g) return notFound(res, m[1]!);
            // isAssignableToRole comes back on $select only, as Graph does.
            const all: Record<string, unknown> = {
                id: m[1],
                displayName: g.displayName,
                securityEnabled: g.securityEnabled,
                isAssignableToRole: g.isAssignableToRole,
                groupTypes: g.groupTypes,
            };
            const select = (url.searchParams.get('$select') ?? '').split(',').filter(Boolean);
            const shown = select.length > 0 ? select : ['id', 'displayName', 'securityEnabled', 'groupTypes'];
            return ok(res, {
                '@odata.context': `${ctx}#groups(${shown.join(',')})/$entity`,
                ...Object.fromEntries(shown.filter((k) => k in all).map((k) => [k, all[k]])),
            });
        }
        const doctorRoute = routeDoctorReads(method, path, url, res);
        if (doctorRoute !== undefined) return doctorRoute;
        graphError(res, 400, 'BadRequest', `Resource not found for the segment '${path.split('/').pop() ?? ''}'.`);
        return 400;
    }

    const load = { inFlight: 0, maxInFlight: 0 };
    const server = createHttpsServer({ key: pems.key, cert: pems.cert }, (req, res) => {
        load.inFlight++;
        load.maxInFlight = Math.max(load.maxInFlight, load.inFlight);
        res.on('close', () => load.inFlight--);
        void handle(req, res).catch((e: unknown) => {
            graphError(res, 500, 'InternalServerError', String(e));
        });
    });
    const sockets = track(server);
    const port = await listen(server);
    baseUrl = `https://localhost:${port}`;
    return Object.defineProperties(
        Object.assign(fake, {
            baseUrl,
            tls: { key: pems.key, cert: pems.cert },
            close: closer(server as unknown as Server, sockets),
        }),
        {
            inFlight: { get: () => load.inFlight, enumerable: true },
            maxInFlight: {
                get: () => load.maxInFlight,
                set: (v: number) => (load.maxInFlight = v),
                enumerable: true,
            },
        },
    ) as FakeGraph;
}
