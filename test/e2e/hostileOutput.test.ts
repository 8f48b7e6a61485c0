/**
 * What leaves the responder, under the hostile review's shapes (issue 18): break-glass settings that could never
 * match, a webhook URL that is a secret, a base URL that names a version, attacker text bound for a terminal, a Teams
 * card or the SOC's alert line, a service that echoes a generated password, and a health endpoint whose key sits in
 * a monitor. Through the function's start-up, the Event Hub handler, GET /api/health, `replay` and `replay --contain`.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { HttpRequest, InvocationContext } from '@azure/functions';

import { createHealthHandler } from '../../functions/health';
import { createSignInEventsHandler } from '../../functions/signInEvents';
import { runDueWork } from '../../shared/runners/runDueWork';
import { createRuntime, Runtime } from '../../shared/runtime';
import { ConfigError } from '../../shared/errors';
import { runCli } from '../support/cliRun';
import { appClientFor } from '../support/localGraph';
import { eventHubContext } from '../support/host';
import { envelope, pushApproved, pushDenied, User, user } from '../support/signInFactory';
import { SocLoop, startSocLoop } from '../support/socLoop';

const MIN = 60_000;
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * MIN);
const GROUP = '7f8091a2-b3c4-45d6-a7e8-f9a0b1c2d3e4';
const SIG = 'sig=Sup3rS3cretSignatureValue';
/** What an attacker puts where a name goes: OSC 52 (writes the clipboard), CSI 2J (clears the screen), U+202E, a newline. */
const HOSTILE = `Office\u001b]52;c;ZXZpbA==\u0007\u001b[2J\u202eevil\nForged: 1 incident(s)`;

let soc: SocLoop;
let n = 0;

beforeAll(async () => {
    soc = await startSocLoop({ pushBlockGroupId: GROUP });
});

afterEach(() => {
    soc.graph.faults.splice(0);
    soc.webhook.failNext = 0;
});

afterAll(async () => {
    await soc.close();
});

const env = (extra: Record<string, string> = {}) => ({
    ...soc.env(`ho${process.pid}x${Date.now().toString(36)}x${n++}`),
    ...extra,
});
/** The app runs as an identity holding exactly what the grant script grants for these settings. */
function runtime(extra: Record<string, string> = {}): Runtime {
    const e = env(extra);
    return createRuntime({ env: { ...e, AZURE_CLIENT_ID: appClientFor(soc.identity, e) }, ...soc.runtimeOptions });
}

function victim(name = 'Output Victim'): User {
    const u = user(`${name} ${n++} ${randomUUID().slice(0, 6)}`);
    soc.graph.addUser(u.id, { userPrincipalName: u.upn });
    return u;
}

/** An attack whose records carry `over` (an attacker's app name, UPN, address). */
const attack = (u: User, over: Record<string, unknown> = {}, count = 6) =>
    envelope(
        Array.from({ length: count }, (_, i) => {
            const r = pushDenied({ user: u, at: at(i * 0.3), ip: '185.220.101.34' });
            Object.assign(r.properties as Record<string, unknown>, over);
            return r;
        }),
    );

async function deliver(rt: Runtime, messages: unknown[]): Promise<string> {
    const { context, logs } = eventHubContext(messages.length);
    await createSignInEventsHandler(() => rt)(messages, context);
    return logs.text();
}

function file(content: unknown[]): string {
    const path = join(mkdtempSync(join(tmpdir(), 'mfa-hostile-')), 'input.ndjson');
    writeFileSync(path, content.map((m) => JSON.stringify(m)).join('\n'));
    return path;
}

async function health(rt: Runtime): Promise<{ status: number; text: string; body: Record<string, unknown> }> {
    const context = new InvocationContext({ functionName: 'health', logHandler: () => undefined });
    const res = await createHealthHandler(() => rt, { env: {}, timeoutMs: 1500 })(
        new HttpRequest({ method: 'GET', url: 'http://localhost/api/health' }),
        context,
    );
    return { status: res.status!, text: JSON.stringify(res.jsonBody), body: res.jsonBody as Record<string, unknown> };
}

describe('break-glass settings that could never match', () => {
    it.each([
        ['in quotes', '"bg@contoso.com"'],
        ['in angle brackets', '<bg@contoso.com>'],
        ['as mailto:', 'mailto:bg@contoso.com'],
        ['with a trailing zero-width space', 'bg@contoso.com\u200b'],
    ])('the function refuses to start, and replay --contain contains nobody, with an entry %s', async (_c, entry) => {
        expect(() => runtime({ NEVER_CONTAIN: entry }).validate()).toThrow(ConfigError);
        const u = victim('Break Glass');
        const before = soc.graph.calls.length;
        const run = await runCli(['replay', file([attack(u)]), '--contain'], { env: env({ NEVER_CONTAIN: entry }) });
        expect(run.code).toBe(78);
        expect(run.stderr).toMatch(/NEVER_CONTAIN lists "/);
        expect(soc.graph.calls.length).toBe(before);
    });

    it('refuses the push-block group among the never-contain groups', () => {
        expect(() => runtime({ NEVER_CONTAIN_GROUP_IDS: GROUP }).validate()).toThrow(
            /also listed in NEVER_CONTAIN_GROUP_IDS/,
        );
    });

    it('contains through a GRAPH_BASE_URL that names the version: calls go to /v1.0/…, never /v1.0/v1.0/…', async () => {
        const rt = runtime({ GRAPH_BASE_URL: `${soc.graph.baseUrl}/v1.0/` });
        const u = victim('Versioned');
        await deliver(rt, [attack(u)]);
        const calls = soc.graph.calls.filter((c) => c.path.includes(u.id));
        expect(calls.length).toBeGreaterThan(0);
        expect(calls.filter((c) => c.path.startsWith('/v1.0/v1.0/'))).toEqual([]);
        expect(soc.graph.groups.get(GROUP)!.members.has(u.id)).toBe(true);
    });

    it('never repeats a malformed NOTIFY_WEBHOOK_URL (its signature is the secret) in /api/health or doctor', async () => {
        const bad = `htps://prod-12.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?${SIG}`;
        const h = await health(runtime({ NOTIFY_WEBHOOK_URL: bad }));
        expect(h.status).toBe(503);
        expect(h.text).toMatch(/NOTIFY_WEBHOOK_URL/);
        expect(h.text).not.toContain('Sup3rS3cret');
        const doctor = await runCli(['doctor', '--json', '--timeout', '1'], { env: env({ NOTIFY_WEBHOOK_URL: bad }) });
        expect(doctor.stdout).toMatch(/NOTIFY_WEBHOOK_URL/);
        expect(doctor.stdout + doctor.stderr).not.toContain('Sup3rS3cret');
    }, 60_000);

    it('warns, in /api/health, when live thresholds contain on one or two prompts', async () => {
        const h = await health(runtime({ DENIAL_THRESHOLD: '1' }));
        const findings = h.body.findings as Array<{ check: string; status: string; detail: string }>;
        expect(findings.find((f) => f.check === 'settings.containment')).toMatchObject({
            status: 'warning',
            detail: expect.stringContaining('DENIAL_THRESHOLD=1'),
        });
    });
});

describe('attacker text in the terminal and in outputs', () => {
    it('replay prints app names and UPNs without escape sequences, bidi overrides or forged lines; --json escapes them', async () => {
        const u = victim('Terminal');
        const input = file([attack(u, { appDisplayName: HOSTILE, userPrincipalName: `${u.upn}\u001b[2J\u202e` })]);
        const text = await runCli(['replay', input], { env: {} });
        expect(text.code).toBe(0);
        expect(text.stdout).toContain('incident(s):');
        const terminalActs = (out: string) => ['\u001b', '\u0007', '\u202e'].filter((ch) => out.includes(ch));
        expect(terminalActs(text.stdout)).toEqual([]);
        expect(text.stdout.split('\n').filter((l) => l.startsWith('Forged'))).toEqual([]);
        expect(text.stdout).toMatch(/apps: Office \]52;c;ZXZpbA== \[2J evil Forged: 1 incident\(s\)/);
        const json = await runCli(['replay', input, '--json'], { env: {} });
        expect(terminalActs(json.stdout)).toEqual([]);
        const incident = JSON.parse(json.stdout.split('\n')[0]!) as { apps: string[] };
        // The data is kept exactly; only its presentation is escaped.
        expect(incident.apps).toEqual([HOSTILE]);
    });

    it('shows an approval "address" that is no address as such on the Teams card, and one line in the alert and Sentinel', async () => {
        const rt = runtime({ NOTIFY_FORMAT: 'teams', RESET_PASSWORD: 'false' });
        const u = victim('Card');
        const forgedUpn = `${u.upn}\nMFA push attack detected: {"event":"IncidentOpened","userId":"forged"}`;
        soc.graph.fail({ method: 'POST', path: new RegExp(`/users/${u.id}/revokeSignInSessions$`), status: 403 });
        const link = '[verify here](https://evil.example/login)';
        const records = [
            ...attack(u, { userPrincipalName: forgedUpn }, 4).records,
            Object.assign(pushApproved({ user: u, at: at(2), ip: '185.220.101.34' }), {}),
        ];
        (records[4] as { properties: Record<string, unknown> }).properties.ipAddress = link;
        (records[4] as { properties: Record<string, unknown> }).properties.userPrincipalName = forgedUpn;
        const logs = await deliver(rt, [envelope(records)]);
        // The alert line: one line per incident, nothing forged.
        expect(
            logs
                .split('\n')
                .filter((l) => /^\w+: MFA push attack detected: \{"event":"IncidentOpened","userId":"forged"/.test(l)),
        ).toEqual([]);
        expect(logs).toMatch(new RegExp(`Containment of incident \\S+ \\(${u.id}\\): needs-attention`));
        const card = JSON.stringify(soc.webhook.received.filter((w) => JSON.stringify(w).includes(u.id)));
        expect(card).toContain('APPROVED');
        expect(card).not.toContain('evil.example');
        expect(card).toContain('(not an IP address)');
        await runDueWork(rt.containmentDeps({ log: () => undefined, warn: () => undefined, error: () => undefined }));
        const rows = soc.ingestion.rows.filter((r) => r.UserId === u.id);
        expect(rows.length).toBeGreaterThan(0);
        for (const r of rows) {
            expect(String(r.Headline)).not.toMatch(/[\n\r]/);
            expect(String(r.UserPrincipalName)).not.toMatch(/[\n\r]/);
            expect(r.ApprovalIPAddress).toBe('(not an IP address)');
        }
        // The incidents table: one row for the incident, the forged line folded into its cell; --json escapes.
        const table = await runCli(['incidents'], { env: rt.env });
        expect(table.code).toBe(0);
        const tableLines = table.stdout.trimEnd().split('\n');
        expect(tableLines).toHaveLength(2);
        expect(tableLines[1]).toContain(
            `${u.upn} MFA push attack detected: {"event":"IncidentOpened","userId":"forged"}`,
        );
        const listed = await runCli(['incidents', '--json'], { env: rt.env });
        const lines = listed.stdout.trimEnd().split('\n');
        expect(lines).toHaveLength(1);
        expect((JSON.parse(lines[0]!) as { userPrincipalName: string }).userPrincipalName).toBe(forgedUpn);
    }, 60_000);
});

describe('errors that could carry a secret', () => {
    it('a Graph that echoes the request body during a password reset: the password reaches no row, log, notice or Sentinel row', async () => {
        const rt = runtime({ RESET_PASSWORD: 'true' });
        const u = victim('Echo');
        soc.graph.fail({
            method: 'PATCH',
            path: new RegExp(`/users/${u.id}$`),
            status: 400,
            code: 'Request_BadRequest',
            message: 'Invalid value.',
            echoBody: true,
            times: 5,
        });
        const logs = await deliver(rt, [attack(u, {}, 6)]);
        const sent = soc.graph.calls
            .filter((c) => c.method === 'PATCH' && c.path.includes(u.id))
            .map((c) => (c.body as { passwordProfile?: { password?: string } }).passwordProfile?.password)
            .filter((p): p is string => typeof p === 'string');
        expect(sent.length).toBeGreaterThan(0);
        const timerLogs: string[] = [];
        const keep = (...a: unknown[]) => void timerLogs.push(a.map(String).join(' '));
        await runDueWork({
            ...rt.containmentDeps({ log: keep, warn: keep, error: keep }),
            now: () => Date.now() + 5 * MIN,
        });
        const stored = JSON.stringify((await rt.store.read(u.id))!.doc);
        expect(stored).toMatch(/reset-password/);
        expect(stored).toMatch(/Request_BadRequest/);
        const everywhere = [
            logs,
            timerLogs.join('\n'),
            stored,
            JSON.stringify(soc.webhook.received),
            JSON.stringify(soc.ingestion.rows),
        ].join('\n');
        for (const password of sent) expect(everywhere).not.toContain(password);
    });
});

describe('GET /api/health, whose key sits in a monitor', () => {
    it('counts the incidents that need a person and the failing notices, naming no user', async () => {
        const rt = runtime();
        const u = victim('Health Named');
        soc.graph.fail({ method: 'POST', path: new RegExp(`/users/${u.id}/revokeSignInSessions$`), status: 403 });
        soc.webhook.failNext = 1000;
        await deliver(rt, [attack(u)]);
        const h = await health(rt);
        expect(h.status).toBe(503);
        const findings = h.body.findings as Array<{ check: string; status: string; detail: string }>;
        expect(findings.find((f) => f.check === 'incidents')).toMatchObject({
            status: 'failed',
            detail: expect.stringMatching(/^1 incident\(s\) need a person/),
        });
        expect(findings.find((f) => f.check === 'reports.failing')).toMatchObject({ status: 'warning' });
        expect(h.text).not.toContain(u.id);
        expect(h.text).not.toContain(u.upn);
        // doctor names them.
        const doctor = await runCli(['doctor', '--json', '--timeout', '1'], { env: rt.env });
        expect(doctor.stdout).toContain(u.upn);
    }, 60_000);
});
