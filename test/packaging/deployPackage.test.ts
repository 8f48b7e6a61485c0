import { spawn } from 'node:child_process';
import {
    cpSync,
    existsSync,
    mkdirSync,
    mkdtempSync,
    readdirSync,
    readFileSync,
    rmSync,
    statSync,
    symlinkSync,
} from 'node:fs';
import { builtinModules } from 'node:module';
import { setPriority, tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';

import ignore from 'ignore';

import { SETTINGS } from '../../shared/settings/settings';
import { LoadResult, loadLikeTheWorker, RegisteredFunction } from './workerStandIn';

/**
 * What `azd deploy` builds and uploads, and what Flex Consumption runs, reproduced offline:
 * 1. the build as azd runs it in the operator's clone: `npm run build` (tsc for the CLI, then esbuild for the function
 *    app), here on a copy of the repository's files (minus what .gitignore leaves out) with the installed
 *    node_modules beside it;
 * 2. the package: azure.yaml's `dist` folder zipped as azd zips it (Azure/azure-dev cli/azd/pkg/project/
 *    project_utils.go, createDeployableZip: no .funcignore there, so only .azure/ and local.settings.json are left
 *    out) with remoteBuild false: nothing is installed in Azure, so these files are the app on disk;
 * 3. start-up: package.json "main" loaded as the Node.js worker loads it, in a folder with no node_modules anywhere
 *    above it, and every registered function and binding checked.
 */
const root = join(__dirname, '..', '..');
/** The bound the deployed app must stay under (it was 662 MB with a remote npm install of every dependency). */
const MAX_APP_BYTES = 80 * 1024 * 1024;

/** The repository's files as a fresh clone has them: .gitignore'd paths (node_modules, dist, .tools, ...) left out. */
function sourceFiles(): string[] {
    const rules = ignore()
        .add(readFileSync(join(root, '.gitignore'), 'utf8'))
        .add('.git');
    const files: string[] = [];
    const walk = (dir: string) => {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            const abs = join(dir, entry.name);
            const rel = relative(root, abs).split(sep).join('/');
            if (rules.ignores(entry.isDirectory() ? `${rel}/` : rel)) continue;
            if (entry.isDirectory()) walk(abs);
            else files.push(rel);
        }
    };
    walk(root);
    return files.sort();
}

/** What azd puts in the zip from the dist folder: everything but .azure/, .funcignore and local.settings.json. */
function zippedFiles(dir: string): string[] {
    const ignoreFile = join(dir, '.funcignore');
    const rules = existsSync(ignoreFile) ? ignore().add(readFileSync(ignoreFile, 'utf8')) : undefined;
    const files: string[] = [];
    const walk = (d: string) => {
        for (const entry of readdirSync(d, { withFileTypes: true })) {
            const abs = join(d, entry.name);
            const rel = relative(dir, abs).split(sep).join('/');
            const isDir = entry.isSymbolicLink() ? statSync(abs).isDirectory() : entry.isDirectory();
            if (
                (isDir && entry.name === '.azure') ||
                (!isDir && ['.funcignore', 'local.settings.json'].includes(entry.name))
            )
                continue;
            if (rules?.ignores(isDir ? `${rel}/` : rel)) continue;
            if (isDir) walk(abs);
            else files.push(rel);
        }
    };
    walk(dir);
    return files.sort();
}

/** The environment of the build: the machine's, without what `npm test` adds for its own scripts. */
function buildEnv(): NodeJS.ProcessEnv {
    const keep = /^npm_config_(registry|cache|userconfig|globalconfig|https?_proxy|proxy|noproxy|strict_ssl|cafile)$/i;
    return Object.fromEntries(
        Object.entries(process.env).filter(([k]) => (!/^npm_/i.test(k) || keep.test(k)) && k !== 'INIT_CWD'),
    );
}

/**
 * Runs a build command at the lowest CPU priority: a compile takes both cores of a small machine, and the tests
 * running beside this one (Azurite among them) must not starve meanwhile.
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
/** What the template adds in Azure and the app reads at start-up: telemetry to Application Insights, with Entra ID. */
const deployedSettings = {
    ...localSettings,
    APPLICATIONINSIGHTS_CONNECTION_STRING:
        'InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=http://127.0.0.1:9/',
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=11111111-2222-4333-8444-555555555555;Authorization=AAD',
    AZURE_CLIENT_ID: '11111111-2222-4333-8444-555555555555',
};

const azureYaml = readFileSync(join(root, 'azure.yaml'), 'utf8');
const distDir = /^\s+dist: (\S+)$/m.exec(azureYaml)?.[1];
let clone: string;
let deployed: string;
let packaged: string[];
let entryPoints: string[];
let started: LoadResult;

beforeAll(async () => {
    clone = mkdtempSync(join(tmpdir(), 'mfa-clone-'));
    for (const file of sourceFiles()) {
        mkdirSync(dirname(join(clone, file)), { recursive: true });
        cpSync(join(root, file), join(clone, file));
    }
    // What `npm ci` put in the operator's clone (azd's restore step); the build reads it, the package does not.
    symlinkSync(join(root, 'node_modules'), join(clone, 'node_modules'), 'dir');
    await run('npm', ['run', 'build'], clone);
    packaged = zippedFiles(join(clone, distDir!));
    // Unpacked where the worker runs it: a folder with no node_modules in it or above it.
    deployed = mkdtempSync(join(tmpdir(), 'mfa-wwwroot-'));
    for (const file of packaged) {
        mkdirSync(dirname(join(deployed, file)), { recursive: true });
        cpSync(join(clone, distDir!, file), join(deployed, file));
    }
    const main = (JSON.parse(readFileSync(join(deployed, 'package.json'), 'utf8')) as { main: string }).main;
    entryPoints = [join(deployed, main)];
    started = loadLikeTheWorker(deployed, entryPoints, localSettings);
}, 600_000);

afterAll(() => {
    for (const dir of [clone, deployed]) if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the package azd uploads', () => {
    it('is the bundled dist folder, deployed as it is: azd accepts remoteBuild false, and nothing is installed', () => {
        expect(distDir).toBe('dist/azure');
        expect(azureYaml).toMatch(/^\s+remoteBuild: false$/m);
        // azd (resolveFunctionAppRemoteBuild) refuses remoteBuild: false when the project's .funcignore leaves out
        // node_modules.
        const funcignore = join(root, '.funcignore');
        if (existsSync(funcignore))
            expect(ignore().add(readFileSync(funcignore, 'utf8')).ignores('node_modules/')).toBe(false);
        expect(packaged).toEqual([
            'app.js',
            'app.js.LEGAL.txt',
            'app.js.map',
            'functions.js',
            'host.json',
            'package.json',
        ]);
        const pkg = JSON.parse(readFileSync(join(deployed, 'package.json'), 'utf8')) as Record<string, unknown>;
        expect(pkg).not.toHaveProperty('dependencies');
        expect(pkg).not.toHaveProperty('scripts');
        expect(pkg.main).toBe('functions.js');
        expect(readFileSync(join(deployed, 'host.json'), 'utf8')).toBe(readFileSync(join(root, 'host.json'), 'utf8'));
    });

    it(`is at most ${MAX_APP_BYTES / 1024 / 1024} MB on disk, with source maps`, () => {
        const bytes = packaged.reduce((n, f) => n + statSync(join(deployed, f)).size, 0);
        console.log(`the deployed app: ${(bytes / 1024 / 1024).toFixed(1)} MB in ${packaged.length} files`);
        expect(bytes).toBeLessThanOrEqual(MAX_APP_BYTES);
        // The loader turns source maps on before the bundle loads, and the map names the TypeScript sources.
        expect(readFileSync(join(deployed, 'functions.js'), 'utf8')).toMatch(
            /process\.setSourceMapsEnabled\(true\);\s*require\('\.\/app\.js'\);/,
        );
        expect(readFileSync(join(deployed, 'app.js'), 'utf8')).toMatch(/\/\/# sourceMappingURL=app\.js\.map\s*$/);
        const map = JSON.parse(readFileSync(join(deployed, 'app.js.map'), 'utf8')) as { sources: string[] };
        expect(map.sources).toEqual(
            expect.arrayContaining(['../../functions/signInEvents.ts', '../../shared/runtime.ts']),
        );
    });

    it("bundles every function source, and only the worker's own module stays outside", () => {
        const bundle = readFileSync(join(deployed, 'app.js'), 'utf8');
        const sources = readdirSync(join(root, 'functions')).filter((f) => f.endsWith('.ts'));
        const map = JSON.parse(readFileSync(join(deployed, 'app.js.map'), 'utf8')) as { sources: string[] };
        for (const f of sources) expect(map.sources).toContain(`../../functions/${f}`);
        const required = [...bundle.matchAll(/\brequire\("([^"./][^"]*)"\)/g)].map((m) => m[1]!);
        const builtins = new Set(builtinModules);
        expect([...new Set(required.filter((r) => !builtins.has(r.replace(/^node:/, ''))))]).toEqual([
            '@azure/functions-core',
        ]);
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
        expect(started.registered).toHaveLength(6);
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
        const withAuth = loadLikeTheWorker(deployed, entryPoints, { ...localSettings, WEBSITE_AUTH_ENABLED: 'True' });
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

    it('starts its telemetry to Application Insights from the bundle, as configured in Azure', () => {
        const withTelemetry = loadLikeTheWorker(deployed, entryPoints, deployedSettings);
        expect(withTelemetry.loadError).toBeUndefined();
        expect(withTelemetry.registered).toHaveLength(6);
        expect(withTelemetry.stderr).not.toMatch(/could not start|Cannot find module|is not a function/);
    });

    it('refuses to start live without a break-glass exclusion, naming the settings', () => {
        const refused = loadLikeTheWorker(deployed, entryPoints, {
            ...localSettings,
            CONTAINMENT_MODE: 'live',
            PUSH_BLOCK_GROUP_ID: '2c3d4e5f-6071-4283-94a5-b6c7d8e9f0a1',
        });
        expect(refused.loadError).toMatch(/NEVER_CONTAIN .*NEVER_CONTAIN_GROUP_IDS.*ALLOW_NO_BREAK_GLASS/s);
    });
});
