"""The command line: formats, exit codes, one-line errors, never a traceback."""

from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
from pathlib import Path

import click
import pytest

from soc2kit import __version__
from soc2kit.cache import cache_file
from soc2kit.diagnostics import SHOWN_PER_RULE
from tests.conftest import ProgramDir, make_program, run_cli, run_cli_with_terminal_stderr
from tests.gitrepo import GitRepo, program_repo

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture
def program_dir(clean_program_dir: ProgramDir) -> ProgramDir:
    """These tests start from a program with no findings, so each finding is the one they cause."""
    return clean_program_dir


def test_clean_program_exits_zero(program_dir: ProgramDir) -> None:
    result = program_dir.check()
    assert result.returncode == 0, result.stdout
    assert "soc2kit check passed: 0 errors, 0 warnings, 0 notes in 29 documents." in result.stdout


def test_text_findings_start_with_path_and_line_as_compilers_print_them(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    program_dir.replace("controls/TC-02.md", "frequency:", "frequncy:")
    result = program_dir.check()
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith("controls/TC-02.md:2: error: SK010 ")
    assert lines[1].startswith("    hint: ")
    assert lines[2].startswith("controls/TC-02.md:7: error: SK011 ")
    assert "hint: did you mean 'frequency'?" in lines[3]
    assert any(line.startswith("controls/TC-09.md:5: error: SK102 ") for line in lines)
    # VS Code's $gcc problem matcher, which editors and CI log viewers also use to link a location.
    gcc = re.compile(r"^(.*?):(\d+):(\d*):?\s+(?:fatal\s+)?(warning|error):\s+(.*)$")
    linked = [gcc.match(line) for line in lines if line.startswith("controls/")]
    assert linked
    assert all(found is not None for found in linked)
    assert linked[0] is not None
    assert linked[0].groups()[:2] == ("controls/TC-02.md", "2")
    assert lines[-1].startswith("soc2kit check failed: 7 errors")  # TC-02 is invalid: its four criteria are uncovered
    assert "Traceback" not in result.stderr


def test_a_rule_firing_many_times_shows_its_first_findings_and_one_count_line(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program")  # Q2 evidence missing for each of the nine controls: SK501 nine times
    result = program.check()
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    shown = [line for line in lines if ": warning: SK501 " in line]
    assert len(shown) == SHOWN_PER_RULE
    assert sum(line.strip().startswith("hint:") for line in lines) == 1  # the rule's hint, once
    assert "SK501 evidence-window-missing: 9 warnings (5 shown; add --select SK501 to list them all)" in lines
    assert lines[-1] == "soc2kit check passed: 0 errors, 9 warnings, 0 notes in 20 documents."

    selected = program.check("--select", "SK501")
    assert len([line for line in selected.stdout.splitlines() if ": warning: SK501 " in line]) == 9
    assert "only SK501 reported" in selected.stderr
    by_name = program.check("--select", "evidence-window-missing")
    assert by_name.stdout == selected.stdout

    verbose = program.check("--verbose").stdout.splitlines()
    assert len([line for line in verbose if ": warning: SK501 " in line]) == 9
    assert sum(line.strip().startswith("hint:") for line in verbose) == 9
    assert not any("shown" in line for line in verbose)


def test_select_leaves_out_other_rules_and_counts_only_its_own_for_the_exit_code(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program")
    program.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    assert program.check().returncode == 1
    only_warnings = program.check("--select", "SK501", "--format", "json")
    assert only_warnings.returncode == 0
    assert {d["code"] for d in json.loads(only_warnings.stdout)["diagnostics"]} == {"SK501"}
    assert program.check("--select", "SK102,SK501").returncode == 1


def test_quiet_prints_nothing_on_success_and_only_counts_on_failure(tmp_path: Path, program_dir: ProgramDir) -> None:
    clean = program_dir.check("--quiet")
    assert (clean.returncode, clean.stdout, clean.stderr) == (0, "", "")
    with_warnings = make_program(tmp_path / "warned")
    quiet_warned = with_warnings.check("-q")
    assert (quiet_warned.returncode, quiet_warned.stdout) == (0, "")
    with_warnings.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    failed = with_warnings.check("--quiet")
    assert failed.returncode == 1
    assert failed.stdout.splitlines() == [
        "SK501 evidence-window-missing: 9 warnings",
        "SK102 unknown-criterion: 1 error",
        "soc2kit check failed: 1 error, 9 warnings, 0 notes in 20 documents.",
    ]
    report = tmp_path / "report.txt"
    written = with_warnings.check("--quiet", "-o", str(report))
    assert report.read_text() == failed.stdout
    assert written.stderr == failed.stdout.splitlines()[-1] + "\n"


def test_quiet_and_verbose_leave_json_github_and_sarif_as_they_are(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program")
    for output_format in ("json", "github", "sarif"):
        plain = program.check("--format", output_format)
        for flag in ("--quiet", "--verbose"):
            assert program.check("--format", output_format, flag).stdout == plain.stdout, (output_format, flag)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--quiet", "--verbose"], "--quiet and --verbose contradict each other"),
        (["-v", "-q"], "--quiet and --verbose contradict each other"),
        (["--select", "SK999"], "'SK999' is not a rule code"),
        (["--select", ","], "name at least one rule code"),
    ],
)
def test_contradictory_or_unknown_report_options_are_usage_errors(program_dir: ProgramDir, args: list[str], message: str) -> None:
    result = program_dir.check(*args)
    assert result.returncode == 2
    assert message in result.stderr
    assert result.stdout == ""
    assert "Traceback" not in result.stderr


def test_every_command_reporting_diagnostics_takes_quiet_verbose_and_select() -> None:
    from soc2kit.cli import main
    from soc2kit.reference import commands

    reporting = []
    for ctx in commands(main):
        names = {param.name for param in ctx.command.params}
        if (
            "output_format" in names
            and "output" in names
            and any(isinstance(p.type, click.Choice) and "sarif" in p.type.choices for p in ctx.command.params)
        ):
            reporting.append(ctx.command_path)
            assert {"quiet", "verbose", "select"} <= names, ctx.command_path
    assert {"soc2kit check", "soc2kit evidence verify", "soc2kit changes check"} <= set(reporting)


def test_repository_program_check_fits_on_one_screen_and_names_its_state() -> None:
    result = run_cli("check", str(REPO))
    assert result.returncode == 0, result.stdout
    lines = result.stdout.splitlines()
    assert len(lines) <= 40, result.stdout
    assert lines[-1].startswith("soc2kit check passed: 0 errors, ")
    # Every rule that fired is named with its count, including the one collapsed to a count line.
    report = json.loads(run_cli("check", str(REPO), "--format", "json").stdout)
    for code in {d["code"] for d in report["diagnostics"]}:
        assert any(line.startswith(f"{code} ") for line in lines), code


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


@pytest.fixture(scope="module")
def committed_program(tmp_path_factory: pytest.TempPathFactory) -> GitRepo:
    return program_repo(tmp_path_factory.mktemp("progress") / "repo")


def test_bundle_and_trail_export_to_a_file_show_progress_on_a_terminal_stderr(committed_program: GitRepo, tmp_path: Path) -> None:
    root = str(committed_program.root)
    bundle_args = ("bundle", "--root", root, "--period", "2026-01-01..2026-06-30", "--include-failed-evidence")
    bundled, shown = run_cli_with_terminal_stderr(*bundle_args, "-o", str(tmp_path / "audit.zip"))
    assert bundled.returncode == 0
    assert b"Building the bundle" in shown
    assert bundled.stdout.decode().startswith("bundle: ")  # the report on stdout has no display in it
    assert b"\x1b" not in bundled.stdout

    exported, shown = run_cli_with_terminal_stderr("trail", "export", "--root", root, "-o", str(tmp_path / "trail.jsonl"))
    assert exported.returncode == 0
    assert b"Exporting the trail" in shown


def test_progress_stays_off_when_stderr_is_not_a_terminal(committed_program: GitRepo, tmp_path: Path) -> None:
    root = str(committed_program.root)
    bundled = run_cli(
        "bundle", "--root", root, "--period", "2026-01-01..2026-06-30", "--include-failed-evidence", "-o", str(tmp_path / "a.zip")
    )
    exported = run_cli("trail", "export", "--root", root, "-o", str(tmp_path / "trail.jsonl"))
    checked = run_cli("check", root)
    for result in (bundled, exported, checked):
        assert result.returncode == 0, result.stderr
        assert "\x1b" not in result.stderr
        assert "Building" not in result.stderr
        assert "Exporting" not in result.stderr


def test_a_dumb_terminal_gets_no_progress_display(committed_program: GitRepo, tmp_path: Path) -> None:
    master, slave = os.openpty()
    try:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "soc2kit",
                "trail",
                "export",
                "--root",
                str(committed_program.root),
                "-o",
                str(tmp_path / "t"),
            ],
            stdout=subprocess.PIPE,
            stderr=slave,
            env={**os.environ, "TERM": "dumb"},
            check=True,
        )
    finally:
        os.close(slave)
    shown = os.read(master, 65536) if select.select([master], [], [], 0.5)[0] else b""
    os.close(master)
    assert b"Exporting the trail" not in shown
    assert shown.startswith(b"trail: 1 commit")


def _complete(words: str, cwd: Path) -> list[str]:
    """What bash completion offers for the last of `words`, as click's bash script asks for it."""
    env = {**os.environ, "_SOC2KIT_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)}
    if words.endswith(" "):
        env["COMP_CWORD"] = str(len(words.split()))
    result = subprocess.run([sys.executable, "-m", "soc2kit"], capture_output=True, text=True, cwd=cwd, env=env, check=False)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    return [line.partition(",")[2] for line in result.stdout.splitlines() if line]


def test_shell_completion_offers_the_programs_control_and_policy_ids(program_dir: ProgramDir, tmp_path: Path) -> None:
    # A control whose file name is not its ID: completion offers what the file says.
    program_dir.write("controls/renamed.md", program_dir.read("controls/TC-09.md").replace("id: TC-09", "id: TC-10", 1))
    inside = program_dir.root / "controls"
    assert _complete("soc2kit evidence add TC-0", inside) == [f"TC-0{n}" for n in range(1, 10)]
    assert _complete("soc2kit evidence add tc-1", inside) == ["TC-10"]
    assert _complete("soc2kit new evidence ", inside) == [f"TC-{n:02d}" for n in range(1, 11)]
    assert _complete("soc2kit status --population TC-05", inside) == ["TC-05"]
    assert _complete("soc2kit new control --policy POL-", inside) == ["POL-ISP"]
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    root = str(program_dir.root)
    assert _complete(f"soc2kit evidence add --root {root} TC-02", elsewhere) == ["TC-02"]
    assert _complete("soc2kit evidence add TC-0", elsewhere) == []  # no program here: nothing, and no error


def test_shell_completion_script_is_what_docs_completion_md_says_to_source() -> None:
    env = {**os.environ, "_SOC2KIT_COMPLETE": "bash_source"}
    result = subprocess.run([sys.executable, "-m", "soc2kit"], capture_output=True, text=True, env=env, check=False)
    assert result.returncode == 0
    assert "_soc2kit_completion" in result.stdout
    docs = (REPO / "docs" / "completion.md").read_text(encoding="utf-8")
    for shell in ("bash", "zsh", "fish"):
        assert f"_SOC2KIT_COMPLETE={shell}_source soc2kit" in docs


def test_text_findings_cannot_forge_lines_or_send_escape_sequences(program_dir: ProgramDir) -> None:
    # A file name is the program's to choose: a newline and a terminal escape sequence in it.
    name = "controls/TC-99\x1b[2J\ncontrols/TC-01.md:1: error: SK000 forged.md"
    program_dir.write(name, "---\nid: TC-99\n---\n")
    result = program_dir.check()
    assert result.returncode == 1
    assert "\x1b" not in result.stdout
    assert not any(line.startswith("controls/TC-01.md:1:") for line in result.stdout.splitlines())
    [finding] = [line for line in result.stdout.splitlines() if "TC-99" in line and ": error: SK010 " in line][:1]
    assert finding.startswith("controls/TC-99\ufffd[2J controls/TC-01.md:1: error: SK000 forged.md:")
