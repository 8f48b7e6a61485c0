/**
 * Benchmarks (npm run bench). Every number is printed next to a baseline measured in the same run, because these
 * machines are shared and noisy: compare ratios, not absolute times.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, createWriteStream, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { startLocalAzurite } from '../cli/localAzurite';
import { mergeRegistrations } from '../shared/detection/persistence';
import { DEFAULT_POLICY } from '../shared/detection/policy';
import type { SecurityInfoEvent } from '../shared/signin/signInEvent';
import { emptyBatchResult } from '../shared/pipeline/batchResult';
import { parseMessages } from '../shared/pipeline/parseMessages';
import { processSignInBatch } from '../shared/pipeline/processSignInBatch';
import { USER_SIGNIN_CATEGORIES } from '../shared/signin/parseSignIn';
import type { UserRow } from '../shared/userRow/userRow';
import { UserRows } from '../shared/userRow/userRows';
import { createTableClient } from '../shared/state/createTableClient';
import { MemoryRowStore } from '../shared/state/memoryRowStore';
import { TableRowStore } from '../shared/state/tableRowStore';
import { RequestCounter } from '../test/support/azuriteTables';
import { InvocationContext } from '@azure/functions';

import { createSignInEventsHandler } from '../functions/signInEvents';
import { createRuntime } from '../shared/runtime';
import { startFakeGraph, startFakeIdentity } from '../test/support/fakeGraph';
import { grantedRolesFor } from '../test/support/grantedRoles';
import { envelope, pushDenied, user } from '../test/support/signInFactory';
import { loadLikeTheWorker } from '../test/packaging/workerStandIn';
import { EventRecorder } from '../cli/replayEvents';
import { hotSource } from './campaigns';
import { writeRealisticStream } from './realisticStream';
import { rowSizeBench } from './rowSize';
import { tenantStream } from './streams';
import { wave } from './wave';

const categories = new Set<string>(USER_SIGNIN_CATEGORIES);

function best(runs: number, fn: () => void): number {
    let min = Infinity;
    for (let i = 0; i < runs; i++) {
        const t = process.hrtime.bigint();
        fn();
        min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
    }
    return min;
}

async function bestAsync(runs: number, fn: () => Promise<void>): Promise<number> {
    let min = Infinity;
    for (let i = 0; i < runs; i++) {
        const t = process.hrtime.bigint();
        await fn();
        min = Math.min(min, Number(process.hrtime.bigint() - t) / 1e6);
    }
    return min;
}

function chunk<T>(items: readonly T[], size: number): T[][] {
    const out: T[][] = [];
    for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
    return out;
}

async function throughput(): Promise<void> {
    const records = 60_000;
    const messages = tenantStream({ records, users: 3000, perMessage: 50 });
    const baseline = best(5, () => {
        for (const m of messages) JSON.parse(m);
    });
    const parse = best(5, () => {
        parseMessages(messages, { categories }, emptyBatchResult());
    });
    const pipeline = await bestAsync(3, async () => {
        const rows = new UserRows({ store: new MemoryRowStore<UserRow>(), windowMs: DEFAULT_POLICY.windowMs });
        for (const batch of chunk(messages, 100))
            await processSignInBatch(batch, { rows, policy: DEFAULT_POLICY, categories });
    });
    const rate = (ms: number) => `${Math.round(records / (ms / 1000)).toLocaleString('en-US')} records/s`;
    console.log(`\n# Throughput, ${records} records in ${messages.length} messages (best of runs)`);
    console.log(`JSON.parse of the same bytes (baseline)   ${baseline.toFixed(0)} ms  ${rate(baseline)}`);
    console.log(
        `parse + classify                          ${parse.toFixed(0)} ms  ${rate(parse)}  ratio ${(parse / baseline).toFixed(2)}x baseline`,
    );
    console.log(
        `whole pipeline, in-memory store           ${pipeline.toFixed(0)} ms  ${rate(pipeline)}  ratio ${(pipeline / baseline).toFixed(2)}x baseline`,
    );
}

async function roundTrips(): Promise<void> {
    const azurite = await startLocalAzurite();
    try {
        const counter = new RequestCounter();
        const store = new TableRowStore<UserRow>(
            createTableClient(
                { kind: 'connectionString', connectionString: azurite.connectionString, tableName: 'benchRoundTrips' },
                undefined,
                { additionalPolicies: [{ policy: counter.policy, position: 'perCall' }] },
            ),
        );
        await store.ensureTable();
        const messages = tenantStream({ records: 20_000, users: 500, perMessage: 50, seed: 2 });
        const rows = new UserRows({ store, windowMs: DEFAULT_POLICY.windowMs });
        let affected = 0;
        let batches = 0;
        counter.reset();
        const started = process.hrtime.bigint();
        for (const batch of chunk(messages, 100)) {
            const { result } = await processSignInBatch(batch, { rows, policy: DEFAULT_POLICY, categories });
            affected += result.users;
            batches++;
        }
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        console.log(`\n# Table round trips (Azurite), 20,000 records in ${batches} batches`);
        console.log(
            `requests ${counter.total}, affected user-batches ${affected}: ${(counter.total / affected).toFixed(2)} round trips per affected user per batch (target <= 2)`,
        );
        console.log(`wall time ${ms.toFixed(0)} ms (Azurite on loopback; not comparable to Azure latency)`);
    } finally {
        await azurite.stop();
    }
}

async function peakMemory(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'mfa-bench-'));
    const file = join(dir, 'large.ndjson');
    const out = createWriteStream(file);
    for (let part = 0; part < 8; part++) {
        for (const m of tenantStream({ records: 25_000, users: 20_000, perMessage: 25, seed: 10 + part })) {
            if (!out.write(`${m}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
    }
    await new Promise<void>((r) => out.end(() => r()));
    const size = statSync(file).size;
    const root = join(__dirname, '..', '..');
    const measure = (script: string) => {
        const r = spawnSync(process.execPath, ['-e', script], {
            cwd: root,
            encoding: 'utf8',
            env: { ...process.env, FILE: file },
        });
        if (r.status !== 0) throw new Error(r.stderr);
        return JSON.parse(r.stdout.trim().split('\n').pop()!) as { maxRssMb: number; ms: number };
    };
    const baseline = measure(`
        const rl = require('node:readline').createInterface({ input: require('node:fs').createReadStream(process.env.FILE) });
        const t = Date.now(); let n = 0;
        rl.on('line', (l) => { n += JSON.parse(l).records.length; });
        rl.on('close', () => console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, ms: Date.now() - t })));`);
    const replayWith = (args: string[]) =>
        measure(`
        const { main } = require('./dist/cli/main.js');
        const { Writable } = require('node:stream');
        const t = Date.now();
        const sink = new Writable({ write(c, e, cb) { cb(); } });
        main(['replay', process.env.FILE, '--json', ...${JSON.stringify(args)}], { stdout: sink, stderr: process.stderr, env: {} }).then((code) => {
            if (code !== 0) process.exit(code);
            console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, ms: Date.now() - t }));
        });`);
    const replay = replayWith([]);
    // The same file with a bound below its users: memory follows the bound, not the input (users forgotten by
    // arrival, the least recently seen first).
    const bounded = replayWith(['--memory-users', '2000']);
    rmSync(dir, { recursive: true, force: true });
    console.log(
        `\n# Peak memory, replay of a ${(size / 1e6).toFixed(0)} MB NDJSON export (200,000 records, 20,000 users)`,
    );
    console.log(`readline + JSON.parse (baseline)   peak RSS ${baseline.maxRssMb.toFixed(0)} MB  ${baseline.ms} ms`);
    console.log(
        `mfa-responder replay --json        peak RSS ${replay.maxRssMb.toFixed(0)} MB  ${replay.ms} ms  ratio ${(replay.maxRssMb / baseline.maxRssMb).toFixed(2)}x baseline RSS (state of 20,000 active users held in memory)`,
    );
    console.log(
        `  ... --memory-users 2000          peak RSS ${bounded.maxRssMb.toFixed(0)} MB  ${bounded.ms} ms  ratio ${(bounded.maxRssMb / baseline.maxRssMb).toFixed(2)}x baseline RSS (at most 2,000 users without an incident held)`,
    );
}

/**
 * From the triggering batch reaching the handler to the first Graph containment call arriving at Graph, against a
 * local Graph over HTTPS with a managed identity token, and Azurite for state. Baseline: one bare Graph POST through
 * the same client, measured in the same run.
 */
async function latency(): Promise<void> {
    const identity = await startFakeIdentity();
    // The roles the grant script gives a live deployment: the local Graph refuses calls without them.
    identity.roles = grantedRolesFor(['--mode', 'live']).roles;
    const graph = await startFakeGraph(identity);
    const azurite = await startLocalAzurite();
    process.env.IDENTITY_ENDPOINT = identity.endpoint;
    process.env.IDENTITY_HEADER = identity.secret;
    const group = '9a0b1c2d-3e4f-4a5b-8c6d-7e8f9a0b1c2d';
    graph.addGroup(group, 'SG-MFA-Push-Blocked');
    try {
        const env = {
            STATE_TABLE_CONNECTION_STRING: azurite.connectionString,
            AZURE_CLIENT_ID: identity.clientId,
            GRAPH_BASE_URL: graph.baseUrl,
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: group,
            NEVER_CONTAIN: 'breakglass@contoso.com',
        };
        const samples: number[] = [];
        const baselines: number[] = [];
        for (let i = 0; i < 15; i++) {
            const rt = createRuntime({ env: { ...env, STATE_TABLE_NAME: `benchLatency${i}` } });
            await rt.ready();
            const victim = user(`Latency Victim ${i}`);
            graph.addUser(victim.id);
            const other = user(`Latency Baseline ${i}`);
            graph.addUser(other.id);
            const t0 = Date.now();
            await rt.graph().revokeSignInSessions(other.id);
            baselines.push(Date.now() - t0);
            const batch = [
                envelope(
                    Array.from({ length: 5 }, (_, k) =>
                        pushDenied({ user: victim, at: new Date(Date.UTC(2026, 10, 2, 9, 0, k * 20)) }),
                    ),
                ),
            ];
            const started = Date.now();
            await createSignInEventsHandler(() => rt)(batch, new InvocationContext({ logHandler: () => undefined }));
            const first = graph.calls.find((c) => c.path.includes(victim.id) && c.method === 'POST');
            samples.push(first!.at - started);
        }
        const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
        console.log('\n# Time from the triggering batch to the first Graph containment call (15 runs, medians)');
        console.log(`one bare Graph POST (baseline)              ${median(baselines)} ms`);
        console.log(
            `triggering batch -> first containment call  ${median(samples)} ms  ratio ${(median(samples) / Math.max(1, median(baselines))).toFixed(1)}x baseline`,
        );
    } finally {
        await azurite.stop();
        await graph.close();
        await identity.close();
    }
}

/**
 * Replay speed as a user runs it (`mfa-responder replay --json FILE`, a new process each time), on a stream shaped
 * like a real tenant's (realisticStream.ts), against a bare JSON.parse of the same bytes in the same run (a new
 * process that reads the file in the same chunks, splits the lines and JSON.parses each: what any reader of the
 * export pays), alternating, best of three. The ratio is throughput: baseline time / replay time. The time of
 * JSON.parse alone, on lines already in memory, is printed beside it.
 */
async function replaySpeed(): Promise<void> {
    const records = Number(process.env.BENCH_REPLAY_RECORDS ?? 200_000);
    const dir = mkdtempSync(join(tmpdir(), 'mfa-bench-replay-'));
    const file = join(dir, 'tenant.ndjson');
    const size = await writeRealisticStream(file, { records, users: 20_000 });
    const root = join(__dirname, '..', '..');
    const run = (args: string[]) => {
        const t = process.hrtime.bigint();
        const r = spawnSync(process.execPath, args, {
            cwd: root,
            encoding: 'utf8',
            maxBuffer: 64 * 1024 * 1024,
            // The stream's one address, 198.51.100.23, is every user's office egress (realisticStream.ts): a tenant
            // declares it, as docs/how-it-works.md says, or campaign detection reports its users' everyday declines
            // as a push-spray campaign (BENCH_UNTRUSTED_EGRESS=1 measures that case).
            env: {
                ...process.env,
                FILE: file,
                ...(process.env.BENCH_UNTRUSTED_EGRESS ? {} : { TRUSTED_SOURCE_RANGES: '198.51.100.23/32' }),
            },
        });
        if (r.status !== 0) throw new Error(r.stderr);
        return { ms: Number(process.hrtime.bigint() - t) / 1e6, stdout: r.stdout };
    };
    // The tightest fair reader: the same chunks, lines found with indexOf and decoded in place, as the replay does.
    const bytesScript = `
        const stream = require('node:fs').createReadStream(process.env.FILE, { highWaterMark: 1024 * 1024 });
        (async () => {
            let carry = null;
            for await (let chunk of stream) {
                if (carry) { chunk = Buffer.concat([carry, chunk]); carry = null; }
                let start = 0;
                for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
                    if (nl > start) JSON.parse(chunk.toString('utf8', start, nl));
                    start = nl + 1;
                }
                if (start < chunk.length) carry = chunk.subarray(start);
            }
            if (carry) JSON.parse(carry.toString('utf8'));
        })();`;
    const memoryScript = `
        const buf = require('node:fs').readFileSync(process.env.FILE);
        const lines = []; let s = 0;
        for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, s)) { lines.push(buf.toString('utf8', s, i)); s = i + 1; }
        const t = process.hrtime.bigint();
        for (const l of lines) JSON.parse(l);
        console.log(Number(process.hrtime.bigint() - t) / 1e6);`;
    const baselines: number[] = [];
    const inMemory: number[] = [];
    const replays: number[] = [];
    let summary = '';
    for (let i = 0; i < 3; i++) {
        baselines.push(run(['-e', bytesScript]).ms);
        inMemory.push(Number(run(['-e', memoryScript]).stdout.trim()));
        const replay = run(['bin/mfa-responder.js', 'replay', '--json', file]);
        replays.push(replay.ms);
        summary = replay.stdout.trim().split('\n').pop() ?? '';
    }
    rmSync(dir, { recursive: true, force: true });
    const baseline = Math.min(...baselines);
    const parseOnly = Math.min(...inMemory);
    const replay = Math.min(...replays);
    const rate = (ms: number) => `${Math.round(records / (ms / 1000)).toLocaleString('en-US')} records/s`;
    console.log(
        `\n# Replay speed through the CLI, ${records.toLocaleString('en-US')} records (${(size / 1e6).toFixed(0)} MB) of a tenant-shaped stream (best of 3)`,
    );
    console.log(`read + split + JSON.parse of the same bytes (baseline)  ${baseline.toFixed(0)} ms  ${rate(baseline)}`);
    console.log(
        `mfa-responder replay --json FILE                        ${replay.toFixed(0)} ms  ${rate(replay)}  throughput ${(baseline / replay).toFixed(2)}x baseline (target >= 0.70)`,
    );
    console.log(
        `(JSON.parse alone, lines already in memory              ${parseOnly.toFixed(0)} ms  ${rate(parseOnly)}; replay ${(parseOnly / replay).toFixed(2)}x)`,
    );
    console.log(`summary: ${summary}`);
}

/**
 * What `replay --html` costs on top of a replay: it keeps every MFA event (compact) for the threshold sweep and the
 * timelines, then runs detection again for each of the 40 grid points. Both runs as a user runs them (a new process
 * each, same tenant-shaped file), best of 3; the ratio is against the plain `replay --json` of the same file.
 */
async function htmlReport(): Promise<void> {
    const dir = mkdtempSync(join(tmpdir(), 'mfa-bench-html-'));
    const file = join(dir, 'tenant.ndjson');
    const out = createWriteStream(file);
    for (let part = 0; part < 8; part++) {
        for (const m of tenantStream({ records: 25_000, users: 20_000, perMessage: 25, seed: 30 + part })) {
            if (!out.write(`${m}\n`)) await new Promise<void>((r) => out.once('drain', () => r()));
        }
    }
    await new Promise<void>((r) => out.end(() => r()));
    const root = join(__dirname, '..', '..');
    const run = (extra: string[]) => {
        const script = `
            const { main } = require('./dist/cli/main.js');
            const { Writable } = require('node:stream');
            const t = Date.now();
            const sink = new Writable({ write(c, e, cb) { cb(); } });
            main(['replay', process.env.FILE, '--json', ...JSON.parse(process.env.EXTRA)], { stdout: sink, stderr: process.stderr, env: {} }).then((code) => {
                if (code !== 0) process.exit(code);
                console.log(JSON.stringify({ maxRssMb: process.resourceUsage().maxRSS / 1024, ms: Date.now() - t }));
            });`;
        const r = spawnSync(process.execPath, ['-e', script], {
            cwd: root,
            encoding: 'utf8',
            env: { ...process.env, FILE: file, EXTRA: JSON.stringify(extra) },
        });
        if (r.status !== 0) throw new Error(r.stderr);
        return JSON.parse(r.stdout.trim().split('\n').pop()!) as { maxRssMb: number; ms: number };
    };
    const report = join(dir, 'report.html');
    const plain: Array<{ maxRssMb: number; ms: number }> = [];
    const html: Array<{ maxRssMb: number; ms: number }> = [];
    for (let i = 0; i < 3; i++) {
        plain.push(run([]));
        html.push(run(['--html', report]));
    }
    const best = (xs: typeof plain) => ({
        ms: Math.min(...xs.map((x) => x.ms)),
        maxRssMb: Math.min(...xs.map((x) => x.maxRssMb)),
    });
    const a = best(plain);
    const b = best(html);
    const size = statSync(report).size;
    // The recorder's own memory per event it keeps, on the heap (what REPORT_EVENT_BOUNDS in cli/commands/replay.ts assumes).
    const gc = (globalThis as { gc?: () => void }).gc;
    const messages = tenantStream({ records: 200_000, users: 20_000, perMessage: 25, seed: 30 });
    gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    const recorder = new EventRecorder({ maxEvents: 10_000_000, chunkSpanMs: 3_600_000 });
    for (const batch of chunk(messages, 256)) {
        recorder.add(
            parseMessages(
                batch.map((m) => JSON.parse(m) as unknown),
                { categories, now: Date.parse('2026-11-03T00:00:00Z') },
                emptyBatchResult(),
            ),
        );
    }
    gc?.();
    const perEvent = (process.memoryUsage().heapUsed - heapBefore) / recorder.kept;
    rmSync(dir, { recursive: true, force: true });
    console.log('\n# replay --html: sweep (40 grid points) and timelines on 200,000 records, 20,000 users (best of 3)');
    console.log(`replay --json (baseline)          ${a.ms} ms  peak RSS ${a.maxRssMb.toFixed(0)} MB`);
    console.log(
        `replay --json --html FILE         ${b.ms} ms  peak RSS ${b.maxRssMb.toFixed(0)} MB  time ${(b.ms / a.ms).toFixed(2)}x, memory ${(b.maxRssMb / a.maxRssMb).toFixed(2)}x baseline; report ${(size / 1e6).toFixed(1)} MB`,
    );
    console.log(
        `events kept for the sweep: ${recorder.kept.toLocaleString('en-US')}, ${gc ? perEvent.toFixed(0) : '?'} bytes of heap each`,
    );
}

/**
 * Merging audit rows into security-information changes, on a hostile batch (every row a new registration, then a
 * second row of each): the time per row at 10x the rows against the time per row at 1x, in the same run. Linear
 * merging keeps the ratio near 1; a scan of the list per row would make it near 10.
 */
function registrations(): void {
    const batch = (count: number): SecurityInfoEvent[] => {
        const rows: SecurityInfoEvent[] = [];
        for (const pass of ['a', 'b']) {
            for (let n = 0; n < count; n++) {
                rows.push({
                    kind: 'method-registered',
                    userId: '0f8fad5b-d9cb-469f-a165-70867728950e',
                    time: Date.UTC(2026, 10, 2, 9) + n * 1000,
                    methods: ['unknown'],
                    initiatedBy: 'user',
                    recordId: `${pass}${n}`,
                    keys: [`i:${pass}${n}`, `c:corr-${n}|method-registered`],
                });
            }
        }
        return rows;
    };
    const small = batch(20_000);
    const large = batch(200_000);
    const perRow = (rows: SecurityInfoEvent[]) => best(3, () => void mergeRegistrations([], rows)) / rows.length;
    perRow(large); // warm-up: both sizes then run on optimised code
    const base = perRow(small);
    const big = perRow(large);
    console.log('\n# Merging audit rows of one user (hostile batch: every row a new registration), best of 3');
    console.log(`40,000 rows (baseline)     ${(base * 1e6).toFixed(0)} ns a row`);
    console.log(
        `400,000 rows               ${(big * 1e6).toFixed(0)} ns a row  ratio ${(big / base).toFixed(2)}x baseline per row (linear: about 1; quadratic: about 10)`,
    );
}

/**
 * Cold start of the function app as the Node.js worker does it: a new process that loads the entry points of
 * package.json "main" and registers every function (test/packaging/workerStandIn.ts), with the settings of a
 * deployment (telemetry to Application Insights on, as the template sets it) and with a local run's. Before: the
 * TypeScript output dist/functions/*.js requiring its dependencies from node_modules, as the remote build left the app
 * (npm install of every dependency). After: the esbuild bundle dist/azure, in a folder with no node_modules. Alternating,
 * medians; the ratio is before / after (above 1: the bundle starts faster).
 */
function coldStart(): void {
    const root = join(__dirname, '..', '..');
    const local = (
        JSON.parse(readFileSync(join(root, 'local.settings.example.json'), 'utf8')) as {
            Values: Record<string, string>;
        }
    ).Values;
    const deployed = {
        ...local,
        APPLICATIONINSIGHTS_CONNECTION_STRING:
            'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
        APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=11111111-2222-4333-8444-555555555555;Authorization=AAD',
        AZURE_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
    };
    const before = readdirSync(join(root, 'dist', 'functions'))
        .filter((f) => f.endsWith('.js'))
        .sort()
        .map((f) => join(root, 'dist', 'functions', f));
    const wwwroot = mkdtempSync(join(tmpdir(), 'mfa-bench-wwwroot-'));
    cpSync(join(root, 'dist', 'azure'), wwwroot, { recursive: true });
    const after = [
        join(wwwroot, (JSON.parse(readFileSync(join(wwwroot, 'package.json'), 'utf8')) as { main: string }).main),
    ];
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    const time = (dir: string, files: string[], settings: Record<string, string>) => {
        const t0 = process.hrtime.bigint();
        const r = loadLikeTheWorker(dir, files, settings);
        const ms = Number(process.hrtime.bigint() - t0) / 1e6;
        if (r.loadError || r.registered.length !== 6)
            throw new Error(`cold start: ${r.loadError ?? r.registered.length}`);
        return ms;
    };
    const bytes = readdirSync(wwwroot).reduce((n, f) => n + statSync(join(wwwroot, f)).size, 0);
    try {
        console.log(
            `\n# Cold start: the worker loading the entry points and registering 6 functions (11 runs each, medians)`,
        );
        console.log(
            `deployed package: dist/azure, ${(bytes / 1024 / 1024).toFixed(1)} MB; before: dist/functions/*.js + node_modules`,
        );
        for (const [name, settings] of [
            ['as deployed (telemetry on)', deployed],
            ['as a local run (telemetry off)', local],
        ] as const) {
            const a: number[] = [];
            const b: number[] = [];
            for (let i = 0; i < 11; i++) {
                a.push(time(root, before, settings));
                b.push(time(wwwroot, after, settings));
            }
            console.log(
                `${name.padEnd(32)} before ${median(a).toFixed(0)} ms, bundle ${median(b).toFixed(0)} ms  ratio ${(median(a) / median(b)).toFixed(2)}x`,
            );
        }
    } finally {
        rmSync(wwwroot, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    const only = process.argv[2];
    if (!only || only === 'replay') await replaySpeed();
    if (!only || only === 'throughput') await throughput();
    if (!only || only === 'roundtrips') await roundTrips();
    if (!only || only === 'campaigns') await hotSource();
    if (!only || only === 'memory') await peakMemory();
    if (!only || only === 'latency') await latency();
    if (!only || only === 'html') await htmlReport();
    if (!only || only === 'registrations') registrations();
    if (!only || only === 'coldstart') coldStart();
    if (!only || only === 'wave') await wave();
    if (!only || only === 'rowsize') rowSizeBench();
}

main().catch((e) => {
    console.error(e);
    process.exit(1);
});
