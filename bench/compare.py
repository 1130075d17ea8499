"""Time a soc2kit command with the working tree's code against the code of another commit.

    python bench/compare.py --base 364f9e9 --runs 7 -- trail export --format jsonl --root bench/out/history/repo-10000 -o {out}
    python bench/compare.py --base 364f9e9 --runs 5 -- check bench/out/program-10000
    python bench/compare.py --base 364f9e9 --runs 5 --cold -- check bench/out/program-10000

The base commit's package is unpacked with `git archive` into a temporary folder and imported from
there (PYTHONPATH), the working tree's from here; both are byte-compiled first, as an installed
package is (this matters where PYTHONDONTWRITEBYTECODE is set). The two run alternately, each in a
fresh process, so a machine that gets busier or quieter during the runs weighs on both alike. Each
side has its own soc2kit cache folder, warmed by one untimed run (with --cold it is emptied before
every run instead). `{out}` in the command becomes a file per side, compared byte for byte at the end.
Reported per side: the median and range of wall time and of CPU time (soc2kit and its children).
Nothing is written to BENCHMARKS.md: this is for checking one change.
"""

from __future__ import annotations

import argparse
import compileall
import filecmp
import io
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def unpack(rev: str, target: Path) -> Path:
    archive = subprocess.run(["git", "-C", str(REPO), "archive", rev, "soc2kit"], capture_output=True, check=True).stdout
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(target, filter="data")
    return target


def run(tree: Path, command: list[str], cache: Path, *, cold: bool) -> tuple[float, float, int]:
    if cold:
        shutil.rmtree(cache, ignore_errors=True)
    # Run from the tree itself: `python -m` puts the current folder first on sys.path, ahead of PYTHONPATH.
    env = {**os.environ, "PYTHONPATH": str(tree), "SOC2KIT_CACHE_DIR": str(cache)}
    before = os.times()
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "soc2kit", *command], env=env, cwd=tree, check=False, capture_output=True)
    wall = time.perf_counter() - started
    after = os.times()
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    return wall, cpu, done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="HEAD", help="the commit to compare with (default HEAD)")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--cold", action="store_true", help="empty each side's cache folder before every run")
    parser.add_argument("command", nargs=argparse.REMAINDER, help="the soc2kit command and its arguments, after --")
    args = parser.parse_args()
    command = [part for part in args.command if part != "--"] or parser.error("give the soc2kit command after --")
    # Each side runs from its own folder: a path given relative to here is passed on whole.
    command = [os.path.abspath(part) if os.path.exists(part) else part for part in command]
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        sides = {"base": unpack(args.base, work / "base"), "tree": REPO}
        for tree in sides.values():
            compileall.compile_dir(tree / "soc2kit", quiet=1)
        commands = {name: [part.replace("{out}", str(work / f"{name}.out")) for part in command] for name in sides}
        caches = {name: work / f"{name}-cache" for name in sides}
        codes: dict[str, set[int]] = {name: set() for name in sides}
        for name, tree in sides.items():  # warm the page cache and each side's soc2kit cache
            codes[name].add(run(tree, commands[name], caches[name], cold=args.cold)[2])
        walls: dict[str, list[float]] = {name: [] for name in sides}
        cpus: dict[str, list[float]] = {name: [] for name in sides}
        for n in range(args.runs):
            for name in list(sides) if n % 2 == 0 else list(sides)[::-1]:
                wall, cpu, code = run(sides[name], commands[name], caches[name], cold=args.cold)
                walls[name].append(wall)
                cpus[name].append(cpu)
                codes[name].add(code)
        outputs = [work / f"{name}.out" for name in sides]
        same = filecmp.cmp(*outputs, shallow=False) if all(path.exists() for path in outputs) else None
    print(f"soc2kit {' '.join(command)} ({args.runs} runs each, alternating, {'cold' if args.cold else 'warm'} cache)")
    for name in sides:
        label = f"{args.base} (base)" if name == "base" else "working tree"
        w, c = walls[name], cpus[name]
        print(
            f"  {label:24s} wall {statistics.median(w):.3f} s [{min(w):.3f}-{max(w):.3f}]"
            f"  cpu {statistics.median(c):.3f} s [{min(c):.3f}-{max(c):.3f}]  exit {sorted(codes[name])}"
        )
    outcome = "no {out}" if same is None else "yes" if same else "no"
    print(f"  same output: {outcome}; load average now {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
