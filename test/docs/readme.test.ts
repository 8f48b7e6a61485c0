import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The README points only at files that exist in this repository, and at nothing outside it. */
const root = join(__dirname, '..', '..');
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const TOP_LEVEL = ['infra', 'shared', 'functions', 'cli', 'test', 'bin', 'samples', 'scripts', 'bench', '.ci'];

describe('README file references', () => {
    it('links only to files that exist', () => {
        const links = [...readme.matchAll(/\]\(([^)#\s]+)(#[^)]*)?\)/g)].map((m) => m[1]!);
        const local = links.filter((l) => !/^[a-z]+:/i.test(l));
        expect(local.length).toBeGreaterThan(0);
        for (const l of local) expect({ l, exists: existsSync(join(root, l)) }).toEqual({ l, exists: true });
    });

    it('names only repository paths that exist', () => {
        const paths = [...readme.matchAll(/`([^`\s]+)`/g)]
            .map((m) => m[1]!)
            .filter((p) => TOP_LEVEL.some((d) => p.startsWith(`${d}/`)) && !/[*<>{}]/.test(p));
        expect(paths).toEqual(expect.arrayContaining(['infra/graph/graph-permissions.bicep', 'infra/main.bicep']));
        for (const p of new Set(paths)) expect({ p, exists: existsSync(join(root, p)) }).toEqual({ p, exists: true });
    });

    it('refers, like every source file and document, to nothing outside the repository', () => {
        const skip = new Set(['node_modules', 'dist', '.git', '.tools', '.tmp', '.out', 'obj', 'coverage', '.azurite']);
        const files: string[] = [];
        const walk = (dir: string) => {
            for (const e of readdirSync(dir, { withFileTypes: true })) {
                if (skip.has(e.name)) continue;
                const abs = join(dir, e.name);
                if (e.isDirectory()) walk(abs);
                else if (
                    /\.(ts|js|mjs|md|bicep|sh|json|yaml|csproj)$|^\.funcignore$|^run$/.test(e.name) &&
                    e.name !== 'package-lock.json'
                )
                    files.push(abs.slice(root.length + 1));
            }
        };
        walk(root);
        expect(files).toEqual(expect.arrayContaining(['README.md', 'infra/main.bicep', 'shared/settings/settings.ts']));
        // This file names the patterns it looks for.
        for (const file of files.filter((f) => f !== 'test/docs/readme.test.ts')) {
            const text = readFileSync(join(root, file), 'utf8');
            const outside =
                /\.\.\/shared\/reference|shared\/reference\/|\/work\/|graph-and-signin-contracts/.exec(text)?.[0] ??
                null;
            expect({ file, outside }).toEqual({ file, outside: null });
        }
    });
});
