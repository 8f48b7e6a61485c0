import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';

/**
 * The README, CONTRIBUTING.md and every page of docs/ point only at files that exist in this repository, at headings
 * that exist in them, and at nothing outside it; the README stays a short hub.
 */
const root = join(__dirname, '..', '..');
const DOCUMENTS = [
    'README.md',
    'CONTRIBUTING.md',
    ...readdirSync(join(root, 'docs'))
        .filter((f) => f.endsWith('.md'))
        .map((f) => `docs/${f}`),
];
const TOP_LEVEL = ['infra', 'shared', 'functions', 'cli', 'test', 'bin', 'samples', 'scripts', 'bench', 'docs', '.ci'];
const README_MAX_LINES = 250;

const read = (file: string) => readFileSync(join(root, file), 'utf8');

/** The text outside fenced code blocks, line for line: a link or a heading in code is not Markdown. */
function prose(text: string): string {
    let fenced = false;
    return text
        .split('\n')
        .map((line) => {
            if (/^\s*```/.test(line)) {
                fenced = !fenced;
                return '';
            }
            return fenced ? '' : line;
        })
        .join('\n');
}

/**
 * A heading's anchor as GitHub makes it: the rendered text (links as their text, no code or emphasis markers),
 * lower-cased, every character that is not a letter, digit, mark, underscore, hyphen or space removed, and each space
 * a hyphen.
 */
function githubSlug(heading: string): string {
    return heading
        .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
        .replace(/[`*]/g, '')
        .trim()
        .toLowerCase()
        .replace(/[^\p{L}\p{M}\p{N}\p{Pc}\- ]/gu, '')
        .replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings; a repeated one gets -1, -2, … as on GitHub. */
function anchorsOf(file: string): Set<string> {
    const seen = new Map<string, number>();
    const anchors = new Set<string>();
    for (const m of prose(read(file)).matchAll(/^#{1,6}\s+(.+?)\s*#*\s*$/gm)) {
        const base = githubSlug(m[1]!);
        const n = seen.get(base) ?? 0;
        seen.set(base, n + 1);
        anchors.add(n === 0 ? base : `${base}-${n}`);
    }
    return anchors;
}

interface Link {
    readonly from: string;
    readonly target: string;
}

/** Every inline link of a document (image links included), outside code blocks. */
function linksOf(file: string): Link[] {
    return [...prose(read(file)).matchAll(/\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)].map((m) => ({
        from: file,
        target: m[1]!,
    }));
}

const isUrl = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);
const links = DOCUMENTS.flatMap(linksOf);
const local = links.filter((l) => !isUrl(l.target));

/** Where a local link goes: the repository path of its file (the document itself for "#anchor") and its anchor. */
function resolveLink(link: Link): { path: string; anchor: string | undefined; inside: boolean } {
    const [file, anchor] = link.target.split('#', 2) as [string, string | undefined];
    const absolute = file === '' ? join(root, link.from) : resolve(root, dirname(link.from), decodeURI(file));
    const path = relative(root, absolute).replace(/\\/g, '/');
    return { path, anchor, inside: !isAbsolute(file) && path !== '' && !path.startsWith('..') };
}

describe('README, CONTRIBUTING.md and docs/', () => {
    it('has the documents the README and the docs hub promise', () => {
        expect(DOCUMENTS).toEqual(
            expect.arrayContaining([
                'docs/README.md',
                'docs/how-it-works.md',
                'docs/deploy.md',
                'docs/operate.md',
                'docs/settings.md',
                'docs/permissions.md',
                'docs/sentinel-and-teams.md',
                'docs/backtest.md',
            ]),
        );
    });

    it(`keeps the README a hub of at most ${README_MAX_LINES} lines`, () => {
        const lines = read('README.md').trimEnd().split('\n').length;
        expect({ lines, short: lines <= README_MAX_LINES }).toEqual({ lines, short: true });
    });

    it('links every page of docs/ from the README and from the docs hub', () => {
        const targets = (file: string) =>
            new Set(
                linksOf(file)
                    .filter((l) => !isUrl(l.target))
                    .map((l) => resolveLink(l).path),
            );
        const fromReadme = targets('README.md');
        const fromHub = targets('docs/README.md');
        expect(fromReadme.has('docs/README.md')).toBe(true);
        for (const page of DOCUMENTS.filter((d) => d.startsWith('docs/') && d !== 'docs/README.md')) {
            expect({ page, fromReadme: fromReadme.has(page), fromHub: fromHub.has(page) }).toEqual({
                page,
                fromReadme: true,
                fromHub: true,
            });
        }
    });

    it('links only to files inside the repository that exist', () => {
        expect(local.length).toBeGreaterThan(50);
        for (const link of local) {
            const { path, inside } = resolveLink(link);
            expect({ ...link, inside, exists: inside && existsSync(join(root, path)) }).toEqual({
                ...link,
                inside: true,
                exists: true,
            });
        }
    });

    it('links only to headings that exist in the file linked to', () => {
        const anchored = local.filter((l) => l.target.includes('#'));
        expect(anchored.length).toBeGreaterThan(30);
        for (const link of anchored) {
            const { path, anchor } = resolveLink(link);
            const markdown =
                path.endsWith('.md') && existsSync(join(root, path)) && statSync(join(root, path)).isFile();
            expect({ ...link, markdown, found: markdown && anchorsOf(path).has(anchor!) }).toEqual({
                ...link,
                markdown: true,
                found: true,
            });
        }
    });

    it('finds anchors the way GitHub makes them', () => {
        expect(githubSlug('The HTML report: `--html FILE`')).toBe('the-html-report---html-file');
        expect(githubSlug('5. Optional: admin endpoints and authentication')).toBe(
            '5-optional-admin-endpoints-and-authentication',
        );
        expect(githubSlug('Is it working? `mfa-responder doctor`')).toBe('is-it-working-mfa-responder-doctor');
        expect(githubSlug('host.json')).toBe('hostjson');
        expect(githubSlug('Storage, concurrency and cost')).toBe('storage-concurrency-and-cost');
        expect(githubSlug('Où — ça_va')).toBe('où--ça_va');
    });

    it('names only repository paths that exist', () => {
        const paths = DOCUMENTS.flatMap((file) =>
            [...read(file).matchAll(/`([^`\s]+)`/g)]
                .map((m) => m[1]!)
                .filter((p) => TOP_LEVEL.some((d) => p.startsWith(`${d}/`)) && !/[*<>{}…]/.test(p))
                .map((p) => ({ file, p })),
        );
        expect(paths.map((x) => x.p)).toEqual(
            expect.arrayContaining([
                'infra/graph/graph-permissions.bicep',
                'infra/main.bicep',
                'samples/signins-attack.ndjson',
            ]),
        );
        for (const { file, p } of paths)
            expect({ file, p, exists: existsSync(join(root, p)) }).toEqual({ file, p, exists: true });
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
        expect(files).toEqual(expect.arrayContaining([...DOCUMENTS, 'infra/main.bicep', 'package.json']));
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
