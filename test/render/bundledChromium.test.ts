/**
 * The browser of the render tests comes with `npm ci` (test/support/bundledChromium.ts), so they run on any machine
 * where the install worked: nothing of it may come from what a machine happens to have installed.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

import { bundledChromium } from '../support/bundledChromium';

/** What every Linux has: glibc's own libraries, the dynamic loader and libgcc (Debian marks both essential). */
const FROM_THE_SYSTEM = new Set([
    'libc.so.6',
    'libm.so.6',
    'libdl.so.2',
    'libpthread.so.0',
    'librt.so.1',
    'ld-linux-x86-64.so.2',
    'libgcc_s.so.1',
]);

describe('the bundled headless Chromium', () => {
    it('loads no shared library from the machine but glibc and libgcc', async () => {
        const chromium = await bundledChromium();
        const ldd = execFileSync('ldd', [chromium.executablePath], {
            env: { ...process.env, ...chromium.env },
            encoding: 'utf8',
        });
        const libraries = ldd
            .split('\n')
            .map((line) => line.trim())
            .filter((line) => line && !line.startsWith('linux-vdso'));
        expect(libraries.filter((line) => line.includes('not found'))).toEqual([]);
        const bundle = dirname(chromium.executablePath);
        const fromMachine = libraries
            .map((line) => /^(\S+)(?: => (\S+))?/.exec(line)!)
            .filter(([, name, path]) => !(path ?? name!).startsWith(`${bundle}/`))
            .map(([, name]) => basename(name!));
        expect(fromMachine.filter((name) => !FROM_THE_SYSTEM.has(name))).toEqual([]);
        // The bundle's own NSS is what the browser loads, not a copy the machine may have.
        expect(ldd).toContain(`libnss3.so => ${bundle}/lib/libnss3.so`);
    });

    it('draws text with the font it brings, and only that one', async () => {
        const chromium = await bundledChromium();
        const conf = readFileSync(chromium.env.FONTCONFIG_FILE!, 'utf8');
        const dirs = [...conf.matchAll(/<dir>([^<]+)<\/dir>/g)].map((m) => m[1]!);
        expect(dirs).toEqual([join(dirname(chromium.executablePath), 'fonts')]);
        expect(conf).not.toContain('<include');
        const fonts = readdirSync(dirs[0]!, { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.ttf'));
        expect(fonts.length).toBeGreaterThan(0);
    });

    it('is unpacked once per install: later runs reuse it as it is', async () => {
        const first = await bundledChromium();
        const unpackedAt = statSync(first.executablePath).mtimeMs;
        const again = await bundledChromium();
        expect(again).toEqual(first);
        expect(statSync(again.executablePath).mtimeMs).toBe(unpackedAt);
    });
});
