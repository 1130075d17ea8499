"""The portal's stylesheet (served as assets/stylesheets/soc2kit.css). It builds on Material's CSS
variables, so light and dark schemes both work. Kept in Python so it ships with the package."""

from __future__ import annotations

CSS_PATH = "assets/stylesheets/soc2kit.css"

CSS = """\
:root {
  --sk-good: #2e7d32; --sk-fair: #ef8f00; --sk-poor: #d32f2f; --sk-info: #1565c0; --sk-muted: #78909c;
  --sk-good-bg: rgba(46,125,50,.12); --sk-fair-bg: rgba(239,143,0,.14); --sk-poor-bg: rgba(211,47,47,.12);
  --sk-info-bg: rgba(21,101,192,.12); --sk-muted-bg: rgba(120,144,156,.14);
  --sk-track: rgba(127,127,127,.18); --sk-border: rgba(127,127,127,.22);
}
[data-md-color-scheme="slate"] {
  --sk-good: #66bb6a; --sk-fair: #ffb74d; --sk-poor: #ef5350; --sk-info: #64b5f6; --sk-muted: #90a4ae;
}
.md-typeset .sk-hero { display: flex; flex-wrap: wrap; align-items: center; gap: 1.2rem 2rem; margin: 0 0 1.2rem;
  padding: 1.2rem 1.4rem; border-radius: .6rem; border: 1px solid var(--sk-border);
  background: linear-gradient(135deg, var(--md-primary-fg-color--transparent, rgba(63,81,181,.08)), transparent 70%); }
.md-typeset .sk-hero__score { flex: 0 0 auto; width: 7.5rem; height: 7.5rem; border-radius: 50%; display: grid;
  place-items: center; background: conic-gradient(var(--sk-score-color) calc(var(--sk-score) * 1%), var(--sk-track) 0); }
.md-typeset .sk-hero__score > span { width: 6.1rem; height: 6.1rem; border-radius: 50%; display: grid; place-items: center;
  background: var(--md-default-bg-color); font-size: 1.6rem; font-weight: 700; line-height: 1; text-align: center; }
.md-typeset .sk-hero__score small { display: block; font-size: .55rem; font-weight: 400; margin-top: .25rem;
  color: var(--md-default-fg-color--light); text-transform: uppercase; letter-spacing: .06em; }
.md-typeset .sk-hero__text { flex: 1 1 18rem; }
.md-typeset .sk-hero__org { font-size: .75rem; text-transform: uppercase; letter-spacing: .08em;
  color: var(--md-default-fg-color--light); margin: 0; }
.md-typeset .sk-hero__title { font-size: 1.35rem; font-weight: 700; margin: .15rem 0 .4rem; line-height: 1.3; }
.md-typeset .sk-hero__facts { margin: 0; color: var(--md-default-fg-color--light); font-size: .72rem; }
.md-typeset .sk-hero__facts span + span::before { content: "·"; margin: 0 .5em; }
.md-typeset .sk-cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(8rem, 1fr)); gap: .8rem;
  margin: 1rem 0 1.4rem; }
.md-typeset .sk-card { border: 1px solid var(--sk-border); border-radius: .5rem; padding: .75rem .9rem;
  background: var(--md-default-bg-color); box-shadow: 0 1px 2px rgba(0,0,0,.04); border-top: 3px solid var(--sk-info); }
.md-typeset .sk-card--ok { border-top-color: var(--sk-good); }
.md-typeset .sk-card--warn { border-top-color: var(--sk-fair); }
.md-typeset .sk-card--bad { border-top-color: var(--sk-poor); }
.md-typeset .sk-card__value { font-size: 1.45rem; font-weight: 700; line-height: 1.2; font-variant-numeric: tabular-nums; }
.md-typeset .sk-card__label { font-size: .68rem; color: var(--md-default-fg-color--light); text-transform: uppercase;
  letter-spacing: .05em; margin-top: .15rem; }
.md-typeset .sk-card__note { font-size: .65rem; color: var(--md-default-fg-color--light); margin-top: .3rem; }
.md-typeset .sk-bar { display: inline-block; vertical-align: middle; width: 9rem; max-width: 60%; height: .55rem;
  border-radius: .3rem; background: var(--sk-track); overflow: hidden; margin-right: .6rem; }
.md-typeset .sk-bar__fill { display: block; height: 100%; border-radius: .3rem; background: var(--sk-info); }
.md-typeset .sk-bar__fill--good { background: var(--sk-good); }
.md-typeset .sk-bar__fill--fair { background: var(--sk-fair); }
.md-typeset .sk-bar__fill--poor { background: var(--sk-poor); }
.md-typeset .sk-bar__label { font-variant-numeric: tabular-nums; font-size: .7rem; color: var(--md-default-fg-color--light);
  white-space: nowrap; }
.md-typeset .sk-badge { display: inline-block; padding: .05rem .5rem; border-radius: 1rem; font-size: .64rem; font-weight: 600;
  line-height: 1.5; white-space: nowrap; vertical-align: middle; }
.md-typeset .sk-badge--ok { color: var(--sk-good); background: var(--sk-good-bg); }
.md-typeset .sk-badge--warn { color: var(--sk-fair); background: var(--sk-fair-bg); }
.md-typeset .sk-badge--bad { color: var(--sk-poor); background: var(--sk-poor-bg); }
.md-typeset .sk-badge--info { color: var(--sk-info); background: var(--sk-info-bg); }
.md-typeset .sk-badge--muted { color: var(--sk-muted); background: var(--sk-muted-bg); }
.md-typeset .sk-meta { border: 1px solid var(--sk-border); border-radius: .5rem; padding: .8rem 1rem; margin: 0 0 1.4rem;
  background: var(--md-code-bg-color); }
.md-typeset .sk-meta__title { font-weight: 700; margin-bottom: .4rem; }
.md-typeset .sk-meta dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(8.5rem, 1fr)); gap: .7rem 1.2rem;
  margin: 0; }
.md-typeset .sk-meta dl > div { min-width: 0; }
.md-typeset .sk-meta dt { font-size: .62rem; text-transform: uppercase; letter-spacing: .06em;
  color: var(--md-default-fg-color--light); margin: 0; }
.md-typeset .sk-meta dd { margin: .15rem 0 0; font-size: .78rem; font-weight: 500; }
.md-typeset .sk-windows { display: flex; flex-wrap: wrap; gap: .35rem; margin: .3rem 0 1rem; }
.md-typeset .sk-window { display: flex; flex-direction: column; min-width: 5.2rem; padding: .35rem .55rem;
  border-radius: .35rem; font-size: .64rem; line-height: 1.35; border-left: 3px solid var(--sk-muted); background: var(--sk-muted-bg); }
.md-typeset .sk-window strong { font-size: .7rem; }
.md-typeset .sk-window--ok { border-left-color: var(--sk-good); background: var(--sk-good-bg); }
.md-typeset .sk-window--bad { border-left-color: var(--sk-poor); background: var(--sk-poor-bg); }
.md-typeset .sk-window--warn { border-left-color: var(--sk-fair); background: var(--sk-fair-bg); }
.md-typeset .sk-window--info { border-left-color: var(--sk-info); background: var(--sk-info-bg); }
.md-typeset .sk-window--future { border-left-color: var(--sk-muted); background: transparent; border: 1px dashed var(--sk-border);
  border-left: 3px solid var(--sk-muted); }
.md-typeset .sk-columns { display: grid; grid-template-columns: repeat(auto-fit, minmax(20rem, 1fr)); gap: 0 2rem; }
.md-typeset table:not([class]) { font-size: .72rem; }
.md-typeset table:not([class]) td { vertical-align: middle; }
.md-typeset table:not([class]) td code, .md-typeset .sk-nowrap { white-space: nowrap; }
"""
