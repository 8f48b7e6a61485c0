/**
 * The test run's build check (test/support/buildWhenStale.ts), on a small project whose `npm run build` writes dist/
 * and counts how often it ran: it builds when dist/ is missing or its sources changed, and only then.
 */
import { appendFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { buildWhenStale as buildLoudly } from '../support/buildWhenStale';

const buildWhenStale = (dir: string) => buildLoudly(dir, { quiet: true });

// Like the project's build: empties dist/, writes it, and (here) counts its runs in builds.log.
const BUILD = [
    "const fs = require('node:fs');",
    "fs.rmSync('dist', { recursive: true, force: true });",
    "fs.mkdirSync('dist/cli', { recursive: true });",
    "fs.writeFileSync('dist/cli/main.js', fs.readFileSync('cli/main.ts'));",
    "fs.appendFileSync('builds.log', 'built\\n');",
    "if (fs.existsSync('cli/broken')) process.exit(3);",
].join(' ');

let root: string;

beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), 'mfa-build-check-'));
    mkdirSync(join(root, 'cli'));
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'cli', 'main.ts'), 'export const main = 1;\n');
    writeFileSync(join(root, 'shared', 'time.ts'), 'export const now = 0;\n');
    writeFileSync(join(root, 'tsconfig.json'), '{}\n');
    writeFileSync(
        join(root, 'package.json'),
        JSON.stringify({ name: 'build-check', private: true, scripts: { build: `node -e "${BUILD}"` } }),
    );
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

const builds = () => readFileSync(join(root, 'builds.log'), 'utf8').split('\n').filter(Boolean).length;

describe('buildWhenStale', () => {
    it('builds a missing dist/ once, then finds it fresh', () => {
        expect(buildWhenStale(root).built).toBe(true);
        expect(readFileSync(join(root, 'dist', 'cli', 'main.js'), 'utf8')).toBe('export const main = 1;\n');
        expect(buildWhenStale(root).built).toBe(false);
        expect(builds()).toBe(1);
    });

    it('builds again when a source, a compiler configuration or the manifest changes', () => {
        buildWhenStale(root);
        writeFileSync(join(root, 'cli', 'main.ts'), 'export const main = 2;\n');
        expect(buildWhenStale(root).built).toBe(true);
        expect(readFileSync(join(root, 'dist', 'cli', 'main.js'), 'utf8')).toBe('export const main = 2;\n');
        writeFileSync(join(root, 'tsconfig.build.json'), '{"extends":"./tsconfig.json"}\n');
        expect(buildWhenStale(root).built).toBe(true);
        appendFileSync(join(root, 'package.json'), '\n');
        expect(buildWhenStale(root).built).toBe(true);
        expect(builds()).toBe(4);
    });

    it('builds again when a source is deleted, or dist/ is', () => {
        buildWhenStale(root);
        rmSync(join(root, 'shared', 'time.ts'));
        expect(buildWhenStale(root).built).toBe(true);
        rmSync(join(root, 'dist'), { recursive: true });
        expect(buildWhenStale(root).built).toBe(true);
        expect(builds()).toBe(3);
    });

    it('does not build for a file rewritten with the same content, or for a file outside the inputs', () => {
        buildWhenStale(root);
        writeFileSync(join(root, 'cli', 'main.ts'), 'export const main = 1;\n');
        writeFileSync(join(root, 'README.md'), '# notes\n');
        expect(buildWhenStale(root)).toMatchObject({ built: false, buildMs: 0 });
        expect(builds()).toBe(1);
    });

    it('fails when the build fails, and tries again next time', () => {
        writeFileSync(join(root, 'cli', 'broken'), '');
        expect(() => buildWhenStale(root)).toThrow(/npm run build failed \(exit 3\)/);
        expect(() => buildWhenStale(root)).toThrow(/npm run build failed/);
        rmSync(join(root, 'cli', 'broken'));
        expect(buildWhenStale(root).built).toBe(true);
        expect(buildWhenStale(root).built).toBe(false);
        expect(builds()).toBe(3);
    });
});
