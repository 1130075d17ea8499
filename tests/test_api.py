"""The public API is what `soc2kit/__init__.py` exports, each name once, and it loads lazily."""

from __future__ import annotations

import subprocess
import sys

import soc2kit


def test_every_export_resolves_once() -> None:
    assert len(soc2kit.__all__) == len(set(soc2kit.__all__))
    for name in soc2kit.__all__:
        assert getattr(soc2kit, name) is not None


def test_cli_import_does_not_load_the_models() -> None:
    code = "import sys, soc2kit.cli; print('pydantic' in sys.modules, 'yaml' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]


def test_load_program_cross_links_both_ways(program_dir) -> None:  # type: ignore[no-untyped-def]
    program = soc2kit.load_program(program_dir.root, use_cache=False)
    control = program.controls["TC-01"]
    criterion = program.criteria_of(control)[0]
    assert control in program.controls_of(criterion)
    policy = program.policies_of(control)[0]
    assert control in program.controls_of(policy)
    [record] = program.evidence_of(control)
    assert program.controls[record.control] is control
    assert program.source("control", "TC-01").path == "controls/TC-01.md"
