import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

/**
 * The layers read upwards only: tiny pure helpers → signin → detection and settings → the row stores and the hub →
 * Graph → the pure containment lifecycle → telemetry → the user row → SOC notices and Sentinel rows → the runners
 * around the lifecycle → the pipeline → the composition root (runtime, doctor, drill) → functions and cli.
 */
const ROOT = join(__dirname, '..', '..');
const LAYERS: Array<[RegExp, number]> = [
    [/^shared\/(errors|logger|time|upn|singleLine|mapConcurrent|redact)\.ts$/, 0],
    [/^shared\/signin\//, 1],
    [/^shared\/detection\//, 2],
    [/^shared\/settings\//, 2],
    [/^shared\/state\//, 3],
    [/^shared\/eventhub\//, 3],
    [/^shared\/graph\//, 4],
    [/^shared\/containment\//, 5],
    [/^shared\/telemetry\//, 6],
    [/^shared\/userRow\//, 7],
    [/^shared\/notices\//, 8],
    [/^shared\/sentinel\//, 8],
    [/^shared\/runners\//, 9],
    [/^shared\/pipeline\//, 10],
    [/^shared\/runtime\.ts$/, 11],
    // Doctor, health and drill compose the runtime's parts; the runtime never imports them.
    [/^shared\/(health|drill)\//, 11],
    [/^(functions|cli)\//, 12],
];

/** A folder of shared/ holds one subject: past this many files it is two subjects, and is split. */
const MAX_FILES_PER_FOLDER = 12;
/** A source file past this many lines holds more than one idea. */
const MAX_LINES_PER_FILE = 400;

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

    it(`has no folder in shared/ with more than ${MAX_FILES_PER_FOLDER} source files`, () => {
        const perFolder = new Map<string, number>();
        for (const file of files.filter((f) => f.startsWith('shared/'))) {
            perFolder.set(dirname(file), (perFolder.get(dirname(file)) ?? 0) + 1);
        }
        const crowded = [...perFolder].filter(([, n]) => n > MAX_FILES_PER_FOLDER);
        expect(crowded).toEqual([]);
        expect(perFolder.get('shared/containment')).toBeGreaterThan(1);
    });

    it(`has no source file in shared/, cli/ or functions/ over ${MAX_LINES_PER_FILE} lines`, () => {
        const lines = (f: string) => readFileSync(join(ROOT, f), 'utf8').split('\n').length - 1;
        const long = files.filter((f) => lines(f) > MAX_LINES_PER_FILE);
        expect(long).toEqual([]);
    });
});

it('reads the import graph it checks', () => {
    expect(graph.get('shared/containment/plan.ts')).toEqual(
        expect.arrayContaining(['shared/settings/containment.ts', 'shared/containment/stepTable.ts', 'shared/upn.ts']),
    );
    expect(graph.get('shared/runners/containmentDeps.ts')).toContain('shared/userRow/userRows.ts');
    expect(graph.get('functions/signInEvents.ts')).toContain('shared/pipeline/handleSignInBatch.ts');
    expect(graph.get('cli/replay.ts')).toContain('shared/pipeline/handleSignInBatch.ts');
    expect(graph.get('shared/runtime.ts')).toEqual(
        expect.arrayContaining(['shared/runners/tableCircuitBreaker.ts', 'shared/sentinel/logsIngestion.ts']),
    );
    expect([...graph.values()].flat().length).toBeGreaterThan(100);
});
