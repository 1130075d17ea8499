"""`soc2kit changes population`: the production change population read from a local GitHub-shaped
server (tests/github_server.py, OpenAPI-validated), recorded as CC8.1 evidence."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from soc2kit.change_population import PopulationRequest, collect_population
from soc2kit.github import GitHub
from tests.conftest import ProgramDir, make_program, run_cli
from tests.github_server import TOKEN, CheckRun, GitHubServer, Scenario, protection_rules

PERIOD = "2026-01-01..2026-03-31"

CHANGE_CONTROL = """\
---
id: CHG-02
title: Reviewed production changes
owner: VP Engineering
criteria: [CC8.1]
policies: [POL-ISP]
frequency: continuous
kind: preventive
automation: automated
{repositories}evidence:
  - id: merged-changes
    description: Every change merged to the product's default branch, with approvals and checks
---
# Reviewed production changes

## Description
Every production change is merged through a reviewed pull request with passing checks.

## Test procedure
1. Take the population of production changes in the period and inspect a sample.
"""


def change_program(root: Path, repositories: str = "[acme/shop]", control_id: str = "CHG-02") -> ProgramDir:
    program = make_program(root, quarters=2)
    line = f"repositories: {repositories}\n" if repositories else ""
    program.write(f"controls/{control_id}.md", CHANGE_CONTROL.format(repositories=line).replace("CHG-02", control_id))
    return program


def population_cli(program: ProgramDir, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    import os
    import subprocess
    import sys

    environment = {k: v for k, v in os.environ.items() if not k.startswith("GITHUB_")}
    environment.update(env or {})
    result = subprocess.run(
        [sys.executable, "-m", "soc2kit", "changes", "population", "--root", str(program.root), *args],
        capture_output=True,
        text=True,
        env=environment,
        check=False,
    )
    return result.returncode, result.stdout, result.stderr


def evidence_files(program: ProgramDir) -> dict[str, bytes]:
    folder = program.root / "evidence"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


SOME_TOKEN = {"GITHUB_TOKEN": "ghp_test0000000000000000000000000000000000"}
"""A token-shaped value for runs that must stop before any request (nothing listens for it)."""
UNREACHABLE = {**SOME_TOKEN, "GITHUB_API_URL": "http://127.0.0.1:9"}


def test_no_control_naming_the_repository_is_a_usage_error(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories="")
    before = evidence_files(program)
    code, _out, err = population_cli(program, "--repo", "acme/shop", "--period", PERIOD, env=UNREACHABLE)
    assert code == 2
    assert "no CC8.1 control names acme/shop: add `repositories: [acme/shop]`" in err
    assert "Traceback" not in err
    assert evidence_files(program) == before


def test_several_change_controls_naming_the_repository_need_control(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program")
    program.write(
        "controls/CHG-03.md", CHANGE_CONTROL.format(repositories="repositories: [ACME/Shop]\n").replace("CHG-02", "CHG-03")
    )
    code, _out, err = population_cli(program, "--repo", "acme/shop", "--period", PERIOD, env=UNREACHABLE)
    assert code == 2
    assert "several CC8.1 controls name acme/shop (CHG-02, CHG-03); choose one with --control" in err


def test_control_outside_change_management_is_refused(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program")
    code, _out, err = population_cli(program, "--repo", "acme/shop", "--period", PERIOD, "--control", "TC-01", env=UNREACHABLE)
    assert code == 2
    assert "control TC-01 is not mapped to CC8.1" in err


def test_without_a_token_says_how_to_give_one(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program")
    before = evidence_files(program)
    code, _out, err = population_cli(program, "--repo", "acme/shop", "--period", PERIOD, "--branch", "main")
    assert code == 2
    assert "set GITHUB_TOKEN" in err
    assert evidence_files(program) == before


@pytest.mark.parametrize("repo", ["acme", "acme/shop/extra", "-acme/shop", "acme/sh op", "../x"])
def test_a_repository_that_is_not_owner_name_is_a_usage_error(tmp_path: Path, repo: str) -> None:
    program = change_program(tmp_path / "program")
    code, _out, err = population_cli(program, "--repo", repo, "--period", PERIOD, env=UNREACHABLE)
    assert code == 2
    assert "--repo wants OWNER/NAME" in err
    assert "Traceback" not in err


def test_repositories_in_a_control_must_be_owner_name(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories="[acme/shop, not a repository]")
    code, report = program.check_json()
    assert code == 1
    messages = [d["message"] for d in report["diagnostics"] if d["path"] == "controls/CHG-02.md"]
    assert any("not a repository" in message for message in messages), messages


def test_the_token_is_never_echoed_in_an_error(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program")
    args = ("--repo", "acme/shop", "--period", PERIOD, "--branch", "main", "--github-api-url", "http://127.0.0.1:9")
    code, out, err = population_cli(program, *args, env=SOME_TOKEN)
    assert code == 2
    assert "cannot reach GitHub at http://127.0.0.1:9" in err
    assert SOME_TOKEN["GITHUB_TOKEN"] not in out + err
    assert not any(name.endswith("production-changes.json") for name in evidence_files(program))


# Through the local GitHub server (tests/github_server.py): every request and answer is checked
# against GitHub's OpenAPI description, and the test fails on any problem it reports.

REPOSITORY = "octo-org/product"
DAY = timedelta(days=1)


@contextmanager
def served(scenario: Scenario) -> Iterator[GitHubServer]:
    with GitHubServer(scenario) as server:
        yield server
    assert server.problems == [], server.problems[:5]
    assert server.over_budget == 0, f"{server.over_budget} requests beyond the announced rate limit"


def on_server(server: GitHubServer) -> dict[str, str]:
    return {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": server.url}


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2026, 1, day, hour, tzinfo=UTC)


def findings_scenario() -> Scenario:
    """One pull request of each kind the auditor asks about, a direct push, and changes outside the period."""
    scenario = Scenario()
    scenario.push(author="maintainer", when=datetime(2025, 12, 1, tzinfo=UTC), message="Initial commit")
    reviewed = [("bob", "APPROVED", at(10, 11), None)]
    scenario.add_pull(1, author="alice", merged_at=at(10), merged_by="carol", reviews=reviewed)
    scenario.add_pull(2, author="alice", merged_at=at(11), merged_by="carol", reviews=[])
    scenario.add_pull(3, author="alice", merged_at=at(12), merged_by="alice", reviews=[("alice", "APPROVED", at(12, 11), None)])
    scenario.add_pull(4, author="alice", merged_at=at(13), reviews=[("bob", "APPROVED", at(13, 11), None)], method="squash")
    scenario.add_pull(5, author="alice", merged_at=at(14), reviews=[("bob", "DISMISSED", at(14, 11), None)])
    scenario.add_pull(6, author="alice", merged_at=at(15), reviews=[("bob", "APPROVED", at(15, 13), None)])
    scenario.add_pull(
        7,
        author="alice",
        commits=[("alice", at(16, 8)), ("bob", at(16, 9))],
        merged_at=at(16),
        reviews=[("bob", "APPROVED", at(16, 11), None)],
    )
    pushed = scenario.push(author="eve", when=at(17), message="Hotfix straight to main")
    scenario.add_pull(8, author="alice", merged_at=datetime(2026, 4, 2, tzinfo=UTC), reviews=reviewed)
    scenario.protection["main"] = protection_rules(scenario, ["test"])
    for pull in scenario.pulls.values():
        scenario.check_runs[pull.head_sha] = [CheckRun("test", conclusion="failure" if pull.number == 4 else "success")]
    scenario.check_runs[pushed.sha] = [CheckRun("test")]
    return scenario


def test_findings_for_unreviewed_self_approved_unchecked_and_pushed_changes(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    scenario = findings_scenario()
    with served(scenario) as server:
        code, out, err = population_cli(
            program, "--repo", REPOSITORY, "--period", PERIOD, "--branch", "main", env=on_server(server)
        )
    assert code == 1, err
    written = {name: data for name, data in evidence_files(program).items() if name.startswith("CHG-02/")}
    assert sorted(name.rpartition("/")[2] for name in written) == [
        "branch-protection.json",
        "production-changes.json",
        "record.yaml",
    ]
    population = json.loads(next(data for name, data in written.items() if name.endswith("production-changes.json")))
    items = {item["key"]: item for item in population["items"]}
    pushed = next(c for c in scenario.commits.values() if c.message == "Hotfix straight to main")
    assert list(items) == [f"{REPOSITORY}#{n}" for n in range(1, 8)] + [pushed.sha]
    assert {key: item["findings"] for key, item in items.items()} == {
        f"{REPOSITORY}#1": [],
        f"{REPOSITORY}#2": ["SK611"],
        f"{REPOSITORY}#3": ["SK612"],
        f"{REPOSITORY}#4": ["SK613"],
        f"{REPOSITORY}#5": ["SK611"],
        f"{REPOSITORY}#6": ["SK611"],
        f"{REPOSITORY}#7": ["SK612"],
        pushed.sha: ["SK611"],
    }
    first = items[f"{REPOSITORY}#1"]
    assert (first["author"], first["merged_by"], first["merged_at"]) == ("alice", "carol", "2026-01-10T12:00:00Z")
    assert first["approvals"] == [
        {
            "commit": scenario.pulls[1].head_sha,
            "reviewer": "bob",
            "source": "github",
            "stale": False,
            "submitted_at": "2026-01-10T11:00:00Z",
        }
    ]
    assert first["checks"] == [
        {"name": "test", "passed": True, "required": True, "results": [{"conclusion": "success", "source": "check_run"}]}
    ]
    assert items[f"{REPOSITORY}#7"]["commit_authors"] == ["alice", "bob"]
    assert [r["reason"] for r in items[f"{REPOSITORY}#6"]["ignored_reviews"]] == ["after the merge"]
    assert items[pushed.sha]["kind"] == "direct-commit"
    assert items[pushed.sha]["author"] == "eve"
    protection = json.loads(next(data for name, data in written.items() if name.endswith("branch-protection.json")))
    assert protection["summary"] == {
        "admins_included": True,
        "checks_must_be_up_to_date": True,
        "dismiss_stale_reviews": True,
        "protected": True,
        "pull_request_required": True,
        "require_code_owner_reviews": True,
        "require_last_push_approval": True,
        "required_approving_reviews": 1,
        "required_checks": ["test"],
    }
    lines = next(data for name, data in written.items() if name.endswith("production-changes.json")).decode().splitlines()
    for number in (2, 3, 4):
        found = next(line for line in out.splitlines() if f"#{number} " in line or f"#{number}:" in line)
        where = int(found.split(":")[1])
        assert lines[where - 1].strip() == f'"key": "{REPOSITORY}#{number}",', found
    assert "SK612" in out
    assert "SK613" in out
    assert "SK611" in out
    assert TOKEN not in out + err
    assert all(TOKEN.encode() not in data for data in written.values())
    record = next(data for name, data in written.items() if name.endswith("record.yaml")).decode()
    assert f"system: GitHub REST API {server.url}" in record
    assert 'as_of: "2026-01-17T12:00:00Z"' in record


def test_a_rerun_with_the_same_data_writes_nothing_new(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    with served(findings_scenario()) as server:
        args = ("--repo", REPOSITORY, "--period", PERIOD, "--branch", "main", "--collected", "2026-04-05")
        first = population_cli(program, *args, env=on_server(server))
        before = evidence_files(program)
        second = population_cli(program, *args, env=on_server(server))
    assert first[0] == second[0] == 1
    assert first[1] == second[1]
    assert "Already recorded EV-CHG-02-20260405-MERGED-CHANGES" in second[2]
    assert evidence_files(program) == before


def test_an_unprotected_branch_is_a_finding_and_its_snapshot_says_so(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    scenario = Scenario()
    scenario.add_pull(1, author="alice", merged_at=at(10), reviews=[("bob", "APPROVED", at(10, 11), None)])
    with served(scenario) as server:
        code, out, _err = population_cli(
            program, "--repo", REPOSITORY, "--period", PERIOD, "--branch", "main", env=on_server(server)
        )
    assert code == 1
    assert "SK614" in out
    assert "has no branch protection" in out
    snapshot = next(data for name, data in evidence_files(program).items() if name.endswith("branch-protection.json"))
    assert json.loads(snapshot)["summary"]["protected"] is False


def test_status_samples_the_recorded_production_changes(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    with served(findings_scenario()) as server:
        population_cli(program, "--repo", REPOSITORY, "--period", PERIOD, "--branch", "main", env=on_server(server))
    args = ("status", str(program.root), "--population", "CHG-02", "--period", PERIOD, "--format", "json")
    listed = json.loads(run_cli(*args).stdout)
    assert listed["kind"] == "production-changes"
    assert [item["key"] for item in listed["items"]][:2] == [f"{REPOSITORY}#1", f"{REPOSITORY}#2"]
    assert listed["count"] == 8
    assert listed["items"][0]["approvers"] == ["bob"]
    sampled = [json.loads(run_cli(*args, "--sample", "3", "--seed", "fy26").stdout)["sample"]["keys"] for _ in range(2)]
    assert sampled[0] == sampled[1]
    assert len(sampled[0]) == 3
    assert set(sampled[0]) <= {item["key"] for item in listed["items"]}


def test_a_token_without_administration_read_is_told_what_to_grant(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    scenario = findings_scenario()
    scenario.permissions = frozenset({"metadata", "pull_requests", "contents", "checks", "statuses"})
    before = evidence_files(program)
    with served(scenario) as server:
        code, _out, err = population_cli(
            program, "--repo", REPOSITORY, "--period", PERIOD, "--branch", "main", env=on_server(server)
        )
    assert code == 2
    assert "administration: read" in err
    assert evidence_files(program) == before


def expected_direct_commits(scenario: Scenario, start: datetime, end: datetime) -> set[str]:
    """Commits on the default branch in [start, end) that no merged pull request brought."""
    brought = {sha for pull in scenario.pulls.values() for sha in (*pull.commits, *pull.landed) if pull.merged_at}
    on_branch: set[str] = set()
    stack = [scenario.branches[scenario.default_branch]]
    while stack:
        sha = stack.pop()
        if sha not in on_branch:
            on_branch.add(sha)
            stack.extend(scenario.commits[sha].parents)
    return {sha for sha in on_branch - brought if start <= scenario.commits[sha].date < end}


def test_a_thousand_pull_requests_over_twelve_pages_all_arrive_within_the_rate_limit_and_rerun_identically(
    tmp_path: Path,
) -> None:
    # 84 a page: the 1,000 merged pull requests are listed over 12 pages. The budget is smaller than
    # the run needs, in a short window, so the client must keep to it rather than be refused.
    scenario = Scenario.generate(pull_requests=1000, page_size=84, seed=11, rate_limit=2500, rate_window=4.0)
    rebased = [pull for pull in scenario.pulls.values() if len(pull.landed) > 1]
    assert rebased, "the scenario has rebase merges of several commits"
    period = (date(2026, 1, 1), date(2026, 12, 31))
    start, end = datetime(2026, 1, 1, tzinfo=UTC), datetime(2027, 1, 1, tzinfo=UTC)
    trees = []
    with served(scenario) as server:
        for run in ("first", "second"):
            program = change_program(tmp_path / run, repositories=f"[{REPOSITORY}]")
            github = GitHub(REPOSITORY, token=TOKEN, api_url=server.url)
            request = PopulationRequest(REPOSITORY, *period, branch="main", collected=date(2027, 1, 4))
            asked = len(server.requests)
            try:
                result = collect_population(program.root, request, github=github, today=date(2027, 1, 4))
            finally:
                github.close()
            listing = [r for r in server.requests[asked:] if r.path.endswith("/pulls") and "state=closed" in r.query]
            assert len(listing) == 12
            assert [record.written for record in result.records] == [True]
            trees.append({name: data for name, data in evidence_files(program).items() if name.startswith("CHG-02/")})
            population = json.loads(next(data for name, data in trees[-1].items() if name.endswith("production-changes.json")))
            numbers = [item["pr"] for item in population["items"] if item["kind"] == "pull-request"]
            assert sorted(numbers) == sorted(scenario.pulls) == list(range(1, 1001))
            direct = {item["key"] for item in population["items"] if item["kind"] == "direct-commit"}
            assert direct == expected_direct_commits(scenario, start, end)
            assert population["counts"] == {"direct_commits": len(direct), "items": 1000 + len(direct), "pull_requests": 1000}
            assert (result.pull_requests, result.direct_commits) == (1000, len(direct))
            landed = {item["pr"]: item["landed_commits"] for item in population["items"] if item["kind"] == "pull-request"}
            assert all(landed[pull.number] == sorted(pull.landed[:-1]) for pull in rebased)
            # The generated checks run on each head: a required check that "did not run" would be the scenario's fault.
            pulls = [item for item in population["items"] if item["kind"] == "pull-request"]
            assert all(check["results"] for item in pulls for check in item["checks"])
            assert all(len(item["checks"]) == 2 for item in pulls)
            assert 0 < sum("SK613" in item["findings"] for item in pulls) < 100
            lookups = [r for r in server.requests[asked:] if r.path.endswith("/pulls") and "/commits/" in r.path]
            assert len(lookups) == len(direct) + sum(len(pull.landed) - 1 for pull in rebased)
    assert trees[0] == trees[1]


def test_a_period_not_over_yet_is_covered_up_to_the_collected_day(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    with served(findings_scenario()) as server:
        args = ("--repo", REPOSITORY, "--period", PERIOD, "--branch", "main", "--collected", "2026-01-14")
        population_cli(program, *args, env=on_server(server))
    record = next(data for name, data in evidence_files(program).items() if name.endswith("record.yaml")).decode()
    assert "covers: {start: 2026-01-01, end: 2026-01-14}" in record
    population = next(data for name, data in evidence_files(program).items() if name.endswith("production-changes.json"))
    assert [item["pr"] for item in json.loads(population)["items"]] == [1, 2, 3, 4, 5]


def test_a_period_starting_after_the_collected_day_is_a_usage_error(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program")
    args = ("--repo", "acme/shop", "--period", PERIOD, "--branch", "main", "--collected", "2025-12-31")
    code, _out, err = population_cli(program, *args, env=UNREACHABLE)
    assert code == 2
    assert "the period starts (2026-01-01) after the collected day (2025-12-31)" in err


def test_a_control_with_several_requirements_is_refused_before_asking_github(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program")
    program.replace(
        "controls/CHG-02.md", "evidence:\n", "evidence:\n  - id: branch-rules\n    description: Branch protection export\n"
    )
    code, _out, err = population_cli(program, "--repo", "acme/shop", "--period", PERIOD, "--branch", "main", env=UNREACHABLE)
    assert code == 2
    assert "control CHG-02 has several evidence requirements; choose one with --requirement" in err


def test_without_branch_the_repository_s_default_branch_is_read(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    scenario = Scenario(default_branch="trunk")
    scenario.add_pull(1, author="alice", merged_at=at(10), reviews=[("bob", "APPROVED", at(10, 11), None)])
    scenario.protection["trunk"] = protection_rules(scenario, [])
    with served(scenario) as server:
        code, _out, err = population_cli(program, "--repo", REPOSITORY, "--period", PERIOD, env=on_server(server))
    assert code == 0, err
    assert "/repos/octo-org/product" in [r.path for r in server.requests]
    population = json.loads(
        next(data for name, data in evidence_files(program).items() if name.endswith("production-changes.json"))
    )
    assert population["branch"] == "trunk"
    assert [item["pr"] for item in population["items"]] == [1]


def attribution_scenario() -> Scenario:
    """A rebase merge of three commits, a pull request merged after the period with a commit dated inside
    it, and one real direct push."""
    scenario = Scenario()
    scenario.push(author="maintainer", when=datetime(2025, 12, 1, tzinfo=UTC), message="Initial commit")
    approved = [("bob", "APPROVED", at(10, 11), None)]
    scenario.add_pull(
        1,
        author="alice",
        commits=[("alice", at(10, 8)), ("alice", at(10, 9)), ("alice", at(10, 10))],
        merged_at=at(10),
        method="rebase",
        reviews=approved,
    )
    pushed = scenario.push(author="eve", when=at(11), message="Hotfix straight to main")
    late = datetime(2026, 4, 2, 9, tzinfo=UTC)
    scenario.add_pull(
        2,
        author="dana",
        commits=[("dana", datetime(2026, 3, 30, 9, tzinfo=UTC))],
        merged_at=late,
        reviews=[("bob", "APPROVED", late, None)],
    )
    scenario.protection["main"] = protection_rules(scenario, [])
    del pushed
    return scenario


def test_rebased_commits_and_commits_of_later_pull_requests_are_not_direct(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    scenario = attribution_scenario()
    rebased, late = scenario.pulls[1], scenario.pulls[2]
    pushed = next(c for c in scenario.commits.values() if c.message == "Hotfix straight to main")
    with served(scenario) as server:
        code, out, err = population_cli(
            program, "--repo", REPOSITORY, "--period", PERIOD, "--collected", "2026-04-05", env=on_server(server)
        )
    assert code == 1, err
    population = json.loads(
        next(data for name, data in evidence_files(program).items() if name.endswith("production-changes.json"))
    )
    items = {item["key"]: item for item in population["items"]}
    assert list(items) == [f"{REPOSITORY}#1", pushed.sha]
    assert items[f"{REPOSITORY}#1"]["landed_commits"] == sorted(rebased.landed[:2])
    assert items[f"{REPOSITORY}#1"]["merge_commit"] == rebased.landed[2]
    assert items[f"{REPOSITORY}#1"]["findings"] == []
    assert population["commits_of_pull_requests_merged_outside_the_period"] == [
        {"commit": late.commits[0], "merged_at": "2026-04-02T09:00:00Z", "pr": 2}
    ]
    assert population["counts"] == {"direct_commits": 1, "items": 2, "pull_requests": 1}
    assert out.count("SK611") == 1
    assert pushed.sha[:12] in out
    # One question per commit no listed pull request accounted for: two rebased, one late, one pushed.
    lookups = [r.path for r in server.requests if r.path.endswith("/pulls") and "/commits/" in r.path]
    assert sorted(lookups) == sorted(
        f"/repos/{REPOSITORY}/commits/{sha}/pulls" for sha in (*rebased.landed[:2], late.commits[0], pushed.sha)
    )


TWO_REQUIREMENTS = (
    "evidence:\n"
    "  - id: branch-protection-export\n"
    "    description: Branch protection export for all production repositories\n"
    "  - id: merged-pr-list\n"
    "    description: Pull requests merged to default branches with author, approvers and merge time\n"
)


def test_distinct_requirements_get_a_record_each_with_its_own_source(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program", repositories=f"[{REPOSITORY}]")
    text = (program.root / "controls" / "CHG-02.md").read_text(encoding="utf-8")
    start = text.index("evidence:\n")
    end = text.index("---", start)
    program.write("controls/CHG-02.md", text[:start] + TWO_REQUIREMENTS + text[end:])
    args = ("--repo", REPOSITORY, "--period", PERIOD, "--collected", "2026-04-05")
    args += ("--requirement", "merged-pr-list", "--protection-requirement", "branch-protection-export")
    with served(findings_scenario()) as server:
        code, _out, err = population_cli(program, *args, env=on_server(server))
        before = evidence_files(program)
        again = population_cli(program, *args, env=on_server(server))
    assert code == again[0] == 1, err
    assert "Recorded EV-CHG-02-20260405-MERGED-PR-LIST" in err
    assert "Recorded EV-CHG-02-20260405-BRANCH-PROTECTION-EXPORT" in err
    assert "Already recorded EV-CHG-02-20260405-MERGED-PR-LIST" in again[2]
    assert "Already recorded EV-CHG-02-20260405-BRANCH-PROTECTION-EXPORT" in again[2]
    assert evidence_files(program) == before
    records = {name.rpartition("/")[0]: data.decode() for name, data in before.items() if name.endswith("record.yaml")}
    assert len(records) == 2
    population = next(text for text in records.values() if "requirement: merged-pr-list" in text)
    protection = next(text for text in records.values() if "requirement: branch-protection-export" in text)
    assert "production-changes.json" in population
    assert "branch-protection.json" not in population
    assert "branch-protection.json" in protection
    assert "production-changes.json" not in protection
    assert "pull requests merged into it" in population
    assert "protection rules" not in population
    assert "the branch's protection rules" in protection
    assert "pull requests merged" not in protection
    assert "as_of:" not in protection


def test_an_unknown_protection_requirement_is_refused_before_asking_github(tmp_path: Path) -> None:
    program = change_program(tmp_path / "program")
    args = ("--repo", "acme/shop", "--period", PERIOD, "--protection-requirement", "nope")
    code, _out, err = population_cli(program, *args, env=UNREACHABLE)
    assert code == 2
    assert "control CHG-02 has no evidence requirement 'nope'; it has: merged-changes" in err
