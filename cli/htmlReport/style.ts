/** The report's only style sheet, inline in the page (its Content-Security-Policy allows no other). */
export const STYLE = `
:root { --fg:#1d2330; --muted:#5f6b7a; --line:#d8dee6; --bg:#f6f8fa; --card:#fff; --deny:#c62828; --fraud:#6a1b9a;
  --timeout:#ef6c00; --ok:#2e7d32; --reg:#1565c0; }
* { box-sizing:border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif; color:var(--fg); background:var(--bg); }
main { max-width:1100px; margin:0 auto; padding:24px; }
h1 { font-size:24px; margin:0 0 4px; } h2 { font-size:19px; margin:32px 0 10px; } h3 { font-size:16px; margin:0 0 8px; }
.muted { color:var(--muted); }
.card { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:16px; margin:12px 0; }
.stats { display:grid; grid-template-columns:repeat(auto-fill,minmax(170px,1fr)); gap:10px; margin:0; }
.stats div { background:var(--card); border:1px solid var(--line); border-radius:8px; padding:10px 12px; }
.stats dt { color:var(--muted); font-size:12px; } .stats dd { margin:0; font-size:22px; font-weight:600; }
table { border-collapse:collapse; width:100%; }
th, td { border-bottom:1px solid var(--line); padding:5px 8px; text-align:left; vertical-align:top; }
th { font-weight:600; background:#eef1f5; }
td.num, th.num { text-align:right; font-variant-numeric:tabular-nums; }
code, .mono { font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace; font-size:12.5px; overflow-wrap:anywhere; }
.sweep { width:auto; } .sweep th.axis { white-space:nowrap; background:none; color:var(--muted); font-weight:400; }
.sweep td { text-align:center; font-variant-numeric:tabular-nums; min-width:64px; }
.sweep td.current { outline:3px solid var(--fg); outline-offset:-3px; font-weight:700; }
.badge { display:inline-block; padding:1px 8px; border-radius:10px; font-size:12px; font-weight:600; background:#eef1f5; }
.badge.threshold, .badge.fraud-report, .badge.spam-then-success, .badge.method-registered-after-attack { background:#fde7e7; color:var(--deny); }
.facts { display:grid; grid-template-columns:max-content 1fr; gap:2px 14px; margin:8px 0 12px; }
.facts dt { color:var(--muted); } .facts dd { margin:0; overflow-wrap:anywhere; }
svg.timeline { width:100%; height:auto; background:#fbfcfd; border:1px solid var(--line); border-radius:6px; }
.legend { display:flex; flex-wrap:wrap; gap:14px; font-size:12px; color:var(--muted); margin:6px 0 10px; }
.legend span::before { content:""; display:inline-block; width:10px; height:10px; margin-right:5px; border-radius:50%; vertical-align:-1px; }
.legend .l-deny::before { background:var(--deny); } .legend .l-fraud::before { background:var(--fraud); border-radius:0; }
.legend .l-timeout::before { border:2px solid var(--timeout); width:8px; height:8px; }
.legend .l-ok::before { background:var(--ok); } .legend .l-reg::before { background:var(--reg); border-radius:0; transform:rotate(45deg); }
.legend .l-trigger::before { background:none; border-left:2px dashed var(--fg); border-radius:0; width:2px; }
details summary { cursor:pointer; color:var(--muted); margin:6px 0; }
.step-done { color:var(--ok); } .step-failed { color:var(--deny); } .step-dry-run { color:var(--reg); }
footer { margin:40px 0 10px; color:var(--muted); font-size:12px; }
`;
