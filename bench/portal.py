"""Benchmark the portal: `mkdocs build` with the soc2kit plugin on synthetic programs, against a plain
`mkdocs build` of the very same pages (written to disk once, built without the plugin).

usage: python bench/portal.py [--sizes 1000,10000] [--runs 3]

For each size: generate a program (bench/generate.py) into bench/out/portal-<size>/program with a
mkdocs.yml like the repository's own (Material, tabs, instant navigation, prune, search), then time
- portal     `mkdocs build` with the plugin: load the program, generate every page, build the site
- plain      `mkdocs build` of plain/: the same generated Markdown, CSS and nav, no soc2kit plugin
- plugin     in one process: load_portal + build_pages + navigation (the plugin's own work)
The plugin's share is (portal - plain) / portal. One untimed run first warms the OS page cache and
the soc2kit cache (the plugin reuses the user cache as `soc2kit check` does). The results replace
the section of BENCHMARKS.md between the bench:portal markers.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
BENCHMARKS = REPO / "BENCHMARKS.md"
START, END = "<!-- bench:portal:start -->", "<!-- bench:portal:end -->"
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
TODAY = "2026-05-15"

PLUGIN_STEP = """\
import sys, time
from pathlib import Path
from soc2kit.site.navigation import navigation
from soc2kit.site.pages import build_pages
from soc2kit.site.portal import load_portal
from datetime import date
t0 = time.perf_counter()
portal = load_portal(Path(sys.argv[1]), today=date.fromisoformat(sys.argv[2]))
t1 = time.perf_counter()
pages = build_pages(portal)
navigation(pages, [])
t2 = time.perf_counter()
print(f"{t1 - t0:.4f} {t2 - t1:.4f} {len(pages)} {sum(len(p.markdown) for p in pages)}")
"""


def site_config(*, plugin: bool) -> dict:
    """The repository's own mkdocs.yml, without the repo links (the synthetic programs have no Git host)."""
    config = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))
    for key in ("repo_url", "repo_name", "edit_uri"):
        config.pop(key, None)
    config["docs_dir"] = "docs"
    config["plugins"] = ["search", {"soc2kit": {"today": TODAY}}] if plugin else ["search"]
    return config


def prepare(size: int) -> tuple[Path, Path]:
    """The program folder (with its mkdocs.yml) and the plain folder (the generated pages on disk)."""
    base = OUT / f"portal-{size}"
    program = base / "program"
    if not (program / "soc2kit.yml").exists():
        subprocess.run([sys.executable, str(HERE / "generate.py"), str(program), "--documents", str(size)], check=True)
    (program / "docs").mkdir(exist_ok=True)
    (program / "mkdocs.yml").write_text(yaml.safe_dump(site_config(plugin=True), sort_keys=False), encoding="utf-8")

    sys.path.insert(0, str(REPO))
    from soc2kit.site.navigation import navigation
    from soc2kit.site.pages import build_pages
    from soc2kit.site.plugin import REQUIRED_EXTENSIONS
    from soc2kit.site.portal import load_portal
    from soc2kit.site.style import CSS, CSS_PATH

    plain = base / "plain"
    shutil.rmtree(plain, ignore_errors=True)
    docs = plain / "docs"
    portal = load_portal(program, today=datetime.fromisoformat(TODAY).date())
    pages = build_pages(portal)
    for page in pages:
        target = docs / page.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(page.markdown, encoding="utf-8")
    (docs / CSS_PATH).parent.mkdir(parents=True, exist_ok=True)
    (docs / CSS_PATH).write_text(CSS, encoding="utf-8")
    config = site_config(plugin=False)
    config["nav"] = navigation(pages, [])
    config["extra_css"] = [CSS_PATH]
    extensions = config.setdefault("markdown_extensions", [])
    names = {next(iter(e)) if isinstance(e, dict) else e for e in extensions}
    extensions += [name for name in REQUIRED_EXTENSIONS if name not in names]
    (plain / "mkdocs.yml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    return program, plain


def timed(cmd: list[str]) -> tuple[float, int, str]:
    """Wall seconds, peak RSS in KB (0 when GNU time is missing) and the output's last line."""
    with tempfile.NamedTemporaryFile("w+", suffix=".time") as tfile:
        full = [GNU_TIME, "-v", "-o", tfile.name, *cmd] if GNU_TIME else cmd
        started = time.perf_counter()
        proc = subprocess.run(full, capture_output=True, text=True, env=ENV, check=False)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stdout}{proc.stderr}")
        rss = 0
        if GNU_TIME:
            match = re.search(r"Maximum resident set size \(kbytes\): (\d+)", Path(tfile.name).read_text(encoding="utf-8"))
            rss = int(match.group(1)) if match else 0
    lines = (proc.stdout + proc.stderr).strip().splitlines()
    return wall, rss, lines[-1] if lines else ""


def measure(size: int, runs: int) -> dict:
    program, plain = prepare(size)
    mkdocs = [sys.executable, "-m", "mkdocs", "build", "-q"]
    commands = {
        "portal": [*mkdocs, "-f", str(program / "mkdocs.yml"), "-d", str(program.parent / "site-portal")],
        "plain": [*mkdocs, "-f", str(plain / "mkdocs.yml"), "-d", str(plain.parent / "site-plain")],
        "plugin": [sys.executable, "-c", PLUGIN_STEP, str(program), TODAY],
    }
    result: dict = {"size": size, "runs": runs}
    for name, cmd in commands.items():
        timed(cmd)  # warm-up
        samples = [timed(cmd) for _ in range(runs)]
        walls = [s[0] for s in samples]
        result[name] = {
            "median": statistics.median(walls),
            "min": min(walls),
            "max": max(walls),
            "rss_kb": max(s[1] for s in samples),
            "last": samples[-1][2],
        }
    load, generate, pages, chars = result["plugin"]["last"].split()
    result["plugin"].update(load=float(load), generate=float(generate))
    result["pages"], result["markdown_bytes"] = int(pages), int(chars)
    result["html_files"] = sum(1 for _ in (program.parent / "site-portal").rglob("*.html"))
    return result


def render(results: list[dict], command: str) -> str:
    cpu = platform.processor() or platform.machine()
    lines = [
        "## Portal build",
        "",
        "Generated by `bench/portal.py`; do not edit by hand.",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC; {os.cpu_count()} CPU ({cpu}), Python {platform.python_version()}",
        (
            "- Site: the repository's mkdocs.yml (Material: tabs, instant navigation, prune, search) without repo links;"
            " synthetic programs outside Git, so the revision tables and the Changes page say history is unavailable."
        ),
        (
            "- portal: `mkdocs build` with the plugin. plain: `mkdocs build` of the same generated Markdown, CSS and nav"
            " written to disk, without the plugin. plugin: load_portal + build_pages + navigation in one process."
        ),
        "",
        "| Documents | Pages | portal (median) | plain (median) | plugin share | plugin: load program | plugin: generate pages | Peak RSS portal / plain |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        portal, plain = r["portal"], r["plain"]
        share = (portal["median"] - plain["median"]) / portal["median"]
        lines.append(
            f"| {r['size']:,} | {r['pages']:,} | {portal['median']:.2f} s [{portal['min']:.2f}-{portal['max']:.2f}] "
            f"| {plain['median']:.2f} s [{plain['min']:.2f}-{plain['max']:.2f}] | {share:.0%} "
            f"| {r['plugin']['load']:.2f} s | {r['plugin']['generate']:.2f} s "
            f"| {portal['rss_kb'] / 1024:.0f} / {plain['rss_kb'] / 1024:.0f} MB |"
        )
    lines += [
        "",
        (
            f"Runs per size: {results[0]['runs']} (after one warm-up run). The plugin adds loading the program and"
            " generating the Markdown; everything else (Markdown to HTML, Material's templates, the search index) is"
            " what MkDocs spends on any site with these pages."
        ),
    ]
    return "\n".join(lines)


def update_benchmarks(section: str) -> None:
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    block = f"{START}\n{section}\n{END}"
    if START in text and END in text:
        text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _m: block, text, flags=re.DOTALL)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    BENCHMARKS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    results = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"portal benchmark: {size:,} documents ...", flush=True)
        results.append(measure(size, args.runs))
        r = results[-1]
        print(f"  portal {r['portal']['median']:.2f} s, plain {r['plain']['median']:.2f} s, pages {r['pages']:,}", flush=True)
    command = "python bench/portal.py" + "".join(
        f" {flag} {value}"
        for flag, value in (("--sizes", args.sizes), ("--runs", args.runs))
        if value != parser.get_default(flag[2:])
    )
    update_benchmarks(render(results, command))


if __name__ == "__main__":
    main()
