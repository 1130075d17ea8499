"""`soc2kit init` and `soc2kit new`: real programs in temp dirs, checked with the real checker."""

from __future__ import annotations

import json
import re
from datetime import date
from itertools import combinations
from pathlib import Path

import git
import pytest

from soc2kit.errors import UsageError
from soc2kit.evidence import AddRequest, add_evidence
from soc2kit.loader import load_program
from soc2kit.new import NewControl, NewPolicy, new_control, new_evidence, new_policy
from soc2kit.rules.content import PLACEHOLDER
from soc2kit.schema_line import schema_line
from soc2kit.starter import InitOptions, init_program
from tests.conftest import run_cli

CATEGORIES = ("security", "availability", "confidentiality", "processing-integrity", "privacy")
# Every non-empty choice of the five categories: 31 ways to call --categories. Security is always
# added, so they make the 16 scopes "security plus any subset of the four optional categories".
SUBSETS = [combo for size in range(1, len(CATEGORIES) + 1) for combo in combinations(CATEGORIES, size)]
TODAY = date(2026, 11, 22)


def test_every_choice_of_categories_is_tested() -> None:
    assert len(SUBSETS) == 31
    assert len({frozenset(("security", *combo)) for combo in SUBSETS}) == 16


@pytest.mark.parametrize("categories", SUBSETS, ids="+".join)
def test_init_passes_check_for_every_scope(tmp_path: Path, categories: tuple[str, ...]) -> None:
    target = tmp_path / "program"
    options = InitOptions(organization="Globex Corp", system="Globex Cloud", categories=categories, git=False)
    result = init_program(target, options, today=TODAY)
    program = load_program(target, use_cache=False, today=TODAY)
    # No error: the program passes the gate from its first push. The policies are drafts the company
    # has not approved: soc2kit.yml reports that (SK304) as a warning while the program is adopted,
    # once per policy; they take effect on the audit date, which is not late (no SK305).
    assert program.errors == [], [(d.code, d.path, d.message) for d in program.errors[:5]]
    assert sorted((d.code, d.path) for d in program.diagnostics if d.code == "SK304") == sorted(
        ("SK304", program.source("policy", p).path) for p in program.policies
    )
    assert program.config.rules == {"policy-not-approved": "warning", "subservice-report-missing": "warning"}
    # The starter's example report dates are Acme's: the new program records none, and says so for
    # each carve-out as a warning while it is adopted.
    assert program.subservice_organizations
    assert all(organization.report is None for organization in program.subservice_organizations.values())
    assert {d.code for d in program.diagnostics if d.path == "registers/subservice-organizations.yml"} == {"SK711"}
    expected = ["security", *(c for c in categories if c != "security")]
    assert program.config.scope.categories == expected
    in_scope = {c.id for c in program.criteria_in_scope()}
    for control in program.controls.values():
        assert in_scope & set(control.criteria), f"{control.id} kept although all its criteria are out of scope"
    assert result.controls == len(program.controls)
    for dropped in result.dropped_controls:
        assert dropped not in program.controls
    for policy in program.policies.values():
        assert policy.status == "draft"
        text = (target / program.source("policy", policy.id).path).read_text()
        assert "Acme" not in text
    assert program.evidence == {}


def test_init_makes_the_first_commit(tmp_path: Path) -> None:
    result = run_cli(
        "init",
        str(tmp_path / "acme"),
        "--org",
        "Initech",
        "--type",
        "type2",
        "--period-start",
        "2026-01-01",
        "--period-end",
        "2026-06-30",
    )
    assert result.returncode == 0, result.stderr
    repo = git.Repo(tmp_path / "acme")
    assert repo.head.commit.message.startswith("Start the SOC 2 program for Initech")
    assert not repo.is_dirty(untracked_files=True)
    assert "soc2kit.yml" in [item.path for item in repo.head.commit.tree.traverse()]
    checked = run_cli("check", str(tmp_path / "acme"), "--format", "json")
    assert checked.returncode == 0, checked.stdout
    diagnostics = json.loads(checked.stdout)["diagnostics"]
    drafts = [d for d in diagnostics if d["code"] == "SK304"]
    assert drafts
    assert all(d["severity"] == "warning" and " is draft, not approved, and control" in d["message"] for d in drafts)
    assert not any(d["code"] in ("SK305", "SK411") for d in diagnostics)


def test_init_keeps_comments_in_config(tmp_path: Path) -> None:
    init_program(tmp_path / "p", InitOptions(git=False), today=TODAY)
    config = (tmp_path / "p" / "soc2kit.yml").read_text()
    assert config.startswith(schema_line("config") + "\n# soc2kit program configuration")  # the editor's schema line first
    assert "as_of: 2026-11-22" in config


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--categories", "security,avilability"], "unknown category avilability"),
        (["--type", "type2", "--period-start", "2026-06-30", "--period-end", "2026-01-01"], "ends (2026-01-01) before it starts"),
        (["--type", "type2", "--period-start", "2026-01-01"], "needs --period-end"),
        (["--type", "type2", "--period-start", "2026-13-01", "--period-end", "2026-06-30"], "not an ISO date"),
        (
            ["--as-of", "2026-01-01", "--type", "type2", "--period-start", "2026-01-01", "--period-end", "2026-06-30"],
            "--as-of is for a type1",
        ),
    ],
)
def test_init_bad_input_writes_nothing(tmp_path: Path, args: list[str], message: str) -> None:
    target = tmp_path / "new"
    result = run_cli("init", str(target), "--no-git", *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []


def test_init_refuses_an_existing_program(tmp_path: Path) -> None:
    init_program(tmp_path / "p", InitOptions(git=False), today=TODAY)
    before = (tmp_path / "p" / "soc2kit.yml").read_bytes()
    with pytest.raises(UsageError, match="already holds a soc2kit program"):
        init_program(tmp_path / "p", InitOptions(git=False, force=True), today=TODAY)
    assert (tmp_path / "p" / "soc2kit.yml").read_bytes() == before


def test_init_non_empty_directory_needs_force_and_keeps_files(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    target.mkdir()
    (target / "notes.txt").write_text("mine")
    (target / ".gitignore").write_text("node_modules/\n")
    with pytest.raises(UsageError, match="not empty"):
        init_program(target, InitOptions(git=False), today=TODAY)
    assert sorted(p.name for p in target.iterdir()) == [".gitignore", "notes.txt"]
    init_program(target, InitOptions(git=False, force=True), today=TODAY)
    assert (target / "notes.txt").read_text() == "mine"
    assert (target / ".gitignore").read_text() == "node_modules/\n"
    assert (target / "soc2kit.yml").is_file()


def test_init_refuses_a_clash_with_existing_folders(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    (target / "policies").mkdir(parents=True)
    with pytest.raises(UsageError, match="already has policies"):
        init_program(target, InitOptions(git=False, force=True), today=TODAY)
    assert not (target / "soc2kit.yml").exists()


def test_new_documents_get_next_ids_and_pass_check(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_program(root, InitOptions(git=False), today=TODAY)
    policy_path = new_policy(root, NewPolicy(title="Data Loss Prevention Policy"), today=TODAY)
    assert policy_path.name == "data-loss-prevention.md"
    control_path = new_control(
        root, NewControl(title="DLP alert triage", prefix="AC", criteria=("CC6.7",), policies=("POL-DLP",))
    )
    assert control_path.name == "AC-15.md"
    evidence_path = new_evidence(root, "AC-15", requirement=None, collected=TODAY, collector="alice")
    # Named as `evidence add` names a record: a folder per record, its files beside record.yaml.
    assert evidence_path == root / "evidence" / "AC-15" / "2026-11-22-dlp-alert-triage" / "record.yaml"
    program = load_program(root, use_cache=False, today=TODAY)
    # What `new` wrote is not finished: its placeholders fail check (SK014) until they are replaced.
    placeholders = {(d.path, d.line) for d in program.errors if d.code == "SK014"}
    assert placeholders == placeholder_lines(root, policy_path, control_path)
    assert "SK014" in {d.code for d in program.errors}
    assert "SK304" in {d.code for d in program.diagnostics}
    assert program.policies["POL-DLP"].status == "draft"
    assert program.controls["AC-15"].policies == ["POL-DLP"]
    assert program.evidence_of(program.controls["AC-15"])[0].id == "EV-AC-15-20261122-DLP-ALERT-TRIAGE"
    second = new_evidence(root, "AC-15", requirement=None, collected=TODAY, collector="alice")
    assert second == root / "evidence" / "AC-15" / "2026-11-22-dlp-alert-triage-2" / "record.yaml"


def test_new_refuses_to_overwrite_and_bad_references(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_program(root, InitOptions(git=False), today=TODAY)
    with pytest.raises(UsageError, match="already exists"):
        new_policy(root, NewPolicy(title="Backup Policy", policy_id="POL-BAK2"), today=TODAY)
    with pytest.raises(UsageError, match="POL-BAK already exists"):
        new_policy(root, NewPolicy(title="Other", policy_id="POL-BAK"), today=TODAY)
    with pytest.raises(UsageError, match=r"unknown criteria: CC6\.9"):
        new_control(root, NewControl(title="x", prefix="AC", criteria=("CC6.9",)))
    with pytest.raises(UsageError, match="unknown policies: POL-NOPE"):
        new_control(root, NewControl(title="x", prefix="AC", criteria=("CC6.1",), policies=("POL-NOPE",)))
    with pytest.raises(UsageError, match="unknown control 'ZZ-01'"):
        new_evidence(root, "ZZ-01", requirement=None, collected=TODAY, collector="a")


def test_new_cli_reports_errors_in_one_line(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_program(root, InitOptions(git=False), today=TODAY)
    result = run_cli("new", "control", "--root", str(root), "--title", "x", "--prefix", "a-c", "--criteria", "CC6.1")
    assert result.returncode == 2
    assert result.stderr.startswith("soc2kit: error: control prefix")
    ok = run_cli(
        "new",
        "control",
        "--root",
        str(root),
        "--title",
        "Laptop check",
        "--prefix",
        "END",
        "--criteria",
        "CC6.8",
        "--policy",
        "POL-AM",
    )
    assert ok.returncode == 0, ok.stderr
    assert "controls/END-07.md" in ok.stdout


def placeholder_lines(root: Path, *paths: Path) -> set[tuple[str, int]]:
    return {
        (path.relative_to(root).as_posix(), number)
        for path in paths
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if PLACEHOLDER in line
    }


def test_new_placeholders_fail_check_until_replaced(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_program(root, InitOptions(git=False), today=TODAY)
    policy_path = new_policy(root, NewPolicy(title="Data Loss Prevention Policy"), today=TODAY)
    control_path = new_control(root, NewControl(title="DLP alert triage", prefix="AC", criteria=("CC6.7",)))
    before = run_cli("check", str(root), "--no-cache", "--format", "json")
    assert before.returncode == 1
    found = {(d["path"], d["line"]) for d in json.loads(before.stdout)["diagnostics"] if d["code"] == "SK014"}
    assert found == placeholder_lines(root, policy_path, control_path)
    assert len(found) == 10  # five in the policy; the evidence description and four steps in the control
    for path in (policy_path, control_path):
        path.write_text(re.sub(r"TODO\(soc2kit\): (\w)", lambda m: m.group(1).upper(), path.read_text()), encoding="utf-8")
    after = run_cli("check", str(root), "--no-cache", "--format", "json")
    assert [d for d in json.loads(after.stdout)["diagnostics"] if d["code"] == "SK014"] == []


def test_placeholder_marker_only_matches_itself(tmp_path: Path) -> None:
    root = tmp_path / "p"
    init_program(root, InitOptions(git=False), today=TODAY)
    path = root / "policies" / "access-control.md"
    text = path.read_text(encoding="utf-8")
    prose = "\nTODO: a word people write. todo(soc2kit) in lower case, TODO (soc2kit) with a space.\n"
    path.write_text(text.replace("## Purpose\n", "## Purpose\n" + prose, 1), encoding="utf-8")
    program = load_program(root, use_cache=False, today=TODAY)
    assert [d for d in program.diagnostics if d.code == "SK014"] == []
    path.write_text(text.replace("owner: Head of Security", 'owner: "TODO(soc2kit): a role"', 1), encoding="utf-8")
    program = load_program(root, use_cache=False, today=TODAY)
    [diag] = [d for d in program.diagnostics if d.code == "SK014"]
    assert (diag.path, diag.line) == ("policies/access-control.md", 5)  # ---, the schema line, id, title, owner
    assert diag.message == "placeholder text is still here: 'TODO(soc2kit): a role'"


def test_new_evidence_and_evidence_add_name_records_alike(tmp_path: Path) -> None:
    # One naming scheme: each command takes the next free record ID and folder after the other's.
    root = tmp_path / "p"
    init_program(root, InitOptions(git=False), today=TODAY)
    export = tmp_path / "export.csv"
    export.write_text("user,reviewed\nalice,yes\n", encoding="utf-8")
    control = load_program(root, use_cache=False, today=TODAY).controls["AC-06"]
    requirement = control.evidence[0].id
    collected = date(2026, 4, 6)
    base = f"evidence/AC-06/2026-04-06-{requirement}"
    record_id = f"EV-AC-06-20260406-{requirement.upper()}"
    first = new_evidence(root, "AC-06", requirement=requirement, collected=collected, collector="alice")
    added = add_evidence(root, AddRequest("AC-06", (export,), requirement=requirement, collected=collected, cwd=tmp_path))
    third = new_evidence(root, "AC-06", requirement=requirement, collected=collected, collector="alice")
    assert first.relative_to(root).as_posix() == f"{base}/record.yaml"
    assert (added.record_path, added.record_id) == (f"{base}-2/record.yaml", f"{record_id}-2")
    assert third.relative_to(root).as_posix() == f"{base}-3/record.yaml"
    program = load_program(root, use_cache=False, today=TODAY)
    assert sorted(r.id for r in program.evidence_of(program.controls["AC-06"])) == [record_id, f"{record_id}-2", f"{record_id}-3"]


def test_every_command_finds_a_typed_control_alike(tmp_path: Path) -> None:
    """`new evidence`, `evidence add` and `status --population` share one lookup (`Program.find_control`):
    any case finds the control and is written as its real ID; a typo gets the closest IDs."""
    from soc2kit.population import population
    from soc2kit.program import read_program

    root = tmp_path / "p"
    init_program(root, InitOptions(git=False), today=TODAY)
    program = read_program(root)
    control = next(c for c in program.controls.values() if c.evidence)
    path = new_evidence(root, control.id.lower(), requirement=None, collected=TODAY, collector="alice")
    assert path.parent.parent == root / "evidence" / control.id
    assert f"control: {control.id}\n" in path.read_text(encoding="utf-8")
    typo = control.id.replace("-", "")  # AC-01 typed as AC01
    for lookup in (
        lambda: new_evidence(root, typo, requirement=None, collected=TODAY, collector="alice"),
        lambda: population(program, typo, date(2026, 1, 1), TODAY),
        lambda: add_evidence(root, AddRequest(control=typo, files=(Path("x"),), cwd=root)),
    ):
        with pytest.raises(UsageError, match=rf"unknown control '{typo}'; did you mean [^?]*{control.id}"):
            lookup()
