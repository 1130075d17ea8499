"""Docs generated from code never drift; the README's commands are the ones CI runs."""

from __future__ import annotations

import re
from pathlib import Path

from soc2kit.reference import GENERATED_FILES, render, repo_program
from soc2kit.rules.registry import RULES

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
