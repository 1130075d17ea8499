"""The command line: formats, exit codes, one-line errors, never a traceback."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import click
import pytest

from soc2kit import __version__
from soc2kit.cache import cache_file
from tests.conftest import ProgramDir, run_cli


@pytest.fixture
def program_dir(clean_program_dir: ProgramDir) -> ProgramDir:
    """These tests start from a program with no findings, so each finding is the one they cause."""
    return clean_program_dir


def test_clean_program_exits_zero(program_dir: ProgramDir) -> None:
    result = program_dir.check()
    assert result.returncode == 0, result.stdout
    assert "soc2kit check passed: 0 errors, 0 warnings, 0 notes in 29 documents." in result.stdout


def test_text_report_groups_by_file_with_hints(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    program_dir.replace("controls/TC-02.md", "frequency:", "frequncy:")
    result = program_dir.check()
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0] == "controls/TC-02.md"
    assert lines[1].split()[:3] == ["2", "error", "SK010"]
    assert lines[3].split()[:3] == ["7", "error", "SK011"]
    assert "hint: did you mean 'frequency'?" in lines[4]
    assert lines[6] == "controls/TC-09.md"
    assert lines[7].split()[:3] == ["5", "error", "SK102"]
    assert lines[-1].startswith("soc2kit check failed: 7 errors")  # TC-02 is invalid: its four criteria are uncovered
    assert "Traceback" not in result.stderr


def test_json_shape_is_stable(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.1]")
    code, report = program_dir.check_json()
    assert code == 1
    assert set(report) == {"version", "tool", "summary", "diagnostics"}
    assert report["version"] == 1
    assert report["tool"] == {"name": "soc2kit", "version": __version__}
    assert report["summary"] == {"passed": False, "errors": 1, "warnings": 0, "infos": 0, "documents": 29}
    [diag] = report["diagnostics"]
    assert diag == {
        "code": "SK201",
        "rule": "uncovered-criterion",
        "severity": "error",
        "path": "soc2kit.yml",
        "line": 8,
        "message": diag["message"],
        "hint": diag["hint"],
    }
    assert "CC9.2" in diag["message"]


def test_github_annotations(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    result = program_dir.check("--format", "github")
    first = result.stdout.splitlines()[0]
    assert first.startswith("::error file=controls/TC-09.md,line=5,title=SK102 unknown-criterion::")
    assert "%0A" in first  # the hint on a second annotation line


def test_sarif_is_2_1_0_with_rule_metadata(program_dir: ProgramDir, tmp_path: Path) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    out = tmp_path / "report.sarif"
    result = program_dir.check("--format", "sarif", "-o", str(out))
    assert result.returncode == 1
    log = json.loads(out.read_text())
    assert log["version"] == "2.1.0"
    run = log["runs"][0]
    rule_ids = [r["id"] for r in run["tool"]["driver"]["rules"]]
    [res] = run["results"]
    assert res["ruleId"] == "SK102"
    assert rule_ids[res["ruleIndex"]] == "SK102"
    assert res["locations"][0]["physicalLocation"]["region"]["startLine"] == 5
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "controls/TC-09.md"


def test_unusable_config_exits_two(program_dir: ProgramDir) -> None:
    program_dir.write("soc2kit.yml", "organization: X\n")
    result = program_dir.check()
    assert result.returncode == 2
    assert "SK010" in result.stdout
    assert "SK020" in result.stdout
    assert "Traceback" not in result.stderr


def test_missing_path_is_a_usage_error(tmp_path: Path) -> None:
    result = run_cli("check", str(tmp_path / "nope"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_format_is_a_usage_error(program_dir: ProgramDir) -> None:
    result = program_dir.check("--format", "xml")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_version() -> None:
    result = run_cli("--version")
    assert result.stdout.strip() == f"soc2kit {__version__}"


def test_warm_cache_gives_the_same_report(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    cold = run_cli("check", str(program_dir.root), "--format", "json")
    assert cache_file(program_dir.root).is_file()
    warm = run_cli("check", str(program_dir.root), "--format", "json")
    assert cold.stdout == warm.stdout
    program_dir.replace("controls/TC-09.md", ", CC6.9", "")
    fixed = run_cli("check", str(program_dir.root), "--format", "json")
    assert json.loads(fixed.stdout)["summary"]["errors"] == 0


def test_corrupt_cache_is_rebuilt(program_dir: ProgramDir) -> None:
    run_cli("check", str(program_dir.root))
    cache_file(program_dir.root).write_bytes(b"garbage")
    result = run_cli("check", str(program_dir.root))
    assert result.returncode == 0


def test_schema_check_detects_stale(tmp_path: Path) -> None:
    folder = tmp_path / "schema"
    assert run_cli("schema", "--dir", str(folder)).returncode == 0
    assert run_cli("schema", "--dir", str(folder), "--check").returncode == 0
    (folder / "policy.schema.json").write_text("{}\n")
    result = run_cli("schema", "--dir", str(folder), "--check")
    assert result.returncode == 1
    assert "policy.schema.json: stale" in result.stderr


def test_commands_return_their_exit_code_and_only_the_group_exits(program_dir: ProgramDir) -> None:
    from soc2kit.cli import main
    from soc2kit.cli.check import check

    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    # An embedding caller (a test, a bigger tool) gets the code back instead of a SystemExit.
    assert check.main([str(program_dir.root), "--format", "json"], standalone_mode=False) == 1
    assert main.exit_code(["check", str(program_dir.root), "--format", "json"]) == 1
    assert main.exit_code(["check", str(program_dir.root / "nope")]) == 2
    with pytest.raises(SystemExit) as exited:
        main(["check", str(program_dir.root), "--format", "json"])
    assert exited.value.code == 1


def test_format_lists_are_the_librarys_and_load_only_when_used() -> None:
    from soc2kit import diagnostics, diff, status_report, trail
    from soc2kit.cli import main
    from soc2kit.reference import commands

    owned = {
        "check": diagnostics.FORMATS,
        "evidence verify": diagnostics.FORMATS,
        "changes check": diagnostics.FORMATS,
        "status": status_report.STATUS_FORMATS,
        "trail export": trail.TRAIL_FORMATS,
        "diff": diff.DIFF_FORMATS,
    }
    for ctx in commands(main):
        path = ctx.command_path.removeprefix("soc2kit ")
        if path in owned:
            [option] = [p for p in ctx.command.params if p.name == "output_format"]
            assert isinstance(option.type, click.Choice)
            assert tuple(option.type.choices) == owned[path], path
    code = "import sys, soc2kit.cli; print(*(m in sys.modules for m in ('soc2kit.diagnostics', 'soc2kit.trail', 'soc2kit.diff')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False", "False"]


def test_unknown_audit_type_is_the_librarys_usage_error(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "new"), "--no-git", "--type", "type3")
    assert result.returncode == 2
    assert result.stderr == "soc2kit: error: unknown audit type 'type3'; use type1 or type2\n"
    assert not (tmp_path / "new").exists()
