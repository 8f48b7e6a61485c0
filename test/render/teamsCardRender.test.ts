/**
 * The Teams card as a person sees it: the `adaptivecards` package's browser build (the renderer Microsoft ships for
 * HTML hosts) in headless Chromium, the card parsed with no warning, rendered, photographed, and read back from the
 * page. Screenshots are kept in .tmp/render/ for a person to look at.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

import type { Browser, Page } from 'puppeteer-core';

import { teamsMessage } from '../../shared/notices/teamsCard';
import { runCli } from '../support/cliRun';
import { launchChromium, pngSize } from '../support/chromium';
import {
    containedContainment,
    containmentConfig,
    dryRunContainment,
    hostileIncident,
    sampleIncident,
    USER_ID,
} from '../support/incidents';

const root = join(__dirname, '..', '..');
const renderer = join(dirname(require.resolve('adaptivecards/package.json')), 'dist', 'adaptivecards.min.js');
const shots = join(root, '.tmp', 'render');
const config = containmentConfig({ NOTIFY_FORMAT: 'teams' });

interface Rendered {
    /** Parse and validation warnings of the renderer: unknown elements or properties, missing values. */
    readonly warnings: string[];
    readonly text: string;
    readonly png: Uint8Array;
    /** Share of pixels that are not the page's white, and how many colours the picture has. */
    readonly inked: number;
    readonly colours: number;
}

let browser: Browser;
let page: Page;

beforeAll(async () => {
    browser = await launchChromium();
    page = await browser.newPage();
    await page.setViewport({ width: 640, height: 900 });
}, 60_000);

afterAll(async () => {
    await browser?.close();
});

/** Code that runs in the page (plain browser JavaScript; this project's TypeScript knows no DOM). */
const IN_PAGE = {
    /** Parses the card (collecting the renderer's warnings), renders it into #card, returns its text. */
    render: `function (json) {
        const card = new AdaptiveCards.AdaptiveCard();
        const context = new AdaptiveCards.SerializationContext();
        card.parse(json, context);
        const warnings = [];
        for (let i = 0; i < context.eventCount; i++) warnings.push(String(context.getEventAt(i).message));
        for (const e of card.validateProperties().validationEvents) warnings.push(String(e.message));
        const element = card.render();
        document.getElementById('card').appendChild(element);
        return { warnings, text: element.innerText };
    }`,
    /** Reads a PNG back: the share of pixels that are not white, and how many colours it has. */
    ink: `async function (dataUrl) {
        const image = new Image();
        image.src = dataUrl;
        await image.decode();
        const canvas = document.createElement('canvas');
        canvas.width = image.width;
        canvas.height = image.height;
        const ctx = canvas.getContext('2d');
        ctx.drawImage(image, 0, 0);
        const data = ctx.getImageData(0, 0, image.width, image.height).data;
        let inked = 0;
        const colours = new Set();
        for (let i = 0; i < data.length; i += 4) {
            if (data[i] < 245 || data[i + 1] < 245 || data[i + 2] < 245) inked++;
            colours.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
        }
        return { inked: inked / (data.length / 4), colours: colours.size };
    }`,
};

/** Renders an Adaptive Card the way an HTML host does, and photographs it. */
async function render(card: unknown, name: string): Promise<Rendered> {
    await page.setContent(
        '<!doctype html><html><body style="margin:0;background:#ffffff"><div id="card" style="width:600px"></div></body></html>',
    );
    await page.addScriptTag({ path: renderer });
    const result = (await page.evaluate(`(${IN_PAGE.render})(${JSON.stringify(card)})`)) as {
        warnings: string[];
        text: string;
    };
    const png = await (await page.$('#card'))!.screenshot({ type: 'png' });
    mkdirSync(shots, { recursive: true });
    writeFileSync(join(shots, `${name}.png`), png);
    const dataUrl = `data:image/png;base64,${Buffer.from(png).toString('base64')}`;
    const pixels = (await page.evaluate(`(${IN_PAGE.ink})(${JSON.stringify(dataUrl)})`)) as {
        inked: number;
        colours: number;
    };
    return { ...result, png, ...pixels };
}

const cardOf = (message: Record<string, unknown>) =>
    (message.attachments as Array<{ content: Record<string, unknown> }>)[0]!.content;

describe('Teams card, rendered by the Adaptive Cards renderer in headless Chromium', () => {
    it('shows the user, trigger, counts, addresses, steps and release command, in a picture that is not blank', async () => {
        const card = cardOf(teamsMessage(sampleIncident(), containedContainment(), 'incident', config));
        const shown = await render(card, 'teams-card-contained');
        expect(shown.warnings).toEqual([]);
        expect(shown.text).toContain('megan.bowen@contoso.com');
        expect(shown.text).toContain('threshold');
        expect(shown.text).toContain('11 declined, 3 unanswered');
        expect(shown.text).toContain('185.220.101.34, 185.220.101.47');
        expect(shown.text).toContain('block-push');
        expect(shown.text).toContain(`mfa-responder release ${USER_ID} --reason "..."`);
        const { width, height } = pngSize(shown.png);
        expect(width).toBeGreaterThanOrEqual(500);
        expect(height).toBeGreaterThanOrEqual(300);
        expect(height).toBeLessThan(3000);
        expect(shown.inked).toBeGreaterThan(0.02);
        expect(shown.colours).toBeGreaterThan(8);
    });

    it('marks a drill at the top of the card', async () => {
        const inc = sampleIncident({ drill: true });
        const card = cardOf(teamsMessage(inc, dryRunContainment(inc), 'incident', config));
        const shown = await render(card, 'teams-card-drill');
        expect(shown.warnings).toEqual([]);
        expect(shown.text.trimStart()).toMatch(/^DRILL/);
        expect(shown.text).toContain('megan.bowen@contoso.com');
        expect(shown.text).toMatch(/revoke-sessions\s+dry-run — would revoke/);
    });

    it('draws the card `replay --notices` writes for the bundled attack: urgent, with buttons and the steps to take by hand', async () => {
        const dir = mkdtempSync(join(tmpdir(), 'mfa-notices-'));
        const sample = join(root, 'samples', 'signins-attack.ndjson');
        const replayed = await runCli(['replay', '--notices', dir, sample], { env: { NOTIFY_FORMAT: 'teams' } });
        expect(replayed.code).toBe(0);
        const [file] = readdirSync(dir);
        expect(file).toMatch(/^20261102T091445000Z-threshold-[0-9a-f-]{36}\.incident\.json$/);
        const body = readFileSync(join(dir, file!), 'utf8');
        expect(Buffer.byteLength(body)).toBeLessThan(28 * 1024);
        const card = cardOf(JSON.parse(body));
        const shown = await render(card, 'teams-card-from-replay-notices');
        expect(shown.warnings).toEqual([]);
        expect(shown.text).toContain('megan.bowen@contoso.com');
        expect(shown.text).toMatch(/APPROVED\s+09:20:12 UTC \(\+8 min 12 s\)/);
        expect(shown.text).toContain('To do by hand (dry-run: the responder changed nothing):');
        expect(shown.text).toMatch(
            /Revoke sessions: Entra admin center > Users > megan\.bowen@contoso\.com > Revoke sessions/,
        );
        // The renderer draws the buttons as buttons.
        const buttons = (await page.evaluate(
            `[...document.querySelectorAll('#card button')].map((b) => b.innerText.trim())`,
        )) as string[];
        expect(buttons).toEqual(['Sign-in logs', 'Authentication methods']);
        expect(shown.inked).toBeGreaterThan(0.02);
    });

    it('renders the hostile incident within bounds, with the user and trigger still there', async () => {
        const { incident, containment } = hostileIncident();
        const card = cardOf(teamsMessage(incident, containment, 'needs-attention', config));
        const shown = await render(card, 'teams-card-hostile');
        expect(shown.warnings).toEqual([]);
        expect(shown.text).toContain(incident.userPrincipalName!);
        expect(shown.text).toContain('threshold');
        expect(shown.text).toMatch(/and \d+ more/);
        expect(pngSize(shown.png).height).toBeLessThan(6000);
        expect(shown.inked).toBeGreaterThan(0.02);
    });
});
