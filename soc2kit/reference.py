"""Reference text generated from the code and the program: the rule table and the coverage matrix,
kept in marker blocks inside the docs. `python -m soc2kit.reference` rewrites the blocks; a test
fails when they drift."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

from soc2kit.files import write_file
from soc2kit.program import Program, load_program
from soc2kit.rules.registry import RULES

GENERATED_FILES = ("README.md", "docs/coverage.md")


def rules_table(_program: Program) -> str:
    header = ["| Code | Name | Default | What it finds | How to fix |", "| --- | --- | --- | --- | --- |"]
    rows = [
        f"| {rule.code} | `{rule.name}` | {rule.severity.value} | {rule.summary} | {rule.fix} |"
        for rule in sorted(RULES.values(), key=lambda r: r.code)
    ]
    return "\n".join(header + rows)


def coverage_table(program: Program) -> str:
    """Criterion -> the controls mapped to it, for every criterion in the catalog."""
    lines = []
    excluded = program.exclusions
    for category in program.catalog.categories:
        criteria = [c for c in program.catalog.criteria if c.category == category.id]
        scope = "in scope" if category.id in program.config.scope.categories else "out of scope"
        lines += ["", f"### {category.title} ({scope})", "", "| Criterion | Title | Controls |", "| --- | --- | --- |"]
        for criterion in criteria:
            controls = program.controls_of(criterion)
            if criterion.id in excluded:
                cell = f"excluded: {excluded[criterion.id]}"
            else:
                cell = ", ".join(f"{c.id} {c.title}" for c in controls) or "**none**"
            lines.append(f"| {criterion.id} | {criterion.title} | {cell} |")
    totals = (
        f"{len(program.controls)} controls and {len(program.policies)} policies map to {len(program.catalog.criteria)} criteria."
    )
    return totals + "\n" + "\n".join(lines)


BLOCKS: dict[str, Callable[[Program], str]] = {"rules": rules_table, "coverage": coverage_table}


def render(text: str, program: Program) -> str:
    """`text` with every `<!-- generated:NAME -->...<!-- /generated:NAME -->` block filled anew."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<!-- generated:{name} -->\n{BLOCKS[name](program)}\n<!-- /generated:{name} -->"

    return re.sub(r"<!-- generated:(\w+) -->.*?<!-- /generated:\1 -->", fill, text, flags=re.DOTALL)


@cache
def repo_program(root: Path) -> Program:
    return load_program(root, use_cache=False)


def main(root: Path) -> int:
    program = repo_program(root.resolve())
    for name in GENERATED_FILES:
        path = root / name
        text = path.read_text(encoding="utf-8")
        updated = render(text, program)
        if updated != text:
            write_file(path, updated)
            print(f"updated {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path()))
