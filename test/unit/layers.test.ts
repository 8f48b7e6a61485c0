import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

import ts from 'typescript';

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
/** A function past this many lines does more than one thing. */
const MAX_LINES_PER_FUNCTION = 100;

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

    it(`has no function in shared/, cli/ or functions/ over ${MAX_LINES_PER_FUNCTION} lines`, () => {
        const long = files.flatMap((f) =>
            functionLengths(f)
                .filter((fn) => fn.lines > MAX_LINES_PER_FUNCTION)
                .map((fn) => `${f}:${fn.line} ${fn.name} (${fn.lines} lines)`),
        );
        expect(long).toEqual([]);
    });

    it('measures functions the way the rule reads them', () => {
        // A 120-line function is found, whatever its form; a long object literal or table is not a function.
        const body = Array.from({ length: 118 }, (_, i) => `    const v${i} = ${i};`).join('\n');
        const source = `export function big() {\n${body}\n}\nconst TABLE = {\n${body.replace(/const /g, '')}\n};\n`;
        expect(functionLengthsOf('x.ts', source)).toEqual([{ name: 'big', line: 1, lines: 120 }]);
        expect(functionLengthsOf('x.ts', `const f = async () => {\n${body}\n};`)[0]).toMatchObject({ lines: 120 });
    });
});

/** Every function, method and arrow function of a file with its length in lines (first line to last). */
function functionLengthsOf(file: string, text: string): Array<{ name: string; line: number; lines: number }> {
    const source = ts.createSourceFile(file, text, ts.ScriptTarget.ES2022, true);
    const found: Array<{ name: string; line: number; lines: number }> = [];
    const visit = (node: ts.Node) => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
            const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
            const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
            const named = node.name ?? (ts.isVariableDeclaration(node.parent) ? node.parent.name : undefined);
            found.push({
                name: named ? named.getText(source) : '(anonymous)',
                line: start + 1,
                lines: end - start + 1,
            });
        }
        ts.forEachChild(node, visit);
    };
    visit(source);
    return found;
}

function functionLengths(file: string): Array<{ name: string; line: number; lines: number }> {
    return functionLengthsOf(file, readFileSync(join(ROOT, file), 'utf8'));
}

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
