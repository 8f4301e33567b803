"""The pages' stylesheet: one palette whose text meets WCAG AA contrast, and a policy that lets a page load nothing."""

from __future__ import annotations

PALETTE = {
    "ink": "#1b1f24",
    "paper": "#ffffff",
    "muted": "#545d68",
    "rule": "#b8c1cc",
    "tint": "#f3f5f7",
    "worst": "#fff0bd",
    "pass": "#116329",
    "fail": "#a40e26",
    "undecided": "#7d4e00",
    "error": "#6f2da8",
}
# Every (text, background) pair the stylesheet sets: each must reach WCAG AA's 4.5:1 (tests/test_html.py checks).
TEXT_COLOURS = (
    *((text, back) for text in ("ink", "muted", "pass", "fail", "undecided", "error") for back in ("paper", "tint", "worst")),
    *(("paper", badge) for badge in ("pass", "fail", "undecided", "error")),
)
# The page loads nothing: no script, image, font, frame or connection; only its own inline styles apply.
CSP = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

ROOT = ":root{color-scheme:light;" + "".join(f"--{name}:{value};" for name, value in PALETTE.items()) + "}"
CSS = (
    ROOT
    + """
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;color:var(--ink);background:var(--paper);
font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans","DejaVu Sans",sans-serif}
main{max-width:80rem;margin:0 auto;padding:1rem}
h1{font-size:1.5rem;line-height:1.3;margin:.2rem 0 .5rem}
h2{font-size:1.2rem;margin:1.8rem 0 .5rem;padding-bottom:.2rem;border-bottom:1px solid var(--rule)}
h3{font-size:1.05rem;margin:1.2rem 0 .4rem}
p,li,dd,dt,h1,h2,h3,summary,.caption{overflow-wrap:anywhere}
code,.mono{font-family:ui-monospace,"SFMono-Regular",Menlo,Consolas,"DejaVu Sans Mono",monospace;font-size:.92em}
.command{margin:0;color:var(--muted);font-size:.95rem}
.verdict{border-left:.45rem solid var(--ink);background:var(--tint);padding:.6rem 1rem;margin:0 0 1rem}
.verdict.pass{border-color:var(--pass)}.verdict.fail{border-color:var(--fail)}
.verdict.undecided{border-color:var(--undecided)}.verdict.error{border-color:var(--error)}
.lede{margin:.2rem 0;font-size:1.05rem}
.badge{display:inline-block;padding:0 .45em;border-radius:.3em;color:var(--paper);background:var(--ink);
font-weight:700;letter-spacing:.02em;white-space:nowrap}
.badge.pass{background:var(--pass)}.badge.fail{background:var(--fail)}
.badge.undecided{background:var(--undecided)}.badge.error{background:var(--error)}
dl.facts{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:.15rem 1rem;margin:.5rem 0}
dl.facts div{display:contents}dt{font-weight:700}dd{margin:0}
.caption{font-weight:700;margin:1rem 0 .3rem}
.note{color:var(--muted);margin:.3rem 0}
.scroll{overflow-x:auto;max-width:100%;border:1px solid var(--rule);border-radius:.3rem;background:var(--paper)}
.scroll:focus{outline:2px solid var(--ink);outline-offset:2px}
table{border-collapse:collapse;min-width:100%;font-variant-numeric:tabular-nums}
th,td{padding:.3rem .5rem;text-align:left;vertical-align:top;border-bottom:1px solid var(--rule);white-space:nowrap}
thead th{background:var(--tint);position:sticky;top:0}
.num{text-align:right}
.wrap{white-space:normal;min-width:16rem;max-width:30rem}
td.fail,tr.fail th{color:var(--fail);font-weight:700}td.pass{color:var(--pass)}td.undecided{color:var(--undecided)}
th[scope=row]{position:sticky;left:0;background:var(--paper)}
tr.worst,tr.worst th[scope=row]{background:var(--worst)}tr.worst th{box-shadow:inset .3rem 0 0 var(--ink)}
.flag{display:inline-block;margin-left:.4rem;padding:0 .3em;border:1px solid var(--ink);border-radius:.25em;
color:var(--ink);font-size:.8em;font-weight:700}
.mark{font-weight:700}
.math{font-family:"STIX Two Math","Cambria Math","Latin Modern Math","DejaVu Serif",Georgia,serif;font-size:1.04em}
.display{margin:.3rem 0 .3rem 1.2rem;white-space:pre-wrap}
.eqno{float:right;margin-left:1rem;color:var(--muted)}
ul.equations{list-style:none;padding:0}ul.equations li{margin:.3rem 0;padding:.3rem .6rem;background:var(--tint)}
.doc{white-space:pre-wrap;font-family:"DejaVu Serif",Georgia,serif;margin:.4rem 0}
.panels{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,20rem),1fr));gap:1rem;margin:0}
figure{margin:0}svg.plot{width:100%;height:auto;font:11px system-ui,sans-serif;fill:var(--ink)}
svg .grid{stroke:var(--rule);stroke-width:.6}svg .frame{fill:none;stroke:var(--ink);stroke-width:.8}
svg .panel-title{font-weight:700;font-size:13px}
ul.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:.3rem 1.5rem}
ul.legend li{display:flex;align-items:center;gap:.4rem}
a{color:var(--ink)}details{margin:.5rem 0}summary{cursor:pointer;font-weight:700}
@media (max-width:40rem){main{padding:.6rem}h1{font-size:1.25rem}dl.facts{grid-template-columns:minmax(0,1fr)}
dt{margin-top:.3rem}}
@media print{*{-webkit-print-color-adjust:exact;print-color-adjust:exact}main{max-width:none;padding:0}
body{font-size:10pt}.scroll{overflow:visible;border:0}table{min-width:0}thead th{position:static}
tr,li,figure{break-inside:avoid}h2{break-after:avoid}details{display:block}}
"""
)
