import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { runCli } from '../support/cliRun';
import { FakeGraph, FakeIdentity } from '../support/fakeGraph';
import { startLocalGraph, stopLocalGraph } from '../support/localGraph';
import { envelope, pushDenied, user } from '../support/signInFactory';

/** `replay --contain` contains for real, so it follows the same break-glass rule as the function app. */
const GROUP = '5e6f7081-92a3-44b5-86c7-d8e9f0a1b2c3';
const T0 = Date.parse('2026-11-02T09:00:00Z');
let identity: FakeIdentity;
let graph: FakeGraph;

beforeAll(async () => {
    ({ identity, graph } = await startLocalGraph({ group: GROUP }));
});

afterAll(async () => {
    await stopLocalGraph({ identity, graph });
});

function attackFile(): { file: string; userId: string } {
    const u = user(`Replay Contain Victim ${Date.now()}`);
    graph.addUser(u.id, { userPrincipalName: u.upn });
    const denials = Array.from({ length: 6 }, (_, i) => pushDenied({ user: u, at: new Date(T0 + i * 20_000) }));
    const file = join(mkdtempSync(join(tmpdir(), 'mfa-replay-contain-')), 'attack.ndjson');
    writeFileSync(file, JSON.stringify(envelope(denials)));
    return { file, userId: u.id };
}

const liveEnv = (extra: Record<string, string> = {}) => ({
    CONTAINMENT_MODE: 'live',
    GRAPH_BASE_URL: graph.baseUrl,
    AZURE_CLIENT_ID: identity.clientId,
    PUSH_BLOCK_GROUP_ID: GROUP,
    ...extra,
});

describe('mfa-responder replay --contain and the break-glass guard', () => {
    it('refuses to contain anyone when no break-glass exclusion is set, before any Graph call', async () => {
        const { file } = attackFile();
        const before = graph.calls.length;
        const refused = await runCli(['replay', file, '--contain'], { env: liveEnv() });
        expect(refused.code).toBe(78);
        expect(refused.stderr).toMatch(/NEVER_CONTAIN .*NEVER_CONTAIN_GROUP_IDS.*ALLOW_NO_BREAK_GLASS=true/s);
        expect(refused.stdout).toBe('');
        expect(graph.calls.length).toBe(before);
    });

    it.each([
        ['a break-glass exclusion', { NEVER_CONTAIN: 'breakglass@contoso.com' }],
        ['the explicit opt-out', { ALLOW_NO_BREAK_GLASS: 'true' }],
    ])('contains with %s', async (_case, extra) => {
        const { file, userId } = attackFile();
        const run = await runCli(['replay', file, '--contain', '--json'], { env: liveEnv(extra) });
        expect(run.code).toBe(0);
        expect(JSON.parse(run.stdout.split('\n')[0]!)).toMatchObject({ userId, containment: 'contained' });
        expect(graph.groups.get(GROUP)!.members.has(userId)).toBe(true);
    });
});
