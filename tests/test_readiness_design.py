"""Type I tests design as of a date; Type II tests design and operation over the period. Design
records (`purpose: design`) count for design only and carry forward from an earlier Type I. Real
programs, a real Git repository where the arrival of a record matters, and a real `soc2kit init`."""

from __future__ import annotations

import hashlib
import json
from datetime import date
from pathlib import Path

import pytest
import yaml

from soc2kit.loader import load_program
from soc2kit.readiness import assess
from tests.conftest import CONTROL, ProgramDir, make_program, run_cli
from tests.gitrepo import GitRepo

TYPE1 = "  type: type1\n  as_of: 2026-03-31"
TYPE2 = "  type: type2\n  period: {start: 2026-01-01, end: 2026-06-30}"
WALKTHROUGH = "evidence/TC-01/walkthrough.txt"


def design_record(program: ProgramDir, record_id: str, control: str, collected: str, *, covers: str = "") -> None:
    sha = hashlib.sha256(program.write(WALKTHROUGH, "walkthrough of the access review with the IT Manager\n").read_bytes())
    program.write(
        f"evidence/{control}/design.yaml",
        f"id: {record_id}\ncontrol: {control}\nrequirement: review\npurpose: design\ncollected: {collected}\n{covers}"
        f"collector: auditor-liaison@example.com\nfiles:\n  - path: ../TC-01/walkthrough.txt\n    sha256: {sha.hexdigest()}\n",
    )


def type1_program(root: Path) -> ProgramDir:
    """The nine-control program as a Type I as of 2026-03-31: its Q1 records (collected 2026-04-02) come too late."""
    program = make_program(root)
    program.replace("soc2kit.yml", TYPE2, TYPE1)
    return program


def test_a_design_record_makes_a_type1_control_designed(tmp_path: Path) -> None:
    program = type1_program(tmp_path / "p")
    design_record(program, "EV-TC-01-DESIGN", "TC-01", "2026-03-20")
    readiness = assess(load_program(program.root, use_cache=False, today=date(2026, 5, 1)))
    statuses = {c.control.id: c for c in readiness.controls}
    assert statuses["TC-01"].designed
    assert statuses["TC-01"].design_records == ["EV-TC-01-DESIGN"]
    assert statuses["TC-01"].requirements[0].records == 0  # a design record is no operating record
    assert [c for c in statuses if statuses[c].designed] == ["TC-01"]
    assert next(g for g in readiness.gaps if g.id == "TC-02").missing == (
        "no design record or other evidence on or before 2026-03-31",
    )


def test_sk731_names_each_type1_control_without_a_design_record_once_the_date_has_passed(tmp_path: Path) -> None:
    program = type1_program(tmp_path / "p")
    design_record(program, "EV-TC-01-DESIGN", "TC-01", "2026-03-20")
    before = load_program(program.root, use_cache=False, today=date(2026, 3, 30))
    assert not [d for d in before.diagnostics if d.code == "SK731"]
    after = load_program(program.root, use_cache=False, today=date(2026, 5, 1))
    found = [(d.path, d.line, d.message) for d in after.diagnostics if d.code == "SK731"]
    assert [path for path, _, _ in found] == [f"controls/TC-0{n}.md" for n in range(2, 10)]
    assert found[0][1] == 10  # the `evidence:` line
    assert found[0][2] == "as of 2026-03-31, control TC-02 has no design record or other evidence that counts"
    # The hint is the command that fixes it (it used to say only "with `purpose: design` in its evidence record").
    hint = next(d.hint for d in after.diagnostics if d.code == "SK731")
    assert hint.endswith("`soc2kit evidence add TC-02 FILE --purpose design --collected 2026-03-31`")
    assert not [d for d in after.diagnostics if d.code in {"SK501", "SK502"}]


def test_a_control_whose_procedure_is_not_described_is_not_designed(tmp_path: Path) -> None:
    program = make_program(tmp_path / "p")
    program.replace("controls/TC-02.md", "The IT Manager reviews access.\n", "")
    program.write("controls/TC-03.md", CONTROL.format(id="TC-03", criteria="CC3.1").replace("## Description\n", ""))
    readiness = assess(load_program(program.root, use_cache=False, today=date(2026, 5, 1)))
    statuses = {c.control.id: c for c in readiness.controls}
    for control in ("TC-02", "TC-03"):
        assert statuses[control].design["procedure_described"] is False
        assert not statuses[control].designed
        assert "its procedure is not described (the Description section is missing or empty)" in statuses[control].design_problems
    assert statuses["TC-01"].design["procedure_described"] is True


def test_type2_design_records_carry_forward_and_satisfy_no_window(tmp_path: Path) -> None:
    """An earlier Type I as of 2025-12-31 left a design record; the 2026-H1 Type II counts it for design only."""
    repo = GitRepo.create(tmp_path / "repo")
    program = make_program(repo.root)
    (repo.root / "evidence/TC-01/q1.yaml").unlink()
    repo.commit("Start the SOC 2 program", date="2025-12-01T09:00:00+00:00")
    # Its covers range would satisfy 2026-Q1 if it were an operating record.
    design_record(program, "EV-TC-01-DESIGN", "TC-01", "2025-12-10", covers="covers: {start: 2026-01-01, end: 2026-03-31}\n")
    repo.commit("Type I design walkthrough of TC-01", date="2025-12-10T15:00:00+00:00")
    readiness = assess(load_program(repo.root, use_cache=False, today=date(2026, 8, 1)))
    tc01 = next(c for c in readiness.controls if c.control.id == "TC-01")
    assert tc01.designed
    assert tc01.design_records == ["EV-TC-01-DESIGN"]
    assert [(w.window.label, w.state, w.records) for w in tc01.requirements[0].windows] == [
        ("2026-Q1", "missing", ()),
        ("2026-Q2", "missing", ()),
    ]
    assert tc01.operating is False
    assert not tc01.ready
    report = json.loads(run_cli("status", str(repo.root), "--format", "json", "--no-cache").stdout)
    assert report["evidence_checks"]["history"] is True
    # Committed on its collected day, it counts, for design (the Q1 records of the others came in the first commit).
    assert "EV-TC-01-DESIGN" not in {n["record"] for n in report["not_counted"]}
    control = next(c for c in report["controls"] if c["id"] == "TC-01")
    assert (control["designed"], control["design_records"], control["operating"]) == (True, ["EV-TC-01-DESIGN"], False)
    # A design record's range is not held against the period or the windows (SK505, SK507).
    codes = {d.code for d in load_program(repo.root, use_cache=False, today=date(2026, 8, 1)).diagnostics}
    assert not codes & {"SK505", "SK507"}


def test_the_same_program_as_type1_then_type2_reports_design_and_operation_separately(tmp_path: Path) -> None:
    program = type1_program(tmp_path / "p")
    design_record(program, "EV-TC-01-DESIGN", "TC-01", "2026-03-20")
    type1 = run_cli("status", str(program.root), "--no-cache").stdout
    assert "Design: 1 of 9 controls designed (policy, owner, procedure, design record), 1 ready" in type1
    assert "Operation: not tested; a Type I examines design as of 2026-03-31 and demands no evidence window" in type1
    program.replace("soc2kit.yml", TYPE1, TYPE2)
    type2 = run_cli("status", str(program.root), "--no-cache").stdout
    assert "Design: 9 of 9 controls designed (policy, owner, procedure, design record), 0 ready" in type2
    assert "Operation: 0 of 9 controls operating, 0 with exceptions noted" in type2
    assert "9 of 18 satisfied, 0 exception noted, 9 missing" in type2  # Q1 has records; Q2 has none


def test_init_explains_the_type1_and_type2_choice(tmp_path: Path) -> None:
    result = run_cli("init", str(tmp_path / "one"), "--no-git", "--as-of", "2026-06-30")
    assert result.returncode == 0, result.stderr
    assert "Audit: Type I as of 2026-06-30: the design of each control is tested as of that date" in result.stdout
    assert "For a Type II (operation over a 3 to 12 month period)" in result.stdout
    config = (tmp_path / "one" / "soc2kit.yml").read_text(encoding="utf-8")
    assert "# The examination. type1 (with as_of): the auditor tests the design of the controls as of one date;" in config
    assert "purpose: design" in config
    assert yaml.safe_load(config)["audit"]["type"] == "type1"
    result = run_cli(
        "init", str(tmp_path / "two"), "--no-git", "--type", "type2", "--period-start", "2026-01-01", "--period-end", "2026-06-30"
    )
    assert result.returncode == 0, result.stderr
    assert "Audit: Type II over 2026-01-01..2026-06-30" in result.stdout
    assert "Design records of an earlier Type I carry forward." in result.stdout


def test_the_procedure_check_parses_no_control_again_on_a_warm_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from soc2kit import documents
    from soc2kit.program import read_program

    program = make_program(tmp_path / "p")
    program.replace("controls/TC-02.md", "The IT Manager reviews access.\n", "")
    read_program(program.root)  # fills the cache
    warm = read_program(program.root)
    parsed: list[str] = []
    real = documents.read_document
    monkeypatch.setattr(
        documents, "read_document", lambda root, path, *a, **k: (parsed.append(path), real(root, path, *a, **k))[1]
    )
    readiness = assess(warm)
    assert parsed == []
    assert [c.control.id for c in readiness.controls if not c.design["procedure_described"]] == ["TC-02"]
