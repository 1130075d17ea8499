"""Build a Git repository with N commits touching a SOC 2 program, fast, with `git fast-import`.

    python bench/history/generate.py 50000 /tmp/history-50000

Deterministic: the same N gives the same commit ids. The first commit holds this repository's own
program (soc2kit.yml, policies/, controls/). Every later step is one of:
  - a pull request: a commit on a branch editing one control or policy, merged with
    "Merge pull request #N from acme/change-N" (2 commits, both touching the program);
  - a squash commit "Subject (#N)" editing one or two files, with Approved-by / Reviewed-by trailers;
  - an evidence record with its file (every 50th step, so evidence grows to 2% of the steps);
  - a rename of a policy file to and from a "-v2" name (every 500th step);
  - a commit that touches no program file (README), which the path filter skips.
Authors rotate among five people; commit dates advance 7 minutes per commit from 2024-01-01.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEOPLE = [
    ("Alice Adams", "alice@example.com"),
    ("Bob Brown", "bob@example.com"),
    ("Carol Chen", "carol@example.com"),
    ("Dan Diaz", "dan@example.com"),
    ("Erin Evans", "erin@example.com"),
]
START = 1704067200  # 2024-01-01T00:00:00Z


def _program_files() -> dict[str, bytes]:
    files = {"soc2kit.yml": (REPO / "soc2kit.yml").read_bytes()}
    for folder in ("policies", "controls"):
        for path in sorted((REPO / folder).glob("*.md")):
            files[f"{folder}/{path.name}"] = path.read_bytes()
    return files


class Stream:
    def __init__(self, out) -> None:
        self.out = out
        self.mark = 0
        self.clock = START
        self.commits = 0

    def data(self, payload: bytes) -> None:
        self.out.write(b"data %d\n" % len(payload))
        self.out.write(payload)
        self.out.write(b"\n")

    def commit(
        self,
        ref: str,
        message: str,
        changes: list[tuple[str, str, bytes | None]],
        *,
        person: int,
        parent: int | None = None,
        merge: int | None = None,
    ) -> int:
        self.mark += 1
        self.commits += 1
        self.clock += 420
        name, email = PEOPLE[person % len(PEOPLE)]
        who = f"{name} <{email}> {self.clock} +0000".encode()
        self.out.write(f"commit {ref}\nmark :{self.mark}\n".encode())
        self.out.write(b"author " + who + b"\ncommitter " + who + b"\n")
        self.data(message.encode())
        if parent is not None:
            self.out.write(f"from :{parent}\n".encode())
        if merge is not None:
            self.out.write(f"merge :{merge}\n".encode())
        for op, path, payload in changes:
            if op == "M":
                self.out.write(f"M 100644 inline {path}\n".encode())
                self.data(payload or b"")
            elif op == "D":
                self.out.write(f"D {path}\n".encode())
            else:  # rename: path is "old\0new"
                old, new = path.split("\0")
                self.out.write(f'R "{old}" "{new}"\n'.encode())
        self.out.write(b"\n")
        return self.mark


def generate(count: int, target: Path) -> None:
    if (target / ".git").exists():
        raise SystemExit(f"{target} already holds a repository")
    target.mkdir(parents=True, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", str(target)], check=True)
    process = subprocess.Popen(["git", "fast-import", "--quiet", "--done"], cwd=target, stdin=subprocess.PIPE)
    assert process.stdin is not None
    stream = Stream(process.stdin)
    files = _program_files()
    controls = sorted(p for p in files if p.startswith("controls/"))
    policies = sorted(p for p in files if p.startswith("policies/"))
    renamed: dict[str, str] = {}
    main = stream.commit("refs/heads/main", "Start the SOC 2 program", [("M", p, d) for p, d in files.items()], person=0)
    step = 0
    while stream.commits < count:
        step += 1
        person = step % len(PEOPLE)
        if step % 500 == 0:
            policy = policies[(step // 500) % len(policies)]
            current = renamed.pop(policy, None)
            old, new = (current, policy) if current else (policy, policy.replace(".md", "-v2.md"))
            if not current:
                renamed[policy] = new
            main = stream.commit(
                "refs/heads/main", f"Rename {old} ({step})", [("R", f"{old}\0{new}", None)], person=person, parent=main
            )
            continue
        if step % 50 == 0:
            control = controls[step % len(controls)].split("/")[1][:-3]
            body = f"evidence {step}\n".encode()
            digest = hashlib.sha256(body).hexdigest()
            record = (
                f"id: EV-{control}-{step}\ncontrol: {control}\nrequirement: review\ncollected: 2024-01-01\n"
                f"collector: {PEOPLE[person][1]}\nfiles:\n  - path: s{step}.txt\n    sha256: {digest}\n"
            ).encode()
            main = stream.commit(
                "refs/heads/main",
                f"Evidence for {control} (#{step})",
                [("M", f"evidence/{control}/s{step}.yaml", record), ("M", f"evidence/{control}/s{step}.txt", body)],
                person=person,
                parent=main,
            )
            continue
        if step % 7 == 0:
            main = stream.commit(
                "refs/heads/main", f"Docs {step}", [("M", "README.md", f"readme {step}\n".encode())], person=person, parent=main
            )
            continue
        target_path = controls[step % len(controls)] if step % 3 else policies[step % len(policies)]
        target_path = renamed.get(target_path, target_path)
        content = files[target_path.replace("-v2.md", ".md")] + f"\nRevision {step}.\n".encode()
        if step % 2:
            branch = stream.commit(
                f"refs/heads/change-{step % 8}",
                f"Edit {target_path}\n\nSigned-off-by: {PEOPLE[person][0]} <{PEOPLE[person][1]}>\n",
                [("M", target_path, content)],
                person=person,
                parent=main,
            )
            main = stream.commit(
                "refs/heads/main",
                f"Merge pull request #{step} from acme/change-{step}\n\nEdit {target_path}\n",
                [("M", target_path, content)],
                person=person + 1,
                parent=main,
                merge=branch,
            )
        else:
            second = controls[(step * 7) % len(controls)]
            approver = PEOPLE[(person + 2) % len(PEOPLE)]
            main = stream.commit(
                "refs/heads/main",
                f"Update {target_path} (#{step})\n\nApproved-by: {approver[0]} <{approver[1]}>\n"
                f"Reviewed-by: {approver[0]} <{approver[1]}>\n",
                [("M", target_path, content), ("M", second, files[second] + f"\nSee {step}.\n".encode())],
                person=person,
                parent=main,
            )
    process.stdin.write(b"done\n")
    process.stdin.close()
    if process.wait() != 0:
        raise SystemExit("git fast-import failed")
    subprocess.run(["git", "-C", str(target), "checkout", "-q", "-f", "main"], check=True)
    for ref in subprocess.run(
        ["git", "-C", str(target), "for-each-ref", "--format=%(refname)", "refs/heads/change-*"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.split():
        subprocess.run(["git", "-C", str(target), "update-ref", "-d", ref], check=True)
    subprocess.run(["git", "-C", str(target), "gc", "-q", "--aggressive" if count <= 1000 else "--auto"], check=True)


if __name__ == "__main__":
    generate(int(sys.argv[1]), Path(sys.argv[2]))
