import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';

/**
 * Every test file has a name of its own: jest reports failures by file name, and two `admin.test.ts` in two folders
 * leave the reader guessing which one went red (and which one a comment or a commit message means).
 */
const TEST_ROOT = join(__dirname, '..');

function testFiles(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
        const path = join(dir, name);
        if (statSync(path).isDirectory()) return testFiles(path);
        return name.endsWith('.test.ts') ? [relative(TEST_ROOT, path).replace(/\\/g, '/')] : [];
    });
}

/** The names held by more than one file, each with the files that hold it. */
function sharedNames(files: readonly string[]): Record<string, string[]> {
    const byName = new Map<string, string[]>();
    for (const file of files) byName.set(basename(file), [...(byName.get(basename(file)) ?? []), file]);
    return Object.fromEntries([...byName].filter(([, holders]) => holders.length > 1));
}

describe('test layout', () => {
    it('finds the test files of every folder, this one included', () => {
        const files = testFiles(TEST_ROOT);
        expect(files).toContain('unit/testLayout.test.ts');
        expect([...new Set(files.map((f) => f.split('/')[0]))]).toEqual(
            expect.arrayContaining(['cli', 'e2e', 'functions', 'integration', 'unit']),
        );
    });

    it('tells which files share a name', () => {
        expect(sharedNames(['e2e/admin.test.ts', 'functions/admin.test.ts', 'unit/admin2.test.ts'])).toEqual({
            'admin.test.ts': ['e2e/admin.test.ts', 'functions/admin.test.ts'],
        });
    });

    it('gives every test file a name no other test file has', () => {
        expect(sharedNames(testFiles(TEST_ROOT))).toEqual({});
    });
});
