"""Benchmark: `soc2kit changes check` over a main branch of 50,000 commits, without a token.

    python3 bench/changes.py [--commits 50000] [--keep DIR]

Builds the repository with one `git fast-import` stream: a program (soc2kit.yml, policies, controls),
then a main line where, of every ten commits, four are pull requests merged as GitHub's merge button
does (a branch commit by one person, a merge commit by another with GitHub's web flow as committer),
two are squash merges committed by GitHub, three are direct pushes of evidence (not gated) and one is
a direct push to a policy (a finding). Half the pull requests carry an `Approved-by:` trailer, so the
other half are "no approval recorded" findings: the check reports a large number of findings, as a
history that never recorded approvals would.

Reports the wall time of the command and the peak resident memory of the child processes (the
`soc2kit` process and the git processes it starts), from resource.getrusage(RUSAGE_CHILDREN).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PEOPLE = [(f"Person {n}", f"person{n}@example.com") for n in range(40)]
GITHUB = ("GitHub", "noreply@github.com")
START = 1767600000  # 2026-01-05
CONFIG = """\
organization: Bench Co
system:
  name: Bench Platform
audit:
  type: type2
  period: {start: 2026-01-01, end: 2026-12-31}
scope:
  categories: [security]
"""
POLICY = """\
---
id: POL-{n:03d}
title: Policy {n}
owner: Head of Security
approver: CTO
status: approved
version: "1.{v}"
effective: 2025-12-15
last_reviewed: 2026-01-10
review_every: 12 months
---
# Policy {n}

Revision {v}.
"""


class Stream:
    """Writes a fast-import stream; marks number commits."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []
        self.mark = 0
        self.clock = START

    def data(self, text: str) -> None:
        raw = text.encode()
        self.parts.append(b"data %d\n" % len(raw) + raw + b"\n")

    def commit(
        self,
        ref: str,
        message: str,
        files: dict[str, str],
        *,
        author: tuple[str, str],
        committer: tuple[str, str] | None = None,
        parent: int | None = None,
        merge: int | None = None,
    ) -> int:
        self.mark += 1
        self.clock += 600
        committer = committer or author
        head = f"commit {ref}\nmark :{self.mark}\n"
        head += f"author {author[0]} <{author[1]}> {self.clock} +0000\n"
        head += f"committer {committer[0]} <{committer[1]}> {self.clock} +0000\n"
        self.parts.append(head.encode())
        self.data(message)
        if parent is not None:
            self.parts.append(f"from :{parent}\n".encode())
        if merge is not None:
            self.parts.append(f"merge :{merge}\n".encode())
        for path, text in files.items():
            self.parts.append(f"M 100644 inline {path}\n".encode())
            self.data(text)
        return self.mark

    def bytes(self) -> bytes:
        return b"".join(self.parts)


def build(root: Path, commits: int) -> int:
    """A repository whose main line has about `commits` commits; returns how many it has."""
    root.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True, env=env)
    out = Stream()
    start = {"soc2kit.yml": CONFIG}
    start.update({f"policies/p{n:03d}.md": POLICY.format(n=n, v=0) for n in range(200)})
    start.update({f"controls/C-{n:02d}.md": f"control {n}\n" for n in range(40)})
    main = out.commit("refs/heads/main", "Start the program", start, author=PEOPLE[0])
    made = 1
    step = 0
    while made < commits:
        step += 1
        author, other = PEOPLE[step % 40], PEOPLE[(step * 7 + 3) % 40]
        slot = step % 10
        policy = f"policies/p{step % 200:03d}.md"
        change = {policy: POLICY.format(n=step % 200, v=step)}
        approved = step % 2 == 0
        trailer = f"\n\nApproved-by: {other[0]} <{other[1]}>" if approved else ""
        if slot < 4:
            branch = out.commit("refs/heads/topic", f"Work {step}", change, author=author, parent=main)
            main = out.commit(
                "refs/heads/main",
                f"Merge pull request #{step} from acme/topic-{step}\n\nWork {step}{trailer}",
                change,
                author=other,
                committer=GITHUB,
                parent=main,
                merge=branch,
            )
            made += 2
        elif slot < 6:
            main = out.commit(
                "refs/heads/main", f"Change {step} (#{step}){trailer}", change, author=author, committer=GITHUB, parent=main
            )
            made += 1
        elif slot < 9:
            evidence = {f"evidence/C-{step % 40:02d}/e{step}.txt": f"evidence {step}\n"}
            main = out.commit("refs/heads/main", f"Evidence {step}", evidence, author=author, parent=main)
            made += 1
        else:
            main = out.commit("refs/heads/main", f"Quick fix {step}", change, author=author, parent=main)
            made += 1
    subprocess.run(["git", "fast-import", "--quiet"], cwd=root, input=out.bytes(), check=True, env=env)
    subprocess.run(["git", "checkout", "-q", "-f", "main"], cwd=root, check=True, env=env)
    return made


def measure(root: Path) -> None:
    """Run the check as this process's only child, then print its time and the peak memory of its processes:
    the builder's git processes (fast-import) are children of another process, so they do not count."""
    env = {key: value for key, value in os.environ.items() if key != "GITHUB_TOKEN"}
    began = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "soc2kit", "changes", "check", "--root", str(root), "--format", "json"],
        capture_output=True,
        env=env,
        check=False,
    )
    took = time.perf_counter() - began
    peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if result.returncode not in (0, 1):
        sys.exit(f"changes check failed: {result.stderr.decode(errors='replace')}")
    report = json.loads(result.stdout)
    codes: dict[str, int] = {}
    for finding in report["diagnostics"]:
        codes[finding["code"]] = codes.get(finding["code"], 0) + 1
    print(
        json.dumps(
            {
                "examined": report["summary"]["documents"],
                "findings": codes,
                "seconds": round(took, 2),
                "peak_rss_mib": round(peak_mib, 1),
            }
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--commits", type=int, default=50_000)
    parser.add_argument("--keep", type=Path, help="Build the repository here and keep it.")
    parser.add_argument("--measure", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure is not None:
        measure(args.measure)
        return
    with tempfile.TemporaryDirectory() as scratch:
        root = args.keep or Path(scratch) / "repo"
        began = time.perf_counter()
        made = build(root, args.commits)
        built = time.perf_counter() - began
        measured = subprocess.run([sys.executable, __file__, "--measure", str(root)], capture_output=True, text=True, check=False)
        if measured.returncode != 0:
            sys.exit(measured.stderr or measured.stdout)
        print(json.dumps({"commits": made, "build_seconds": round(built, 1), **json.loads(measured.stdout)}, indent=2))


if __name__ == "__main__":
    main()
