"""Auditor populations from a real Git repository with dated commits, and reproducible samples."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from soc2kit.errors import UsageError
from soc2kit.loader import load_program
from soc2kit.population import SAMPLE_METHOD, Item, population, sample
from tests.conftest import make_program, run_cli
from tests.gitrepo import ALICE, BOB, CAROL, GitRepo
from tests.test_readiness import quarterly_repo

CHANGE_CONTROL = """\
---
id: CHG-01
title: Reviewed changes to the program
owner: Head of Engineering
criteria: [CC8.1]
policies: [POL-ISP]
frequency: on-event
kind: preventive
automation: hybrid
evidence:
  - id: pull-requests
    description: Merged pull requests with their approvals
---
# Reviewed changes to the program

## Description
Every change to policies and controls goes through a reviewed pull request.

## Test procedure
1. Take the population of changes in the period and inspect a sample for an approval.
"""


@pytest.fixture
def change_repo(tmp_path: Path) -> GitRepo:
    """A program whose history in 2026 has five changes to policies/controls, one evidence-only
    commit, and one change after the period; a feature branch merged as PR #7, a squash as PR #8."""
    root = tmp_path / "repo"
    repo = GitRepo.create(root)
    make_program(root)
    repo.write("controls/CHG-01.md", CHANGE_CONTROL)
    repo.commit("Start the program", date="2025-12-20T10:00:00+00:00")
    repo.replace("controls/TC-01.md", "The IT Manager reviews access.", "The IT Manager reviews all access.")
    repo.commit(
        "Clarify TC-01",
        date="2026-01-10T10:00:00+00:00",
        author=BOB,
        trailers=[("Reviewed-by", "Carol Chen <carol@example.com>")],
    )
    repo.branch("quarterly-reviews")
    repo.replace("controls/TC-02.md", "Inspect the review", "Inspect the signed review")
    repo.commit("Sign reviews", date="2026-02-01T09:00:00+00:00", author=CAROL)
    repo.checkout("main")
    repo.merge_pr(
        "quarterly-reviews", 7, date="2026-02-03T12:00:00+00:00", trailers=(("Approved-by", "Bob Brown <bob@example.com>"),)
    )
    repo.write("evidence/TC-02/extra.txt", "more evidence\n")
    repo.commit("Add evidence only", date="2026-03-01T10:00:00+00:00")
    repo.branch("policy-words")
    repo.replace("policies/information-security.md", "Why.", "Why we protect data.")
    repo.commit("Explain why", date="2026-04-01T09:00:00+00:00")
    repo.checkout("main")
    repo.squash_pr("policy-words", 8, "Explain the purpose", date="2026-04-02T09:00:00+00:00")
    repo.replace("soc2kit.yml", "Test Co", "Test Company")
    repo.commit("Rename the organization", date="2026-06-30T23:30:00+00:00")
    repo.replace("controls/TC-03.md", "Inspect the review", "Inspect each review")
    repo.commit("After the period", date="2026-07-01T00:30:00+00:00")
    return repo


def test_change_control_population_lists_every_change_to_the_program(change_repo: GitRepo) -> None:
    program = load_program(change_repo.root, use_cache=False)
    found = population(program, "CHG-01", date(2026, 1, 1), date(2026, 6, 30))
    assert found.kind == "program-changes"
    rows = [(i.day, i.title, i.pr, i.approvers, i.paths) for i in found.items]
    assert rows == [
        (date(2026, 1, 10), "Clarify TC-01", None, ("Carol Chen <carol@example.com>",), ("controls/TC-01.md",)),
        (
            date(2026, 2, 3),
            "Merge pull request #7 from acme/quarterly-reviews",
            7,
            ("Bob Brown <bob@example.com>",),
            ("controls/TC-02.md",),
        ),
        (date(2026, 4, 2), "Explain the purpose (#8)", 8, (), ("policies/information-security.md",)),
        (date(2026, 6, 30), "Rename the organization", None, (), ("soc2kit.yml",)),
    ]
    assert (found.items[0].authors, found.items[0].merger) == (("Bob Brown <bob@example.com>",), None)
    merge = found.items[1]  # Carol's branch commit, merged by Alice
    assert (merge.authors, merge.merger) == (("Carol Chen <carol@example.com>",), "Alice Adams <alice@example.com>")
    assert all(i.key == i.commit and len(i.key) == 40 for i in found.items)


def test_population_days_follow_the_audit_time_zone(change_repo: GitRepo) -> None:
    change_repo.replace(
        "soc2kit.yml",
        "  period: {start: 2026-01-01, end: 2026-06-30}",
        "  period: {start: 2026-01-01, end: 2026-06-30}\n  timezone: Europe/Berlin",
    )
    change_repo.commit("Audit time zone", date="2027-01-05T10:00:00+00:00")
    program = load_program(change_repo.root, use_cache=False)
    found = population(program, "CHG-01", date(2026, 1, 1), date(2026, 6, 30))
    # 2026-06-30T23:30Z is already July 1st in Berlin; 2026-07-01T00:30Z too.
    assert [i.title for i in found.items][-1] == "Explain the purpose (#8)"
    july = population(program, "CHG-01", date(2026, 7, 1), date(2026, 7, 31))
    assert [(i.day, i.title) for i in july.items] == [
        (date(2026, 7, 1), "Rename the organization"),
        (date(2026, 7, 1), "After the period"),
    ]


def test_evidence_population_lists_records_of_the_period_with_their_arrival(tmp_path: Path) -> None:
    repo = quarterly_repo(tmp_path / "repo")
    program = load_program(repo.root, use_cache=False)
    found = population(program, "TC-03", date(2025, 1, 1), date(2025, 12, 31))
    assert found.kind == "evidence-arrivals"
    assert [(i.key, i.day, i.arrived) for i in found.items] == [
        ("EV-TC-03-2025Q1", date(2025, 1, 1), date(2025, 4, 3)),
        ("EV-TC-03-2025Q2", date(2025, 4, 1), date(2025, 7, 3)),
        ("EV-TC-03-2025Q4", date(2025, 10, 1), date(2026, 1, 5)),
    ]
    assert {i.paths for i in found.items} == {
        ("evidence/TC-03/2025-q1.yaml",),
        ("evidence/TC-03/2025-q2.yaml",),
        ("evidence/TC-03/2025-q4.yaml",),
    }
    assert all(i.commit is not None and i.authors == ("Alice Adams <alice@example.com>",) for i in found.items)
    assert {i.merger for i in found.items} == {None}
    half = population(program, "TC-03", date(2025, 1, 1), date(2025, 6, 30))
    assert [i.key for i in half.items] == ["EV-TC-03-2025Q1", "EV-TC-03-2025Q2"]


def test_uncommitted_records_are_listed_and_counted(tmp_path: Path) -> None:
    repo = quarterly_repo(tmp_path / "repo")
    (repo.root / "evidence/TC-03/late.yaml").write_text(
        (repo.root / "evidence/TC-04/2025-q3.yaml").read_text().replace("TC-04", "TC-03"), encoding="utf-8"
    )
    found = population(load_program(repo.root, use_cache=False), "TC-03", date(2025, 7, 1), date(2025, 9, 30))
    assert [(i.key, i.commit, i.arrived) for i in found.items] == [("EV-TC-03-2025Q3", None, None)]
    assert found.notes[-1] == "1 record is not committed to Git yet"


def test_sample_is_reproducible_and_in_population_order() -> None:
    items = [Item(key=f"EV-{n:03d}", day=date(2026, 1, 1 + n % 28), title=str(n)) for n in range(60)]
    first = sample(items, 5, "audit-2026")
    assert len(first) == 5
    assert sample(items, 5, "audit-2026") == first
    assert sample(list(reversed(items)), 5, "audit-2026") == list(reversed(first))  # independent of input order
    assert [i.key for i in sample(items, 5, "another-seed")] != [i.key for i in first]
    assert [items.index(i) for i in first] == sorted(items.index(i) for i in first)
    assert sample(items[:3], 10, "x") == items[:3]
    bigger = sample([*items, Item(key="EV-NEW", day=date(2026, 3, 1), title="new")], 5, "audit-2026")
    assert len({i.key for i in bigger} & {i.key for i in first}) >= 4  # adding an item displaces at most one
    with pytest.raises(UsageError, match="at least one item"):
        sample(items, 0, "x")


def test_status_population_and_sample_from_the_cli(change_repo: GitRepo) -> None:
    root = str(change_repo.root)
    listed = run_cli("status", root, "--population", "CHG-01")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert lines[0] == "Population of CHG-01: 4 changes to the program, 2026-01-01..2026-06-30"
    assert any(line.startswith("  2026-02-03  ") and "#7" in line and "approved by Bob Brown" in line for line in lines)
    report = json.loads(
        run_cli("status", root, "--population", "CHG-01", "--sample", "2", "--seed", "s3", "--format", "json").stdout
    )
    assert set(report) == {"version", "tool", "control", "kind", "period", "count", "notes", "items", "sample"}
    assert report["count"] == 4
    assert report["version"] == 2
    assert set(report["items"][0]) == {
        "key",
        "date",
        "title",
        "authors",
        "merger",
        "commit",
        "pr",
        "approvers",
        "paths",
        "arrived",
    }
    assert report["sample"]["size"] == 2
    assert report["sample"]["seed"] == "s3"
    assert report["sample"]["method"] == SAMPLE_METHOD
    again = json.loads(
        run_cli("status", root, "--population", "CHG-01", "--sample", "2", "--seed", "s3", "--format", "json").stdout
    )
    assert again["sample"]["keys"] == report["sample"]["keys"]
    assert set(report["sample"]["keys"]) <= {i["key"] for i in report["items"]}
    shown = run_cli("status", root, "--population", "CHG-01", "--sample", "2", "--seed", "s3")
    assert "Sample: 2 of 4, seed 's3'" in shown.stdout
    assert sum(1 for line in shown.stdout.splitlines() if line.startswith("  2026-")) == 2
    md = run_cli("status", root, "--population", "CHG-01", "--format", "md", "--period", "2026-02-01..2026-02-28").stdout
    assert md.startswith("# Population of CHG-01: 1 changes to the program, 2026-02-01..2026-02-28\n")
    assert "| 2026-02-03 |" in md


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--sample", "3", "--seed", "x"], "--sample draws from a population: add --population CONTROL"),
        (["--population", "CHG-01", "--sample", "3"], "--sample needs --seed"),
        (["--population", "CHG-01", "--seed", "x"], "--seed only applies with --sample N"),
        (["--population", "CHG-01", "--sample", "0", "--seed", "x"], "--sample needs a positive number of items, not 0"),
        (["--population", "NOPE-01"], "no control 'NOPE-01' in the program"),
        (["--population", "CHG-01", "--as-of", "2026-03-31"], "a population is listed over a period: give --period"),
    ],
)
def test_population_usage_errors(change_repo: GitRepo, args: list[str], message: str) -> None:
    result = run_cli("status", str(change_repo.root), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_change_population_needs_git(tmp_path: Path) -> None:
    program = make_program(tmp_path / "plain")
    program.write("controls/CHG-01.md", CHANGE_CONTROL)
    result = run_cli("status", str(program.root), "--population", "CHG-01")
    assert result.returncode == 2
    assert "the population of CHG-01 (changes to the program, CC8.1) lives in Git, but" in result.stderr
    evidence = run_cli("status", str(program.root), "--population", "TC-01", "--format", "json")
    assert evidence.returncode == 0
    report = json.loads(evidence.stdout)
    assert [i["key"] for i in report["items"]] == ["EV-TC-01-2026Q1"]
    assert report["notes"][-1].startswith("no Git arrival dates:")


GITHUB = ("GitHub", "noreply@github.com")


@pytest.fixture
def github_repo(tmp_path: Path) -> GitRepo:
    """Changes merged as GitHub merges them: Alice's branch merged by Bob with the merge button (author
    Bob, committer GitHub), approved in a trailer by Carol; Carol's change squashed by GitHub; and
    Alice's evidence record arriving through a pull request Bob merges."""
    root = tmp_path / "repo"
    repo = GitRepo.create(root)
    make_program(root)
    repo.write("controls/CHG-01.md", CHANGE_CONTROL)
    repo.commit("Start the program", date="2025-12-20T10:00:00+00:00")
    repo.branch("alice")
    repo.replace("controls/TC-02.md", "Inspect the review", "Inspect the signed review")
    repo.commit("Sign reviews", date="2026-02-01T09:00:00+00:00", author=ALICE)
    repo.write(
        "evidence/TC-02/2026-02.yaml",
        "id: EV-TC-02-FEB\ncontrol: TC-02\nrequirement: review\ncollected: 2026-02-01\ncollector: alice@example.com\n",
    )
    repo.commit("February review", date="2026-02-01T10:00:00+00:00", author=ALICE)
    repo.checkout("main")
    repo.git(
        "merge", "-q", "--no-ff", "-m", "Merge pull request #7 from acme/alice\n\nalice\n\nApproved-by: Carol Chen <carol@example.com>",
        "alice", author=BOB, committer=GITHUB, date="2026-02-03T12:00:00+00:00",
    )  # fmt: skip
    repo.branch("carol")
    repo.replace("policies/information-security.md", "Why.", "Why we protect data.")
    repo.commit("Explain why", date="2026-04-01T09:00:00+00:00", author=CAROL)
    repo.checkout("main")
    repo.squash_pr("carol", 8, "Explain the purpose", author=CAROL, committer=GITHUB, date="2026-04-02T09:00:00+00:00")
    return repo


def test_a_github_merge_lists_the_branch_author_as_author_and_the_merger_apart(github_repo: GitRepo) -> None:
    program = load_program(github_repo.root, use_cache=False)
    found = population(program, "CHG-01", date(2026, 1, 1), date(2026, 6, 30))
    people = [(i.pr, i.authors, i.merger, i.approvers) for i in found.items]
    assert people == [
        (7, ("Alice Adams <alice@example.com>",), "Bob Brown <bob@example.com>", ("Carol Chen <carol@example.com>",)),
        (8, ("Carol Chen <carol@example.com>",), None, ()),
    ]
    arrivals = population(program, "TC-02", date(2026, 1, 1), date(2026, 6, 30))
    arrived = {i.key: (i.authors, i.merger, i.pr) for i in arrivals.items}
    assert arrived["EV-TC-02-FEB"] == (("Alice Adams <alice@example.com>",), "Bob Brown <bob@example.com>", 7)


def test_status_population_shows_authors_merger_and_approvers_apart(github_repo: GitRepo) -> None:
    root = str(github_repo.root)
    text = run_cli("status", root, "--population", "CHG-01").stdout
    merge = next(line for line in text.splitlines() if "#7" in line)
    assert "Alice Adams <alice@example.com>  Merge pull request #7" in merge
    assert "merged by Bob Brown <bob@example.com>" in merge
    assert "approved by Carol Chen <carol@example.com>" in merge
    report = json.loads(run_cli("status", root, "--population", "CHG-01", "--format", "json").stdout)
    first = report["items"][0]
    assert (first["authors"], first["merger"], first["approvers"]) == (
        ["Alice Adams <alice@example.com>"],
        "Bob Brown <bob@example.com>",
        ["Carol Chen <carol@example.com>"],
    )
    assert report["items"][1]["merger"] is None
    md = run_cli("status", root, "--population", "CHG-01", "--format", "md").stdout
    assert "| Date | Item | Authors | Merger | PR | Approvers | Title |" in md
    row = next(line for line in md.splitlines() if "#7 |" in line)
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[2:6] == [
        "Alice Adams &#60;alice@example.com&#62;",
        "Bob Brown &#60;bob@example.com&#62;",
        "#7",
        "Carol Chen &#60;carol@example.com&#62;",
    ]
