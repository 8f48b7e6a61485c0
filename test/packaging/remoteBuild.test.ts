import { spawn } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

import ignore from 'ignore';
import { glob } from 'tinyglobby';

import { SETTINGS } from '../../shared/config';
import { LoadResult, loadLikeTheWorker, RegisteredFunction } from './workerStandIn';

/**
 * What `azd deploy` uploads and what the Flex Consumption remote build makes of it, reproduced offline (the npm
 * registry aside):
 * 1. the package: the repository's files minus .funcignore (gitignore rules, as azd reads them) and minus what azd
 *    always leaves out (Azure/azure-dev cli/azd/pkg/project/project_utils.go, createDeployableZip);
 * 2. the remote build on a clean copy of it: plain `npm install`, then `npm run build`, as Oryx runs them
 *    (microsoft/Oryx src/BuildScriptGenerator/Node), with nothing from the developer's node_modules or dist;
 * 3. start-up: the files matched by package.json "main" loaded the way the Node.js worker loads them, with the
 *    settings of local.settings.example.json, and every registered function and binding checked.
 * Slow (a full install, about a minute): it is the only test that sees the app as Azure will.
 */
const root = join(__dirname, '..', '..');
const funcignore = readFileSync(join(root, '.funcignore'), 'utf8').replace(/^\uFEFF/, '');

/** The files azd would put in the zip, relative to the repository, with "/" separators. */
function packagedFiles(): string[] {
    const rules = ignore().add(funcignore);
    const files: string[] = [];
    const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const abs = join(dir, entry.name);
            const rel = relative(root, abs).split(sep).join('/');
            // azd follows symbolic links.
            const isDir = entry.isSymbolicLink() ? statSync(abs).isDirectory() : entry.isDirectory();
            // Always left out by azd, whatever .funcignore says.
            if (
                (isDir && entry.name === '.azure') ||
                (!isDir && ['.funcignore', 'local.settings.json'].includes(entry.name))
            )
                continue;
            if (rules.ignores(isDir ? `${rel}/` : rel)) continue; // an ignored directory is not descended into
            if (isDir) walk(abs);
            else files.push(rel);
        }
    };
    walk(root);
    return files.sort();
}

/** The environment of the remote build: the machine's, without what `npm test` adds for its own scripts. */
function buildEnv(): NodeJS.ProcessEnv {
    const keep = /^npm_config_(registry|cache|userconfig|globalconfig|https?_proxy|proxy|noproxy|strict_ssl|cafile)$/i;
    return Object.fromEntries(
        Object.entries(process.env).filter(([k]) => (!/^npm_/i.test(k) || keep.test(k)) && k !== 'INIT_CWD'),
    );
}

/**
 * Runs a build command at the lowest CPU priority: an install and a compile take both cores of a small machine for a
 * minute, and the tests running beside this one (Azurite among them) must not starve meanwhile.
 */
function run(command: string, args: string[], cwd: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { cwd, env: buildEnv(), stdio: ['ignore', 'pipe', 'pipe'] });
        try {
            if (child.pid !== undefined) setPriority(child.pid, 19);
        } catch {
            // Lowering a priority is allowed everywhere this runs; if not, the build just competes for the CPU.
        }
        let output = '';
        child.stdout.on('data', (d: Buffer) => (output += d.toString()));
        child.stderr.on('data', (d: Buffer) => (output += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), 480_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            if (code === 0) resolve();
            else reject(new Error(`${command} ${args.join(' ')} failed (${code ?? signal}):\n${output.slice(-4000)}`));
        });
    });
}

const localSettings = (
    JSON.parse(readFileSync(join(root, 'local.settings.example.json'), 'utf8')) as { Values: Record<string, string> }
).Values;

let files: string[];
let app: string;
let entryPoints: string[];
let started: LoadResult;

beforeAll(async () => {
    files = packagedFiles();
    app = mkdtempSync(join(tmpdir(), 'mfa-remote-build-'));
    for (const file of files) {
        mkdirSync(dirname(join(app, file)), { recursive: true });
        cpSync(join(root, file), join(app, file), { dereference: true });
    }
    await run('npm', ['install'], app);
    await run('npm', ['run', 'build'], app);
    const main = (JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { main: string }).main;
    entryPoints = (await glob(main, { cwd: app })).map((f) => join(app, f));
    started = loadLikeTheWorker(app, entryPoints, localSettings);
}, 600_000);

afterAll(() => {
    if (app) rmSync(app, { recursive: true, force: true });
});

describe('the package azd uploads', () => {
    it('leaves out node_modules as azd checks it, so that azd accepts remoteBuild: true', () => {
        expect(readFileSync(join(root, 'azure.yaml'), 'utf8')).toMatch(/^\s+remoteBuild: true$/m);
        // azd (resolveFunctionAppRemoteBuild): ignore.Relative("node_modules", true) must match.
        expect(ignore().add(funcignore).ignores('node_modules/')).toBe(true);
        expect(files.filter((f) => f.startsWith('node_modules/') || f.startsWith('dist/'))).toEqual([]);
    });

    it('holds everything the remote build reads, and none of the development-only files', () => {
        const tsconfigs = ['tsconfig.json', 'tsconfig.build.json'];
        for (const f of ['package.json', 'package-lock.json', 'host.json', ...tsconfigs]) expect(files).toContain(f);
        const build = JSON.parse(readFileSync(join(root, 'tsconfig.build.json'), 'utf8')) as { include: string[] };
        for (const dir of build.include)
            expect({ dir, packaged: files.some((f) => f.startsWith(`${dir}/`)) }).toEqual({ dir, packaged: true });
        for (const dir of ['test/', 'infra/', 'bench/', 'samples/', '.git/', '.tools/', 'coverage/'])
            expect({ dir, packaged: files.some((f) => f.startsWith(dir)) }).toEqual({ dir, packaged: false });
        expect(files).not.toContain('local.settings.json');
        expect(files).not.toContain('.funcignore');
    });
});

describe('the remote build (npm install, npm run build) of that package', () => {
    it('compiles exactly the current sources: no stale function survives a deleted source file', () => {
        const compiled = readdirSync(join(app, 'dist', 'functions'))
            .filter((f) => f.endsWith('.js'))
            .sort();
        const sources = readdirSync(join(root, 'functions'))
            .filter((f) => f.endsWith('.ts'))
            .map((f) => f.replace(/\.ts$/, '.js'))
            .sort();
        expect(compiled).toEqual(sources);
        expect(entryPoints.map((f) => relative(app, f).split(sep).join('/')).sort()).toEqual(
            sources.map((f) => `dist/functions/${f}`),
        );
    });
});

/** A registered function as the test states it: binding names are random, so the trigger is found by direction. */
function describeFunction(f: RegisteredFunction) {
    const strip = ({ name: _name, properties: _properties, ...rest }: Record<string, unknown>) => rest;
    const trigger = f.bindings.find((b) => b.direction === 'in' && String(b.type).endsWith('Trigger'))!;
    return {
        trigger: strip(trigger),
        others: f.bindings.filter((b) => b !== trigger).map((b) => ({ ...strip(b), name: b.name })),
        ...(f.retryOptions ? { retry: f.retryOptions } : {}),
    };
}

const admin = (route: string, method: string, authLevel: string) => ({
    trigger: { type: 'httpTrigger', direction: 'in', authLevel, methods: [method], route },
    others: [{ type: 'http', direction: 'out', name: '$return' }],
});

describe('the built app, loaded as the Functions worker loads it', () => {
    it('starts, and registers each function with its trigger, connection, schedule, route and retry policy', () => {
        expect(started.loadError).toBeUndefined();
        const byName = Object.fromEntries(started.registered.map((f) => [f.name, describeFunction(f)]));
        expect(byName).toEqual({
            signInEvents: {
                trigger: {
                    type: 'eventHubTrigger',
                    direction: 'in',
                    connection: 'EventHubConnection',
                    eventHubName: '%EVENTHUB_NAME%',
                    consumerGroup: '%EVENTHUB_CONSUMER_GROUP%',
                    cardinality: 'many',
                },
                others: [],
                // Without a retry policy a failed batch still moves the checkpoint (its denials would be lost).
                retry: {
                    strategy: 'exponentialBackoff',
                    retryStrategy: 'exponentialBackoff',
                    maxRetryCount: -1,
                    minimumInterval: expect.objectContaining({ seconds: 5 }) as unknown,
                    maximumInterval: expect.objectContaining({ seconds: 300 }) as unknown,
                },
            },
            containmentTimer: {
                trigger: { type: 'timerTrigger', direction: 'in', schedule: '%CONTAINMENT_TIMER_SCHEDULE%' },
                others: [],
            },
            listIncidents: admin('incidents', 'GET', 'function'),
            userIncidents: admin('users/{userId}/incidents', 'GET', 'function'),
            releaseUser: admin('users/{userId}/release', 'POST', 'function'),
            health: admin('health', 'GET', 'function'),
        });
    });

    it('finds every %SETTING% its bindings name in the settings of a local run and of a deployment', () => {
        const referenced = JSON.stringify(started.registered).match(/%\w+%/g) ?? [];
        expect(referenced.length).toBeGreaterThan(0);
        for (const ref of new Set(referenced)) {
            const name = ref.slice(1, -1);
            // In SETTINGS means a Bicep parameter sets it (test/infra/settingsParameters.test.ts).
            expect({ name, local: name in localSettings, deployed: name in SETTINGS }).toEqual({
                name,
                local: true,
                deployed: true,
            });
        }
        const connections = started.registered.flatMap((f) => f.bindings.map((b) => b.connection).filter(Boolean));
        expect(connections).toContain('EventHubConnection');
        for (const c of connections) expect(localSettings).toHaveProperty(`${String(c)}__fullyQualifiedNamespace`);
    });

    it('puts the admin endpoints behind App Service authentication instead of function keys when it is on', () => {
        const withAuth = loadLikeTheWorker(app, entryPoints, { ...localSettings, WEBSITE_AUTH_ENABLED: 'True' });
        expect(withAuth.loadError).toBeUndefined();
        const levels = Object.fromEntries(
            withAuth.registered
                .map((f) => [f.name, f.bindings.find((b) => b.type === 'httpTrigger')?.authLevel] as const)
                .filter(([, level]) => level !== undefined),
        );
        expect(levels).toEqual({
            listIncidents: 'anonymous',
            userIncidents: 'anonymous',
            releaseUser: 'anonymous',
            health: 'anonymous',
        });
    });

    it('refuses to start live without a break-glass exclusion, naming the settings', () => {
        const refused = loadLikeTheWorker(app, entryPoints, {
            ...localSettings,
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1',
        });
        expect(refused.loadError).toMatch(/NEVER_CONTAIN .*NEVER_CONTAIN_GROUP_IDS.*ALLOW_NO_BREAK_GLASS/s);
    });
});
