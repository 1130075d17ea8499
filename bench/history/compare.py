"""Time `soc2kit trail export` of this working tree against the code of another commit, on one repository.

    python bench/history/compare.py --base 364f9e9 --runs 9
    python bench/history/compare.py --base HEAD --format csv --repo bench/out/history/repo-10000

The base commit's package is unpacked with `git archive` into a temporary folder and imported from
there (PYTHONPATH), the working tree's from here; the two run alternately, each in a fresh process,
so a machine that gets busier or quieter during the runs weighs on both alike. Reported per side:
the median and range of wall time and of CPU time (soc2kit with its git children), and whether the
two wrote the same bytes (expected against HEAD; not across a change of the trail's shape).
Nothing is written to BENCHMARKS.md: this is for checking one change, bench/history/run.py for the record.
"""

from __future__ import annotations

import argparse
import filecmp
import io
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]


def unpack(rev: str, target: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "soc2kit"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def run(tree: Path, repo: Path, output: Path, fmt: str) -> tuple[float, float]:
    # Run from the tree itself: `python -m` puts the current folder first on sys.path, ahead of PYTHONPATH.
    env = {**os.environ, "PYTHONPATH": str(tree)}
    command = [
        sys.executable,
        "-m",
        "soc2kit",
        "trail",
        "export",
        "--format",
        fmt,
        "--root",
        str(repo.resolve()),
        "-o",
        str(output),
    ]
    before = os.times()
    started = time.perf_counter()
    subprocess.run(command, env=env, cwd=tree, check=True, capture_output=True)
    wall = time.perf_counter() - started
    after = os.times()
    return wall, (after.children_user + after.children_system) - (before.children_user + before.children_system)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the commit to compare with (default HEAD)")
    parser.add_argument("--repo", type=Path, default=REPO / "bench" / "out" / "history" / "repo-10000")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--format", default="jsonl", choices=("jsonl", "csv", "md"))
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        sides = {"base": unpack(args.base, work / "base"), "tree": REPO}
        outputs = {name: work / f"{name}.{args.format}" for name in sides}
        for name, tree in sides.items():  # warm the page cache and the bytecode caches
            run(tree, args.repo, outputs[name], args.format)
        walls: dict[str, list[float]] = {name: [] for name in sides}
        cpus: dict[str, list[float]] = {name: [] for name in sides}
        for n in range(args.runs):
            for name in list(sides) if n % 2 == 0 else list(sides)[::-1]:
                wall, cpu = run(sides[name], args.repo, outputs[name], args.format)
                walls[name].append(wall)
                cpus[name].append(cpu)
        same = filecmp.cmp(outputs["base"], outputs["tree"], shallow=False)
    print(f"trail export --format {args.format} of {args.repo} ({args.runs} runs each, alternating)")
    for name in sides:
        label = f"{args.base} (base)" if name == "base" else "working tree"
        w, c = walls[name], cpus[name]
        print(
            f"  {label:24s} wall {statistics.median(w):.3f} s [{min(w):.3f}-{max(w):.3f}]"
            f"  cpu {statistics.median(c):.3f} s [{min(c):.3f}-{max(c):.3f}]"
        )
    print(f"  same bytes: {'yes' if same else 'no'}; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
