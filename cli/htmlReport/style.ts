/**
 * The report's only style sheet, inline in the page (its Content-Security-Policy allows no other). It reads on a
 * phone: the page never scrolls sideways (a wide table or the timeline scrolls in its own box), text keeps its size,
 * and words break only where they must.
 */
export const STYLE = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#d8dee6; --bg:#f6f8fa; --card:#fff; --deny:#c62828; --reg:#1565c0; --ok:#2e7d32; }
* { box-sizing:border-box; }
html { -webkit-text-size-adjust:100%; text-size-adjust:100%; }
body { margin:0; font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; color:var(--fg); background:var(--bg); overflow-wrap:break-word; }
main { max-width:1100px; margin:0 auto; padding:24px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:19px; margin:32px 0 10px; } h3 { font-size:16px; margin:0 0 8px; }
.muted { color:var(--muted); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px; margin:12px 0; }
.scroll { max-width:100%; overflow-x:auto; -webkit-overflow-scrolling:touch; }
.stats { display:grid; grid-template-columns:repeat(auto-fill,minmax(150px,1fr)); gap:10px; margin:0; }
.stats div { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.stats dt { color:var(--muted); font-size:13px; } .stats dd { margin:0; font-size:22px; font-weight:600; }
table { border-collapse:collapse; width:100%; }
th, td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; }
th { font-weight:600; background:#eef1f5; white-space:nowrap; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:13px; overflow-wrap:anywhere; }
.sweep { width:auto; } .sweep th.axis { white-space:nowrap; background:none; color:var(--muted); font-weight:400; }
.sweep td { text-align:center; font-variant-numeric:tabular-nums; min-width:56px; }
.sweep td.current { outline:3px solid var(--fg); outline-offset:-3px; font-weight:700; }
.scale span { display:inline-block; padding:1px 8px; font-size:13px; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:13px; font-weight:600; background:#eef1f5; }
.badge.threshold, .badge.fraud-report, .badge.spam-then-success, .badge.method-registered-after-attack { background:#fde7e7; color:var(--deny); }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:8px 0 12px; }
.facts dt { color:var(--muted); } .facts dd { margin:0; min-width:0; }
svg.timeline { display:block; width:100%; min-width:560px; height:auto; background:#fbfcfd; border:1px solid var(--line); border-radius:6px; }
.legend { display:flex; flex-wrap:wrap; gap:6px 16px; font-size:13px; color:var(--muted); margin:6px 0 10px; }
.legend-item { display:inline-flex; align-items:center; gap:5px; white-space:nowrap; }
details summary { cursor:pointer; color:var(--muted); margin:6px 0; }
.step-done { color:var(--ok); } .step-failed { color:var(--deny); } .step-dry-run { color:var(--reg); }
td code, td[class^="step-"] { white-space:nowrap; overflow-wrap:normal; }
footer { margin:40px 0 10px; color:var(--muted); font-size:13px; }
@media (max-width: 600px) {
  main { padding:12px; }
  .card { padding:12px; }
  .facts { grid-template-columns:1fr; gap:0; }
  .facts dd { margin-bottom:6px; }
}
`;
