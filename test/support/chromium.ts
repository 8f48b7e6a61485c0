import { existsSync } from 'node:fs';

import type { Browser, Page } from 'puppeteer-core';

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

/** The browser to drive, or an error that says how to get one. */
export function chromiumPath(): string {
    const found = findChromium();
    if (!found) {
        throw new Error(
            "Chromium not found: install Debian's package (apt-get install chromium; .ci/run does) or set CHROMIUM_PATH.",
        );
    }
    return found;
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
    const { launch } = await import('puppeteer-core');
    // No sandbox: CI runs as root, where Chromium's sandbox refuses to start. The pages are our own files. /dev/shm
    // is small in containers.
    return launch({
        executablePath: chromiumPath(),
        headless: true,
        args: [
            '--no-sandbox',
            '--disable-dev-shm-usage',
            '--disable-gpu',
            '--no-first-run',
            '--font-render-hinting=none',
        ],
    });
}

/** Runs `fn` with a fresh page in a new headless Chromium, and always closes the browser. */
export async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
    const browser = await launchChromium();
    try {
        const page = await browser.newPage();
        await page.setViewport({ width: 1200, height: 900 });
        return await fn(page);
    } finally {
        await browser.close();
    }
}

/** A PNG of the whole page. */
export async function screenshot(page: Page): Promise<Buffer> {
    return Buffer.from(await page.screenshot({ type: 'png', fullPage: true }));
}

/** Width and height from a PNG's header (IHDR), after checking its signature. */
export function pngSize(png: Uint8Array): { width: number; height: number } {
    const b = Buffer.from(png);
    if (b.subarray(0, 8).toString('hex') !== '89504e470d0a1a0a') throw new Error('not a PNG');
    return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}
