"""Docs generated from code never drift; every command is documented; links into the docs land;
the README's commands are the ones CI runs."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import yaml

from soc2kit.diagnostics import format_sarif
from soc2kit.reference import GENERATED_FILES, commands, render, repo_program, rule_anchor
from soc2kit.registry import RULES

REPO = Path(__file__).resolve().parent.parent


def test_generated_blocks_are_current() -> None:
    for name in GENERATED_FILES:
        text = (REPO / name).read_text(encoding="utf-8")
        assert render(text, repo_program(REPO)) == text, f"run `python -m soc2kit.reference` to refresh {name}"


def test_coverage_page_lists_every_criterion_with_its_controls() -> None:
    page = (REPO / "docs" / "coverage.md").read_text(encoding="utf-8")
    program = repo_program(REPO)
    for criterion in program.catalog.criteria:
        row = next(line for line in page.splitlines() if line.startswith(f"| {criterion.id} |"))
        for control in program.controls_of(criterion):
            assert control.id in row


def test_every_rule_is_in_the_readme() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for code in RULES:
        assert f"| {code} |" in readme


def test_ci_runs_exactly_the_readme_test_command() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    commands = re.findall(r"```sh\n(.+?)\n```", readme)
    assert len(commands) >= 2
    install_and_check, install_and_test = commands[0], commands[1]
    assert "soc2kit check" in install_and_check
    assert "pytest" in install_and_test
    ci_lines = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert install_and_test in ci_lines


def _headings(markdown: str) -> list[str]:
    outside_code = re.sub(r"^```.*?^```", "", markdown, flags=re.MULTILINE | re.DOTALL)
    return re.findall(r"^#{1,6} (.+?)\s*$", outside_code, flags=re.MULTILINE)


def _anchor(heading: str) -> str:
    """The fragment GitHub (and MkDocs' toc) gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def test_every_command_and_its_current_help_is_in_the_cli_reference() -> None:
    from soc2kit.cli import main

    page = (REPO / "docs" / "cli.md").read_text(encoding="utf-8")
    headings = _headings(page)
    for ctx in commands(main):
        assert ctx.command_path in headings, f"`{ctx.command_path}` is not in docs/cli.md: run `python -m soc2kit.reference .`"
        section = page.split(f"\n## {ctx.command_path}\n", 1)[1]
        assert section.startswith(f"\n```text\n{ctx.get_help().rstrip()}\n```\n"), f"the help of `{ctx.command_path}` is stale"


def test_every_command_is_in_the_readme_command_table() -> None:
    from soc2kit.cli import main

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in table.splitlines() if line.startswith("| `")]
    leaves = [ctx.command_path for ctx in commands(main) if not isinstance(ctx.command, click.Group)]
    assert len(leaves) >= 10
    for path in leaves:
        assert any(row.startswith(f"| `{path}") for row in rows), f"`{path}` is missing from the README's command table"


def test_every_rules_help_link_in_sarif_lands_on_its_section() -> None:
    log = json.loads(format_sarif([], version="0"))
    repo_url = yaml.safe_load((REPO / "mkdocs.yml").read_text(encoding="utf-8"))["repo_url"]
    driver = log["runs"][0]["tool"]["driver"]
    assert {rule["id"] for rule in driver["rules"]} == set(RULES)
    for rule in driver["rules"]:
        url, _, fragment = rule["helpUri"].partition("#")
        page = url.removeprefix(f"{repo_url}/blob/main/")
        assert page != url, f"{url} is not a file of this repository"
        assert (REPO / page).is_file(), f"{rule['id']} links to {page}, which does not exist"
        anchors = {_anchor(heading) for heading in _headings((REPO / page).read_text(encoding="utf-8"))}
        assert fragment == rule_anchor(rule["id"])
        assert fragment in anchors, f"{page} has no section #{fragment} for {rule['id']}"
