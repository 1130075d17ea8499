"""The readiness model and the SK5xx rules, on real programs (and a real Git repo with dated
commits): missing windows reported exactly, Type I as-of views, freshness, design gaps, bad input."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest

from soc2kit.errors import UsageError
from soc2kit.loader import load_program
from soc2kit.readiness import SCORE_FORMULA, assess, view_of
from tests.conftest import SECURITY_CRITERIA, ProgramDir, make_program, run_cli
from tests.gitrepo import GitRepo

CONTROLS = [f"TC-{n:02d}" for n in range(1, 10)]
REQUIREMENT_LINE = 11  # `  - id: review` in tests/conftest.py's control template
QUARTERS = {1: ("01-01", "03-31"), 2: ("04-01", "06-30"), 3: ("07-01", "09-30"), 4: ("10-01", "12-31")}
COLLECTED = {1: "2025-04-03", 2: "2025-07-03", 3: "2025-10-03", 4: "2026-01-05"}


def record(control: str, record_id: str, collected: str, covers: tuple[str, str] | None, program: ProgramDir) -> str:
    sha = hashlib.sha256((program.root / "evidence/TC-01/q1-review.txt").read_bytes()).hexdigest()
    lines = [f"id: {record_id}", f"control: {control}", "requirement: review", f"collected: {collected}"]
    if covers:
        lines.append(f"covers: {{start: {covers[0]}, end: {covers[1]}}}")
    lines += ["collector: alice@example.com", "files:", "  - path: ../TC-01/q1-review.txt", f"    sha256: {sha}"]
    return "\n".join(lines) + "\n"


def quarterly_repo(root: Path, *, missing: tuple[tuple[str, int], ...] = (("TC-03", 3),)) -> GitRepo:
    """Nine quarterly controls over the 2025 period; evidence committed a few days after each
    quarter, on the day it was collected; the (control, quarter) pairs in `missing` never arrive."""
    repo = GitRepo.create(root)
    program = make_program(root)
    program.replace("soc2kit.yml", "period: {start: 2026-01-01, end: 2026-06-30}", "period: {start: 2025-01-01, end: 2025-12-31}")
    program.replace("policies/information-security.md", "effective: 2025-12-15", "effective: 2024-12-01")
    for old in root.glob("evidence/TC-*/q1.yaml"):
        old.unlink()
    repo.commit("Start the SOC 2 program", date="2025-01-02T09:00:00+00:00")
    for quarter, (first, last) in QUARTERS.items():
        for control in CONTROLS:
            if (control, quarter) not in missing:
                text = record(
                    control, f"EV-{control}-2025Q{quarter}", COLLECTED[quarter], (f"2025-{first}", f"2025-{last}"), program
                )
                program.write(f"evidence/{control}/2025-q{quarter}.yaml", text)
        repo.commit(f"Evidence for 2025-Q{quarter}", date=f"{COLLECTED[quarter]}T10:00:00+00:00")
    return repo


@pytest.fixture
def year_repo(tmp_path: Path) -> GitRepo:
    return quarterly_repo(tmp_path / "repo")


def codes(root: Path, **kwargs: object) -> list[tuple[str, str, int, str]]:
    program = load_program(root, use_cache=False, **kwargs)  # type: ignore[arg-type]
    return [(d.code, d.path, d.line, d.message) for d in program.diagnostics]


def test_type2_period_with_one_missing_quarter_reports_exactly_that_quarter(year_repo: GitRepo) -> None:
    result = run_cli("check", str(year_repo.root), "--no-cache", "--format", "json")
    report = json.loads(result.stdout)
    assert result.returncode == 0  # missing windows are warnings unless soc2kit.yml raises them
    assert [(d["code"], d["path"], d["line"], d["severity"]) for d in report["diagnostics"]] == [
        ("SK501", "controls/TC-03.md", REQUIREMENT_LINE, "warning")
    ]
    message = report["diagnostics"][0]["message"]
    assert message == (
        "control TC-03 has no evidence for the quarterly window 2025-Q3 (2025-07-01..2025-09-30, due by 2025-10-30); "
        "requirement 'review'"
    )


def test_type2_readiness_of_that_period(year_repo: GitRepo) -> None:
    readiness = assess(load_program(year_repo.root, use_cache=False))
    assert readiness.view.describe() == "Type II over 2025-01-01..2025-12-31 (ended)"
    [missing] = readiness.missing_windows()
    assert (missing.control, missing.requirement, missing.run.label, missing.run.last.due) == (
        "TC-03",
        "review",
        "2025-Q3",
        date(2025, 10, 30),
    )
    statuses = {c.control.id: c for c in readiness.controls}
    assert statuses["TC-03"].designed
    assert statuses["TC-03"].operating is False
    assert not statuses["TC-03"].ready
    assert all(statuses[c].ready and statuses[c].operating for c in CONTROLS if c != "TC-03")
    blocked = SECURITY_CRITERIA[8:12]  # TC-03 is the only control of these four criteria
    assert [c.id for c in readiness.criteria if c.state != "ready"] == blocked
    assert (readiness.score.ready, readiness.score.total, readiness.score.value) == (29, 33, 87.9)
    assert readiness.score.formula == SCORE_FORMULA
    [gap] = readiness.gaps
    assert (gap.kind, gap.id, gap.owner, gap.blocks, gap.missing) == (
        "control",
        "TC-03",
        "IT Manager",
        tuple(blocked),
        ("review: no evidence for 2025-Q3",),
    )
    windows = readiness.summary()["windows"]
    assert (windows["expected"], windows["satisfied"], windows["missing"]) == (36, 35, 1)


def test_type1_as_of_tests_design_only_and_demands_no_window(year_repo: GitRepo) -> None:
    # Before issue 13 a Type I view demanded the latest window already due (TC-03's 2025-Q3 was
    # missing as of 2025-11-15). Type I tests design as of a date: no window is demanded.
    program = load_program(year_repo.root, use_cache=False)
    for as_of in (date(2025, 8, 15), date(2025, 11, 15)):
        readiness = assess(program, view_of(program, as_of=as_of))
        assert readiness.view.describe() == f"Type I as of {as_of}"
        assert readiness.view.to_dict()["assesses"] == ["design"]
        assert all(r.windows == [] for c in readiness.controls for r in c.requirements)
        assert all(c.designed and c.ready and c.operating is None for c in readiness.controls)
        assert readiness.missing_windows() == []
        assert readiness.stale() == []
        assert readiness.score.value == 100.0
        summary = readiness.summary()
        assert (summary["controls"]["designed"], summary["controls"]["operating"]) == (9, 0)
        assert summary["windows"]["expected"] == 0


def test_type1_as_of_ignores_records_collected_after_that_date(year_repo: GitRepo) -> None:
    program = load_program(year_repo.root, use_cache=False)
    # Q3 records were collected on 2025-10-03: as of 2025-10-01 they do not exist yet.
    early = assess(program, view_of(program, as_of=date(2025, 10, 1)))
    assert all(c.requirements[0].records == 2 for c in early.controls)
    assert early.score.value == 100.0
    # The first records were collected on 2025-04-03: as of 2025-04-01 no control has a design record.
    before = assess(program, view_of(program, as_of=date(2025, 4, 1)))
    assert not any(c.designed or c.design["has_evidence"] for c in before.controls)
    assert before.score.value == 0.0
    gap = next(g for g in before.gaps if g.id == "TC-01")
    assert gap.missing == ("no design record or other evidence on or before 2025-04-01",)


def test_type1_config_as_of_date_reports_no_missing_window(year_repo: GitRepo) -> None:
    # Was: SK501 for TC-03's 2025-Q3 as of 2025-11-15. A Type I demands no window, so no SK501 or SK502.
    year_repo.replace(
        "soc2kit.yml",
        "  type: type2\n  period: {start: 2025-01-01, end: 2025-12-31}",
        "  type: type1\n  as_of: 2025-11-15",
    )
    assert [f for f in codes(year_repo.root) if f[0].startswith("SK5")] == []
    # The same program as Type II over the year still misses TC-03's 2025-Q3.
    year_repo.replace(
        "soc2kit.yml", "  type: type1\n  as_of: 2025-11-15", "  type: type2\n  period: {start: 2025-01-01, end: 2025-12-31}"
    )
    assert [f[:2] for f in codes(year_repo.root) if f[0].startswith("SK5")] == [("SK501", "controls/TC-03.md")]


def test_missing_windows_are_findings_only_once_the_grace_period_has_passed(program_dir: ProgramDir) -> None:
    # The fixture has Q1 evidence only; Q2 ends on 2026-06-30 and is due 30 days later.
    assert not [f for f in codes(program_dir.root, today=date(2026, 7, 30)) if f[0] == "SK501"]
    late = [f for f in codes(program_dir.root, today=date(2026, 7, 31)) if f[0] == "SK501"]
    assert [(path, line) for _, path, line, _ in late] == [(f"controls/{c}.md", REQUIREMENT_LINE) for c in CONTROLS]
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 7, 15))
    states = {w.window.label: w.state for w in assess(program).controls[0].requirements[0].windows}
    assert states == {"2026-Q1": "satisfied", "2026-Q2": "due"}


def test_missing_windows_can_be_raised_to_errors(program_dir: ProgramDir) -> None:
    program_dir.write("soc2kit.yml", program_dir.read("soc2kit.yml") + "rules:\n  evidence-window-missing: error\n")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 8, 1))
    assert {d.severity.value for d in program.diagnostics if d.code == "SK501"} == {"error"}
    assert len(program.errors) == 9


def test_stale_evidence_while_the_period_runs(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "end: 2026-06-30", "end: 2026-12-31")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 9, 1))
    readiness = assess(program)
    stale = readiness.stale()
    assert [(s.control, s.requirement, s.newest, s.fresh_until) for s in stale] == [
        (c, "review", date(2026, 4, 2), date(2026, 8, 1)) for c in CONTROLS
    ]
    found = [(d.code, d.path, d.line) for d in program.diagnostics if d.code.startswith("SK5")]
    assert found == [("SK502", f"controls/{c}.md", REQUIREMENT_LINE) for c in CONTROLS]  # no SK501 while it runs
    states = [w.state for w in readiness.controls[0].requirements[0].windows]
    assert states == ["satisfied", "missing", "open", "upcoming"]
    assert readiness.controls[0].operating is False


def test_fresh_evidence_is_not_stale(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "end: 2026-06-30", "end: 2026-12-31")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 8, 1))
    assert assess(program).stale() == []
    assert not [d for d in program.diagnostics if d.code == "SK502"]


def test_grace_period_is_configurable(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "end: 2026-06-30}", "end: 2026-12-31}\n  evidence_grace: 10 days")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 7, 20))
    readiness = assess(program)
    assert readiness.view.grace == "10 days"
    assert [s.fresh_until for s in readiness.stale()][:1] == [date(2026, 7, 12)]
    assert readiness.controls[0].requirements[0].windows[1].due == date(2026, 7, 10)


def test_draft_policy_blocks_every_control_and_leads_the_gaps(program_dir: ProgramDir) -> None:
    program_dir.replace("policies/information-security.md", "status: approved", "status: draft")
    readiness = assess(load_program(program_dir.root, use_cache=False, today=date(2026, 5, 1)))
    assert not any(c.designed for c in readiness.controls)
    assert readiness.score.value == 0.0
    first = readiness.gaps[0]
    assert (first.kind, first.id, first.owner, first.path) == (
        "policy",
        "POL-ISP",
        "Head of Security",
        "policies/information-security.md",
    )
    assert first.missing == ("status is draft: it needs approval by CTO",)
    assert first.blocks == tuple(SECURITY_CRITERIA)
    control_gap = next(g for g in readiness.gaps if g.id == "TC-01")
    assert "policy POL-ISP is draft, not approved" in control_gap.missing


def test_design_checks_name_what_is_missing(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-02.md", "owner: IT Manager", "owner: TBD")
    program_dir.replace("controls/TC-04.md", "policies: [POL-ISP]", "policies: []")
    (program_dir.root / "evidence/TC-05/q1.yaml").unlink()
    program_dir.replace("controls/TC-06.md", "evidence:\n  - id: review\n    description: Signed review\n", "evidence: []\n")
    readiness = assess(load_program(program_dir.root, use_cache=False, today=date(2026, 4, 15)))
    design = {c.control.id: c.design for c in readiness.controls}
    assert design["TC-01"] == {
        "policy_approved": True,
        "owner_set": True,
        "procedure_described": True,
        "requirement_defined": True,
        "has_evidence": True,
    }
    assert not design["TC-02"]["owner_set"]
    assert not design["TC-04"]["policy_approved"]
    assert not design["TC-05"]["has_evidence"]
    assert not design["TC-06"]["requirement_defined"]
    missing = {g.id: g.missing for g in readiness.gaps}
    assert missing["TC-02"] == ("owner is 'TBD', not a role",)
    assert missing["TC-04"] == ("implements no policy",)
    assert missing["TC-05"] == ("no evidence recorded",)  # Q1's evidence is not due before 2026-04-30
    assert missing["TC-06"] == ("defines no evidence requirement",)
    later = assess(load_program(program_dir.root, use_cache=False, today=date(2026, 5, 1)))
    assert {g.id: g.missing for g in later.gaps}["TC-05"] == ("review: no evidence for 2026-Q1",)
    # TC-06 has no requirement: its records are judged together at the control's frequency.
    assert [
        (r.id, r.frequency, r.records) for r in next(c for c in readiness.controls if c.control.id == "TC-06").requirements
    ] == [("", "quarterly", 1)]


def test_uncovered_criteria_and_exclusions(program_dir: ProgramDir) -> None:
    (program_dir.root / "controls/TC-09.md").unlink()  # the only control of the last criterion
    (program_dir.root / "evidence/TC-09/q1.yaml").unlink()
    last = SECURITY_CRITERIA[-1]
    program_dir.replace(
        "soc2kit.yml",
        "  categories: [security]",
        f"  categories: [security]\n  exclusions:\n    - criterion: {SECURITY_CRITERIA[0]}\n      reason: Not applicable here.",
    )
    readiness = assess(load_program(program_dir.root, use_cache=False, today=date(2026, 5, 1)))
    assert readiness.exclusions[0][0] == SECURITY_CRITERIA[0]
    assert readiness.exclusions[0][2] == "Not applicable here."
    assert readiness.score.total == len(SECURITY_CRITERIA) - 1
    assert [(g.kind, g.id, g.missing) for g in readiness.gaps] == [("criterion", last, ("no in-scope control addresses it",))]
    assert readiness.to_dict()["exclusions"] == [
        {"criterion": SECURITY_CRITERIA[0], "title": readiness.exclusions[0][1], "reason": "Not applicable here."}
    ]


def test_gaps_order_by_how_many_criteria_they_hold_back(program_dir: ProgramDir) -> None:
    (program_dir.root / "evidence/TC-09/q1.yaml").unlink()  # TC-09 holds back one criterion
    (program_dir.root / "evidence/TC-02/q1.yaml").unlink()  # TC-02 holds back four
    readiness = assess(load_program(program_dir.root, use_cache=False, today=date(2026, 5, 1)))
    assert [(g.id, len(g.blocks)) for g in readiness.gaps] == [("TC-02", 4), ("TC-09", 1)]


def test_a_record_covering_several_windows_satisfies_each_it_covers(program_dir: ProgramDir) -> None:
    program_dir.replace("evidence/TC-01/q1.yaml", "end: 2026-03-31", "end: 2026-06-30")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 11, 1))
    states = [(w.window.label, w.state, w.records) for w in assess(program).controls[0].requirements[0].windows]
    assert states == [("2026-Q1", "satisfied", ("EV-TC-01-2026Q1",)), ("2026-Q2", "satisfied", ("EV-TC-01-2026Q1",))]


def test_record_without_covers_counts_for_the_window_of_its_collected_day(program_dir: ProgramDir) -> None:
    program_dir.replace("evidence/TC-01/q1.yaml", "covers: {start: 2026-01-01, end: 2026-03-31}\n", "")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 11, 1))
    states = [(w.window.label, w.state) for w in assess(program).controls[0].requirements[0].windows]
    assert states == [("2026-Q1", "missing"), ("2026-Q2", "satisfied")]  # collected 2026-04-02


def test_continuous_controls_need_a_record_every_month(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-01.md", "frequency: quarterly", "frequency: continuous")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 11, 1))
    windows = assess(program).controls[0].requirements[0].windows
    assert [(w.window.label, w.state) for w in windows] == [
        ("2026-01", "satisfied"),
        ("2026-02", "satisfied"),
        ("2026-03", "satisfied"),
        ("2026-04", "missing"),
        ("2026-05", "missing"),
        ("2026-06", "missing"),
    ]
    [finding] = [d for d in program.diagnostics if d.code == "SK501" and d.path == "controls/TC-01.md"]
    assert "3 continuous windows, 2026-04 to 2026-06 (2026-04-01..2026-06-30" in finding.message


def test_on_event_controls_count_records_in_the_period(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-01.md", "frequency: quarterly", "frequency: on-event")
    program_dir.replace("controls/TC-02.md", "frequency: quarterly", "frequency: on-event")
    program_dir.write("evidence/TC-01/second.yaml", record("TC-01", "EV-TC-01-SECOND", "2026-05-20", None, program_dir))
    (program_dir.root / "evidence/TC-02/q1.yaml").unlink()
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 11, 1))
    statuses = {c.control.id: c.requirements[0] for c in assess(program).controls}
    [tc01] = statuses["TC-01"].windows
    assert (tc01.window.label, tc01.state, len(tc01.records)) == ("2026-01-01..2026-06-30", "satisfied", 2)
    assert statuses["TC-02"].windows[0].state == "missing"
    [finding] = [d for d in program.diagnostics if d.code == "SK501" and d.path == "controls/TC-02.md"]
    assert finding.message == (
        "control TC-02 has no requirement 'review' record in the period 2026-01-01..2026-06-30 (on-event: at least one is expected)"
    )
    assert statuses["TC-01"].stale is False  # on-event evidence never goes stale


def test_a_requirement_may_have_its_own_frequency(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "controls/TC-01.md", "    description: Signed review\n", "    description: Signed review\n    frequency: semiannual\n"
    )
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 11, 1))
    requirement = assess(program).controls[0].requirements[0]
    assert (requirement.frequency, [(w.window.label, w.state) for w in requirement.windows]) == (
        "semiannual",
        [("2026-H1", "satisfied")],  # the Q1 record falls inside H1
    )


def test_period_longer_than_12_months_warns_on_the_period_line(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "end: 2026-06-30", "end: 2027-01-01")
    found = [f for f in codes(program_dir.root, today=date(2026, 5, 1)) if f[0] in {"SK503", "SK504"}]
    assert found == [
        (
            "SK503",
            "soc2kit.yml",
            6,
            "the audit period 2026-01-01..2027-01-01 is longer than 12 months; a Type II period is 3 to 12",
        )
    ]


def test_period_shorter_than_a_window_warns_per_frequency(program_dir: ProgramDir) -> None:
    for control in ("TC-01", "TC-02"):
        program_dir.replace(f"controls/{control}.md", "frequency: quarterly", "frequency: annual")
    found = [f for f in codes(program_dir.root, today=date(2026, 5, 1)) if f[0] == "SK504"]
    assert found == [
        (
            "SK504",
            "soc2kit.yml",
            6,
            (
                "the audit period 2026-01-01..2026-06-30 is shorter than one annual window; "
                "2 controls with annual evidence must each operate inside it"
            ),
        )
    ]


def test_covers_outside_the_period_is_reported(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "evidence/TC-01/q1.yaml", "covers: {start: 2026-01-01, end: 2026-03-31}", "covers: {start: 2025-01-01, end: 2025-03-31}"
    )
    found = [f for f in codes(program_dir.root, today=date(2026, 5, 1)) if f[0] == "SK505"]
    assert found == [
        (
            "SK505",
            "evidence/TC-01/q1.yaml",
            5,
            (
                "record EV-TC-01-2026Q1 was collected during the audit period 2026-01-01..2026-06-30 "
                "but covers 2025-01-01..2025-03-31, entirely outside it"
            ),
        )
    ]


def test_records_from_an_earlier_period_are_not_reported(program_dir: ProgramDir) -> None:
    program_dir.write(
        "evidence/TC-01/old.yaml", record("TC-01", "EV-TC-01-2025Q4", "2026-01-02", ("2025-10-01", "2025-12-31"), program_dir)
    )
    program_dir.write(
        "evidence/TC-02/old.yaml", record("TC-02", "EV-TC-02-2025Q3", "2025-10-02", ("2025-07-01", "2025-09-30"), program_dir)
    )
    found = [f for f in codes(program_dir.root, today=date(2026, 5, 1)) if f[0] == "SK505"]
    assert [path for _, path, _, _ in found] == ["evidence/TC-01/old.yaml"]  # collected inside the period only


def test_records_dated_in_the_future_are_errors_and_do_not_count(program_dir: ProgramDir) -> None:
    program_dir.write(
        "evidence/TC-01/later.yaml", record("TC-01", "EV-TC-01-LATER", "2026-05-02", ("2026-04-01", "2026-06-30"), program_dir)
    )
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 4, 20))
    found = [(d.code, d.path, d.line, d.severity.value) for d in program.diagnostics if d.code == "SK506"]
    assert found == [
        ("SK506", "evidence/TC-01/later.yaml", 4, "error"),
        ("SK506", "evidence/TC-01/later.yaml", 5, "error"),
    ]
    messages = [d.message for d in program.diagnostics if d.code == "SK506"]
    assert messages[0] == "record EV-TC-01-LATER is collected on 2026-05-02, after today (2026-04-20)"
    assert messages[1] == "record EV-TC-01-LATER covers days up to 2026-06-30, after today (2026-04-20)"
    requirement = assess(program).controls[0].requirements[0]
    assert requirement.records == 1
    assert requirement.windows[1].records == ()


def test_covers_straddling_windows_is_reported(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "evidence/TC-01/q1.yaml", "covers: {start: 2026-01-01, end: 2026-03-31}", "covers: {start: 2026-03-15, end: 2026-04-14}"
    )
    program_dir.replace("evidence/TC-01/q1.yaml", "collected: 2026-04-02", "collected: 2026-04-15")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 5, 1))
    [finding] = [d for d in program.diagnostics if d.code == "SK507"]
    assert (finding.path, finding.line) == ("evidence/TC-01/q1.yaml", 5)
    assert finding.message == (
        "record EV-TC-01-2026Q1: covers 2026-03-15..2026-04-14, which spans the quarterly windows 2026-Q1 and 2026-Q2 "
        "without covering either fully, so it satisfies neither"
    )
    assert all(not w.records for w in assess(program).controls[0].requirements[0].windows)


def test_unknown_frequency_is_a_clear_schema_error(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-02.md", "frequency: quarterly", "frequency: fortnightly")
    program = load_program(program_dir.root, use_cache=False)
    [finding] = [d for d in program.diagnostics if d.code == "SK010"]
    assert (finding.path, finding.line) == ("controls/TC-02.md", 7)
    assert finding.message == (
        "'frequency' is 'fortnightly'; expected 'continuous', 'daily', 'weekly', 'monthly', 'quarterly', "
        "'semiannual', 'annual' or 'on-event'"
    )
    assert "TC-02" not in {c.control.id for c in assess(program).controls}  # invalid controls are not assessed


def test_view_overrides_and_their_usage_errors(program_dir: ProgramDir) -> None:
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 5, 1))
    assert view_of(program).describe() == "Type II over 2026-01-01..2026-06-30 (in progress)"
    assert view_of(program, period=(date(2026, 6, 1), date(2026, 6, 30))).period == (date(2026, 6, 1), date(2026, 6, 30))
    assert view_of(program, as_of=date(2026, 3, 31)).type == "type1"
    with pytest.raises(UsageError, match="not both"):
        view_of(program, as_of=date(2026, 3, 31), period=(date(2026, 1, 1), date(2026, 3, 31)))


def test_progress_is_reported_while_controls_are_assessed(program_dir: ProgramDir) -> None:
    seen: list[tuple[int, int]] = []
    assess(load_program(program_dir.root, use_cache=False), progress=lambda done, total: seen.append((done, total)))
    assert seen == [(9, 9)]


def test_the_repo_program_is_assessed_without_findings_of_error_severity() -> None:
    root = Path(__file__).resolve().parent.parent
    program = load_program(root, use_cache=False)
    readiness = assess(program)
    assert readiness.score.total == 61
    assert not [d for d in program.errors if d.code.startswith("SK5")]
    assert {c.control.id for c in readiness.controls if c.ready} <= {"AC-06", "BAK-03", "HR-03", "VUL-03"}


def test_windows_are_reported_as_runs_of_equal_state(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-01.md", "frequency: quarterly", "frequency: daily")
    program_dir.replace("evidence/TC-01/q1.yaml", "end: 2026-03-31", "end: 2026-01-31")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 11, 1))
    readiness = assess(program)
    control = next(c for c in readiness.to_dict()["controls"] if c["id"] == "TC-01")
    assert control["windows"]["expected"] == 181
    assert control["requirements"][0]["windows"] == [
        {
            "first": "2026-01-01",
            "last": "2026-01-31",
            "count": 31,
            "start": "2026-01-01",
            "end": "2026-01-31",
            "due": "2026-02-01",
            "state": "satisfied",
            "records": ["EV-TC-01-2026Q1"],
            "not_counted": [],
            "deviations": [],
        },
        {
            "first": "2026-02-01",
            "last": "2026-06-30",
            "count": 150,
            "start": "2026-02-01",
            "end": "2026-06-30",
            "due": "2026-07-01",
            "state": "missing",
            "records": [],
            "not_counted": [],
            "deviations": [],
        },
    ]
    [finding] = [d for d in program.diagnostics if d.code == "SK501" and d.path == "controls/TC-01.md"]
    assert finding.message.startswith("control TC-01 has no evidence for 150 daily windows, 2026-02-01 to 2026-06-30 ")
