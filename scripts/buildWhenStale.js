#!/usr/bin/env node
'use strict';
/**
 * Builds dist/ with the project's own `npm run build` unless dist/ was built from exactly the sources there are now:
 * `npm start` runs it before the CLI, and the test run's global setup (test/support/buildWhenStale.ts) before the
 * tests that run the launcher. A content hash, not modification times: a checkout that rewrites files without
 * changing them costs no build, and a deleted or renamed source is a change. Plain JavaScript, because it runs before
 * anything is compiled.
 */
const { spawnSync } = require('node:child_process');
const { createHash } = require('node:crypto');
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const { join } = require('node:path');

/**
 * Everything `npm run build` reads to make dist/: the compiled folders, the compiler's configuration, the scripts and
 * dependencies in the manifests (a bundler copies dependencies into dist/), and scripts/, where a build script would
 * live. Folders are read whole.
 */
const BUILD_INPUTS = ['functions', 'shared', 'cli', 'scripts', 'package.json', 'package-lock.json'];
const isBuildConfig = (name) => /^tsconfig.*\.json$/.test(name);

/** Written into dist/ after a build made here: the hash of the inputs it was built from. */
const STAMP = '.built-from';

function addPath(hash, root, path) {
    const full = join(root, path);
    if (!existsSync(full)) return;
    if (statSync(full).isDirectory()) {
        for (const entry of readdirSync(full).sort()) addPath(hash, root, `${path}/${entry}`);
        return;
    }
    const content = readFileSync(full);
    hash.update(`${path}\0${content.length}\0`);
    hash.update(content);
}

/** sha256 over the name and content of every input file, in a fixed order. */
function inputsHash(root) {
    const hash = createHash('sha256');
    const names = [...BUILD_INPUTS, ...readdirSync(root).filter(isBuildConfig)].sort();
    for (const name of names) addPath(hash, root, name);
    return hash.digest('hex');
}

/**
 * @param {string} root the project folder
 * @param {{ quiet?: boolean }} [options]
 * @returns {{ built: boolean, checkMs: number, buildMs: number }}
 */
function buildWhenStale(root, options = {}) {
    const started = Date.now();
    const hash = inputsHash(root);
    const stamp = join(root, 'dist', STAMP);
    const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash;
    const checkMs = Date.now() - started;
    if (fresh) return { built: false, checkMs, buildMs: 0 };

    if (!options.quiet) process.stderr.write('dist/ is missing or older than the sources: npm run build\n');
    // The npm that runs this (`npm test`, `npm start`), when there is one, so the build runs on the same Node.js.
    const npm = process.env.npm_execpath;
    const [command, args] = npm ? [process.execPath, [npm, 'run', 'build']] : ['npm', ['run', 'build']];
    const output = options.quiet ? 'ignore' : 'inherit';
    const build = spawnSync(command, args, { cwd: root, stdio: ['ignore', output, output] });
    if (build.status !== 0) {
        throw new Error(`npm run build failed (${build.error?.message ?? `exit ${build.status ?? build.signal}`})`);
    }
    writeFileSync(stamp, `${hash}\n`);
    return { built: true, checkMs, buildMs: Date.now() - started - checkMs };
}

module.exports = { buildWhenStale };

if (require.main === module) {
    try {
        const { built, buildMs } = buildWhenStale(join(__dirname, '..'));
        if (built) process.stderr.write(`built dist/ in ${(buildMs / 1000).toFixed(1)} s\n`);
    } catch (e) {
        process.stderr.write(`${e.message}\n`);
        process.exitCode = 1;
    }
}
