"""The repository's own starter program passes its own gate, and the gate bites."""

from __future__ import annotations

import shutil
from pathlib import Path

from soc2kit.loader import load_program
from soc2kit.schema import stale_schemas
from tests.conftest import run_cli

REPO = Path(__file__).resolve().parent.parent


def test_repo_program_passes_check() -> None:
    result = run_cli("check", str(REPO), "--no-cache")
    assert result.returncode == 0, result.stdout[-3000:]


def test_removing_the_only_control_of_a_criterion_fails_the_gate(tmp_path: Path) -> None:
    copy = tmp_path / "repo"
    for name in ("soc2kit.yml", "policies", "controls", "evidence"):
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, copy / name)
        elif source.exists():
            copy.mkdir(exist_ok=True)
            shutil.copy(source, copy / name)
    program = load_program(copy, use_cache=False)
    # The starter gives every criterion two controls or more: remove all of the thinnest one's.
    criterion, controls = min(sorted(program.controls_by_criterion.items()), key=lambda item: len(item[1]))
    for control in controls:
        (copy / program.source("control", control.id).path).unlink()
    result = run_cli("check", str(copy), "--no-cache", "--format", "json")
    assert result.returncode == 1
    assert f"criterion {criterion} " in result.stdout


def test_schemas_in_repo_are_current() -> None:
    assert stale_schemas(REPO / "schema") == [], "run `soc2kit schema` and commit schema/"
