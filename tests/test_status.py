"""`soc2kit status`: a readable overview, a documented JSON shape, Markdown, views and usage errors."""

from __future__ import annotations

import json
from pathlib import Path

from soc2kit import __version__
from tests.conftest import ProgramDir, run_cli, run_cli_with_terminal_stderr
from tests.test_readiness import quarterly_repo

REPO = Path(__file__).resolve().parent.parent

TOP_KEYS = {
    "version",
    "tool",
    "program",
    "view",
    "notes",
    "score",
    "summary",
    "categories",
    "series",
    "criteria",
    "exclusions",
    "gaps",
    "missing_windows",
    "stale",
    "evidence_checks",
    "not_counted",
    "exceptions",
    "controls",
}


def status_json(*args: str) -> dict:
    result = run_cli("status", *args, "--format", "json", "--no-cache")
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_status_on_the_repo_program_prints_a_readable_overview() -> None:
    result = run_cli("status", str(REPO), "--no-cache")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""  # no progress display when stderr is not a terminal
    lines = result.stdout.splitlines()
    assert lines[0] == "Acme Inc. · Acme Platform"
    assert lines[1].startswith("Type II over 2026-01-01..2026-06-30")
    assert lines[3].startswith("Readiness ")
    assert "criteria ready  (100 * ready criteria / criteria in scope)" in lines[3]
    security = next(line for line in lines if line.strip().startswith("Security "))
    assert "█" in security or "░" in security
    assert security.split()[-2].endswith("/33")
    for heading in ("Categories (criteria ready / in scope)", "Series", "Windows missing evidence (", "Stale evidence ("):
        assert any(line.startswith(heading) for line in lines), heading
    assert any(line.startswith("Gaps (") and "what blocks the audit most first" in line for line in lines)
    assert any("CC6 Logical and physical access" in line for line in lines)
    assert any(line.strip().startswith("... ") and "more gaps: --limit 0 shows all" in line for line in lines)


def test_status_json_has_the_documented_shape() -> None:
    report = status_json(str(REPO))
    assert set(report) == TOP_KEYS
    assert report["version"] == 2
    assert report["tool"] == {"name": "soc2kit", "version": __version__}
    assert report["program"] == {"organization": "Acme Inc.", "system": "Acme Platform"}
    assert set(report["view"]) == {"type", "as_of", "period", "today", "timezone", "grace", "ended", "assesses", "description"}
    assert report["view"]["assesses"] == ["design", "operation"]
    assert report["view"]["period"] == {"start": "2026-01-01", "end": "2026-06-30"}
    assert set(report["score"]) == {"value", "ready", "total", "formula"}
    assert report["score"]["total"] == 61
    assert report["score"]["value"] == round(100 * report["score"]["ready"] / 61, 1)
    assert set(report["summary"]) == {"criteria", "controls", "windows", "stale", "gaps", "not_counted", "exceptions"}
    assert set(report["summary"]["criteria"]) == {"in_scope", "ready", "not_ready", "uncovered", "excluded"}
    assert set(report["summary"]["controls"]) == {"in_scope", "designed", "operating", "with_exceptions", "ready", "out_of_scope"}
    assert set(report["summary"]["windows"]) == {"expected", "satisfied", "exception", "missing", "due", "open", "upcoming"}
    assert {tuple(sorted(t)) for t in report["categories"] + report["series"]} == {("category", "id", "ready", "title", "total")}
    assert [c["id"] for c in report["categories"]] == [
        "security",
        "availability",
        "confidentiality",
        "processing-integrity",
        "privacy",
    ]
    assert set(report["criteria"][0]) == {
        "id",
        "title",
        "series",
        "category",
        "state",
        "controls",
        "ready_controls",
        "csocs",
        "carved_out",
    }
    assert set(report["gaps"][0]) == {"kind", "id", "title", "owner", "path", "missing", "blocks"}
    assert set(report["missing_windows"][0]) == {
        "control",
        "requirement",
        "frequency",
        "owner",
        "path",
        "first",
        "last",
        "count",
        "start",
        "end",
        "due",
        "not_counted",
    }
    control = report["controls"][0]
    assert set(control) == {
        "id",
        "title",
        "owner",
        "path",
        "frequency",
        "criteria",
        "policies",
        "designed",
        "design",
        "operating",
        "ready",
        "exceptions",
        "design_records",
        "windows",
        "requirements",
    }
    assert set(control["design"]) == {
        "policy_approved",
        "owner_set",
        "procedure_described",
        "requirement_defined",
        "has_evidence",
    }
    requirement = control["requirements"][0]
    assert set(requirement) == {"id", "frequency", "records", "newest", "fresh_until", "stale", "collector", "windows"}
    assert set(requirement["windows"][0]) == {
        "first",
        "last",
        "count",
        "start",
        "end",
        "due",
        "state",
        "records",
        "not_counted",
        "deviations",
    }
    assert report["summary"]["gaps"] == len(report["gaps"])
    assert report["summary"]["windows"]["missing"] == sum(m["count"] for m in report["missing_windows"])
    windows = [w for c in report["controls"] for r in c["requirements"] for w in r["windows"]]
    assert report["summary"]["windows"]["expected"] == sum(w["count"] for w in windows)


def test_status_json_stale_entries_have_their_keys(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "end: 2026-06-30", "end: 2026-12-31")
    program_dir.replace("evidence/TC-01/q1.yaml", "collected: 2026-04-02", "collected: 2026-01-02")
    program_dir.replace("evidence/TC-01/q1.yaml", "end: 2026-03-31", "end: 2025-12-31")
    program_dir.replace("evidence/TC-01/q1.yaml", "start: 2026-01-01", "start: 2025-10-01")
    report = status_json(str(program_dir.root))
    stale = next(s for s in report["stale"] if s["control"] == "TC-01")
    assert stale == {
        "control": "TC-01",
        "requirement": "review",
        "owner": "IT Manager",
        "path": "controls/TC-01.md",
        "frequency": "quarterly",
        "newest": "2026-01-02",
        "fresh_until": "2026-05-02",
    }


def test_type2_period_override_and_type1_as_of(tmp_path: Path) -> None:
    repo = quarterly_repo(tmp_path / "repo")
    full = status_json(str(repo.root))
    assert [(m["control"], m["first"], m["last"], m["count"]) for m in full["missing_windows"]] == [
        ("TC-03", "2025-Q3", "2025-Q3", 1)
    ]
    first_half = status_json(str(repo.root), "--period", "2025-01-01..2025-06-30")
    assert first_half["view"]["type"] == "type2"
    assert first_half["score"]["value"] == 100.0
    as_of = status_json(str(repo.root), "--as-of", "2025-11-15")
    assert as_of["view"]["type"] == "type1"
    assert as_of["view"]["as_of"] == "2025-11-15"
    assert as_of["view"]["period"] is None
    # Was: TC-03's 2025-Q3 missing as of 2025-11-15. Type I tests design only and demands no window.
    assert as_of["view"]["assesses"] == ["design"]
    assert as_of["missing_windows"] == []
    assert as_of["summary"]["windows"]["expected"] == 0
    assert as_of["summary"]["controls"]["designed"] == 9
    table = run_cli("status", str(repo.root), "--as-of", "2025-11-15").stdout
    assert "Type I as of 2025-11-15" in table
    assert "Design: 9 of 9 controls designed (policy, owner, procedure, design record), 9 ready" in table
    assert "Operation: not tested; a Type I examines design as of 2025-11-15 and demands no evidence window" in table
    assert "Windows missing evidence (0 in 0 runs)" in table


def test_markdown_report(tmp_path: Path) -> None:
    repo = quarterly_repo(tmp_path / "repo")
    result = run_cli("status", str(repo.root), "--format", "md")
    assert result.returncode == 0
    text = result.stdout
    assert text.startswith("# Readiness: Test Co, Test Platform\n")
    assert "**Readiness 87.9%**: 29 of 33 criteria ready" in text
    assert "| Category | Ready | Criteria | % |" in text
    assert "| 1 | control | [TC-03](controls/TC-03.md) | IT Manager | 4 | review: no evidence for 2025-Q3 |" in text
    assert "| 2025-Q3 | TC-03 | review | IT Manager | 2025-10-30 |" in text


def test_output_file_and_limit(program_dir: ProgramDir, tmp_path: Path) -> None:
    (program_dir.root / "evidence/TC-02/q1.yaml").unlink()
    (program_dir.root / "evidence/TC-03/q1.yaml").unlink()
    target = tmp_path / "status.md"
    result = run_cli("status", str(program_dir.root), "--format", "md", "-o", str(target), "--limit", "1")
    assert result.returncode == 0
    assert result.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert "... 8 more gaps: --limit 0 shows all" in text  # every control lacks Q2 by now
    everything = run_cli("status", str(program_dir.root), "--limit", "0").stdout
    assert "more gaps" not in everything


def test_as_of_and_period_together_is_a_usage_error(program_dir: ProgramDir) -> None:
    result = run_cli("status", str(program_dir.root), "--as-of", "2026-03-31", "--period", "2026-01-01..2026-03-31")
    assert result.returncode == 2
    assert result.stderr == "soc2kit: error: give --as-of (Type I) or --period (Type II), not both\n"


def test_bad_period_is_a_usage_error(program_dir: ProgramDir) -> None:
    result = run_cli("status", str(program_dir.root), "--period", "2026-06-30..2026-01-01")
    assert result.returncode == 2
    assert "ends (2026-01-01) before it starts (2026-06-30)" in result.stderr
    assert "Traceback" not in result.stderr
    result = run_cli("status", str(program_dir.root), "--as-of", "2026-02-30")
    assert result.returncode == 2
    assert "'2026-02-30' is not an ISO date" in result.stderr


def test_unusable_config_exits_2_naming_the_problem(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "type: type2", "type: type3")
    result = run_cli("status", str(program_dir.root))
    assert result.returncode == 2
    assert result.stdout == ""
    assert "soc2kit.yml:5: 'audit.type' is 'type3'" in result.stderr
    assert result.stderr.endswith("soc2kit: error: soc2kit.yml is not usable, so the audit and its scope are unknown\n")


def test_progress_display_goes_to_a_terminal_stderr_only(program_dir: ProgramDir) -> None:
    result, shown = run_cli_with_terminal_stderr("status", str(program_dir.root), "--format", "json")
    assert result.returncode == 0
    assert b"Reading the program" in shown
    assert json.loads(result.stdout)["version"] == 2  # stdout stays clean JSON
