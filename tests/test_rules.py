"""Every rule fires on a real mistake in real files, at the right file and line."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from soc2kit.loader import load_program
from soc2kit.registry import RULES, Severity
from tests.conftest import CONTROL, POLICY, ProgramDir


@pytest.fixture
def program_dir(clean_program_dir: ProgramDir) -> ProgramDir:
    """These tests start from a program with no findings, so each finding is the one they cause."""
    return clean_program_dir


def codes_at(program_dir: ProgramDir, **kwargs: object) -> list[tuple[str, str, int]]:
    program = load_program(program_dir.root, use_cache=False, **kwargs)  # type: ignore[arg-type]
    return [(d.code, d.path, d.line) for d in program.diagnostics]


def test_duplicate_ids_case_insensitive(program_dir: ProgramDir) -> None:
    program_dir.write("controls/TC-01-copy.md", program_dir.read("controls/TC-01.md"))
    program_dir.write("controls/tc-02-lower.md", program_dir.read("controls/TC-02.md").replace("id: TC-02", "id: TC-02", 1))
    program_dir.write("policies/isp-again.md", POLICY.format(id="POL-ISP", title="Again"))
    found = codes_at(program_dir)
    assert ("SK101", "controls/TC-01.md", 2) in found or ("SK101", "controls/TC-01-copy.md", 2) in found
    assert ("SK101", "policies/isp-again.md", 2) in found


def test_duplicate_id_differing_only_in_case(program_dir: ProgramDir) -> None:
    program_dir.write(
        "evidence/TC-01/q1-again.yaml", program_dir.read("evidence/TC-01/q1.yaml").replace("EV-TC-01-2026Q1", "EV-tc-01-2026q1")
    )
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK101"]
    assert "up to case" in diag.message


def test_unknown_criterion_suggests_nearest(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-02.md", "criteria: [", "criteria: [CC6.9, ")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK102"]
    assert (diag.path, diag.line) == ("controls/TC-02.md", 5)
    assert "CC6.9" in diag.message
    assert "did you mean 'CC6." in diag.hint


def test_unknown_policy_reference(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-03.md", "policies: [POL-ISP]", "policies: [POL-ISP, POL-ISQ]")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK103"]
    assert (diag.path, diag.line) == ("controls/TC-03.md", 6)
    assert "did you mean 'POL-ISP'" in diag.hint


def test_evidence_for_unknown_control_and_requirement(program_dir: ProgramDir) -> None:
    program_dir.replace("evidence/TC-01/q1.yaml", "control: TC-01", "control: TC-99")
    program_dir.replace("evidence/TC-02/q1.yaml", "requirement: review", "requirement: reviews")
    found = codes_at(program_dir)
    assert ("SK104", "evidence/TC-01/q1.yaml", 2) in found
    assert ("SK105", "evidence/TC-02/q1.yaml", 3) in found


def test_broad_control_warns(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-01.md", "criteria: [", "criteria: [CC9.1, ")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK106"]
    assert diag.severity is Severity.WARNING


def test_uncovered_criterion_is_the_gate(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.1]")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK201"]
    assert diag.severity is Severity.ERROR
    assert "CC9.2" in diag.message
    assert (diag.path, diag.line) == ("soc2kit.yml", 8)


def test_out_of_scope_category_needs_no_controls_but_in_scope_does(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "categories: [security]", "categories: [security, availability]")
    found = [f for f in codes_at(program_dir) if f[0] == "SK201"]
    assert len(found) == 3  # A1.1, A1.2, A1.3


def test_exclusions_need_a_reason_and_a_real_criterion(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "soc2kit.yml",
        "categories: [security]",
        "categories: [security]\n  exclusions:\n    - criterion: CC6.4\n    - criterion: CC6.44\n      reason: typo",
    )
    found = codes_at(program_dir)
    assert ("SK202", "soc2kit.yml", 10) in found
    assert ("SK203", "soc2kit.yml", 11) in found


def test_excluded_criterion_is_not_required(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.1]")
    program_dir.replace(
        "soc2kit.yml",
        "categories: [security]",
        "categories: [security]\n  exclusions:\n    - {criterion: CC9.2, reason: No vendors.}",
    )
    assert [f for f in codes_at(program_dir) if f[0] == "SK201"] == []


def test_control_without_policy_and_out_of_scope(program_dir: ProgramDir) -> None:
    program_dir.write(
        "controls/AV-01.md",
        CONTROL.format(id="AV-01", criteria="A1.2").replace("policies: [POL-ISP]", "policies: []"),
    )
    found = codes_at(program_dir)
    assert ("SK204", "controls/AV-01.md", 2) in found
    assert ("SK205", "controls/AV-01.md", 5) in found


def test_control_sections_required(program_dir: ProgramDir) -> None:
    text = program_dir.read("controls/TC-04.md")
    program_dir.write("controls/TC-04.md", text.split("## Test procedure")[0] + "## Test procedure\n\n")
    program_dir.write("controls/TC-05.md", program_dir.read("controls/TC-05.md").replace("## Description", "## Summary"))
    found = codes_at(program_dir)
    assert ("SK012", "controls/TC-04.md", 19) in found
    assert ("SK012", "controls/TC-05.md", 14) in found


def test_policy_sections_warned(program_dir: ProgramDir) -> None:
    program_dir.replace("policies/information-security.md", "## Enforcement", "## Consequences")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = program.diagnostics
    assert (diag.code, diag.severity) == ("SK013", Severity.WARNING)
    assert "Enforcement" in diag.message


def test_approved_policy_without_approver(program_dir: ProgramDir) -> None:
    program_dir.replace("policies/information-security.md", "approver: CTO\n", "")
    assert ("SK301", "policies/information-security.md", 5) in codes_at(program_dir)


def test_review_overdue_depends_on_today(program_dir: ProgramDir) -> None:
    assert not [f for f in codes_at(program_dir, today=date(2027, 1, 10)) if f[0] == "SK302"]
    assert ("SK302", "policies/information-security.md", 9) in codes_at(program_dir, today=date(2027, 1, 11))


def test_policy_without_controls(program_dir: ProgramDir) -> None:
    program_dir.write("policies/backup.md", POLICY.format(id="POL-BAK", title="Backup Policy"))
    assert ("SK303", "policies/backup.md", 2) in codes_at(program_dir)


POLICY_PATH = "policies/information-security.md"
NINE_CONTROLS = "controls TC-01, TC-02, TC-03, TC-04, TC-05 and 4 more rely on it"


def test_a_draft_policy_is_one_error_naming_the_controls_that_rely_on_it(program_dir: ProgramDir) -> None:
    program_dir.replace(POLICY_PATH, "status: approved", "status: draft")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK304"]
    assert (diag.path, diag.line, diag.severity) == (POLICY_PATH, 6, Severity.ERROR)
    assert diag.message == f"policy POL-ISP is draft, not approved, and {NINE_CONTROLS}"
    assert "once CTO has approved it, set `status: approved`" in diag.hint
    assert [d.code for d in program.errors] == ["SK304"]


def test_a_retired_policy_that_controls_still_rely_on_is_reported(program_dir: ProgramDir) -> None:
    program_dir.replace(POLICY_PATH, "status: approved", "status: retired")
    assert ("SK304", POLICY_PATH, 6) in codes_at(program_dir)


def test_a_draft_policy_no_control_relies_on_is_not_an_error(program_dir: ProgramDir) -> None:
    draft = POLICY.format(id="POL-BAK", title="Backup Policy").replace("status: approved", "status: draft")
    program_dir.write("policies/backup.md", draft)
    assert [f for f in codes_at(program_dir) if f[0] in ("SK304", "SK305")] == []


@pytest.mark.parametrize(
    ("effective", "found"),
    [("2025-12-15", False), ("2026-01-01", False), ("2026-01-02", True), ("2026-07-01", True)],
)
def test_a_policy_taking_effect_after_the_period_starts(program_dir: ProgramDir, effective: str, found: bool) -> None:
    program_dir.replace(POLICY_PATH, "effective: 2025-12-15", f"effective: {effective}")
    program = load_program(program_dir.root, use_cache=False)
    late = [d for d in program.diagnostics if d.code == "SK305"]
    assert bool(late) == found
    if found:
        [diag] = late
        assert (diag.path, diag.line) == (POLICY_PATH, 8)
        assert diag.message == (
            f"policy POL-ISP takes effect on {effective}, after the audit period starts (2026-01-01), and {NINE_CONTROLS}"
        )


def test_a_policy_taking_effect_after_the_type1_as_of_date(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "soc2kit.yml", "type: type2\n  period: {start: 2026-01-01, end: 2026-06-30}", "type: type1\n  as_of: 2026-03-31"
    )
    program_dir.replace(POLICY_PATH, "effective: 2025-12-15", "effective: 2026-03-31")
    assert [f for f in codes_at(program_dir) if f[0] == "SK305"] == []
    program_dir.replace(POLICY_PATH, "effective: 2026-03-31", "effective: 2026-04-01")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK305"]
    assert "after the Type I as-of date (2026-03-31)" in diag.message


def test_draft_and_late_are_two_findings(program_dir: ProgramDir) -> None:
    program_dir.replace(POLICY_PATH, "status: approved", "status: draft")
    program_dir.replace(POLICY_PATH, "effective: 2025-12-15", "effective: 2026-02-01")
    found = [f for f in codes_at(program_dir) if f[0] in ("SK304", "SK305")]
    assert found == [("SK304", POLICY_PATH, 6), ("SK305", POLICY_PATH, 8)]


def test_evidence_file_missing_changed_and_escaping(program_dir: ProgramDir, tmp_path: Path) -> None:
    program_dir.replace("evidence/TC-02/q1.yaml", "../TC-01/q1-review.txt", "missing.txt")
    program_dir.replace("evidence/TC-03/q1.yaml", "../TC-01/q1-review.txt", "../../../outside.txt")
    program_dir.replace("evidence/TC-05/q1.yaml", "../TC-01/q1-review.txt", "/etc/passwd")
    outside = tmp_path / "secret.txt"
    outside.write_text("x")
    (program_dir.root / "evidence/TC-04/link.txt").symlink_to(outside)
    program_dir.replace("evidence/TC-04/q1.yaml", "../TC-01/q1-review.txt", "link.txt")
    program_dir.write("evidence/TC-01/q1-review.txt", "reviewed by mallory\n")
    found = codes_at(program_dir)
    assert ("SK401", "evidence/TC-02/q1.yaml", 8) in found
    assert ("SK404", "evidence/TC-03/q1.yaml", 8) in found
    assert ("SK404", "evidence/TC-04/q1.yaml", 8) in found
    assert ("SK404", "evidence/TC-05/q1.yaml", 8) in found
    assert ("SK402", "evidence/TC-01/q1.yaml", 9) in found


def _drop_evidence(program_dir: ProgramDir, control: str) -> None:
    for record in (program_dir.root / "evidence" / control).glob("*.yaml"):
        record.unlink()


def test_control_without_evidence_warns_while_the_period_runs(program_dir: ProgramDir) -> None:
    _drop_evidence(program_dir, "TC-03")
    program_dir.replace("soc2kit.yml", "end: 2026-06-30", "end: 2026-12-31")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 8, 1))
    [diag] = program.diagnostics
    assert (diag.code, diag.path, diag.line, diag.severity) == ("SK403", "controls/TC-03.md", 10, Severity.WARNING)


def test_control_without_evidence_misses_every_window_once_the_period_ended(program_dir: ProgramDir) -> None:
    _drop_evidence(program_dir, "TC-03")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 12, 1))
    [diag] = program.diagnostics
    assert (diag.code, diag.path, diag.line) == ("SK501", "controls/TC-03.md", 11)
    assert "2 quarterly windows, 2026-Q1 to 2026-Q2" in diag.message


def test_severity_overrides_by_code_and_name(program_dir: ProgramDir) -> None:
    _drop_evidence(program_dir, "TC-03")
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.1]")
    program_dir.write(
        "soc2kit.yml",
        program_dir.read("soc2kit.yml") + "rules:\n  SK501: error\n  uncovered-criterion: off\n  no-such-rule: off\n",
    )
    program = load_program(program_dir.root, use_cache=False)
    found = {(d.code, d.severity) for d in program.diagnostics}
    assert found == {("SK501", Severity.ERROR), ("SK021", Severity.WARNING)}


def test_every_rule_is_documented_with_a_fix() -> None:
    for code, rule in RULES.items():
        assert code == rule.code
        assert rule.summary.endswith(".")
        assert rule.fix
    assert len({rule.name for rule in RULES.values()}) == len(RULES)


def test_text_mentioning_a_missing_control_or_policy(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "controls/TC-03.md",
        "The IT Manager reviews access.",
        "The IT Manager reviews access\n(see TC-01, TC-42 and POL-NOPE; exports are hashed with SHA-256).",
    )
    found = codes_at(program_dir)
    assert ("SK107", "controls/TC-03.md", 18) in found
    assert len([f for f in found if f[0] == "SK107"]) == 2  # TC-42 and POL-NOPE; SHA-256 is no control prefix


def test_a_folder_or_a_pipe_named_as_an_evidence_file_is_not_hashed(program_dir: ProgramDir) -> None:
    (program_dir.root / "evidence/TC-02/folder").mkdir()
    os.mkfifo(program_dir.root / "evidence/TC-03/pipe")  # opening it to hash would block forever
    program_dir.replace("evidence/TC-02/q1.yaml", "../TC-01/q1-review.txt", "folder")
    program_dir.replace("evidence/TC-03/q1.yaml", "../TC-01/q1-review.txt", "pipe")
    program = load_program(program_dir.root, use_cache=False)
    # The two records no longer count for their windows either (SK501); the file findings are these.
    assert [(d.code, d.path, d.line, d.message) for d in program.diagnostics if d.code.startswith("SK4")] == [
        ("SK401", "evidence/TC-02/q1.yaml", 8, "evidence file 'evidence/TC-02/folder' is not a regular file"),
        ("SK401", "evidence/TC-03/q1.yaml", 8, "evidence file 'evidence/TC-03/pipe' is not a regular file"),
    ]
