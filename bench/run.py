"""Benchmark `soc2kit check` against the YAML-parsing limit and compliance-trestle; update BENCHMARKS.md.

usage: python bench/run.py [--sizes 10000,100000] [--runs 3,2] [--no-trestle] [--trestle-max-size N]

For each size: generate a program into bench/out/program-<size>/ (bench/generate.py), then time
- check --no-cache  `soc2kit check DIR --no-cache`: read, parse, validate, hash, no cache at all
- check cold        delete the cache folder (bench/out/cache/), then `soc2kit check DIR` (also writes the cache)
- check warm        `soc2kit check DIR` again, with the cache from the cold run
- limit             `python bench/limit.py DIR`: parse the same files with yaml.CSafeLoader, nothing else
- trestle           `trestle author docs validate -tn policies -hv` on a copy of the policy and
                    control Markdown (bench/trestle/workspace.py); trestle does not read evidence
and `soc2kit --help` (console script and `python -m soc2kit`, median of 10). Wall time is measured
around the child process; peak RSS comes from /usr/bin/time -v (or os.wait4 when it is missing).
`--runs` takes one count per size (the last one repeats). Results go to bench/out/results.json and
to the section of BENCHMARKS.md between the bench:check markers.
"""

from __future__ import annotations

import argparse
import json
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

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "out"
BENCHMARKS = REPO / "BENCHMARKS.md"
START, END = "<!-- bench:check:start -->", "<!-- bench:check:end -->"
BIN = Path(sys.executable).parent
SOC2KIT = str(BIN / "soc2kit") if (BIN / "soc2kit").exists() else (shutil.which("soc2kit") or "soc2kit")
GNU_TIME = "/usr/bin/time" if Path("/usr/bin/time").exists() else None

sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE / "trestle"))
import generate  # noqa: E402 - bench/ is not a package; its scripts import each other by path
import workspace  # noqa: E402

TARGET_LIMIT_RATIO = 1.5
TARGET_TRESTLE_RATIO = 5.0
TARGET_HELP_S = 0.3
X = "\N{MULTIPLICATION SIGN}"
DASH = "\N{EN DASH}"


def timed(cmd: list[str], cwd: Path | None = None, stdout_path: Path | None = None) -> dict:
    """Run `cmd` once: wall seconds, peak RSS (KB), exit code, and the last line of its output."""
    with tempfile.NamedTemporaryFile("w+", suffix=".time") as tfile, tempfile.TemporaryFile("w+") as out:
        full = [GNU_TIME, "-v", "-o", tfile.name, *cmd] if GNU_TIME else cmd
        started = time.perf_counter()
        proc = subprocess.Popen(full, cwd=cwd, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        rss, cpu = usage.ru_maxrss, usage.ru_utime + usage.ru_stime
        if GNU_TIME:
            text = Path(tfile.name).read_text()
            rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", text).group(1))
            cpu = sum(float(v) for v in re.findall(r"(?:User|System) time \(seconds\): ([0-9.]+)", text))
        out.seek(0)
        output = out.read()
    if stdout_path is not None:
        stdout_path.write_text(output)
    lines = [line for line in output.splitlines() if line.strip()]
    return {
        "wall": wall,
        "cpu": cpu,
        "rss_kb": rss,
        "rc": proc.returncode,
        "last": lines[-1] if lines else "",
        "output_lines": len(lines),
    }


def summarize(samples: list[dict]) -> dict:
    walls = [s["wall"] for s in samples]
    return {
        "runs": len(samples),
        "wall": statistics.median(walls),
        "min": min(walls),
        "max": max(walls),
        "cpu": statistics.median(s["cpu"] for s in samples),
        "rss_kb": max(s["rss_kb"] for s in samples),
        "rc": sorted({s["rc"] for s in samples}),
        "last": samples[0]["last"],
        "output_lines": samples[0]["output_lines"],
        "walls": walls,
    }


def bench_size(size: int, runs: int, trestle: bool, typed: bool) -> dict:
    root = OUT / f"program-{size}"
    print(f"\n== {size:,} documents: generating into {root}", flush=True)
    shutil.rmtree(root, ignore_errors=True)  # deleting an old program is not part of the generation time
    started = time.perf_counter()
    stats = generate.generate(root, size, seed=0)
    stats["generate_s"] = time.perf_counter() - started
    print(
        f"   {stats['documents']:,} documents, {stats['files']:,} files, {stats['bytes'] / 1e6:.1f} MB in {stats['generate_s']:.1f} s"
    )
    cache = OUT / "cache"
    os.environ["SOC2KIT_CACHE_DIR"] = str(cache)  # the benchmark's own cache folder, not the user's
    check = [SOC2KIT, "check", str(root)]
    status = [SOC2KIT, "status", str(root)]
    samples: dict[str, list[dict]] = {
        "check --no-cache": [],
        "check cold": [],
        "check warm": [],
        "status --no-cache": [],
        "status warm": [],
        "limit": [],
    }
    for run in range(1, runs + 1):
        samples["check --no-cache"].append(timed([*check, "--no-cache"], stdout_path=OUT / f"check-{size}.txt"))
        shutil.rmtree(cache, ignore_errors=True)
        samples["check cold"].append(timed(check))
        samples["check warm"].append(timed(check))
        samples["status --no-cache"].append(timed([*status, "--no-cache"], stdout_path=OUT / f"status-{size}.txt"))
        samples["status warm"].append(timed(status))
        samples["limit"].append(timed([sys.executable, str(HERE / "limit.py"), str(root)]))
        print(f"   run {run}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s" for k, v in samples.items()), flush=True)
    result = {"size": size, "program": stats, "results": {k: summarize(v) for k, v in samples.items()}}
    result["markdown_files"] = stats["policies"] + stats["controls"]
    modes = (["single"] if trestle else []) + (["typed"] if typed else [])
    for mode in modes:
        ws = OUT / f"trestle-{mode}-{size}"
        copied = workspace.build(root, ws, mode)
        name = "trestle" if mode == "single" else "trestle (typed templates)"
        trestle_samples = []
        for run in range(1, runs + 1):
            trestle_samples.append(
                timed(workspace.validate_command(mode), cwd=ws, stdout_path=OUT / f"trestle-{mode}-{size}.txt")
            )
            print(f"   {name} run {run}: {trestle_samples[-1]['wall']:.2f} s", flush=True)
        summary = summarize(trestle_samples)
        log = (OUT / f"trestle-{mode}-{size}.txt").read_text().splitlines()
        summary["valid"] = sum(line.startswith("VALID") for line in log)
        summary["invalid"] = sum(line.startswith("INVALID") for line in log)
        summary["files"] = copied
        result["results"][name] = summary
    return result


def bench_help() -> dict:
    out = {}
    for name, cmd in (
        ("soc2kit --help", [SOC2KIT, "--help"]),
        ("python -m soc2kit --help", [sys.executable, "-m", "soc2kit", "--help"]),
    ):
        timed(cmd)  # warm-up: bytecode compiled, files in the page cache
        samples = [timed(cmd) for _ in range(10)]
        out[name] = summarize(samples)
    return out


def machine() -> dict:
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", meminfo, re.MULTILINE)
    version = subprocess.run([SOC2KIT, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    import pydantic
    import yaml

    info = {
        "nproc": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu": model.group(1).strip() if model else platform.processor() or "unknown",
        "memory_gib": round(int(mem.group(1)) / 1024**2, 1) if mem else None,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "soc2kit": version,
        "pyyaml": f"{yaml.__version__} ({'libyaml' if yaml.__with_libyaml__ else 'pure Python'})",
        "pydantic": pydantic.VERSION,
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "load_start": _load(),
    }
    head = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "soc2kit"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.strip()
    info["commit"] = f"{head}{' with uncommitted changes in soc2kit/' if dirty else ''}" if head else "unknown"
    if workspace.TRESTLE.exists():
        info["trestle"] = subprocess.run(
            [str(workspace.TRESTLE), "version"], capture_output=True, text=True, check=False
        ).stdout.strip()
    return info


def _load() -> str:
    """The 1-minute load average: other work on the machine skews every timing."""
    return Path("/proc/loadavg").read_text().split()[0] if Path("/proc/loadavg").exists() else "unknown"


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s" if seconds >= 0.1 else f"{seconds * 1000:.0f} ms"


def _per_doc(seconds: float, count: int) -> str:
    return f"{seconds / count * 1e6:.0f} µs"


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}{X}"


def render(info: dict, sizes: list[dict], helps: dict, command: str) -> str:
    lines = [
        START,
        "## Results",
        "",
        "Generated by `bench/run.py`; do not edit by hand.",
        "",
        f"- Command: `{command}`",
        f"- Date: {info['date']}; soc2kit at commit {info['commit']}",
        f"- Machine: {info['nproc']} CPU ({info['cpu']}), {info['memory_gib']} GiB RAM, {info['os']}",
        f"- Software: Python {info['python']}, {info['soc2kit']}, PyYAML {info['pyyaml']}, pydantic {info['pydantic']}"
        + (f", {info['trestle']}" if "trestle" in info else ""),
        (
            f"- Load average (1 min) at start and end: {info['load_start']} and {info.get('load_end', '?')}; "
            "other work on the machine raises it."
        ),
        "- Files were just written, so they are in the OS page cache for every tool (no cold-disk numbers).",
        "",
        "### Programs",
        "",
        "| Documents | Policies | Controls | Evidence records | Evidence files | Bytes on disk | Generated in |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in sizes:
        p = entry["program"]
        lines.append(
            f"| {p['documents']:,} | {p['policies']:,} | {p['controls']:,} | {p['evidence']:,} | {p['evidence']:,} "
            f"| {p['bytes'] / 1e6:.1f} MB | {p['generate_s']:.1f} s |"
        )
    lines += [
        "",
        "### Timings",
        "",
        (
            "Wall time is the median of the runs (range in brackets). Per document = wall / documents the tool reads "
            "(trestle reads only the policy and control Markdown). CPU = user + system time of the process and the "
            "workers it waited for (`check` parses on several processes, one per core up to 4, when 2,000 or more files "
            "changed; `limit` and trestle use one). Peak RSS = the largest single process. Ratios are of wall times, "
            "against `limit` and against `check --no-cache`."
        ),
        "",
        "| Documents | Tool | Runs | Wall (median) | Per document | CPU | Peak RSS | ÷ limit | trestle ÷ this |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for entry in sizes:
        res, docs = entry["results"], entry["program"]["documents"]
        limit = res["limit"]["wall"]
        trestle = res.get("trestle")
        for name, r in res.items():
            count = r.get("files", docs)
            spread = f" [{_s(r['min'])}{DASH}{_s(r['max'])}]" if r["runs"] > 1 else ""
            shown = f"{name} ({count:,} .md files)" if name.startswith("trestle") else name
            vs_trestle = _ratio(trestle["wall"], r["wall"]) if trestle and name.startswith("check") else ""
            lines.append(
                f"| {docs:,} | {shown} | {r['runs']} | {_s(r['wall'])}{spread} | {_per_doc(r['wall'], count)} | {_s(r['cpu'])} "
                f"| {r['rss_kb'] / 1024:.0f} MB | {_ratio(r['wall'], limit)} | {vs_trestle} |"
            )
    lines += [
        "",
        "### Start-up",
        "",
        "| Command | Runs | Median | Min | Peak RSS |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, r in helps.items():
        lines.append(f"| `{name}` | {r['runs']} | {_s(r['wall'])} | {_s(r['min'])} | {r['rss_kb'] / 1024:.0f} MB |")
    lines += ["", "### Targets", "", "| Target | Measured | Met |", "|---|---|---|"]
    small = next((e for e in sizes if e["size"] == 10000), sizes[0])
    res = small["results"]
    check = res["check --no-cache"]["wall"]
    ratio = check / res["limit"]["wall"]
    lines.append(
        f"| `check --no-cache` at {small['program']['documents']:,} documents within {TARGET_LIMIT_RATIO}{X} of the limit "
        f"| {ratio:.2f}{X} ({_s(check)} vs {_s(res['limit']['wall'])}) | {'yes' if ratio <= TARGET_LIMIT_RATIO else '**no**'} |"
    )
    if "trestle" in res:
        speedup = res["trestle"]["wall"] / check
        lines.append(
            f"| `check --no-cache` at {small['program']['documents']:,} documents at least {TARGET_TRESTLE_RATIO:.0f}{X} faster than trestle "
            f"| {speedup:.2f}{X} ({_s(res['trestle']['wall'])} vs {_s(check)}) | {'yes' if speedup >= TARGET_TRESTLE_RATIO else '**no**'} |"
        )
        per_doc = (res["trestle"]["wall"] / res["trestle"]["files"]) / (check / small["program"]["documents"])
        lines.append(f"| (for information) the same, per document read | {per_doc:.2f}{X} | |")
    for name, r in helps.items():
        lines.append(
            f"| `{name}` under {TARGET_HELP_S} s | {_s(r['wall'])} | {'yes' if r['wall'] < TARGET_HELP_S else '**no**'} |"
        )
    lines += ["", "### Outputs", ""]
    for entry in sizes:
        res = entry["results"]
        lines.append(f"- {entry['size']:,} documents:")
        for name, r in res.items():
            codes = ", ".join(map(str, r["rc"]))
            if name.startswith("check"):
                lines.append(f"  - {name}: exit {codes}, `{r['last']}`")
            elif name.startswith("status"):
                lines.append(f"  - {name}: exit {codes}, {r['output_lines']:,} lines of readiness report")
            elif name.startswith("trestle"):
                lines.append(
                    f"  - {name}: exit {codes}, {r['valid']:,} VALID and {r['invalid']:,} INVALID of {r['files']:,} files"
                )
    lines.append(END)
    return "\n".join(lines) + "\n"


def update_benchmarks(section: str) -> None:
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n\n"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        text = head + section + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + section
    BENCHMARKS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated document counts")
    parser.add_argument("--runs", default="3,2", help="runs per size, comma-separated; the last value repeats")
    parser.add_argument("--no-trestle", action="store_true", help="skip compliance-trestle")
    parser.add_argument("--trestle-max-size", type=int, default=100000, help="run trestle only up to this size")
    parser.add_argument("--typed-max-size", type=int, default=10000, help="also run trestle with typed templates up to this size")
    parser.add_argument("--no-write", action="store_true", help="print the section instead of updating BENCHMARKS.md")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    runs = [int(r) for r in args.runs.split(",")]
    command = "python bench/run.py " + " ".join(sys.argv[1:]) if sys.argv[1:] else "python bench/run.py"
    OUT.mkdir(parents=True, exist_ok=True)
    if not args.no_trestle:
        print("trestle:", workspace.ensure_venv())
    info = machine()
    print(json.dumps(info, indent=1))
    helps = bench_help()
    for name, r in helps.items():
        print(f"{name}: median {_s(r['wall'])}")
    results = []
    for index, size in enumerate(sizes):
        count = runs[min(index, len(runs) - 1)]
        trestle = not args.no_trestle and size <= args.trestle_max_size
        typed = not args.no_trestle and size <= args.typed_max_size
        results.append(bench_size(size, count, trestle, typed))
    info["load_end"] = _load()
    (OUT / "results.json").write_text(
        json.dumps({"machine": info, "help": helps, "sizes": results, "command": command}, indent=1)
    )
    section = render(info, results, helps, command)
    if args.no_write:
        print(section)
    else:
        update_benchmarks(section)
        print(f"\n{section}\nupdated {BENCHMARKS}")


if __name__ == "__main__":
    main()
