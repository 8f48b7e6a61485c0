import type { Browser, Page } from 'puppeteer-core';

import { bundledChromium } from './bundledChromium';

/**
 * Headless Chromium for the tests that look at what a person sees (a Teams card, the backtest report), driven over
 * the DevTools protocol by puppeteer-core: the one `npm ci` brings (./bundledChromium), so these tests run wherever
 * the install worked. CHROMIUM_PATH names another browser instead, for a machine the bundled Linux x64 build cannot
 * run on.
 */
export async function launchChromium(): Promise<Browser> {
    const { launch } = await import('puppeteer-core');
    const configured = process.env.CHROMIUM_PATH;
    const browser = configured
        ? { executablePath: configured, env: {}, headless: true as const }
        : { ...(await bundledChromium()), headless: 'shell' as const };
    // No sandbox: CI runs as root, where Chromium's sandbox refuses to start. The pages are our own files. /dev/shm
    // is small in containers.
    return launch({
        executablePath: browser.executablePath,
        // chrome-headless-shell is headless only; a full browser from CHROMIUM_PATH takes the new headless mode.
        headless: browser.headless,
        env: { ...process.env, ...browser.env },
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
