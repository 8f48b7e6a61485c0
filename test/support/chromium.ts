import { existsSync } from 'node:fs';

import puppeteer, { Browser, Page } from 'puppeteer-core';

/**
 * Headless Chromium for tests that look at a page as a person would: Debian's `chromium` package (installed by
 * .ci/run), driven over the DevTools protocol by puppeteer-core (which downloads no browser of its own).
 */
const CANDIDATES = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];

export function chromiumPath(): string {
    const found = CANDIDATES.find((p): p is string => !!p && existsSync(p));
    if (!found) throw new Error('Chromium not found: install Debian\'s "chromium" package or set CHROMIUM_PATH');
    return found;
}

/** Runs `fn` with a fresh page in a new headless Chromium, and always closes the browser. */
export async function withPage<T>(fn: (page: Page) => Promise<T>): Promise<T> {
    const browser: Browser = await puppeteer.launch({
        executablePath: chromiumPath(),
        headless: true,
        // Root in CI has no user namespace for the sandbox; /dev/shm is small in containers.
        args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu', '--no-first-run'],
    });
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
