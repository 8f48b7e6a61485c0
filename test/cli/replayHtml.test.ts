import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Page } from 'puppeteer-core';

import { tenantStream } from '../../bench/streams';
import { runCli } from '../support/cliRun';
import { screenshot, withPage } from '../support/chromium';
import { decodePng, share } from '../support/png';
import { ATTACKED_USER } from '../support/sampleStream';
import { pushApproved, pushDenied, user } from '../support/signInFactory';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'signins-attack.ndjson');
const dir = mkdtempSync(join(tmpdir(), 'mfa-replay-html-'));
const T0 = Date.parse('2026-11-02T09:00:00Z');
const at = (m: number) => new Date(T0 + m * 60_000);

const jsonLines = (stdout: string) =>
    stdout
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);

/** The sweep's cells as the HTML holds them: threshold → window → incidents. */
function sweepCells(html: string): Map<string, number> {
    const cells = new Map<string, number>();
    for (const m of html.matchAll(/<td class="(current)?"[^>]*data-threshold="(\d+)" data-window="(\d+)">([\d,]+)</g)) {
        cells.set(`${m[2]}x${m[3]}`, Number(m[4]!.replace(/,/g, '')));
    }
    return cells;
}

/** The long-window sweep's cells: SUSTAINED_THRESHOLD → SUSTAINED_WINDOW_HOURS → incidents. */
function sustainedCells(html: string): Map<string, number> {
    const cells = new Map<string, number>();
    for (const m of html.matchAll(/data-sustained-threshold="(\d+)" data-sustained-window="(\d+)">([\d,]+)</g)) {
        cells.set(`${m[1]}x${m[2]}`, Number(m[3]!.replace(/,/g, '')));
    }
    return cells;
}

/**
 * Opens a report from disk as a person would, with the page's Content-Security-Policy bypassed so that everything
 * the document itself would fetch reaches the interception (and nothing in it can hide behind the policy).
 */
async function open(page: Page, file: string): Promise<string[]> {
    const requested: string[] = [];
    await page.setBypassCSP(true);
    await page.setRequestInterception(true);
    page.on('request', (request) => {
        requested.push(request.url());
        void (request.url().startsWith('file:') ? request.continue() : request.abort());
    });
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return requested;
}

describe('mfa-responder replay --html', () => {
    it('writes a report that renders from disk with no network fetch, showing the user, the trigger and the sweep', async () => {
        const file = join(dir, 'sample.html');
        const plain = await runCli(['replay', SAMPLE]);
        const withHtml = await runCli(['replay', SAMPLE, '--html', file]);
        expect(withHtml.code).toBe(0);
        // The readable report on stdout does not change with --html.
        expect(withHtml.stdout).toBe(plain.stdout);
        expect(withHtml.stderr).toContain(`HTML report written to ${file}`);

        const html = readFileSync(file, 'utf8');
        expect(html).toMatch(/<meta http-equiv="Content-Security-Policy" content="default-src 'none';/);
        expect(html).not.toMatch(/<script|\bsrc=|https?:\/\//i);
        // The sweep's cell for this run's settings is the replay's own count.
        const cells = sweepCells(html);
        expect(cells.size).toBe(8 * 5);
        expect(cells.get('5x10')).toBe(1);
        expect(html).toMatch(/<td class="current"[^>]*data-threshold="5" data-window="10">1</);

        await withPage(async (page) => {
            const requested = await open(page, file);
            expect(requested).toEqual([pathToFileURL(file).href]);
            const text = String(await page.evaluate('document.body.innerText'));
            expect(text).toContain(ATTACKED_USER.upn);
            expect(text).toContain('denial threshold reached');
            expect(text).toContain('Threshold sweep');
            expect(text).toContain('Containment plan (dry-run');
            const sweep = await page.$$eval('#sweep table.sweep tr', (rows) =>
                rows.map((r) => [...r.children].map((c) => (c as unknown as { innerText: string }).innerText.trim())),
            );
            expect(sweep[0]).toEqual(['threshold ↓ · window (min) →', '5', '10', '15', '30', '60']);
            expect(sweep.map((r) => r[0]).slice(1)).toEqual(['3', '4', '5', '6', '7', '8', '9', '10']);
            // The timeline draws every prompt of the attack, and the trigger point.
            expect(await page.$$eval('svg.timeline g.mark[data-kind="push-denied"]', (g) => g.length)).toBe(11);
            expect(await page.$$eval('svg.timeline g.mark[data-kind="mfa-approved"]', (g) => g.length)).toBe(1);
            expect(await page.$eval('svg.timeline', (svg) => svg.textContent)).toContain('trigger');

            const png = decodePng(await screenshot(page));
            expect(png.width).toBe(1200);
            expect(png.height).toBeGreaterThan(900);
            // Not blank: text (dark pixels), the sweep and the declined prompts (red pixels).
            expect(share(png, (r, g, b) => r + g + b < 200)).toBeGreaterThan(0.005);
            expect(share(png, (r, g, b) => r > 180 && g < 110 && b < 110)).toBeGreaterThan(0.005);
        });
    });

    it('shows attacker-chosen text as text: no markup, no script, no fetch', async () => {
        const evil = {
            ...user('Evil Name'),
            upn: '<script>window.__pwned=1</script>@contoso.com',
        };
        const app = '"><img src=x onerror="window.__pwned=2"><svg onload="window.__pwned=3">';
        const ip = '</style><b>203.0.113.9</b>';
        const records = [
            ...Array.from({ length: 6 }, (_, i) => pushDenied({ user: evil, at: at(i * 0.5), ip, app })),
            pushApproved({ user: evil, at: at(4), ip: '\u202Eevil.com', app }),
        ];
        const input = join(dir, 'evil.ndjson');
        writeFileSync(input, records.map((r) => JSON.stringify(r)).join('\n'));
        const file = join(dir, 'evil.html');
        const { code, stdout } = await runCli(['replay', input, '--json', '--html', file]);
        expect(code).toBe(0);
        expect(jsonLines(stdout).at(-1)).toMatchObject({ type: 'summary', incidents: 1 });

        const html = readFileSync(file, 'utf8');
        expect(html).not.toMatch(/<script|<img|<svg onload|<b>|<\/style><b>/i);
        expect(html).toContain('&lt;script&gt;window.__pwned=1&lt;/script&gt;@contoso.com');
        // A right-to-left override cannot make one address read as another.
        expect(html).not.toContain('\u202E');

        await withPage(async (page) => {
            const requested = await open(page, file);
            expect(requested).toEqual([pathToFileURL(file).href]);
            expect(await page.evaluate('window.__pwned')).toBeUndefined();
            const text = String(await page.evaluate('document.body.innerText'));
            expect(text).toContain(evil.upn);
            expect(text).toContain('</style><b>203.0.113.9</b>');
            expect(await page.$$eval('img, script, b', (found) => found.length)).toBe(0);
        });
    });

    it('sweeps exactly what a replay with each setting finds', async () => {
        const input = join(dir, 'tenant.ndjson');
        writeFileSync(input, tenantStream({ records: 20_000, users: 400, perMessage: 40, seed: 7 }).join('\n'));
        const file = join(dir, 'tenant.html');
        const base = await runCli(['replay', input, '--json', '--html', file]);
        expect(base.code).toBe(0);
        const cells = sweepCells(readFileSync(file, 'utf8'));
        const incidents = (out: string) => jsonLines(out).at(-1)!.incidents as number;
        expect(cells.get('5x10')).toBe(incidents(base.stdout));
        // The long window's axis (its cells against detection itself: test/unit/backtest.test.ts): its cell for this
        // run's settings is the same count.
        const long = sustainedCells(readFileSync(file, 'utf8'));
        expect(long.size).toBe(5 * 4);
        expect(long.get('15x4')).toBe(incidents(base.stdout));
        expect(incidents(base.stdout)).toBeGreaterThan(0);
        for (const [threshold, window] of [
            ['3', '5'],
            ['8', '60'],
            ['10', '15'],
        ] as const) {
            const other = await runCli([
                'replay',
                input,
                '--json',
                '--threshold',
                threshold,
                '--window-minutes',
                window,
            ]);
            expect({ threshold, window, incidents: cells.get(`${threshold}x${window}`) }).toEqual({
                threshold,
                window,
                incidents: incidents(other.stdout),
            });
        }
        // The current settings join the grid when they are off it.
        const off = await runCli(['replay', input, '--json', '--threshold', '12', '--html', file]);
        const offCells = sweepCells(readFileSync(file, 'utf8'));
        expect(offCells.size).toBe(9 * 5);
        expect(offCells.get('12x10')).toBe(incidents(off.stdout));
    });

    it('shows progress on stderr for a terminal only', async () => {
        const tty = await runCli(['replay', SAMPLE, '--json'], { stderrIsTTY: true });
        expect(tty.code).toBe(0);
        // "\r" and ESC [2K: the line is rewritten in place.
        const shown = tty.stderr.replaceAll(String.fromCharCode(27), '<ESC>');
        expect(shown).toMatch(/\r<ESC>\[2Kmfa-responder replay: 1,290 records read, \d+ s\n$/);
        const piped = await runCli(['replay', SAMPLE, '--json']);
        expect(piped.stderr).toBe('');
        // The output on stdout is the same either way.
        const stable = (out: string) => out.replace(/"recordedAt":"[^"]+"/g, '');
        expect(stable(tty.stdout)).toBe(stable(piped.stdout));
    });

    it('refuses a report it cannot write before replaying anything', async () => {
        const missing = await runCli(['replay', SAMPLE, '--html', join(dir, 'no', 'such', 'dir', 'r.html')]);
        expect(missing.code).toBe(73);
        expect(missing.stderr).toMatch(/cannot write the report to .*r\.html: ENOENT/);
        expect(missing.stdout).toBe('');
        const directory = await runCli(['replay', SAMPLE, '--html', dir]);
        expect(directory.code).toBe(73);
        expect(directory.stderr).toContain('is a directory');
        const dash = await runCli(['replay', SAMPLE, '--html', '-']);
        expect(dash.code).toBe(2);
        const input = await runCli(['replay', SAMPLE, '--html', SAMPLE]);
        expect(input.code).toBe(2);
        expect(input.stderr).toContain('is one of the inputs');
    });
});
