"""The control matrix: its two tables, the workbook that holds exactly the CSV's cells, formula
neutralising in both, arrival commits from Git, deviations in the windows, and the command."""

from __future__ import annotations

import csv
import io
import shutil
from datetime import date
from pathlib import Path

import openpyxl
import pytest

from soc2kit.history import load_history
from soc2kit.matrix import build_matrix, plain_text
from soc2kit.program import read_program
from soc2kit.readiness import assess, view_of
from soc2kit.tables import XLSX_CELL_LIMIT, Table, cell, csv_bytes, xlsx_bytes
from tests.conftest import CARVE_OUT, make_program, run_cli
from tests.gitrepo import GitRepo

TODAY = date(2026, 9, 1)
HOSTILE_TITLE = '=HYPERLINK("http://127.0.0.1/x","click")'

DEVIATION = """\
deviations:
  - id: DEV-001
    control: TC-02
    requirement: review
    window: 2026-Q2
    description: The Q2 review was not done.
    cause: The reviewer left.
    effect: None found on a later review.
    remediation: A deputy reviewer was named.
    management_response: Accepted.
    approved_by: CTO
    approved_on: 2026-07-15
"""


def _program_files(root: Path) -> None:
    make_program(root)
    (root / "registers").mkdir()
    (root / "registers" / "subservice-organizations.yml").write_text(CARVE_OUT, encoding="utf-8")
    (root / "registers" / "deviations.yml").write_text(DEVIATION, encoding="utf-8")
    tc03 = root / "controls" / "TC-03.md"
    text = tc03.read_text(encoding="utf-8")
    text = text.replace("title: Control TC-03", f"title: '{HOSTILE_TITLE}'")
    text = text.replace(
        "The IT Manager reviews access.",
        "The **IT Manager** reviews [access](https://example.com/a) with `idp`.\nIt continues here.\n\n- first item\n- second\n  item",
    )
    tc03.write_text(text, encoding="utf-8")


def _matrix(root: Path, *, history: bool):
    program = read_program(root, today=TODAY, use_cache=False)
    found = load_history(program.root) if history else None
    readiness = assess(program, view_of(program), history=found)
    return build_matrix(program, readiness, history=found)


def _rows(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"))))


def _sheet(workbook: openpyxl.Workbook, name: str) -> list[list[str]]:
    return [["" if value is None else value for value in row] for row in workbook[name].iter_rows(values_only=True)]


@pytest.fixture(scope="module")
def committed(tmp_path_factory) -> GitRepo:
    repo = GitRepo.create(tmp_path_factory.mktemp("matrix") / "repo")
    _program_files(repo.root)
    evidence = {p: p.read_bytes() for p in sorted((repo.root / "evidence").rglob("*")) if p.is_file()}
    shutil.rmtree(repo.root / "evidence")
    repo.commit("Start", date="2025-12-01T10:00:00+00:00")
    for path, data in evidence.items():
        repo.write(str(path.relative_to(repo.root)), data)
    repo.commit("Q1 evidence", date="2026-04-03T10:00:00+00:00")
    return repo


def test_one_row_per_criterion_and_control_with_what_the_control_is(committed):
    files = _matrix(committed.root, history=True).csv_files()
    rows = _rows(files["control-matrix.csv"])
    row = next(r for r in rows if (r["criterion"], r["control"]) == ("CC1.1", "TC-01"))
    assert row["description"] == "The IT Manager reviews access."
    assert row["test_procedure"] == "1. Inspect the review for a sample of quarters."
    assert (row["kind"], row["automation"], row["owner"], row["frequency"], row["policies"]) == (
        "detective",
        "manual",
        "IT Manager",
        "quarterly",
        "POL-ISP",
    )
    assert row["evidence"] == "EV-TC-01-2026Q1"
    assert (row["design"], row["design_records"]) == ("designed", "")
    assert {(r["criterion"], r["control"]) for r in rows if r["control"] == "TC-01"} == {
        ("CC1.1", "TC-01"),
        ("CC1.2", "TC-01"),
        ("CC1.3", "TC-01"),
        ("CC1.4", "TC-01"),
    }
    carved = next(r for r in rows if r["criterion"] == "CC6.4")
    assert carved["subservice_controls"] == "CSOC-CLOUDCO-01 (CloudCo Hosting)"
    assert carved["carved_out"] == "cloudco"


def test_the_description_is_plain_text():
    assert plain_text("The **IT Manager** reviews [access](https://x) with `idp`.\nIt goes on.\n\n- one\n- two\n  more") == (
        "The IT Manager reviews access with idp. It goes on.\n- one\n- two more"
    )


def test_each_run_of_windows_names_its_records_collectors_and_arrival_commits(committed):
    rows = _rows(_matrix(committed.root, history=True).csv_files()["control-windows.csv"])
    q1_commit = committed.git("log", "-1", "--format=%H", "--", "evidence/TC-01/q1.yaml").strip()
    tc01 = [r for r in rows if r["control"] == "TC-01"]
    assert [(r["windows"], r["window_count"], r["state"]) for r in tc01] == [
        ("2026-Q1", "1", "satisfied"),
        ("2026-Q2", "1", "missing"),
    ]
    assert (tc01[0]["records"], tc01[0]["collectors"], tc01[0]["arrival_commits"]) == (
        "EV-TC-01-2026Q1",
        "alice@example.com",
        q1_commit,
    )
    assert tc01[1]["records"] == tc01[1]["arrival_commits"] == ""


def test_an_approved_deviation_shows_as_exception_noted_with_what_happened(committed):
    rows = _rows(_matrix(committed.root, history=True).csv_files()["control-windows.csv"])
    q2 = next(r for r in rows if r["control"] == "TC-02" and r["windows"] == "2026-Q2")
    assert q2["state"] == "exception noted"
    assert q2["deviations"] == "DEV-001"
    assert q2["deviation_details"] == "DEV-001: The Q2 review was not done."


def test_without_git_the_arrival_commits_are_empty(tmp_path):
    _program_files(tmp_path / "program")
    rows = _rows(_matrix(tmp_path / "program", history=True).csv_files()["control-windows.csv"])
    satisfied = [r for r in rows if r["state"] == "satisfied"]
    assert satisfied
    assert all(r["records"] and r["collectors"] == "alice@example.com" and r["arrival_commits"] == "" for r in satisfied)


def test_the_workbook_holds_exactly_what_the_csv_files_hold(committed):
    built = _matrix(committed.root, history=True)
    files = built.csv_files()
    workbook = openpyxl.load_workbook(io.BytesIO(built.xlsx()))
    assert workbook.sheetnames == ["control-matrix", "control-windows"]
    for name in workbook.sheetnames:
        expected = list(csv.reader(io.StringIO(files[f"{name}.csv"].decode("utf-8"))))
        assert _sheet(workbook, name) == expected
    assert len(expected) > 10


def test_a_formula_in_a_program_value_is_text_in_both_formats(committed):
    built = _matrix(committed.root, history=True)
    rows = _rows(built.csv_files()["control-matrix.csv"])
    titles = {r["control_title"] for r in rows if r["control"] == "TC-03"}
    assert titles == {"'" + HOSTILE_TITLE}
    sheet = openpyxl.load_workbook(io.BytesIO(built.xlsx()))["control-matrix"]
    cells = [c for row in sheet.iter_rows() for c in row if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells
    assert all(c.data_type == "s" and c.value.startswith("'=") for c in cells)


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\n=1"),
        ("  =1", "'  =1"),
        ("\uff1dcmd", "'\uff1dcmd"),
        ("a\r\nb", "a\nb"),
        ("bell\x07 and \u202eflip", "bell\ufffd and \ufffdflip"),
        ("safe = text", "safe = text"),
        (None, ""),
        (["a", "b"], "a; b"),
    ],
)
def test_cells_are_neutralised(value, shown):
    assert cell(value) == shown


def test_hostile_cells_read_back_from_the_workbook_as_the_csv_has_them():
    table = Table("t", ("a",))
    for value in ("=1+1", "_x0041_ literal", "tab\tinside", "line\nbreak", "\u0000nul", "x" * (XLSX_CELL_LIMIT + 10), "-"):
        table.add((value,))
    from datetime import UTC, datetime

    data = xlsx_bytes([table], datetime(2026, 1, 1, tzinfo=UTC))
    expected = list(csv.reader(io.StringIO(csv_bytes(table).decode("utf-8"))))
    assert _sheet(openpyxl.load_workbook(io.BytesIO(data)), "t") == expected
    assert len(expected[6][0]) == XLSX_CELL_LIMIT
    assert xlsx_bytes([table], datetime(2026, 1, 1, tzinfo=UTC)) == data


def test_the_command_writes_csv_and_a_reproducible_workbook(committed, tmp_path):
    result = run_cli("matrix", "--root", str(committed.root))
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("criterion,criterion_title,control,")
    windows = run_cli("matrix", "--root", str(committed.root), "--windows")
    assert windows.stdout.startswith("control,requirement,frequency,")
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    assert run_cli("matrix", "--root", str(committed.root), "--format", "xlsx", "-o", str(first)).returncode == 0
    assert run_cli("matrix", "--root", str(committed.root), "--format", "xlsx", "-o", str(second)).returncode == 0
    assert first.read_bytes() == second.read_bytes()
    sheet = _sheet(openpyxl.load_workbook(first), "control-matrix")
    assert sheet == list(csv.reader(io.StringIO(result.stdout)))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (("--format", "xlsx"), "give --output FILE.xlsx"),
        (("--format", "xlsx", "--windows", "-o", "{tmp}/x.xlsx"), "--windows picks one table for CSV"),
        (("--format", "pdf"), "Invalid value for '--format'"),
        (("--as-of", "2026-06-30", "--period", "2026-01-01..2026-06-30"), "not both"),
    ],
)
def test_bad_arguments_are_one_line_and_exit_2(committed, tmp_path, arguments, message):
    result = run_cli("matrix", "--root", str(committed.root), *(a.format(tmp=tmp_path) for a in arguments))
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "x.xlsx").exists()


def test_an_unusable_config_exits_2(tmp_path):
    root = tmp_path / "program"
    make_program(root)
    (root / "soc2kit.yml").write_text("organization: [\n", encoding="utf-8")
    result = run_cli("matrix", "--root", str(root))
    assert result.returncode == 2
    assert "soc2kit.yml is not usable" in result.stderr


def test_a_control_with_an_exception_says_so_in_its_row(committed):
    rows = _rows(_matrix(committed.root, history=True).csv_files()["control-matrix.csv"])
    tc02 = [r for r in rows if r["control"] == "TC-02"]
    assert tc02
    assert all("exceptions noted: DEV-001" in r["note"] for r in tc02)


def test_type_1_is_design_only_no_windows(committed):
    program = read_program(committed.root, today=TODAY, use_cache=False)
    history = load_history(program.root)
    built = build_matrix(program, assess(program, view_of(program, as_of=date(2026, 5, 15)), history=history), history=history)
    files = built.csv_files()
    assert _rows(files["control-windows.csv"]) == []
    rows = _rows(files["control-matrix.csv"])
    assert {r["design"] for r in rows if r["control"] == "TC-01"} == {"designed"}
    assert built.created.date() == date(2026, 5, 15)
    early = build_matrix(program, assess(program, view_of(program, as_of=date(2026, 2, 1)), history=history), history=history)
    undesigned = {r["design"] for r in _rows(early.csv_files()["control-matrix.csv"]) if r["control"] == "TC-01"}
    assert len(undesigned) == 1
    assert undesigned.pop().startswith("not designed: ")


def test_the_command_writes_a_csv_file(committed, tmp_path):
    target = tmp_path / "windows.csv"
    result = run_cli("matrix", "--root", str(committed.root), "--windows", "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert target.read_text(encoding="utf-8").startswith("control,requirement,frequency,windows,window_count,")
