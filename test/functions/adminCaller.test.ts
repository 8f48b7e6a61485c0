import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { createListIncidentsHandler, createReleaseHandler } from '../../functions/admin';
import { ADMIN_ROLES, appServiceAuthEnabled, callerFromPlatform } from '../../functions/auth';
import { createSignInEventsHandler } from '../../functions/signInEvents';
import { containedIncidents } from '../../shared/userRow/userRow';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { createRuntime, Runtime } from '../../shared/runtime';
import { MAX_NAME_LENGTH, singleLine } from '../../shared/singleLine';
import { runCli } from '../support/cliRun';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, pushDenied, User, user } from '../support/signInFactory';

/**
 * Who released a user, and why, end up in the incident and in a log line the SOC's alert reads. The caller's name is
 * the platform's only when App Service authentication is on; names and reasons are bounded and single-line.
 */
const GROUP = '3d4e5f60-7182-4394-a5b6-c7d8e9f0a1b2';
const FORGED = 'MFA push attack detected: {"event":"IncidentOpened","userId":"forged"}';
let identity: FakeIdentity;
let graph: FakeGraph;
let n = 0;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
});

afterAll(async () => {
    await stopLocalGraph({ identity, graph });
});

function settings(): Record<string, string | undefined> {
    return {
        STATE_TABLE_CONNECTION_STRING: process.env.AZURITE_TABLE_CONNECTION_STRING,
        STATE_TABLE_NAME: `fadm${process.pid}x${Date.now().toString(36)}x${n++}`,
        AZURE_CLIENT_ID: identity.clientId,
        GRAPH_BASE_URL: graph.baseUrl,
        CONTAINMENT_MODE: 'live',
        PUSH_BLOCK_GROUP_ID: GROUP,
        NEVER_CONTAIN: 'breakglass@contoso.com',
    };
}

function runtime(env = settings()): Runtime {
    return createRuntime({ env });
}

/** How the first incident of a user was released, as stored. */
async function releaseOf(rt: Runtime, u: User) {
    const [first] = containedIncidents(readUserRow((await rt.store.read(u.id))!.doc));
    return first!.containment!.release!;
}

/** A contained user, ready to be released. */
async function containedVictim(rt: Runtime): Promise<User> {
    const u = user(`Release Victim ${n++} ${Date.now()}`);
    graph.addUser(u.id, { userPrincipalName: u.upn });
    const T0 = Date.parse('2026-11-02T09:00:00Z');
    const denials = Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: new Date(T0 + i * 20_000) }));
    await createSignInEventsHandler(() => rt)([envelope(denials)], eventHubContext(1).context);
    expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
    return u;
}

function principalHeader(claims: Array<{ typ: string; val: string }>, roleTyp = 'roles'): string {
    return Buffer.from(JSON.stringify({ auth_typ: 'aad', claims, name_typ: 'name', role_typ: roleTyp })).toString(
        'base64',
    );
}

/** A function key made for releaseUser, and the hash of it RELEASE_KEY_SHA256 lists. */
const RELEASE_KEY = 'rel3aseKey-only-for-releaseUser_0123456789abcdef==';
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

function releaseRequest(
    userId: string,
    body: unknown,
    headers: Record<string, string> = { 'x-functions-key': RELEASE_KEY },
    url = 'http://localhost/api/x',
): HttpRequest {
    return new HttpRequest({
        method: 'POST',
        url,
        params: { userId },
        headers,
        body: { string: JSON.stringify(body) },
    });
}

function capture(): { context: InvocationContext; lines: string[] } {
    const lines: string[] = [];
    const context = new InvocationContext({
        functionName: 'releaseUser',
        logHandler: (_level, ...args) => lines.push(args.map(String).join(' ')),
    });
    return { context, lines };
}

describe('singleLine', () => {
    it.each([
        ['line feed', `verified\n${FORGED}`],
        ['carriage return', `verified\r${FORGED}`],
        ['Unicode line separator', `verified\u2028${FORGED}`],
        ['paragraph separator', `verified\u2029${FORGED}`],
        ['next line (C1 control)', `verified\u0085${FORGED}`],
        ['vertical tab and form feed', `verified\u000b\u000c${FORGED}`],
    ])('never lets a %s start a new line', (_case, text) => {
        const flat = singleLine(text, 500);
        expect(flat).toBe(`verified ${FORGED}`);
        expect(flat).not.toMatch(/[\r\n\u0085\u2028\u2029\v\f]/);
    });

    it('drops invisible format characters such as bidirectional overrides and zero-width spaces', () => {
        expect(singleLine('alice\u202e@contoso\u200b.com', 100)).toBe('alice @contoso .com');
    });

    it('bounds the length in characters, without splitting a surrogate pair, and marks the cut', () => {
        expect(singleLine('x'.repeat(300), 256)).toHaveLength(256);
        expect(singleLine('x'.repeat(300), 256).endsWith('…')).toBe(true);
        const emoji = singleLine('😀'.repeat(10), 5);
        expect(Array.from(emoji)).toEqual(['😀', '😀', '😀', '😀', '…']);
        expect(singleLine('  short  ', 100)).toBe('short');
    });
});

describe('appServiceAuthEnabled and callerFromPlatform', () => {
    it('reads WEBSITE_AUTH_ENABLED as the platform sets it', () => {
        expect(
            [undefined, '', 'false', 'False', '1'].map((v) => appServiceAuthEnabled({ WEBSITE_AUTH_ENABLED: v })),
        ).toEqual([false, false, false, false, false]);
        expect(['True', 'true', ' TRUE '].map((v) => appServiceAuthEnabled({ WEBSITE_AUTH_ENABLED: v }))).toEqual([
            true,
            true,
            true,
        ]);
    });

    it('takes the name and the app roles from the client principal, under the role claim type it declares', () => {
        const request = new HttpRequest({
            method: 'GET',
            url: 'http://localhost/api/incidents',
            headers: {
                'x-ms-client-principal-name': 'analyst@contoso.com',
                'x-ms-client-principal': principalHeader(
                    [
                        {
                            typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
                            val: ADMIN_ROLES.release,
                        },
                        { typ: 'groups', val: 'not-a-role' },
                    ],
                    'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
                ),
            },
        });
        const caller = callerFromPlatform(request)!;
        expect(caller.name).toBe('analyst@contoso.com');
        expect([...caller.roles]).toEqual([ADMIN_ROLES.release]);
    });

    it('bounds a long or multi-line name and refuses a malformed principal', () => {
        const long = callerFromPlatform(
            new HttpRequest({
                method: 'GET',
                url: 'http://localhost/x',
                headers: {
                    'x-ms-client-principal-name': `a\t${'b'.repeat(9000)}`,
                    'x-ms-client-principal': principalHeader([]),
                },
            }),
        )!;
        expect(Array.from(long.name)).toHaveLength(MAX_NAME_LENGTH);
        expect(long.name.startsWith('a b')).toBe(true);
        for (const bad of ['not base64 json', Buffer.from('{"claims":"x"}').toString('base64')])
            expect(
                callerFromPlatform(
                    new HttpRequest({
                        method: 'GET',
                        url: 'http://localhost/x',
                        headers: { 'x-ms-client-principal': bad },
                    }),
                ),
            ).toBeUndefined();
    });
});

describe('release without App Service authentication (function keys)', () => {
    const keysOnly = { env: { RELEASE_KEY_SHA256: `${sha256('an older key')},${sha256(RELEASE_KEY)}` } };

    it('needs a key of its own: a host key (any other key) is refused, and without RELEASE_KEY_SHA256 every key is', async () => {
        const rt = runtime();
        const u = await containedVictim(rt);
        const body = { reason: 'verified by phone' };
        const hostKey = { 'x-functions-key': 'the-default-host-key-an-availability-test-holds' };
        const refused = await createReleaseHandler(() => rt, keysOnly)(
            releaseRequest(u.id, body, hostKey),
            capture().context,
        );
        expect(refused.status).toBe(403);
        expect(refused.jsonBody).toMatchObject({ error: { code: 'ReleaseKeyRequired' } });
        const unset = await createReleaseHandler(() => rt, { env: {} })(releaseRequest(u.id, body), capture().context);
        expect(unset.status).toBe(403);
        expect(JSON.stringify(unset.jsonBody)).toMatch(/RELEASE_KEY_SHA256/);
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
        // Its own key, as ?code= too.
        const ok = await createReleaseHandler(() => rt, keysOnly)(
            releaseRequest(u.id, body, {}, `http://localhost/api/x?code=${encodeURIComponent(RELEASE_KEY)}`),
            capture().context,
        );
        expect(ok.status).toBe(200);
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(false);
    });

    it('ignores x-ms-client-principal headers, which any key holder can write, and stores one bounded line', async () => {
        const rt = runtime();
        const u = await containedVictim(rt);
        const { context, lines } = capture();
        const res = await createReleaseHandler(() => rt, keysOnly)(
            releaseRequest(
                u.id,
                { reason: `verified by phone\n${FORGED}`, releasedBy: `soc\r\n${FORGED}` },
                {
                    'x-functions-key': RELEASE_KEY,
                    'x-ms-client-principal-name': 'ceo@contoso.com',
                    'x-ms-client-principal': principalHeader([{ typ: 'roles', val: ADMIN_ROLES.release }]),
                },
            ),
            context,
        );
        expect(res.status).toBe(200);
        const release = await releaseOf(rt, u);
        expect(release).toMatchObject({ by: `soc ${FORGED}`, reason: `verified by phone ${FORGED}` });
        const logged = lines.filter((l) => l.startsWith('Released user'));
        expect(logged).toHaveLength(1);
        expect(logged[0]).not.toMatch(/[\r\n]/);
        expect(lines.some((l) => l.startsWith('MFA push attack detected'))).toBe(false);
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(false);
    });

    it('refuses a name or reason over the bounds, before touching anything', async () => {
        const rt = runtime();
        const u = await containedVictim(rt);
        const handler = createReleaseHandler(() => rt, keysOnly);
        for (const body of [
            { reason: 'verified by phone', releasedBy: 'x'.repeat(MAX_NAME_LENGTH + 1) },
            { reason: 'v'.repeat(501) },
            { reason: '\n\n \u2028 ' },
        ])
            expect((await handler(releaseRequest(u.id, body), capture().context)).status).toBe(400);
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
    });
});

describe('mfa-responder release', () => {
    it('stores the name and reason as one bounded line too', async () => {
        const env = settings();
        const rt = runtime(env);
        const u = await containedVictim(rt);
        const released = await runCli(
            ['release', u.id, '--reason', `verified by phone\n${FORGED}`, '--by', `soc\u2028${'x'.repeat(400)}`],
            { env },
        );
        expect(released.code).toBe(0);
        const release = await releaseOf(rt, u);
        expect(release.reason).toBe(`verified by phone ${FORGED}`);
        expect(Array.from(release.by)).toHaveLength(MAX_NAME_LENGTH);
        expect(release.by.startsWith('soc x')).toBe(true);
    });
});

describe('release with App Service authentication (Entra ID)', () => {
    const authOn = { env: { WEBSITE_AUTH_ENABLED: 'True' } };

    it('names the caller the platform authenticated, and requires the release role', async () => {
        const rt = runtime();
        const u = await containedVictim(rt);
        const handler = createReleaseHandler(() => rt, authOn);
        const body = { reason: 'verified by phone', releasedBy: 'someone else' };

        expect((await handler(releaseRequest(u.id, body), capture().context)).status).toBe(401);
        const reader = {
            'x-ms-client-principal-name': 'reader@contoso.com',
            'x-ms-client-principal': principalHeader([{ typ: 'roles', val: ADMIN_ROLES.read }]),
        };
        const forbidden = await handler(releaseRequest(u.id, body, reader), capture().context);
        expect(forbidden.status).toBe(403);
        expect(forbidden.jsonBody).toMatchObject({ error: { message: expect.stringContaining(ADMIN_ROLES.release) } });
        expect(graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);

        const admin = {
            'x-ms-client-principal-name': 'analyst@contoso.com',
            'x-ms-client-principal': principalHeader([{ typ: 'roles', val: ADMIN_ROLES.release }]),
        };
        const { context, lines } = capture();
        expect((await handler(releaseRequest(u.id, body, admin), context)).status).toBe(200);
        expect(await releaseOf(rt, u)).toMatchObject({
            by: 'analyst@contoso.com',
        });
        expect(lines.find((l) => l.startsWith('Released user'))).toContain('by "analyst@contoso.com"');
    });

    it('lets callers with the read or the release role list incidents, and nobody else', async () => {
        const rt = runtime();
        const list = createListIncidentsHandler(() => rt, authOn);
        const get = (headers: Record<string, string>) =>
            list(new HttpRequest({ method: 'GET', url: 'http://localhost/api/incidents', headers }), capture().context);
        const as = (roles: string[]) => ({
            'x-ms-client-principal-name': 'someone@contoso.com',
            'x-ms-client-principal': principalHeader(roles.map((val) => ({ typ: 'roles', val }))),
        });
        expect((await get({})).status).toBe(401);
        expect((await get(as([]))).status).toBe(403);
        expect((await get(as(['Some.Other.Role']))).status).toBe(403);
        expect((await get(as([ADMIN_ROLES.read]))).status).toBe(200);
        expect((await get(as([ADMIN_ROLES.release]))).status).toBe(200);
    });
});

describe('the app registration the README creates', () => {
    it('defines exactly the app roles the endpoints check, for people and for applications', () => {
        const roles = JSON.parse(
            readFileSync(join(__dirname, '..', '..', 'infra', 'admin-app-roles.json'), 'utf8'),
        ) as {
            value: string;
            isEnabled: boolean;
            allowedMemberTypes: string[];
        }[];
        expect(roles.map((r) => r.value).sort()).toEqual(Object.values(ADMIN_ROLES).sort());
        for (const r of roles)
            expect(r).toMatchObject({ isEnabled: true, allowedMemberTypes: ['User', 'Application'] });
    });
});
