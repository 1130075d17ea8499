"""Reference text generated from the code and the program: the rule table, the rules page that
SARIF's `helpUri` points at, the command-line reference (every command's `--help`) and the coverage
matrix, kept in marker blocks inside the docs. `python -m soc2kit.reference` rewrites the blocks;
a test fails when they drift.

It renders the command line too, so it sits above `soc2kit.cli` and nothing in the package imports it."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path

import click

from soc2kit.files import write_file
from soc2kit.program import Program, read_program
from soc2kit.registry import RULES

GENERATED_FILES = ("README.md", "docs/coverage.md", "docs/rules.md", "docs/cli.md")
HELP_WIDTH = 78
"""Columns of the rendered `--help`: what click prints on any terminal of 80 columns or more, fixed
so that the page does not depend on the terminal that wrote it."""


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


def rule_anchor(code: str) -> str:
    """The fragment of a rule's section in docs/rules.md: its heading is the bare code, which GitHub
    and MkDocs both turn into the lower-cased code."""
    return code.lower()


def rules_page(_program: Program) -> str:
    """A section per rule, headed by its code, so `docs/rules.md#sk014` lands on SK014."""
    parts: list[str] = []
    for rule in sorted(RULES.values(), key=lambda r: r.code):
        parts += [
            f"## {rule.code}",
            "",
            f"`{rule.name}`, default severity **{rule.severity.value}**.",
            "",
            f"{rule.summary}",
            "",
            f"**How to fix:** {rule.fix}",
            "",
        ]
    return "\n".join(parts).rstrip("\n")


def commands(command: click.Command, name: str = "soc2kit", parent: click.Context | None = None) -> Iterator[click.Context]:
    """A context for `command` and each of its subcommands, depth first, in the order `--help` lists them."""
    settings = {**command.context_settings, "terminal_width": HELP_WIDTH}
    ctx = click.Context(command, info_name=name, parent=parent, **settings)
    yield ctx
    if isinstance(command, click.Group):
        for sub_name in command.list_commands(ctx):
            sub = command.get_command(ctx, sub_name)
            if sub is not None and not sub.hidden:
                yield from commands(sub, sub_name, ctx)


def cli_reference(_program: Program) -> str:
    """Every command's and subcommand's `--help`, as `soc2kit ... --help` prints it, under a heading each."""
    from soc2kit.cli import main

    parts: list[str] = []
    for ctx in commands(main):
        parts += [f"## {ctx.command_path}", "", "```text", ctx.get_help().rstrip(), "```", ""]
    return "\n".join(parts).rstrip("\n")


BLOCKS: dict[str, Callable[[Program], str]] = {
    "rules": rules_table,
    "coverage": coverage_table,
    "rule_sections": rules_page,
    "cli": cli_reference,
}


def render(text: str, program: Program) -> str:
    """`text` with every `<!-- generated:NAME -->...<!-- /generated:NAME -->` block filled anew."""

    def fill(match: re.Match[str]) -> str:
        name = match.group(1)
        return f"<!-- generated:{name} -->\n{BLOCKS[name](program)}\n<!-- /generated:{name} -->"

    return re.sub(r"<!-- generated:(\w+) -->.*?<!-- /generated:\1 -->", fill, text, flags=re.DOTALL)


@cache
def repo_program(root: Path) -> Program:
    return read_program(root, use_cache=False)


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
