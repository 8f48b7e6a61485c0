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

    it('refers to nothing outside the repository', () => {
        const infra = readdirSync(join(root, 'infra'), { recursive: true, withFileTypes: true })
            .filter((e) => e.isFile() && !e.parentPath.includes('.out') && !e.parentPath.includes('obj'))
            .map((e) => join(e.parentPath, e.name).slice(root.length + 1));
        const tracked = ['README.md', '.funcignore', 'azure.yaml', 'host.json', ...infra];
        for (const file of tracked) {
            const text = readFileSync(join(root, file), 'utf8');
            expect({ file, outside: /\.\.\/shared\/|shared\/reference\/|\/work\//.exec(text)?.[0] ?? null }).toEqual({
                file,
                outside: null,
            });
        }
    });
});
