"""Reading in worker processes and from the cache gives exactly what a plain serial read gives, and
a read without checks reports only reading's findings, whatever the cache holds."""

from __future__ import annotations

import pytest

from soc2kit import reading
from soc2kit.check import check_program
from soc2kit.loader import load_program
from soc2kit.program import read_program
from tests.conftest import ProgramDir


def report(program_dir: ProgramDir, **kwargs: object) -> list[tuple[str, str, int, str]]:
    program = load_program(program_dir.root, **kwargs)  # type: ignore[arg-type]
    return [(d.code, d.path, d.line, d.message) for d in program.diagnostics]


def break_some(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    program_dir.replace("controls/TC-02.md", "frequency:", "frequncy:")
    program_dir.write("policies/bare.md", "no front matter\n")


def test_workers_match_serial(program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    break_some(program_dir)
    serial = report(program_dir, use_cache=False)
    monkeypatch.setattr(reading, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setenv("SOC2KIT_JOBS", "2")
    parallel = report(program_dir, use_cache=False, jobs=2)
    assert parallel == serial
    assert len(serial) >= 4


def test_cached_documents_reload_their_lines(program_dir: ProgramDir) -> None:
    break_some(program_dir)
    cold = report(program_dir)
    warm = load_program(program_dir.root)
    assert [(d.code, d.path, d.line, d.message) for d in warm.diagnostics] == cold
    doc = warm.source("control", "TC-09")
    assert doc.line_of("criteria", 1) == 5
    assert "## Test procedure" in doc.body


CHECK_ONLY = {"SK012", "SK014", "SK101", "SK102"}
"""Codes only the check step reports in the program `break_for_both` makes (a content rule, a reference rule)."""


def break_for_both(program_dir: ProgramDir) -> None:
    """Findings of both steps: reading's (invalid YAML, a misspelt key) and the rules' (a missing
    section and a placeholder, found one document at a time; an unknown policy, across documents)."""
    break_some(program_dir)
    program_dir.replace("controls/TC-03.md", "## Test procedure", "## Testing")
    program_dir.replace("controls/TC-04.md", "## Description\n", "## Description\nTODO(soc2kit) say what we do\n")
    program_dir.replace("controls/TC-05.md", "policies: [", "policies: [POL-NONE, ")


def codes(found: list[tuple[str, str, int, str]]) -> set[str]:
    return {code for code, *_ in found}


def test_a_read_runs_no_rule_and_checking_it_gives_what_loading_gives(program_dir: ProgramDir) -> None:
    break_for_both(program_dir)
    expected = report(program_dir, use_cache=False)
    assert {"SK012", "SK014", "SK102"} <= codes(expected)
    read = read_program(program_dir.root, use_cache=False)
    found = [(d.code, d.path, d.line, d.message) for d in read.diagnostics]
    assert found
    assert not codes(found) & CHECK_ONLY
    assert set(found) < set(expected)
    checked = [(d.code, d.path, d.line, d.message) for d in check_program(read)]
    assert checked == expected
    assert [(d.code, d.path, d.line, d.message) for d in read.diagnostics] == expected
    assert [(d.code, d.path, d.line, d.message) for d in check_program(read)] == expected


def test_reads_with_and_without_checks_share_the_cache(program_dir: ProgramDir) -> None:
    """A read without checks caches files without the per-document findings: a checked load reads
    those files again rather than miss them, and a later read leaves the checked findings out."""
    break_for_both(program_dir)
    expected = report(program_dir, use_cache=False)
    read_cold = [(d.code, d.path, d.line, d.message) for d in read_program(program_dir.root).diagnostics]
    assert not codes(read_cold) & CHECK_ONLY
    assert report(program_dir) == expected
    assert [(d.code, d.path, d.line, d.message) for d in read_program(program_dir.root).diagnostics] == read_cold
    assert report(program_dir) == expected
    assert [(d.code, d.path, d.line, d.message) for d in check_program(read_program(program_dir.root))] == expected


def test_workers_check_each_document_as_they_read_it(program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    break_for_both(program_dir)
    serial = report(program_dir, use_cache=False)
    monkeypatch.setattr(reading, "PARALLEL_THRESHOLD", 1)
    assert report(program_dir, jobs=2) == serial
    assert report(program_dir, jobs=2) == serial
