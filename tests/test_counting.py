"""What counts as evidence: a record satisfies a window only when it passes verification, and
`check` asks evidence only of the controls `status` assesses. Real programs in real Git
repositories, dated like an audit: evidence committed on the day it was collected."""

from __future__ import annotations

import hashlib
import html
import json
import re
from datetime import date
from pathlib import Path

import pytest

from soc2kit.history import clear_cache
from soc2kit.loader import load_program
from soc2kit.readiness import assess
from tests.conftest import ProgramDir, make_program, run_cli
from tests.gitrepo import GitRepo

START = "2026-01-02T09:00:00+00:00"
Q1_DAY = "2026-04-02T12:00:00+00:00"  # the Q1 records' collected day (tests/conftest.py QUARTER_RECORDS)
Q2_DAY = "2026-07-02T12:00:00+00:00"
OWN_FILE = "evidence/TC-02/q1-own-review.txt"
TC02_Q1 = "evidence/TC-02/q1.yaml"
TC02_WINDOW = ("TC-02", "review", "2026-Q1")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def audit_repo(root: Path) -> GitRepo:
    """Nine quarterly controls over 2026-H1, every window satisfied; TC-02's Q1 record has a file
    of its own. The program is committed at the start, each quarter's evidence on its collected day."""
    repo = GitRepo.create(root)
    program = make_program(root, quarters=2)
    evidence = {path: path.read_bytes() for path in root.glob("evidence/**/*") if path.is_file()}
    for path in evidence:
        path.unlink()
    repo.commit("Start the SOC 2 program", date=START)
    for path, data in evidence.items():
        if path.name in {"q1.yaml", "q1-review.txt"}:
            path.write_bytes(data)
    program.write(OWN_FILE, "TC-02 access review, signed by the CTO\n")
    program.replace(TC02_Q1, "path: ../TC-01/q1-review.txt", "path: q1-own-review.txt")
    program.replace(TC02_Q1, sha((root / "evidence/TC-01/q1-review.txt").read_bytes()), sha((root / OWN_FILE).read_bytes()))
    repo.commit("Evidence for 2026-Q1", date=Q1_DAY)
    for path, data in evidence.items():
        if path.name == "q2.yaml":
            path.write_bytes(data)
    repo.commit("Evidence for 2026-Q2", date=Q2_DAY)
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    clear_cache()
    return audit_repo(tmp_path / "program")


def status(root: Path, output_format: str) -> str:
    result = run_cli("status", str(root), "--no-cache", "--format", output_format, "--limit", "0")
    assert result.returncode == 0, result.stderr
    return result.stdout


def plain(markdown: str) -> str:
    """Markdown as a reader sees it: escaped characters (`\\(`, `&#40;`) shown as themselves."""
    return html.unescape(re.sub(r"\\(.)", r"\1", markdown))


def missing_windows(report: dict) -> list[tuple[str, str, str]]:
    return [(m["control"], m["requirement"], m["first"]) for m in report["missing_windows"]]


def test_a_clean_program_counts_every_record_in_every_format(repo: GitRepo) -> None:
    report = json.loads(status(repo.root, "json"))
    assert report["summary"]["windows"]["expected"] == report["summary"]["windows"]["satisfied"] == 18
    assert (report["summary"]["not_counted"], report["not_counted"], report["missing_windows"]) == (0, [], [])
    assert report["evidence_checks"] == {"files": True, "history": True}
    assert report["score"]["ready"] == report["score"]["total"]
    table = status(repo.root, "table")
    assert "evidence windows: 18 of 18 satisfied, 0 exception noted, 0 missing" in table
    assert "Evidence records not counted: 0 (verified against their files and Git history)" in table
    assert "- Evidence records not counted: 0 (verified against their files and Git history)" in plain(status(repo.root, "md"))


def test_an_evidence_file_edited_and_committed_later_leaves_its_window_missing(repo: GitRepo) -> None:
    repo.write(OWN_FILE, "TC-02 access review, signed by nobody\n")
    edit = repo.commit("Tidy the TC-02 review", date="2026-05-03T12:00:00+00:00")

    report = json.loads(status(repo.root, "json"))

    assert missing_windows(report) == [TC02_WINDOW]
    [window] = report["missing_windows"]
    reasons = window["not_counted"][0]["reasons"]
    assert window["not_counted"][0]["record"] == "EV-TC-02-2026Q1"
    assert reasons == [
        f"file {OWN_FILE} does not match its recorded sha256 (changed after it was recorded)",
        f"file {OWN_FILE} was modified on 2026-05-03, after it was committed on 2026-04-02",
    ]
    assert report["not_counted"] == [
        {"record": "EV-TC-02-2026Q1", "control": "TC-02", "requirement": "review", "path": TC02_Q1, "reasons": reasons}
    ]
    control = next(c for c in report["controls"] if c["id"] == "TC-02")
    assert control["ready"] is False
    assert control["requirements"][0]["windows"][0]["not_counted"] == ["EV-TC-02-2026Q1"]
    table = status(repo.root, "table")
    assert f"EV-TC-02-2026Q1 not counted: {reasons[0]}; {reasons[1]}" in table
    assert "Evidence records not counted: 1 (verified against their files and Git history)" in table
    markdown = plain(status(repo.root, "md"))
    assert f"| 2026-Q1 | TC-02 | review | IT Manager | 2026-04-30 | EV-TC-02-2026Q1 not counted: {reasons[0]}" in markdown
    assert f"| EV-TC-02-2026Q1 | TC-02 | {TC02_Q1} | {reasons[0]}; {reasons[1]} |" in markdown
    assert edit  # the commit exists; the reason names its day


def test_a_file_and_record_rewritten_together_count_only_without_history(repo: GitRepo) -> None:
    """The digests agree again, so only Git history shows the evidence was rewritten after it was committed."""
    repo.write(OWN_FILE, "TC-02 access review, signed by nobody\n")
    old = repo.read(TC02_Q1).split("sha256: ")[1].strip()
    repo.replace(TC02_Q1, old, sha((repo.root / OWN_FILE).read_bytes()))
    repo.commit("Refresh the TC-02 review", date="2026-05-03T12:00:00+00:00")

    report = json.loads(status(repo.root, "json"))

    assert missing_windows(report) == [TC02_WINDOW]
    assert report["not_counted"][0]["reasons"] == [
        "the record was modified on 2026-05-03, after it was committed on 2026-04-02",
        f"file {OWN_FILE} was modified on 2026-05-03, after it was committed on 2026-04-02",
    ]
    assert "EV-TC-02-2026Q1 not counted: the record was modified on 2026-05-03" in status(repo.root, "table")
    # `check` reads no history: from the files alone the record is good, and it counts there.
    program = load_program(repo.root, use_cache=False)
    assert not [d for d in program.diagnostics if d.severity.value == "error"]
    assert assess(program).not_counted == []


def test_a_back_dated_record_does_not_count(repo: GitRepo) -> None:
    """Q2 evidence for TC-05 never arrived on time; months later a record claims it was collected then."""
    record = "evidence/TC-05/q2.yaml"
    text = repo.read(record)
    repo.remove(record)
    repo.commit("Drop the TC-05 Q2 record", date="2026-07-03T12:00:00+00:00")
    repo.write("evidence/TC-05/q2-late.yaml", text)
    repo.commit("Add the missing TC-05 review", date="2026-10-20T12:00:00+00:00")

    report = json.loads(status(repo.root, "json"))

    assert missing_windows(report) == [("TC-05", "review", "2026-Q2")]
    reason = "collected 2026-07-02 but first committed on 2026-10-20, more than 30 days later (back-dated?)"
    assert report["missing_windows"][0]["not_counted"] == [{"record": "EV-TC-05-2026Q2", "reasons": [reason]}]
    assert f"EV-TC-05-2026Q2 not counted: {reason}" in status(repo.root, "table")
    assert f"| EV-TC-05-2026Q2 | TC-05 | evidence/TC-05/q2-late.yaml | {reason} |" in plain(status(repo.root, "md"))
    verify = run_cli("evidence", "verify", "--root", str(repo.root), "--no-cache", "--format", "json")
    assert [(d["code"], d["path"], d["line"]) for d in json.loads(verify.stdout)["diagnostics"]] == [
        ("SK410", "evidence/TC-05/q2-late.yaml", 4)
    ]
    assert verify.returncode == 1


def test_a_record_committed_before_its_collected_date_does_not_count(repo: GitRepo) -> None:
    text = repo.read("evidence/TC-06/q2.yaml")
    repo.remove("evidence/TC-06/q2.yaml")
    repo.commit("Drop the TC-06 Q2 record", date="2026-07-02T13:00:00+00:00")
    text = text.replace("collected: 2026-07-02", "collected: 2026-07-20").replace("EV-TC-06-2026Q2", "EV-TC-06-2026Q2B")
    repo.write("evidence/TC-06/q2b.yaml", text)
    repo.commit("Record the TC-06 review ahead of time", date="2026-07-05T12:00:00+00:00")

    report = json.loads(status(repo.root, "json"))

    assert missing_windows(report) == [("TC-06", "review", "2026-Q2")]
    assert report["not_counted"][0]["record"] == "EV-TC-06-2026Q2B"
    assert report["not_counted"][0]["reasons"] == ["collected 2026-07-20, after the commit that added it on 2026-07-05"]


def test_late_evidence_within_the_grace_period_counts(repo: GitRepo) -> None:
    text = repo.read("evidence/TC-07/q2.yaml")
    repo.remove("evidence/TC-07/q2.yaml")
    repo.commit("Drop", date="2026-07-02T13:00:00+00:00")
    repo.write("evidence/TC-07/q2-again.yaml", text)
    repo.commit("Add the TC-07 review a month late", date="2026-08-01T12:00:00+00:00")  # 2026-07-02 + 30 days

    report = json.loads(status(repo.root, "json"))

    assert (report["not_counted"], report["missing_windows"]) == ([], [])


def test_a_record_without_files_is_a_finding_and_satisfies_nothing(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program", quarters=2)
    program.replace(
        "evidence/TC-04/q1.yaml",
        program.read("evidence/TC-04/q1.yaml").split("files:")[1],
        " []\n",
    )

    code, report = program.check_json()

    assert code == 1
    assert [(d["code"], d["path"], d["line"], d["severity"]) for d in report["diagnostics"]] == [
        ("SK501", "controls/TC-04.md", 11, "warning"),  # the record satisfies nothing, so Q1 is missing
        ("SK409", "evidence/TC-04/q1.yaml", 7, "error"),
    ]
    readiness = json.loads(status(program.root, "json"))
    assert missing_windows(readiness) == [("TC-04", "review", "2026-Q1")]
    assert readiness["not_counted"][0]["reasons"] == ["it lists no files"]
    assert readiness["evidence_checks"] == {"files": True, "history": False}
    assert "EV-TC-04-2026Q1 not counted: it lists no files" in status(program.root, "table")


def test_a_control_whose_only_records_fail_is_asked_for_evidence_while_the_period_runs(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program")
    program.replace("evidence/TC-04/q1.yaml", program.read("evidence/TC-04/q1.yaml").split("files:")[1], " []\n")

    found = load_program(program.root, use_cache=False, today=date(2026, 5, 10)).diagnostics

    assert [(d.code, d.path, d.message) for d in found] == [
        (
            "SK403",
            "controls/TC-04.md",
            "control TC-04 has no evidence record that counts yet: EV-TC-04-2026Q1 fails verification",
        ),
        (
            "SK409",
            "evidence/TC-04/q1.yaml",
            "evidence record EV-TC-04-2026Q1 lists no files, so it shows nothing and satisfies no window",
        ),
    ]


EXCLUDE_CC92 = "  categories: [security]\n  exclusions:\n    - criterion: CC9.2\n      reason: No vendors hold our data.\n"


def without_evidence(program: ProgramDir, control: str) -> None:
    for path in (program.root / "evidence" / control).glob("*.yaml"):
        path.unlink()


@pytest.mark.parametrize(
    ("change", "out_of_scope"),
    [("exclude", ["TC-09", "TC-10"]), ("out-of-scope", ["TC-10"])],
)
def test_a_control_outside_the_scope_is_asked_for_no_evidence(tmp_path: Path, change: str, out_of_scope: list[str]) -> None:
    program = make_program(tmp_path / "program", quarters=2)
    if change == "exclude":
        program.replace("soc2kit.yml", "  categories: [security]\n", EXCLUDE_CC92)
        program.write("controls/TC-10.md", program.read("controls/TC-09.md").replace("TC-09", "TC-10"))
    else:
        program.write("controls/TC-10.md", program.read("controls/TC-09.md").replace("TC-09", "TC-10").replace("CC9.2", "A1.2"))
    without_evidence(program, "TC-10")

    for today in (date(2026, 5, 10), date(2026, 11, 1)):  # while the period runs (SK403), after it (SK501)
        loaded = load_program(program.root, use_cache=False, today=today)
        for control in out_of_scope:
            about = [d.code for d in loaded.diagnostics if d.path == f"controls/{control}.md"]
            assert about == ["SK205"], (today, control)  # "maps only to criteria out of scope or excluded", nothing more
        assert not {c.control.id for c in assess(loaded).controls} & set(out_of_scope)
    report = json.loads(status(program.root, "json"))
    assert not {c["id"] for c in report["controls"]} & set(out_of_scope)
    assert report["summary"]["controls"]["out_of_scope"] == len(out_of_scope)


def test_the_portal_dashboard_counts_what_status_counts(repo: GitRepo) -> None:
    from soc2kit.site.pages import dashboard
    from soc2kit.site.portal import load_portal

    repo.write(OWN_FILE, "TC-02 access review, signed by nobody\n")
    repo.commit("Tidy the TC-02 review", date="2026-05-03T12:00:00+00:00")
    report = json.loads(status(repo.root, "json"))

    portal = load_portal(repo.root, use_cache=False)
    readiness = portal.readiness

    assert readiness.summary()["windows"] == report["summary"]["windows"]
    assert (readiness.score.ready, readiness.score.total) == (report["score"]["ready"], report["score"]["total"])
    assert [(n.record, n.reasons) for n in readiness.not_counted] == [
        (n["record"], tuple(n["reasons"])) for n in report["not_counted"]
    ]
    page = dashboard.page(portal).markdown
    assert "## Evidence not counted" in page
    assert "EV\\-TC\\-02\\-2026Q1" in page or "EV-TC-02-2026Q1" in page


def test_a_shallow_clone_does_not_make_every_record_look_back_dated(repo: GitRepo, tmp_path: Path) -> None:
    """CI checks out one commit by default: its cut-off commit seems to add every record on its own day."""
    clone = repo.shallow_clone(tmp_path / "clone", depth=1)
    report = json.loads(status(clone.root, "json"))
    assert (report["not_counted"], report["missing_windows"]) == ([], [])
    assert report["evidence_checks"] == {"files": True, "history": True}


def test_verify_and_readiness_share_one_definition_of_good_evidence(repo: GitRepo) -> None:
    from soc2kit.evidence import evidence_flaws, verify_evidence
    from soc2kit.history import load_history

    repo.write(OWN_FILE, "TC-02 access review, signed by nobody\n")  # SK402, SK406
    repo.commit("Tidy the TC-02 review", date="2026-05-03T12:00:00+00:00")
    late = repo.read("evidence/TC-05/q2.yaml").replace("EV-TC-05-2026Q2", "EV-TC-05-2026Q2-LATE")
    repo.write("evidence/TC-05/q2-late.yaml", late)  # SK410
    empty = repo.read("evidence/TC-08/q2.yaml").replace("EV-TC-08-2026Q2", "EV-TC-08-2026Q2-EMPTY")
    repo.write("evidence/TC-08/q2-empty.yaml", empty.split("files:")[0] + "files: []\n")  # SK409
    repo.commit("More evidence", date="2026-10-20T12:00:00+00:00")
    program = load_program(repo.root, use_cache=False)
    history = load_history(repo.root)

    flaws = evidence_flaws(program, history)
    errors = {
        (d.code, d.path, d.line, d.message)
        for d in verify_evidence(program, history)
        if d.severity.value == "error" and d.code.startswith("SK4")
    }

    assert errors == {(f.finding.code, f.finding.path, f.finding.line, f.finding.message) for v in flaws.values() for f in v}
    assert {code for code, *_ in errors} == {"SK402", "SK406", "SK409", "SK410"}
    assert (
        {n.record for n in assess(program, history=history).not_counted}
        == set(flaws)
        == {
            "EV-TC-02-2026Q1",
            "EV-TC-05-2026Q2-LATE",
            "EV-TC-08-2026Q2-EMPTY",
        }
    )
