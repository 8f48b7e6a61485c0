import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * Compiles Bicep files (paths relative to the repository, or absolute) with the real compiler (infra/scripts/bicep.sh) into a directory of this test file's own, so
 * that test files running in parallel never read each other's half-written output. Returns the ARM JSON text of each,
 * by file name without extension.
 */
export function compileBicep(files: readonly string[]): Record<string, string> {
    const out = mkdtempSync(join(tmpdir(), 'mfa-bicep-'));
    const bicep = join(root, 'infra', 'scripts', 'bicep.sh');
    const compiled: Record<string, string> = {};
    for (const file of files) {
        execFileSync('bash', [bicep, 'build', resolve(root, file), '--outdir', out], {
            stdio: 'pipe',
            timeout: 240_000,
        });
        const name = basename(file, '.bicep');
        compiled[name] = readFileSync(join(out, `${name}.json`), 'utf8');
    }
    return compiled;
}
