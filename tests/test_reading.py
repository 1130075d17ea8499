"""Reading in worker processes and from the cache gives exactly what a plain serial read gives."""

from __future__ import annotations

import pytest

from soc2kit import reading
from soc2kit.program import load_program
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
    parallel = report(program_dir, use_cache=False)
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
