/**
 * The backtest report on a phone (390 CSS px, as an iPhone 14 draws it): the page never scrolls sideways, the
 * timeline's text stays legible, its ticks fall on round times under an axis title, its legend shows the very marks
 * it names, the sliding window that fired is drawn, an approval is red, and the sweep's colour deepens with its count.
 * In the headless Chromium the tests bring (test/support/chromium.ts); a screenshot lands in .tmp/render/.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

import type { Page } from 'puppeteer-core';

import { withPage } from '../support/chromium';
import { runCli } from '../support/cliRun';
import { pushDenied, user } from '../support/signInFactory';

const SAMPLE = join(__dirname, '..', '..', 'samples', 'signins-attack.ndjson');
const shots = join(__dirname, '..', '..', '.tmp', 'render');
const PHONE = { width: 390, height: 844 };

async function openReport(page: Page, input = SAMPLE): Promise<void> {
    const file = join(mkdtempSync(join(tmpdir(), 'mfa-phone-')), 'report.html');
    const { code } = await runCli(['replay', '--html', file, input]);
    expect(code).toBe(0);
    await page.setViewport({ ...PHONE, deviceScaleFactor: 1, isMobile: true, hasTouch: true });
    await page.goto(pathToFileURL(file).href);
}

describe('the HTML report at 390 px', () => {
    it('reads on a phone: no sideways scrolling of the page, tables and the timeline scroll in their own box', async () => {
        await withPage(async (page) => {
            await openReport(page);
            const layout = (await page.evaluate(`(() => ({
                page: document.documentElement.scrollWidth,
                body: document.body.scrollWidth,
                unboxed: [...document.querySelectorAll('table, svg.timeline')]
                    .filter((e) => !e.closest('.scroll'))
                    .map((e) => e.outerHTML.slice(0, 60)),
                boxes: [...document.querySelectorAll('.scroll')].map((b) => b.getBoundingClientRect().right),
            }))()`)) as { page: number; body: number; unboxed: string[]; boxes: number[] };
            expect(layout.page).toBeLessThanOrEqual(PHONE.width);
            expect(layout.body).toBeLessThanOrEqual(PHONE.width);
            expect(layout.unboxed).toEqual([]);
            for (const right of layout.boxes) expect(right).toBeLessThanOrEqual(PHONE.width);
            mkdirSync(shots, { recursive: true });
            writeFileSync(join(shots, 'report-phone.png'), await page.screenshot({ type: 'png', fullPage: true }));
        });
    });

    it("keeps every text legible: the timeline's labels and ticks at 10 px or more, the page's text at 12 px or more", async () => {
        await withPage(async (page) => {
            await openReport(page);
            const sizes = (await page.evaluate(`(() => ({
                svg: [...document.querySelectorAll('svg.timeline text')].map((t) => t.getBoundingClientRect().height),
                page: [...document.querySelectorAll('main p, main td, main dd, main dt, .legend-item')]
                    .filter((e) => e.textContent.trim() !== '')
                    .map((e) => parseFloat(getComputedStyle(e).fontSize)),
            }))()`)) as { svg: number[]; page: number[] };
            expect(sizes.svg.length).toBeGreaterThan(8);
            expect(Math.min(...sizes.svg)).toBeGreaterThanOrEqual(10);
            expect(Math.min(...sizes.page)).toBeGreaterThanOrEqual(12);
        });
    });

    it('ticks at round times under an axis title; the sliding window and the approval drawn as the legend says', async () => {
        await withPage(async (page) => {
            await openReport(page);
            const t = (await page.evaluate(`(() => {
                const svg = document.querySelector('svg.timeline');
                const fill = (sel) => [...document.querySelectorAll(sel)].map((e) => e.getAttribute('fill') || e.getAttribute('stroke'));
                const legend = {};
                for (const item of document.querySelectorAll('.legend-item[data-kind]')) {
                    const shape = item.querySelector('svg > *');
                    legend[item.dataset.kind] = shape.getAttribute('fill') === '#fff' ? shape.getAttribute('stroke') : shape.getAttribute('fill');
                }
                const window = svg.querySelector('rect.window').getBoundingClientRect();
                const axis = svg.querySelector('line[x1="96"]');
                return {
                    ticks: [...svg.querySelectorAll('text.tick')].map((e) => e.textContent),
                    title: svg.querySelector('text.axis-title').textContent,
                    windowTitle: svg.querySelector('rect.window title').textContent,
                    windowWidth: window.width,
                    svgWidth: svg.getBoundingClientRect().width,
                    approved: fill('g.mark[data-kind="mfa-approved"] > :not(title)'),
                    denied: fill('g.mark[data-kind="push-denied"] > :not(title)'),
                    unanswered: fill('g.mark[data-kind="push-timeout"] > :not(title)').length,
                    legend,
                };
            })()`)) as {
                ticks: string[];
                title: string;
                windowTitle: string;
                windowWidth: number;
                svgWidth: number;
                approved: string[];
                denied: string[];
                unanswered: number;
                legend: Record<string, string>;
            };
            expect(t.ticks.length).toBeGreaterThanOrEqual(3);
            const minutes = t.ticks.map((l) => Number(l.slice(0, 2)) * 60 + Number(l.slice(3, 5)));
            const step = minutes[1]! - minutes[0]!;
            expect([1, 2, 5, 10, 15, 30, 60]).toContain(step);
            for (const m of minutes) expect(m % step).toBe(0);
            expect(t.title).toBe('time (UTC, hour:minute)');
            // DENIAL_WINDOW_MINUTES (10) before the trigger point.
            expect(t.windowTitle).toMatch(/the 10 min before the trigger point/);
            expect(t.windowWidth).toBeGreaterThan(20);
            // Approvals red, and the legend shows each mark in the colour it is drawn in.
            expect(t.approved).toEqual(['#c62828']);
            expect(new Set(t.denied)).toEqual(new Set([t.legend['push-denied']]));
            expect(t.legend['mfa-approved']).toBe('#c62828');
            expect(t.legend['push-denied']).not.toBe('#c62828');
            expect(Object.keys(t.legend).sort()).toEqual(
                ['fraud-report', 'method-registered', 'mfa-approved', 'push-denied', 'push-timeout'].sort(),
            );
        });
    });

    it('colours the sweep by count: a cell with more incidents is darker', async () => {
        // Four users declining 3, 5, 8 and 12 prompts a minute apart: each threshold catches a different number.
        const T0 = Date.parse('2026-11-02T09:00:00Z');
        const records = [3, 5, 8, 12].flatMap((n, u) => {
            const who = user(`Sweep ${u}`);
            return Array.from({ length: n }, (_, i) => pushDenied({ user: who, at: new Date(T0 + i * 60_000) }));
        });
        const input = join(mkdtempSync(join(tmpdir(), 'mfa-phone-')), 'sweep.ndjson');
        writeFileSync(input, records.map((r) => JSON.stringify(r)).join('\n'));
        await withPage(async (page) => {
            await openReport(page, input);
            // Each sweep (the threshold sweep, the long window's) is coloured on its own scale.
            const tables = (await page.evaluate(`[...document.querySelectorAll('table.sweep')].map((t) =>
                [...t.querySelectorAll('td')].map((td) => ({
                    n: Number(td.textContent),
                    l: Number(/hsl\\(0,\\s*75%,\\s*(\\d+)%\\)/.exec(td.getAttribute('style'))[1]),
                })))`)) as Array<Array<{ n: number; l: number }>>;
            expect(tables).toHaveLength(2);
            const cells = tables[0] ?? [];
            const counts = [...new Set(cells.map((c) => c.n))].sort((a, b) => a - b);
            expect(counts.length).toBeGreaterThanOrEqual(2);
            for (const table of tables) {
                for (const c of table) for (const d of table) if (c.n < d.n) expect(c.l).toBeGreaterThan(d.l);
            }
        });
    });
});
