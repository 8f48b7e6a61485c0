import { existsSync } from 'node:fs';

import type { Browser } from 'puppeteer-core';

/**
 * Headless Chromium for the tests that look at what a person sees (a Teams card, the backtest report): Debian's
 * `chromium` package, which .ci/run installs with apt-get when it is missing, driven over the DevTools protocol by
 * puppeteer-core (which downloads no browser of its own).
 */
const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

/** The browser to drive: CHROMIUM_PATH, else the first that exists. */
export function findChromium(): string | undefined {
    const configured = process.env.CHROMIUM_PATH;
    if (configured) return existsSync(configured) ? configured : undefined;
    return CANDIDATES.find((p) => existsSync(p));
}

/**
 * Why browser tests cannot run on this machine, when .ci/run tried to install Chromium and could not (it then sets
 * BROWSER_TESTS_UNAVAILABLE to what apt-get said). Anywhere else a missing browser fails the tests: a render test
 * that silently does not run proves nothing.
 */
export function browserUnavailable(): string | undefined {
    return findChromium() ? undefined : process.env.BROWSER_TESTS_UNAVAILABLE || undefined;
}

export async function launchChromium(): Promise<Browser> {
    const executablePath = findChromium();
    if (!executablePath) {
        throw new Error(
            "Chromium not found: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH.",
        );
    }
    const { launch } = await import('puppeteer-core');
    // No sandbox: CI runs as root, where Chromium's sandbox refuses to start. The pages are our own files.
    return launch({
        executablePath,
        headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--font-render-hinting=none'],
    });
}

/** Width and height from a PNG's header (IHDR), after checking its signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
    const b = Buffer.from(png);
    if (b.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}
