"""A compliance-trestle workspace holding a copy of a generated program's policy and control Markdown.

usage: python bench/trestle/workspace.py PROGRAM_DIR WORKSPACE [--mode single|typed] [--validate]

Reproduces the setup steps of the peer harness in /work/shared/peers/trestle (run_all.sh): a venv
with `pip install compliance-trestle` at /tmp/trestle-venv, `trestle init --govdocs`,
`trestle author docs setup -tn policies`, our own template, then a copy of every policies/*.md and
controls/*.md file in the one task folder `policies/` (trestle validates one task folder against
one template version), each identical to the original except for header keys trestle needs:

- single (default; the command is exactly `trestle author docs validate -tn policies -hv`):
  one added key, `x-trestle-template-version: 0.0.1`. The template's header holds the keys both
  document kinds share (id, title, owner) and lists every other key of ours under
  `x-trestle-ignore`, because trestle requires the instance to have exactly the template's keys and
  policies and controls have different ones. Body: a level-1 heading with a substitution.
- typed (`... validate -tn policies -hv -vtt`): two keys added, the version and
  `x-trestle-template-type: policy|control`, which picks a template per kind (policy.md,
  control.md), each with exactly our keys and all of our section headings: the strictest check
  trestle can do on these files.

Both modes parse every file completely (header and body); they differ only in what is compared.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from pathlib import Path

VENV = Path("/tmp/trestle-venv")
TRESTLE = VENV / "bin" / "trestle"
PEER_HARNESS = Path("/work/shared/peers/trestle")

POLICY_KEYS = ("approver", "status", "version", "effective", "last_reviewed", "review_every")
CONTROL_KEYS = ("criteria", "policies", "frequency", "kind", "automation", "evidence")

SINGLE_TEMPLATE = f"""\
---
id: POL-EXAMPLE
title: Document title
owner: Owner role
x-trestle-template-version: 0.0.1
x-trestle-ignore: [{", ".join(POLICY_KEYS + CONTROL_KEYS)}]
---
# {{{{ title }}}}
"""

POLICY_TEMPLATE = """\
---
id: POL-EXAMPLE
title: Example Policy
owner: Head of Security
approver: CTO
status: draft
version: "1.0"
effective: 2026-01-15
last_reviewed: 2026-01-10
review_every: 12 months
x-trestle-template-version: 0.0.1
x-trestle-template-type: policy
---
# {{ title }}

## Purpose

## Scope

## Roles and responsibilities

## Policy statements

## Exceptions

## Enforcement

## Review
"""

CONTROL_TEMPLATE = """\
---
id: EX-01
title: Example control
owner: IT Manager
criteria: [CC6.2]
policies: [POL-AC]
frequency: quarterly
kind: detective
automation: manual
evidence:
  - id: example
    description: Example evidence
x-trestle-template-version: 0.0.1
x-trestle-template-type: control
---
# {{ title }}

## Description

## Test procedure
"""


def ensure_venv() -> Path:
    """The trestle executable, installing compliance-trestle into its own venv first if needed."""
    if not TRESTLE.exists():
        subprocess.run([sys.executable, "-m", "venv", str(VENV)], check=True)
        subprocess.run([str(VENV / "bin" / "pip"), "install", "-q", "compliance-trestle"], check=True)
    return TRESTLE


def trestle(workspace: Path, *args: str) -> None:
    subprocess.run([str(TRESTLE), *args], cwd=workspace, check=True, stdout=subprocess.DEVNULL)


def validate_command(mode: str = "single") -> list[str]:
    return [str(TRESTLE), "author", "docs", "validate", "-tn", "policies", "-hv", *(["-vtt"] if mode == "typed" else [])]


def _with_keys(text: str, extra: str) -> str:
    """The document with `extra` header lines added just before the closing `---` of its front-matter."""
    end = text.index("\n---\n", 3)
    return f"{text[: end + 1]}{extra}{text[end + 1 :]}"


def build(program: Path, workspace: Path, mode: str = "single") -> int:
    """Make the workspace; returns the number of Markdown files copied into it."""
    ensure_venv()
    if workspace.exists():
        shutil.rmtree(workspace)
    workspace.mkdir(parents=True)
    trestle(workspace, "init", "--govdocs")
    trestle(workspace, "author", "docs", "setup", "-tn", "policies")
    template_dir = workspace / ".trestle" / "author" / "policies" / "0.0.1"
    for old in template_dir.iterdir():
        old.unlink()
    if mode == "typed":
        (template_dir / "policy.md").write_text(POLICY_TEMPLATE, encoding="utf-8")
        (template_dir / "control.md").write_text(CONTROL_TEMPLATE, encoding="utf-8")
    else:
        (template_dir / "template.md").write_text(SINGLE_TEMPLATE, encoding="utf-8")
        trestle(workspace, "author", "docs", "template-validate", "-tn", "policies", "-hv")
    task = workspace / "policies"
    shutil.rmtree(task, ignore_errors=True)
    task.mkdir()
    count = 0
    for folder, kind in (("policies", "policy"), ("controls", "control")):
        extra = "x-trestle-template-version: 0.0.1\n" + (f"x-trestle-template-type: {kind}\n" if mode == "typed" else "")
        with os.scandir(program / folder) as entries:
            for entry in entries:
                if entry.name.endswith(".md") and entry.is_file():
                    text = Path(entry.path).read_text(encoding="utf-8")
                    (task / entry.name).write_text(_with_keys(text, extra), encoding="utf-8")
                    count += 1
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("program", type=Path)
    parser.add_argument("workspace", type=Path)
    parser.add_argument("--mode", choices=("single", "typed"), default="single")
    parser.add_argument("--validate", action="store_true", help="run the validation once and report the result")
    args = parser.parse_args()
    count = build(args.program, args.workspace.resolve(), args.mode)
    print(f"copied {count} Markdown files into {args.workspace}/policies ({args.mode} template)")
    if args.validate:
        result = subprocess.run(validate_command(args.mode), cwd=args.workspace, capture_output=True, text=True, check=False)
        lines = (result.stdout + result.stderr).splitlines()
        valid = sum(line.startswith("VALID") for line in lines)
        print(f"rc={result.returncode} VALID={valid} INVALID={sum(line.startswith('INVALID') for line in lines)}")
        for line in [line for line in lines if not line.startswith("VALID")][:10]:
            print("  " + line)


if __name__ == "__main__":
    main()
