/**
 * Issue "No input can blind detection": every finding of the hostile review, through the public interfaces (the
 * Event Hub handler, with state in Azurite behind an endpoint that enforces Azure's entity limits, and
 * `mfa-responder replay`).
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { createSignInEventsHandler } from '../../functions/signInEvents';
import { readUserRow } from '../../shared/userRow/userRowShape';
import { UserRow } from '../../shared/userRow/userRow';
import {
    MAX_ADDRESSES_PER_INCIDENT,
    MAX_EVIDENCE_PER_INCIDENT,
    MAX_KEYS_PER_CLASS,
} from '../../shared/detection/userState';
import { createRuntime, Runtime } from '../../shared/runtime';
import { azuriteTableEndpoint } from '../support/azuriteTables';
import { AZURE_MAX_ENTITY_BYTES, AzureTableLimits, startAzureTableLimits } from '../support/azureTableLimits';
import { runCli } from '../support/cliRun';
import { eventHubContext } from '../support/host';
import { envelope, guid, pushDenied, pushTimeout, User, user } from '../support/signInFactory';
import { startWebhook } from '../support/webhook';

const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (minute: number) => new Date(T0 + minute * 60_000);
const dir = mkdtempSync(join(tmpdir(), 'mfa-hostile-'));
let limits: AzureTableLimits;
let webhook: Awaited<ReturnType<typeof startWebhook>>;
let tables = 0;

beforeAll(async () => {
    limits = await startAzureTableLimits(azuriteTableEndpoint());
    webhook = await startWebhook();
});
afterAll(async () => {
    await limits.close();
    await webhook.close();
});

/** A runtime whose state table sits behind Azure's limits; dry-run unless told otherwise. */
function runtime(env: Record<string, string> = {}): Runtime {
    return createRuntime({
        env: {
            STATE_TABLE_CONNECTION_STRING: limits.connectionString,
            STATE_TABLE_NAME: `hostile${process.pid}x${tables++}`,
            NOTIFY_WEBHOOK_URL: webhook.url,
            ...env,
        },
    });
}

async function deliver(rt: Runtime, messages: unknown[]): Promise<string> {
    const { context, logs } = eventHubContext(messages.length);
    await createSignInEventsHandler(() => rt)(messages, context);
    return logs.text();
}

async function userRowOf(rt: Runtime, u: User): Promise<UserRow | undefined> {
    const row = await rt.store.read(u.id);
    return row && readUserRow(row.doc);
}

function file(name: string, lines: unknown[]): string {
    const p = join(dir, name);
    writeFileSync(p, lines.map((l) => JSON.stringify(l)).join('\n'));
    return p;
}

const jsonLines = (stdout: string) =>
    stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);

/** A prompt from a fresh IPv6 address, against an application with a long non-Latin display name. */
const LONG_APP = 'Ứng dụng quản lý tài chính doanh nghiệp 企業財務管理アプリケーション'.repeat(20);
function rotatingPrompt(u: User, i: number) {
    const ip = `2001:db8:${(i >> 16).toString(16)}:${(i & 0xffff).toString(16)}:${guid(`ip${i}`).slice(0, 4)}::${i.toString(16)}`;
    return (i % 3 === 0 ? pushTimeout : pushDenied)({
        user: u,
        at: at(i * 0.05),
        ip,
        app: `${LONG_APP}${i}`,
        correlationId: `${guid(`c${i}`)}-${'z'.repeat(100)}`,
    });
}

describe('a row an attacker can grow stays within Azure’s limits', () => {
    it.each([60, 500, 1000, 2000])(
        '%i prompts from rotating IPv6 addresses against a long non-Latin app: detected, stored, the partition goes on',
        async (prompts) => {
            const rt = runtime({ MAX_PROMPTS_PER_USER: String(prompts) });
            const victim = user(`Row Victim ${prompts}`);
            const bystander = user(`Bystander ${prompts}`);
            const refusedBefore = limits.refused.length;
            const records = Array.from({ length: prompts }, (_, i) => rotatingPrompt(victim, i));
            for (let i = 0; i < records.length; i += 250) {
                const logs = await deliver(rt, [envelope(records.slice(i, i + 250))]);
                expect(logs).not.toMatch(/Quarantined|not fully stored/);
            }
            // The same partition keeps working for everyone else.
            const logs = await deliver(rt, [
                envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: bystander, at: at(200 + i * 0.2) }))),
            ]);
            expect(logs).toMatch(new RegExp(`MFA push attack detected: .*"userId":"${bystander.id}"`));
            expect(limits.refused.length).toBe(refusedBefore);
            expect(limits.largest.size).toBeLessThanOrEqual(AZURE_MAX_ENTITY_BYTES);

            const record = (await userRowOf(rt, victim))!;
            expect(record.state.incidents).toHaveLength(1);
            const incident = record.state.incidents[0]!;
            expect(incident.trigger).toBe('threshold');
            // Counts stay exact however much detail had to go.
            expect(incident.denials + incident.timeouts).toBe(prompts);
            expect(incident.timeouts).toBe(Math.ceil(prompts / 3));
            // What was delivered, in order: prompt i has its own address, row id and time.
            const sent = records.map((r) => (r as { properties: { id: string; ipAddress: string } }).properties);
            const times = records.map((_, i) => at(i * 0.05).getTime());
            const kept = record.state.prompts;
            // Every prompt is either kept or counted as forgotten, and those kept are the newest.
            expect(kept.length + (record.state.trimmedPrompts ?? 0)).toBe(prompts);
            expect(kept.map((p) => p.time)).toEqual(times.slice(prompts - kept.length));
            expect(kept.every((p) => p.incidentId === incident.id)).toBe(true);
            // Evidence and addresses begin with the rows and addresses that started the attack.
            expect(incident.evidence[0]).toBe(sent[0]!.id);
            expect(incident.ipAddresses[0]).toBe(sent[0]!.ipAddress);
            expect(incident.evidence.length).toBeLessThanOrEqual(MAX_EVIDENCE_PER_INCIDENT);
            expect(incident.ipAddresses.length).toBeLessThanOrEqual(MAX_ADDRESSES_PER_INCIDENT);
            // Every app name was cut to the same bounded prefix: one app.
            expect(incident.apps).toHaveLength(1);
            expect(LONG_APP.startsWith(incident.apps[0]!)).toBe(true);

            if (prompts <= 500) {
                // The row fits with full detail: nothing dropped, nothing counted as dropped.
                expect(kept).toHaveLength(prompts);
                expect(record.state.trimmedPrompts).toBeUndefined();
                expect(incident.trimmed).toBeUndefined();
                expect(incident.partial).toBeUndefined();
                expect(incident.evidence).toEqual(sent.slice(0, MAX_EVIDENCE_PER_INCIDENT).map((p) => p.id));
                expect(incident.ipAddresses).toEqual(sent.slice(0, MAX_ADDRESSES_PER_INCIDENT).map((p) => p.ipAddress));
            } else {
                // Too big for a row: the oldest prompts went, and so did evidence and addresses, each counted.
                expect(record.state.trimmedPrompts).toBeGreaterThan(0);
                expect(kept.length).toBeLessThan(prompts);
                expect(incident.partial).toBe(true);
                expect(incident.trimmed?.evidence).toBeGreaterThan(0);
                expect(incident.trimmed?.ipAddresses).toBeGreaterThan(0);
                // What stays is still enough to detect: the newest window of prompts.
                const windowStart = record.state.lastEventTime - 10 * 60_000;
                expect(kept.filter((p) => p.time >= windowStart).length).toBe(
                    times.filter((t) => t >= windowStart).length,
                );
            }
        },
    );

    it('merges thousands of rows of one prompt in bounded work: one prompt, a bounded key set', async () => {
        const victim = user('One Prompt Many Rows');
        const request = guid('one-request');
        const rows = Array.from({ length: 4000 }, (_, i) =>
            pushDenied({ user: victim, at: at(0), originalRequestId: request, id: guid(`row${i}`) }),
        );
        const rt = runtime();
        await deliver(rt, [envelope(rows.slice(0, 2000)), envelope(rows.slice(2000))]);
        const record = (await userRowOf(rt, victim))!;
        expect(record.state.prompts).toHaveLength(1);
        const keys = record.state.prompts[0]!.keys;
        expect(keys.filter((k) => k.startsWith('i:')).length).toBeLessThanOrEqual(MAX_KEYS_PER_CLASS.i!);
        expect(keys).toContain(`r:${request}`);
        // A redelivered row whose own id was not kept still finds its prompt through the request id.
        await deliver(rt, [envelope([rows[3999]])]);
        expect((await userRowOf(rt, victim))!.state.prompts).toHaveLength(1);
    });
});

describe('poison never stops the partition', () => {
    it('quarantines a user whose row the service refuses for good, stores the rest, and still reports the attack', async () => {
        const rt = runtime();
        const poisoned = user('Poisoned Victim');
        const healthy = user('Healthy Victim');
        limits.refuseUser(poisoned.id, 'InvalidInput');
        const batch = [
            envelope([
                ...Array.from({ length: 6 }, (_, i) => pushDenied({ user: poisoned, at: at(i * 0.2) })),
                ...Array.from({ length: 6 }, (_, i) => pushDenied({ user: healthy, at: at(i * 0.2) })),
            ]),
        ];
        const logs = await deliver(rt, batch); // resolves: the checkpoint moves on
        expect(logs).toMatch(/"quarantined":1/);
        expect(logs).toMatch(new RegExp(`Quarantined the update of user ${poisoned.id}: .*\\(InvalidInput\\)`));
        expect(logs).toMatch(new RegExp(`MFA push attack detected: .*"userId":"${poisoned.id}".*"stored":false`));
        expect(logs).toMatch(new RegExp(`MFA push attack detected: .*"userId":"${healthy.id}"`));
        expect(await userRowOf(rt, poisoned)).toBeUndefined();
        expect((await userRowOf(rt, healthy))!.state.incidents).toHaveLength(1);
    });

    it('retries a refused write once with the least detail, and stores that', async () => {
        const rt = runtime();
        const victim = user('Refused Once');
        limits.refuseUser(victim.id, 'EntityTooLarge', 400, 1);
        const logs = await deliver(rt, [
            envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: victim, at: at(i * 0.2) }))),
        ]);
        expect(logs).toMatch(/"quarantined":0/);
        expect((await userRowOf(rt, victim))!.state.incidents).toHaveLength(1);
    });

    it('throws only for transient storage failures, so that the host retries the batch', async () => {
        const rt = runtime();
        const victim = user('Throttled User');
        limits.refuseUser(victim.id, 'ServerBusy', 503, 100);
        await expect(
            deliver(rt, [envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: victim, at: at(i) })))]),
        ).rejects.toThrow(/user updates failed/);
        limits.refuseUser(victim.id, 'ServerBusy', 503, 0);
    });
});

describe('an incident is announced once, even when an acknowledgement is lost', () => {
    it('logs, notifies and contains the incident once when the write that opened it lost its answer', async () => {
        const rt = runtime();
        const victim = user('Lost Ack Victim');
        limits.loseAcknowledgement(victim.id, 1);
        const logs = await deliver(rt, [
            envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: victim, at: at(i * 0.2) }))),
        ]);
        expect(logs.match(new RegExp(`MFA push attack detected: [^\\n]*"userId":"${victim.id}"`, 'g'))).toHaveLength(1);
        expect(webhook.received.filter((w) => w.userId === victim.id)).toHaveLength(1);
        const record = (await userRowOf(rt, victim))!;
        expect(record.containments[0]).toMatchObject({ status: 'dry-run' });
        expect(record.containments[0]!.notices[0]).toMatchObject({ kind: 'incident', status: 'sent' });
    });

    it('announces it on the redelivery when the write landed but storage stayed away past every retry', async () => {
        // No SDK retry: the lost answer is the last word of this delivery, as in an outage longer than the retries.
        const rt = createRuntime({
            env: {
                STATE_TABLE_CONNECTION_STRING: limits.connectionString,
                STATE_TABLE_NAME: `hostile${process.pid}x${tables++}`,
                NOTIFY_WEBHOOK_URL: webhook.url,
            },
            tableClientOptions: { retryOptions: { maxRetries: 0 } },
        });
        const victim = user('Outage Victim');
        const batch = [envelope(Array.from({ length: 6 }, (_, i) => pushDenied({ user: victim, at: at(i * 0.2) })))];
        limits.loseAcknowledgement(victim.id, 1);
        const first = eventHubContext(1);
        await expect(createSignInEventsHandler(() => rt)(batch, first.context)).rejects.toThrow(/user updates failed/);
        expect(first.logs.text()).not.toMatch(/MFA push attack detected/);
        expect((await userRowOf(rt, victim))!.unannounced).toHaveLength(1); // stored, marked as not yet announced

        // The host replays the batch: the incident is found stored and unannounced, so this delivery announces it.
        const second = await deliver(rt, batch);
        expect(second.match(/MFA push attack detected: [^\n]*/g)).toHaveLength(1);
        expect(second).toContain(`"userId":"${victim.id}"`);
        expect(webhook.received.filter((w) => w.userId === victim.id)).toHaveLength(1);
        const record = (await userRowOf(rt, victim))!;
        expect(record.unannounced).toBeUndefined();
        expect(record.containments[0]!.notices[0]).toMatchObject({ kind: 'incident', status: 'sent' });
        // A third delivery of the same batch says nothing more.
        expect(await deliver(rt, batch)).not.toMatch(/MFA push attack detected/);
    });
});

describe('sane event time', () => {
    it('rejects a record dated 2099 as future-time; the real declines after it still open an incident', async () => {
        const rt = runtime();
        const victim = user('Future Victim');
        const logs = await deliver(rt, [
            envelope([pushDenied({ user: victim, at: new Date('2099-01-01T00:00:00Z') })]),
            envelope(Array.from({ length: 10 }, (_, i) => pushDenied({ user: victim, at: at(i * 0.2) }))),
        ]);
        expect(logs).toMatch(/Rejected 1 sign-in record\(s\) as future-time/);
        const record = (await userRowOf(rt, victim))!;
        expect(record.state.incidents).toHaveLength(1);
        expect(record.state.lastEventTime).toBeLessThan(Date.now() + 3_600_000);
    });

    it('in replay, a record dated 2099 never makes idle eviction forget other users', async () => {
        const victim = user('Replay Future Victim');
        const prank = user('Prankster');
        const lines = [
            ...Array.from({ length: 3 }, (_, i) => envelope([pushDenied({ user: victim, at: at(i * 0.2) })])),
            envelope([pushDenied({ user: prank, at: new Date('2099-01-01T00:00:00Z') })]),
            // Enough batches of one message for the replay to evict idle users in between.
            ...Array.from({ length: 60 }, (_, i) => envelope([pushTimeout({ user: user(`Noise ${i}`), at: at(1) })])),
            ...Array.from({ length: 3 }, (_, i) => envelope([pushDenied({ user: victim, at: at(2 + i * 0.2) })])),
        ];
        const { code, stdout } = await runCli(['replay', file('future.ndjson', lines), '--json', '--batch-size', '1']);
        expect(code).toBe(0);
        const out = jsonLines(stdout);
        expect(out.find((l) => l.type === 'incident')).toMatchObject({ userId: victim.id, denials: 6 });
        expect(out.at(-1)).toMatchObject({ type: 'summary', rejectedByReason: { 'future-time': 1 } });
    });
});

describe('incident ids and history', () => {
    it('gives two users who share an id prefix, attacked in the same second, two incidents with two ids', async () => {
        const a: User = { id: '0a1b2c3d-0000-4000-8000-000000000001', upn: 'a@contoso.com', name: 'A' };
        const b: User = { id: '0a1b2c3d-0000-4000-8000-000000000002', upn: 'b@contoso.com', name: 'B' };
        const lines = [a, b].flatMap((u) =>
            Array.from({ length: 5 }, (_, i) => pushDenied({ user: u, at: at(i * 0.2) })),
        );
        const { stdout } = await runCli(['replay', file('prefix.ndjson', lines), '--json']);
        const incidents = jsonLines(stdout).filter((l) => l.type === 'incident');
        expect(incidents.map((i) => i.userId).sort()).toEqual([a.id, b.id]);
        expect(new Set(incidents.map((i) => i.incidentId)).size).toBe(2);
        expect(jsonLines(stdout).at(-1)).toMatchObject({ incidents: 2 });
    });

    it('keeps an incident whose containment is unfinished, however many episodes follow', async () => {
        const rt = runtime({ DENIAL_WINDOW_MINUTES: '1' });
        const victim = user('Many Episodes');
        // The first incident is planned live but never run (no Graph here): it stays pending, and must never be
        // forgotten. Then 25 more episodes, each after a quiet gap, each its own (dry-run) incident.
        const live = runtime({
            STATE_TABLE_NAME: (rt.store as unknown as { tableName: string }).tableName,
            DENIAL_WINDOW_MINUTES: '1',
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: guid('group'),
            NEVER_CONTAIN: 'breakglass@contoso.com',
            GRAPH_BASE_URL: 'https://127.0.0.1:9',
        });
        await live.ready();
        const { processSignInBatch } = await import('../../shared/pipeline/processSignInBatch');
        const first = Array.from({ length: 5 }, (_, i) => pushDenied({ user: victim, at: at(i * 0.1) }));
        const { confirmAnnounced } = await import('../../shared/runners/confirmAnnounced');
        const options = {
            rows: live.userRows,
            policy: live.detection.policy,
            categories: live.detection.categories,
            containment: live.containment,
        };
        // As the handler does, without running the containment.
        await confirmAnnounced((await processSignInBatch([envelope(first)], options)).result.newIncidents, options);
        for (let e = 1; e <= 25; e++) {
            await deliver(rt, [
                envelope(Array.from({ length: 5 }, (_, i) => pushDenied({ user: victim, at: at(e * 10 + i * 0.1) }))),
            ]);
        }
        const record = (await userRowOf(rt, victim))!;
        expect(record.state.incidents.length).toBeLessThanOrEqual(21);
        expect(record.state.incidents[0]!.firstSeen).toBe(T0);
        expect(record.containments.find((c) => c.incidentId === record.state.incidents[0]!.id)).toMatchObject({
            status: 'pending',
        });
    });
});

describe('long fields are cut, not fatal', () => {
    it('counts a denial whose app name, correlation id and address are far over their bounds', async () => {
        const victim = user('Long Fields');
        const lines = Array.from({ length: 5 }, (_, i) => {
            const r = pushDenied({ user: victim, at: at(i * 0.2) }) as { properties: Record<string, unknown> };
            r.properties.appDisplayName = '應'.repeat(100_000);
            r.properties.correlationId = 'c'.repeat(100_000);
            r.properties.ipAddress = 'f'.repeat(10_000);
            return r;
        });
        const { stdout } = await runCli(['replay', file('long.ndjson', lines), '--json']);
        const out = jsonLines(stdout);
        expect(out[0]).toMatchObject({ type: 'incident', userId: victim.id, denials: 5 });
        expect(out.at(-1)).toMatchObject({ type: 'summary', rejected: 0, truncated: 5, denials: 5 });
    });
});

describe('a CLI that behaves in a pipe and never writes into the live table', () => {
    it('prints one line and exits quietly into `head -n 1`', () => {
        const lines = Array.from({ length: 30 }, (_, u) =>
            Array.from({ length: 5 }, (_, i) => pushDenied({ user: user(`Pipe ${u}`), at: at(i * 0.2) })),
        ).flat();
        const input = file('pipe.ndjson', lines);
        const bin = join(__dirname, '..', '..', 'bin', 'mfa-responder.js');
        const r = spawnSync('bash', ['-o', 'pipefail', '-c', `node "${bin}" replay --json "${input}" | head -n 1`], {
            encoding: 'utf8',
        });
        expect(r.stderr).toBe('');
        expect(r.status).toBe(0);
        expect(r.stdout.trim().split('\n')).toHaveLength(1);
        expect(JSON.parse(r.stdout)).toMatchObject({ type: 'incident' });
    });

    it('needs --table for --store table, and refuses the live table by name', async () => {
        const input = file('one.ndjson', [pushDenied({ user: user('Table User'), at: at(0) })]);
        const env = { STATE_TABLE_CONNECTION_STRING: limits.connectionString, STATE_TABLE_NAME: 'liveState' };
        const none = await runCli(['replay', input, '--store', 'table'], { env });
        expect(none.code).toBe(2);
        expect(none.stderr).toMatch(/--store table needs --table NAME/);
        const live = await runCli(['replay', input, '--store', 'table', '--table', 'LIVESTATE'], { env });
        expect(live.code).toBe(2);
        expect(live.stderr).toMatch(/is the live state table/);
        const byDefault = await runCli(['replay', input, '--store', 'table', '--table', 'mfaResponderState'], {
            env: { STATE_TABLE_CONNECTION_STRING: limits.connectionString },
        });
        expect(byDefault.code).toBe(2);
        const other = await runCli(['replay', input, '--store', 'table', '--table', 'backtest1', '--json'], { env });
        expect(other.code).toBe(0);
    });
});
