"""Approved deviations in readiness: the window they name is "exception noted", neither satisfied nor
missing, on real programs in a real Git repository (one dated commit per quarter of evidence)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from soc2kit.loader import load_program
from soc2kit.readiness import Readiness, assess, runs
from tests.conftest import run_cli
from tests.gitrepo import GitRepo
from tests.test_readiness import quarterly_repo

DEVIATIONS = "registers/deviations.yml"


def deviation(
    number: int,
    control: str,
    *,
    window: str | None = None,
    requirement: str | None = None,
    sample: str | None = None,
    approved_on: str | None = "2025-11-20",
    approved_by: str | None = "CTO",
) -> str:
    lines = [f"  - id: DEV-{number:03d}", f"    control: {control}"]
    lines += [
        f"    {key}: {value}" for key, value in (("requirement", requirement), ("window", window), ("sample", sample)) if value
    ]
    lines += [
        "    description: The quarterly access review was not performed.",
        "    cause: The reviewer was on leave and nobody stood in.",
        "    effect: Access was not reviewed for one quarter; the next review found nothing to remove.",
        "    remediation: A deputy reviewer is named for each review.",
        "    management_response: We accept the finding; the deputy covers absences from now on.",
    ]
    lines += [f"    {key}: {value}" for key, value in (("approved_by", approved_by), ("approved_on", approved_on)) if value]
    return "\n".join(lines) + "\n"


def log(repo: GitRepo, *entries: str) -> None:
    repo.write(DEVIATIONS, "deviations:\n" + "".join(entries))
    repo.commit("Log the deviations", date="2026-01-05T09:00:00+00:00")


@pytest.fixture
def year_repo(tmp_path: Path) -> GitRepo:
    """The 2025 Type II program of tests/test_readiness.py: TC-03 has no evidence for 2025-Q3."""
    return quarterly_repo(tmp_path / "repo")


def assessed(repo: GitRepo) -> Readiness:
    return assess(load_program(repo.root, use_cache=False, today=date(2026, 1, 10)))


def windows_of(readiness: Readiness, control: str) -> dict[str, tuple[str, tuple[str, ...], tuple[str, ...]]]:
    status = next(c for c in readiness.controls if c.control.id == control)
    return {w.window.label: (w.state, w.records, w.deviations) for r in status.requirements for w in r.windows}


def test_an_approved_deviation_turns_the_missing_window_into_an_exception(year_repo: GitRepo) -> None:
    log(year_repo, deviation(1, "TC-03", window="2025-Q3", requirement="review"))
    readiness = assessed(year_repo)
    assert windows_of(readiness, "TC-03")["2025-Q3"] == ("exception", (), ("DEV-001",))
    assert readiness.missing_windows() == []
    tc03 = next(c for c in readiness.controls if c.control.id == "TC-03")
    assert tc03.exceptions == ["DEV-001"]
    assert tc03.operating is True  # no window is missing: the auditor reports the exception
    assert tc03.ready
    assert readiness.score.value == 100.0
    assert not [g for g in readiness.gaps if g.id == "TC-03"]
    summary = readiness.summary()
    assert (summary["windows"]["satisfied"], summary["windows"]["exception"], summary["windows"]["missing"]) == (35, 1, 0)
    assert (summary["controls"]["with_exceptions"], summary["exceptions"]) == (1, 1)
    [noted] = readiness.exceptions
    assert (noted.deviation, noted.control, noted.requirement, noted.window, noted.approved_by, noted.approved_on) == (
        "DEV-001",
        "TC-03",
        "review",
        "2025-Q3",
        "CTO",
        date(2025, 11, 20),
    )
    assert noted.path == DEVIATIONS


def test_check_no_longer_reports_the_window_an_exception_covers(year_repo: GitRepo) -> None:
    before = load_program(year_repo.root, use_cache=False)
    assert [d.code for d in before.diagnostics if d.code == "SK501"] == ["SK501"]
    log(year_repo, deviation(1, "TC-03", window="2025-Q3"))  # no requirement: every requirement of the control
    after = load_program(year_repo.root, use_cache=False)
    assert [d for d in after.diagnostics if d.code == "SK501"] == []


@pytest.mark.parametrize(
    ("approval", "why"),
    [
        ({"approved_by": None}, "nobody approved it"),
        ({"approved_on": None}, "no approval date"),
        ({"approved_on": "2026-02-01"}, "approved after today"),
    ],
)
def test_an_unapproved_deviation_changes_nothing(year_repo: GitRepo, approval: dict[str, str | None], why: str) -> None:
    log(year_repo, deviation(1, "TC-03", window="2025-Q3", **approval))  # type: ignore[arg-type]
    readiness = assessed(year_repo)
    assert windows_of(readiness, "TC-03")["2025-Q3"] == ("missing", (), ()), why
    assert [m.control for m in readiness.missing_windows()] == ["TC-03"]
    assert readiness.exceptions == []
    assert next(c for c in readiness.controls if c.control.id == "TC-03").exceptions == []


def test_a_deviation_applies_only_to_its_control_requirement_and_window(year_repo: GitRepo) -> None:
    log(
        year_repo,
        deviation(1, "TC-03", window="2025-Q3", requirement="another-requirement"),
        deviation(2, "TC-04", window="2025-Q3"),
        deviation(3, "TC-03", window="2025-Q4"),
    )
    readiness = assessed(year_repo)
    tc03 = windows_of(readiness, "TC-03")
    assert tc03["2025-Q3"] == ("missing", (), ())  # DEV-001 names another requirement
    assert tc03["2025-Q4"] == ("exception", ("EV-TC-03-2025Q4",), ("DEV-003",))  # whatever records it has
    assert windows_of(readiness, "TC-04")["2025-Q3"] == ("exception", ("EV-TC-04-2025Q3",), ("DEV-002",))
    # Was ["DEV-001", "DEV-003"]: a control's exceptions are now those that apply to the view, and
    # DEV-001 names a requirement TC-03 lacks, so it made no window an exception.
    assert next(c for c in readiness.controls if c.control.id == "TC-03").exceptions == ["DEV-003"]
    assert next(c for c in readiness.controls if c.control.id == "TC-03").operating is False
    assert [(e.control, e.deviation) for e in readiness.exceptions] == [("TC-03", "DEV-003"), ("TC-04", "DEV-002")]
    assert readiness.summary()["exceptions"] == 2


def test_only_deviations_that_apply_to_the_view_are_exceptions(year_repo: GitRepo) -> None:
    log(
        year_repo,
        deviation(1, "TC-03", window="2024-Q4", approved_on="2024-12-20"),  # a window of the previous period
        deviation(2, "TC-03", sample="HR-1", approved_on="2024-12-20"),  # a sample item approved before the period
        deviation(3, "TC-03", sample="HR-2", approved_on="2025-01-01"),  # approved on the period's first day
        deviation(4, "TC-03", sample="HR-3", approved_on="2026-01-05"),  # approved after the end, before the report
        deviation(5, "TC-03", window="2025-Q3", requirement="review"),
    )
    readiness = assessed(year_repo)
    tc03 = next(c for c in readiness.controls if c.control.id == "TC-03")
    assert tc03.exceptions == ["DEV-003", "DEV-004", "DEV-005"]
    assert [e.deviation for e in readiness.exceptions] == ["DEV-003", "DEV-004", "DEV-005"]
    assert readiness.summary()["controls"]["with_exceptions"] == 1


def test_a_type1_view_notes_no_exceptions(year_repo: GitRepo) -> None:
    from soc2kit.readiness import view_of

    log(year_repo, deviation(1, "TC-03", window="2025-Q3"), deviation(2, "TC-05", sample="PR-42"))
    program = load_program(year_repo.root, use_cache=False, today=date(2026, 1, 10))
    readiness = assess(program, view_of(program, as_of=date(2025, 11, 30)))
    assert readiness.exceptions == []
    assert all(c.exceptions == [] for c in readiness.controls)
    assert readiness.summary()["controls"]["with_exceptions"] == 0


def test_a_deviation_about_a_sample_item_is_listed_and_leaves_the_windows_alone(year_repo: GitRepo) -> None:
    log(year_repo, deviation(1, "TC-05", sample="'PR #42'"))
    readiness = assessed(year_repo)
    assert {state for state, _, _ in windows_of(readiness, "TC-05").values()} == {"satisfied"}
    assert next(c for c in readiness.controls if c.control.id == "TC-05").exceptions == ["DEV-001"]
    [noted] = readiness.exceptions
    assert (noted.window, noted.sample, noted.subject) == (None, "PR #42", "sample PR #42")


def test_runs_split_where_the_deviations_differ(year_repo: GitRepo) -> None:
    log(year_repo, deviation(1, "TC-03", window="2025-Q3"), deviation(2, "TC-03", window="2025-Q4"))
    readiness = assessed(year_repo)
    status = next(c for c in readiness.controls if c.control.id == "TC-03")
    found = [(run.label, run.state, run.first.deviations) for run in runs(status.requirements[0].windows)]
    assert found == [
        ("2025-Q1", "satisfied", ()),
        ("2025-Q2", "satisfied", ()),
        ("2025-Q3", "exception", ("DEV-001",)),
        ("2025-Q4", "exception", ("DEV-002",)),
    ]


def test_status_shows_exceptions_in_json_table_and_markdown(year_repo: GitRepo) -> None:
    log(year_repo, deviation(1, "TC-03", window="2025-Q3", requirement="review"))
    result = run_cli("status", str(year_repo.root), "--format", "json", "--no-cache")
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["version"] == 2
    assert report["summary"]["windows"]["exception"] == 1
    assert report["summary"]["windows"]["missing"] == 0
    assert report["missing_windows"] == []
    [noted] = report["exceptions"]
    assert noted == {
        "deviation": "DEV-001",
        "control": "TC-03",
        "requirement": "review",
        "window": "2025-Q3",
        "sample": None,
        "description": "The quarterly access review was not performed.",
        "management_response": "We accept the finding; the deputy covers absences from now on.",
        "approved_by": "CTO",
        "approved_on": "2025-11-20",
        "path": DEVIATIONS,
    }
    tc03 = next(c for c in report["controls"] if c["id"] == "TC-03")
    assert tc03["exceptions"] == ["DEV-001"]
    assert tc03["windows"]["exception"] == 1
    q3 = next(run for run in tc03["requirements"][0]["windows"] if run["first"] == "2025-Q3")
    assert (q3["state"], q3["deviations"], q3["records"]) == ("exception", ["DEV-001"], [])

    table = run_cli("status", str(year_repo.root), "--no-cache").stdout
    assert "Operation: 9 of 9 controls operating, 1 with exceptions noted" in table
    assert "35 of 36 satisfied, 1 exception noted, 0 missing" in table
    assert "Exceptions noted (1), approved deviations by control" in table
    assert "  TC-03      DEV-001    review                       2025-Q3" in table
    assert "Windows missing evidence (0 in 0 runs)" in table

    markdown = run_cli("status", str(year_repo.root), "--format", "md", "--no-cache").stdout
    assert "## Exceptions noted (1)" in markdown
    assert "| TC-03 | DEV\\-001 | review | 2025\\-Q3 | The quarterly access review was not performed. |" in markdown or (
        "| TC-03 | DEV-001 | review | 2025-Q3 |" in markdown
    )


def test_a_hostile_deviation_is_escaped_in_every_output(year_repo: GitRepo) -> None:
    from soc2kit.site.pages import dashboard
    from soc2kit.site.portal import load_portal

    hostile = deviation(1, "TC-03", window="2025-Q3").replace(
        "description: The quarterly access review was not performed.",
        'description: "Missed\\x1b[2J review\\nsoc2kit.yml:1: error: SK001 forged <script>alert(1)</script> | cell"',
    )
    log(year_repo, hostile)
    table = run_cli("status", str(year_repo.root), "--no-cache").stdout
    assert "\x1b" not in table
    assert not [line for line in table.splitlines() if line.startswith("soc2kit.yml:1:")]
    assert "Missed\ufffd[2J review soc2kit.yml:1: error: SK001 forged" in table
    markdown = run_cli("status", str(year_repo.root), "--format", "md", "--no-cache").stdout
    row = next(line for line in markdown.splitlines() if line.startswith("| TC-03 | DEV"))
    assert "<script>" not in row
    assert row.count(" | ") == 6  # the description's pipe is escaped, so the row keeps its seven cells
    page = dashboard.page(load_portal(year_repo.root, use_cache=False)).markdown
    assert "<script>" not in page
