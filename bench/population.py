"""Benchmark `soc2kit changes population` against the local GitHub server (tests/github_server.py).

usage: python bench/population.py [--pull-requests 10000] [--validate] [--page-size 100]

Generates a scenario (`Scenario.generate`: merged pull requests over 2026 with reviews of every kind,
direct pushes, checks and a protected branch), serves it on 127.0.0.1, and runs the collector in a
child process (`python -m soc2kit changes population` on a small program whose CC8.1 control names the
repository), timing it and reading its peak RSS from the kernel. The server runs in this process, so
the child's numbers are soc2kit's (plus githubkit and httpx), not the server's.

Without --validate the server skips its OpenAPI check of every request and answer: that check costs
the server tens of milliseconds a request, more than the collector spends, and would measure the test
server rather than soc2kit. The test suite runs it with validation on (tests/test_change_population.py).

The results replace the section of BENCHMARKS.md between the bench:population markers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))

from tests.conftest import make_program  # noqa: E402
from tests.github_server import TOKEN, GitHubServer, Scenario  # noqa: E402

BENCHMARKS = REPO / "BENCHMARKS.md"
START, END = "<!-- bench:population:start -->", "<!-- bench:population:end -->"
PERIOD = "2026-01-01..2026-12-31"
CONTROL = """\
---
id: CHG-02
title: Reviewed production changes
owner: VP Engineering
criteria: [CC8.1]
policies: [POL-ISP]
frequency: continuous
kind: preventive
automation: automated
repositories: [{repository}]
evidence:
  - id: merged-changes
    description: Every change merged to the product's default branch, with approvals and checks
---
# Reviewed production changes

## Description
Every production change is merged through a reviewed pull request with passing checks.

## Test procedure
1. Take the population of production changes in the period and inspect a sample.
"""


def scenario(pull_requests: int, page_size: int, *, validate: bool) -> Scenario:
    # Every merge before today: a period still running is covered only up to the collected day.
    last = min(datetime(2026, 12, 20, tzinfo=UTC), datetime.now(UTC) - timedelta(days=1))
    return Scenario.generate(pull_requests=pull_requests, page_size=page_size, seed=7, validate=validate, last_merge=last)


def run(served: Scenario, root: Path) -> dict[str, object]:
    program = make_program(root, quarters=2)
    program.write("controls/CHG-02.md", CONTROL.format(repository=served.full_name))
    with GitHubServer(served) as server:
        env = {**os.environ, "GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": server.url, "PYTHONPATH": str(REPO)}
        command = [sys.executable, "-m", "soc2kit", "changes", "population", "--root", str(root)]
        # No --branch: the collector asks GitHub for the default branch, as an adopter's run does.
        command += ["--repo", served.full_name, "--period", PERIOD, "--format", "json"]
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        requests = len(server.requests)
        requests_log = list(server.requests)
        problems = len(server.problems)
        over = server.over_budget
    if result.returncode not in {0, 1}:
        raise SystemExit(f"changes population failed ({result.returncode}): {result.stderr[-2000:]}")
    found = json.loads(result.stdout)
    files = sorted((root / "evidence" / "CHG-02").rglob("production-changes.json"))
    population = json.loads(files[0].read_bytes())
    return {
        "seconds": elapsed,
        "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
        "rss_mb": after.ru_maxrss / 1024,
        "requests": requests,
        "problems": problems,
        "over_budget": over,
        "items": population["counts"]["items"],
        "pull_requests": population["counts"]["pull_requests"],
        "direct": population["counts"]["direct_commits"],
        "lookups": sum(1 for r in requests_log if r.path.endswith("/pulls") and "/commits/" in r.path),
        "findings": len(found.get("diagnostics", [])),
        "size_mb": files[0].stat().st_size / 1e6,
        "bytes": files[0].read_bytes(),
    }


def section(args: argparse.Namespace, results: list[dict[str, object]]) -> str:
    first = results[0]
    identical = "not run (--runs 1)" if len(results) == 1 else "yes" if first["bytes"] == results[1]["bytes"] else "NO"
    validation = "on (every request and answer checked against GitHub's OpenAPI description)" if args.validate else "off"
    rows = "\n".join(
        f"| {label} | {r['pull_requests']:,} | {r['items']:,} | {r['requests']:,} | {r['seconds']:.1f} s | {r['cpu']:.1f} s "
        f"| {r['rss_mb']:.0f} MB | {r['size_mb']:.1f} MB | {r['findings']:,} |"
        for label, r in zip(("first", "second"), results, strict=False)
    )
    return f"""{START}
## Production change population

Generated by `bench/population.py`; do not edit by hand.

- Command: `python bench/population.py --pull-requests {args.pull_requests} --page-size {args.page_size} --runs {args.runs}{" --validate" if args.validate else ""}`
- Date: {datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")}; {os.cpu_count()} CPU ({platform.machine()}), Python {platform.python_version()}
- Data: `Scenario.generate` (tests/github_server.py): merged pull requests over 2026 (60% merge, 35% squash, 5% rebase),
  reviews of every kind, about 2% direct pushes, a check run and a status on each head, a protected default branch; served on
  127.0.0.1 by the test server in the benchmark's own process, {args.page_size} items a page.
- Server-side OpenAPI validation: {validation}. With it on, the server spends more time checking than the collector
  spends working, so the timing would be the test server's.
- Measured: `soc2kit changes population` as a child process (wall time, CPU time and peak RSS of the child); two runs
  into fresh programs; "Rerun identical" compares the two population files byte for byte.

| Run | Pull requests | Items | Requests | Wall | CPU | Peak RSS | Population file | Findings |
|---|---:|---:|---:|---:|---:|---:|---:|---:|
{rows}

Rerun identical: {identical}. Requests beyond the announced rate limit: {", ".join(str(r["over_budget"]) for r in results)}.
Direct commits: {first["direct"]:,}. Each pull request costs five requests (the pull request, its reviews, its
commits, its check runs, its commit statuses) plus its share of the listing pages; each branch commit that no
listed pull request accounts for costs one more, to ask GitHub which pull request brought it (here
{first["lookups"]:,}: the rebased commits before each rebase merge's last, and the direct pushes); at GitHub's 5,000 requests an hour, {args.pull_requests:,} pull requests take
about {int(first["requests"]) / 5000:.1f} hours of budget, which the client spreads over the windows it is given.
{END}"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pull-requests", type=int, default=10000)
    parser.add_argument("--page-size", type=int, default=100)
    parser.add_argument("--validate", action="store_true", help="Let the server check every request and answer.")
    parser.add_argument("--runs", type=int, choices=(1, 2), default=2, help="2: a second run checks the bytes are identical.")
    parser.add_argument("--no-write", action="store_true", help="Print the section instead of updating BENCHMARKS.md.")
    args = parser.parse_args()
    served = scenario(args.pull_requests, args.page_size, validate=args.validate)
    served.rate_limit = 10 * args.pull_requests  # one window's budget: the benchmark measures work, not waiting
    with tempfile.TemporaryDirectory(prefix="soc2kit-bench-population-") as folder:
        results = [run(served, Path(folder) / name) for name in ("first", "second")[: args.runs]]
    text = section(args, results)
    if args.no_write:
        print(text)
        return
    current = BENCHMARKS.read_text(encoding="utf-8")
    if START in current and END in current:
        head, _, rest = current.partition(START)
        _, _, tail = rest.partition(END)
        updated = head + text + tail
    else:
        updated = current.rstrip("\n") + "\n\n" + text + "\n"
    BENCHMARKS.write_text(updated, encoding="utf-8")
    print(text)


if __name__ == "__main__":
    main()
