import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The layers read upwards only: signin → detection → state → containment and graph → pipeline → the composition root
 * (runtime) → functions and cli. Settings (config), errors, logging and small pure helpers sit below them all.
 */
const ROOT = join(__dirname, '..', '..');
const LAYERS: Array<[RegExp, number]> = [
    [/^shared\/(errors|logger|time|upn|singleLine)\.ts$/, 0],
    [/^shared\/signin\//, 1],
    [/^shared\/detection\//, 2],
    [/^shared\/settings\//, 2],
    [/^shared\/state\//, 3],
    [/^shared\/eventhub\//, 3],
    [/^shared\/graph\//, 4],
    [/^shared\/containment\//, 4],
    [/^shared\/telemetry\//, 4],
    [/^shared\/pipeline\//, 5],
    [/^shared\/runtime\.ts$/, 6],
    // Doctor, health and drill compose the runtime's parts; the runtime never imports them.
    [/^shared\/(health|drill)\//, 6],
    [/^(functions|cli)\//, 7],
];

function layerOf(file: string): number {
    const found = LAYERS.find(([re]) => re.test(file));
    if (!found) throw new Error(`${file} belongs to no layer`);
    return found[1];
}

function sources(dir: string): string[] {
    return readdirSync(join(ROOT, dir)).flatMap((name) => {
        const path = join(dir, name);
        return statSync(join(ROOT, path)).isDirectory() ? sources(path) : path.endsWith('.ts') ? [path] : [];
    });
}

/** Local imports of a file, type-only ones included (a cycle of types is still a cycle of ideas). */
function importsOf(file: string): string[] {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const specs = [...text.matchAll(/(?:from|require\()\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
    return specs.map((s) => relative(ROOT, resolve(ROOT, dirname(file), s)).replace(/\\/g, '/') + '.ts');
}

const files = [...sources('shared'), ...sources('functions'), ...sources('cli')];
const graph = new Map(files.map((f) => [f, importsOf(f).filter((i) => files.includes(i))]));

describe('module layers', () => {
    it('every module imports only from its own layer or below', () => {
        const upward: string[] = [];
        for (const [file, imports] of graph) {
            for (const i of imports) if (layerOf(i) > layerOf(file)) upward.push(`${file} → ${i}`);
        }
        expect(upward).toEqual([]);
    });

    it('has no import cycle', () => {
        const cycles: string[] = [];
        const state = new Map<string, 'visiting' | 'done'>();
        const visit = (file: string, path: string[]) => {
            if (state.get(file) === 'done') return;
            if (state.get(file) === 'visiting') {
                cycles.push([...path.slice(path.indexOf(file)), file].join(' → '));
                return;
            }
            state.set(file, 'visiting');
            for (const i of graph.get(file) ?? []) visit(i, [...path, file]);
            state.set(file, 'done');
        };
        for (const file of graph.keys()) visit(file, []);
        expect(cycles).toEqual([]);
    });

    it('keeps the stores ignorant of what a row means', () => {
        for (const file of files.filter((f) => f.startsWith('shared/state/'))) {
            expect({ file, imports: graph.get(file)!.filter((i) => !i.startsWith('shared/state/')) }).toEqual({
                file,
                imports: graph.get(file)!.filter((i) => /^shared\/(errors\.ts$|settings\/)/.test(i)),
            });
        }
    });
});

it('reads the import graph it checks', () => {
    expect(graph.get('shared/containment/core.ts')).toEqual(
        expect.arrayContaining(['shared/settings/containment.ts', 'shared/containment/steps.ts', 'shared/upn.ts']),
    );
    expect(graph.get('functions/signInEvents.ts')).toContain('shared/pipeline/processSignInBatch.ts');
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
});
