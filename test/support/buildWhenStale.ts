import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Everything `npm run build` reads to make dist/: the compiled folders, the compiler's configuration, the scripts and
 * dependencies in the manifests (a bundler copies dependencies into dist/), and scripts/, where a build script would
 * live. Folders are read whole.
 */
const BUILD_INPUTS = ['functions', 'shared', 'cli', 'scripts', 'package.json', 'package-lock.json'];
const isBuildConfig = (name: string) => /^tsconfig.*\.json$/.test(name);

/** Written into dist/ after a build made here: the hash of the inputs it was built from. */
const STAMP = '.built-from';

export interface BuildCheck {
    readonly built: boolean;
    /** Time spent deciding (hashing the inputs), and building when it did. */
    readonly checkMs: number;
    readonly buildMs: number;
}

/**
 * Builds dist/ with the project's own `npm run build` unless dist/ was built from exactly the sources there are now
 * (the tests that run the `mfa-responder` launcher run dist/). A content hash, not modification times: a checkout
 * that rewrites files without changing them costs no build, and a deleted or renamed source is a change.
 */
export function buildWhenStale(root: string, options: { quiet?: boolean } = {}): BuildCheck {
    const started = Date.now();
    const hash = inputsHash(root);
    const stamp = join(root, 'dist', STAMP);
    const fresh = existsSync(stamp) && readFileSync(stamp, 'utf8').trim() === hash;
    const checkMs = Date.now() - started;
    if (fresh) return { built: false, checkMs, buildMs: 0 };

    if (!options.quiet) process.stderr.write('\ndist/ is missing or older than the sources: npm run build\n');
    // The npm that runs this test run, when there is one (`npm test`), so the build runs on the same Node.js.
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

/** sha256 over the name and content of every input file, in a fixed order. */
function inputsHash(root: string): string {
    const hash = createHash('sha256');
    const names = [...BUILD_INPUTS, ...readdirSync(root).filter(isBuildConfig)].sort();
    for (const name of names) addPath(hash, root, name);
    return hash.digest('hex');
}

function addPath(hash: ReturnType<typeof createHash>, root: string, path: string): void {
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
