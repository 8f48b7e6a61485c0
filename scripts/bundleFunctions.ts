/**
 * Builds the function app's deployment package, dist/azure (azure.yaml `dist`): every entry point of functions/ and
 * every dependency they reach, bundled by esbuild into one CommonJS file with its source map; host.json; and a
 * package.json without dependencies whose `main` is a two-line loader. Nothing is installed in Azure, so the package
 * is the app on disk: a few MB instead of the 600 MB a remote `npm install` of every dependency (development ones
 * included) leaves, and one file for the worker to load at a cold start instead of hundreds.
 *
 * Run by `npm run build` (which azd runs before it zips dist/azure). The loader turns on Node's source-map support
 * before it loads the bundle, so stack traces in Application Insights name the TypeScript files and lines.
 */
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

import { build, Metafile } from 'esbuild';

/** Modules the Functions worker provides at run time: they must stay require() calls. */
const PROVIDED_BY_THE_WORKER = ['@azure/functions-core'];

export interface BundleResult {
    readonly outDir: string;
    readonly entryPoints: string[];
    readonly bytes: number;
    readonly metafile: Metafile;
}

export async function bundleFunctions(root: string, outDir = join(root, 'dist', 'azure')): Promise<BundleResult> {
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir, { recursive: true });
    // Every file of functions/, in the order the worker's glob of "main" loaded them before: registrations run as
    // they did, and the shared runtime is one module instance for all of them.
    const entryPoints = readdirSync(join(root, 'functions'))
        .filter((f) => f.endsWith('.ts'))
        .sort();
    const result = await build({
        stdin: {
            contents: entryPoints.map((f) => `require('./functions/${f.replace(/\.ts$/, '')}');`).join('\n'),
            resolveDir: root,
            sourcefile: 'functions-entry.js',
            loader: 'js',
        },
        bundle: true,
        platform: 'node',
        target: 'node22',
        format: 'cjs',
        outfile: join(outDir, 'app.js'),
        external: PROVIDED_BY_THE_WORKER,
        sourcemap: true,
        // Sources stay out of the map: it maps to file names and lines only, which is what a stack trace needs.
        sourcesContent: false,
        minifyWhitespace: true,
        minifySyntax: true,
        // Identifiers keep their names: error names and stack frames stay readable without the map.
        keepNames: true,
        legalComments: 'linked',
        metafile: true,
        logLevel: 'warning',
        tsconfig: join(root, 'tsconfig.build.json'),
    });
    writeFileSync(
        join(outDir, 'functions.js'),
        [
            "'use strict';",
            '// Source maps first: only files loaded after this are mapped (https://nodejs.org/api/process.html#processsetsourcemapsenabledval).',
            'process.setSourceMapsEnabled(true);',
            "require('./app.js');",
            '',
        ].join('\n'),
    );
    copyFileSync(join(root, 'host.json'), join(outDir, 'host.json'));
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
        name: string;
        version: string;
        license: string;
        engines: Record<string, string>;
    };
    writeFileSync(
        join(outDir, 'package.json'),
        `${JSON.stringify(
            {
                name: pkg.name,
                version: pkg.version,
                private: true,
                license: pkg.license,
                description: 'MFA Fatigue Responder function app, bundled (npm run build); nothing to install',
                main: 'functions.js',
                engines: pkg.engines,
            },
            null,
            4,
        )}\n`,
    );
    let bytes = 0;
    const walk = (dir: string) => {
        for (const e of readdirSync(dir, { withFileTypes: true })) {
            if (e.isDirectory()) walk(join(dir, e.name));
            else bytes += readFileSync(join(dir, e.name)).length;
        }
    };
    walk(outDir);
    return {
        outDir,
        entryPoints: entryPoints.map((f) =>
            relative(root, join(root, 'functions', f))
                .split(sep)
                .join('/'),
        ),
        bytes,
        metafile: result.metafile,
    };
}

if (require.main === module) {
    const root = join(__dirname, '..', '..');
    bundleFunctions(root).then(
        (r) =>
            console.log(
                `bundled ${r.entryPoints.length} entry points into ${relative(root, r.outDir)}: ${(r.bytes / 1e6).toFixed(1)} MB`,
            ),
        (e: unknown) => {
            console.error(e);
            process.exit(1);
        },
    );
}
