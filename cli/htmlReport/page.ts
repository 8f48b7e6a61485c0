import type { BacktestReport } from '../backtestReport';
import { Html, markup } from '../html';
import { plural, utc } from './format';
import { campaignsSection } from './campaigns';
import { incidentsSection } from './incidents';
import { STYLE } from './style';
import { summarySection } from './summary';
import { sustainedSweepSection, sweepSection } from './sweep';

/**
 * The whole report as one self-contained HTML document: inline CSS and SVG, no script, and a Content-Security-Policy
 * that forbids every fetch, so that it opens from disk anywhere and nothing in it can reach the network.
 */
export function renderBacktestHtml(r: BacktestReport): string {
    const title = `MFA fatigue backtest: ${plural(r.incidents.length, 'incident')}`;
    const contained = r.incidents.some((i) => !i.planOnly);
    return markup`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${title}</title>
<style>${new Html(STYLE)}</style>
</head>
<body>
<main>
<header>
<h1>MFA fatigue backtest</h1>
<p class="muted">${plural(r.totals.records, 'record')} replayed through the responder's detection in ${(r.elapsedMs / 1000).toFixed(1)} s · report made ${utc(r.generatedAt)} · mfa-responder replay --html</p>
</header>
${summarySection(r)}${sweepSection(r)}${sustainedSweepSection(r)}${campaignsSection(r)}${incidentsSection(r)}
<footer>Made by <code>mfa-responder replay --html</code>. Times are UTC event times from the sign-in logs. Nothing was changed in the tenant${contained ? ' except by --contain' : ''}.</footer>
</main>
</body>
</html>
`.text;
}
