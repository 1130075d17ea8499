"""`soc2kit collect` and the checks over collected evidence, with real plugins: a small collector
package installed for the test as a distribution (a dist-info with entry_points.txt) on sys.path and
PYTHONPATH, found through `importlib.metadata` exactly as an installed company plugin is."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from soc2kit.collect import CollectRequest, collect
from soc2kit.errors import UsageError
from soc2kit.evidence.verify import verify_evidence
from soc2kit.loader import load_program
from soc2kit.program import read_program
from tests.conftest import ProgramDir, make_program

TODAY = date(2026, 5, 20)

PLUGIN = '''
"""Test collectors: their systems are JSON scenario files named in the environment."""
import json
import os
import time
from soc2kit.collectors.base import CollectorError, Finding, Snapshot


class UsersCollector:
    name = "testcoll"
    version = "1.0"
    datasets = {"users": "Users and their second factors", "groups": "Groups and members"}
    permissions = {"users": "users:read", "groups": "groups:read"}

    def collect(self, datasets, context):
        with open(context.environ["TESTCOLL_SCENARIO"], encoding="utf-8") as handle:
            scenario = json.load(handle)
        if scenario.get("fail") == "expired":
            raise CollectorError("Test directory acme", "the token has expired")
        if scenario.get("fail") == "forbidden":
            raise CollectorError("Test directory acme", "403 Forbidden", permission="users:read")
        if scenario.get("fail") == "crash":
            raise RuntimeError("unexpected answer")
        if scenario.get("fail") == "exit":
            raise SystemExit(3)
        for index, dataset in enumerate(datasets):
            if index and scenario.get("pause_after_first"):
                with open(scenario["pause_after_first"], "w"):
                    pass
                time.sleep(60)
            data = scenario[dataset]
            if dataset == "users":
                data = sorted(data, key=lambda u: u["name"])
            if scenario.get("non_json"):
                data = {"when": object()}
            yield Snapshot(dataset, "Test directory acme", f"GET /{dataset}", data)

    def check(self, dataset, data, context):
        if dataset == "users":
            lacking = tuple(u["name"] for u in data if not u.get("mfa"))
            if lacking:
                yield Finding("testcoll.user-without-mfa", f"{len(lacking)} users have no second factor", lacking)


class GroupsCollector:
    name = "othercoll"
    version = "2.0"
    datasets = {"groups": "The other system's groups"}
    permissions = {"groups": "read"}

    def collect(self, datasets, context):
        yield Snapshot("groups", "Other system", "GET /groups", [{"name": "admins"}])

    def check(self, dataset, data, context):
        if data == "boom":
            raise ValueError("cannot read this")
        return iter(())


class CrashingCheck(GroupsCollector):
    name = "crashcheck"

    def check(self, dataset, data, context):
        raise KeyError("members")
'''

ENTRY_POINTS = """\
[soc2kit.collectors]
testcoll = soc2kit_test_collectors:UsersCollector
othercoll = soc2kit_test_collectors:GroupsCollector
crashcheck = soc2kit_test_collectors:CrashingCheck
brokencoll = soc2kit_test_collectors_missing:Nothing
misnamed = soc2kit_test_collectors:GroupsCollector
notacollector = soc2kit_test_collectors:json
"""

USERS = [{"name": "carol", "mfa": True}, {"name": "alice", "mfa": True}, {"name": "bob", "mfa": False}]


@pytest.fixture(scope="module")
def plugin_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder holding the test collectors as an installed distribution."""
    folder = tmp_path_factory.mktemp("plugins")
    (folder / "soc2kit_test_collectors.py").write_text(PLUGIN, encoding="utf-8")
    info = folder / "soc2kit_test_collectors-1.0.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: soc2kit-test-collectors\nVersion: 1.0\n", encoding="utf-8")
    (info / "entry_points.txt").write_text(ENTRY_POINTS, encoding="utf-8")
    return folder


@pytest.fixture
def plugins(plugin_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.syspath_prepend(str(plugin_path))
    return plugin_path


FED_CONTROL = """\
---
id: TC-01
title: Control TC-01
owner: IT Manager
criteria: [{criteria}]
policies: [POL-ISP]
frequency: quarterly
kind: detective
automation: hybrid
evidence:
  - id: review
    description: Signed review
  - id: mfa-report
    description: Users and their second factors
    collector: testcoll/users
  - id: group-export
    description: Groups of the other system
    frequency: monthly
    collector: othercoll/groups
---
# Control TC-01

## Description
The IT Manager reviews access.

## Test procedure
1. Inspect the review for a sample of quarters.
"""


def fed_program(root: Path, users: list[dict[str, object]] = USERS) -> tuple[ProgramDir, Path]:
    program = make_program(root, quarters=2)
    criteria = program.read("controls/TC-01.md").split("criteria: [", 1)[1].split("]", 1)[0]
    program.write("controls/TC-01.md", FED_CONTROL.format(criteria=criteria))
    scenario = root.parent / f"{root.name}-scenario.json"
    write_scenario(scenario, users=users)
    return program, scenario


def write_scenario(path: Path, **values: object) -> None:
    scenario: dict[str, object] = {"users": USERS, "groups": [{"name": "admins"}]}
    scenario.update(values)
    path.write_text(json.dumps(scenario), encoding="utf-8")


def run(program: ProgramDir, scenario: Path, *names: str, **request: object):
    return collect(
        program.root,
        CollectRequest(names=names, **request),  # type: ignore[arg-type]
        environ={"TESTCOLL_SCENARIO": str(scenario)},
        today=TODAY,
    )


def evidence_tree(program: ProgramDir) -> dict[str, bytes]:
    folder = program.root / "evidence"
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def collected_codes(program: ProgramDir, today: date = TODAY) -> list[tuple[str, str, str]]:
    loaded = load_program(program.root, today=today, use_cache=False)
    return [(d.code, d.path, d.message) for d in loaded.diagnostics if d.code.startswith("SK42")]


@pytest.mark.usefixtures("plugins")
def test_collect_writes_one_record_per_requirement_with_source_and_normalised_json(tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    result = run(program, scenario)
    assert result.collectors == ["othercoll", "testcoll"]
    assert [(r.control, r.requirement, r.dataset, r.written) for r in result.records] == [
        ("TC-01", "group-export", "groups", True),
        ("TC-01", "mfa-report", "users", True),
    ]
    users = program.root / "evidence/TC-01/2026-05-20-mfa-report/users.json"
    assert users.read_bytes() == (json.dumps(sorted(USERS, key=lambda u: u["name"]), indent=2, sort_keys=True) + "\n").encode()
    read = read_program(program.root, today=TODAY)
    record = next(r for r in read.evidence.values() if r.requirement == "mfa-report")
    assert record.collector == "soc2kit collect testcoll"
    assert record.source is not None
    assert (record.source.system, record.source.query, record.source.tool) == (
        "Test directory acme",
        "GET /users",
        "testcoll 1.0",
    )
    assert record.source.as_of is not None
    assert record.collected == TODAY
    assert record.covers is None
    # The two collectors feeding one control write distinct record folders, and every record verifies.
    assert {p.name for p in (program.root / "evidence/TC-01").iterdir()} >= {"2026-05-20-mfa-report", "2026-05-20-group-export"}
    assert not [d for d in verify_evidence(read, None) if d.code in ("SK401", "SK402", "SK404")]
    # The check over the fresh snapshot names exactly the offending user.
    [finding] = [d for d in result.diagnostics if d.code == "SK421"]
    assert finding.path == "evidence/TC-01/2026-05-20-mfa-report/users.json"
    assert "1 item: bob" in finding.message
    assert "testcoll.user-without-mfa" in finding.message


@pytest.mark.usefixtures("plugins")
def test_a_second_run_on_an_unchanged_system_writes_nothing(tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    run(program, scenario)
    before = evidence_tree(program)
    again = run(program, scenario)
    assert [r.written for r in again.records] == [False, False]
    assert evidence_tree(program) == before
    # A changed system is recorded again, beside the first record.
    write_scenario(scenario, users=[*USERS, {"name": "dave", "mfa": False}])
    changed = run(program, scenario, "testcoll")
    assert [(r.requirement, r.written) for r in changed.records] == [("mfa-report", True)]
    assert (program.root / "evidence/TC-01/2026-05-20-mfa-report-2/users.json").is_file()
    [finding] = [d for d in changed.diagnostics if d.code == "SK421"]
    assert "2 items: bob, dave" in finding.message


@pytest.mark.usefixtures("plugins")
def test_an_identical_record_of_an_earlier_window_does_not_stop_a_new_one(tmp_path: Path) -> None:
    program, _scenario = fed_program(tmp_path / "program")
    collect(program.root, CollectRequest(names=("othercoll",)), environ={}, today=date(2026, 4, 30))
    later = collect(program.root, CollectRequest(names=("othercoll",)), environ={}, today=date(2026, 5, 2))
    assert [r.written for r in later.records] == [True]  # monthly: May needs its own record
    same_month = collect(program.root, CollectRequest(names=("othercoll",)), environ={}, today=date(2026, 5, 30))
    assert [r.written for r in same_month.records] == [False]


@pytest.mark.usefixtures("plugins")
def test_dry_run_writes_nothing(tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    before = evidence_tree(program)
    result = run(program, scenario, dry_run=True)
    assert evidence_tree(program) == before
    assert [(r.record_id, r.written) for r in result.records] == [(None, False), (None, False)]
    assert [d.code for d in result.diagnostics] == ["SK421"]


@pytest.mark.usefixtures("plugins")
def test_failing_collectors_are_findings_naming_the_system_and_the_others_still_run(tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    write_scenario(scenario, fail="forbidden")
    result = run(program, scenario)
    [failure] = [d for d in result.diagnostics if d.code == "SK425"]
    assert failure.path == "controls/TC-01.md"
    assert program.read("controls/TC-01.md").splitlines()[failure.line - 1].strip() == "collector: testcoll/users"
    assert "Test directory acme: 403 Forbidden (the credentials lack users:read)" in failure.message
    assert [(r.collector, r.written) for r in result.records] == [("othercoll", True)]
    write_scenario(scenario, fail="crash")
    crashed = run(program, scenario, "testcoll")
    [failure] = [d for d in crashed.diagnostics if d.code == "SK425"]
    assert (
        "collector 'testcoll' could not collect dataset 'users': it failed with RuntimeError: unexpected answer"
        in failure.message
    )
    write_scenario(scenario, fail="exit")
    exited = run(program, scenario, "testcoll")
    [failure] = [d for d in exited.diagnostics if d.code == "SK425"]
    assert failure.message.endswith("it failed with SystemExit: 3")
    write_scenario(scenario, non_json=True)
    unusable = run(program, scenario, "testcoll")
    [failure] = [d for d in unusable.diagnostics if d.code == "SK425"]
    assert "soc2kit cannot record" in failure.message
    assert not list((program.root / "evidence/TC-01").glob("*mfa-report*"))


@pytest.mark.usefixtures("plugins")
def test_collected_data_holding_a_secret_is_refused_and_nothing_is_written(tmp_path: Path) -> None:
    leaked = [{"name": "alice", "mfa": True, "note": "key AKIAIOSFODNN7EXAMPLF in the profile"}]
    program, scenario = fed_program(tmp_path / "program", users=leaked)
    result = run(program, scenario, "testcoll")
    [refused] = [d for d in result.diagnostics if d.code == "SK427"]
    assert "users.json" in refused.message
    assert result.records == []
    assert not list((program.root / "evidence/TC-01").glob("*mfa-report*"))
    assert not list((program.root / "evidence").glob(".soc2kit-add-*"))


@pytest.mark.usefixtures("plugins")
def test_unknown_and_broken_collectors_and_datasets(tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    program.replace("controls/TC-01.md", "collector: othercoll/groups", "collector: brokencoll/groups")
    program.replace("controls/TC-01.md", "collector: testcoll/users", "collector: testcoll/members")
    result = run(program, scenario)
    codes = sorted((d.code, d.message) for d in result.diagnostics)
    assert [c for c, _ in codes] == ["SK423", "SK426"]
    assert "it has: groups, users" in codes[0][1]
    assert "soc2kit_test_collectors_missing" in codes[1][1]
    assert "ModuleNotFoundError" in codes[1][1]
    assert result.records == []
    program.replace("controls/TC-01.md", "collector: brokencoll/groups", "collector: nosuch/groups")
    found = {code for code, _path, _message in collected_codes(program)}
    assert found == {"SK422", "SK423"}
    with pytest.raises(UsageError, match="no collector named 'nosuch' is installed"):
        run(program, scenario, "nosuch")
    with pytest.raises(UsageError, match="no evidence requirement of control TC-02 names a collector"):
        run(program, scenario, controls=("TC-02",))
    # A program naming no collector has nothing to collect: a scheduled run of it is no failure.
    quiet = make_program(tmp_path / "quiet", quarters=2)
    assert run(quiet, scenario).notes == ["nothing to collect: no evidence requirement names a collector (docs/collectors.md)"]


@pytest.mark.usefixtures("plugins")
def test_plugins_without_the_interface_are_named_with_the_reason() -> None:
    from soc2kit.collectors.plugins import load_collectors

    loaded = load_collectors(["misnamed", "notacollector", "testcoll"])
    assert sorted(loaded.found) == ["testcoll"]
    assert loaded.broken == {
        "misnamed": "soc2kit_test_collectors:GroupsCollector names itself 'othercoll', not 'misnamed' (its entry point name)",
        "notacollector": "soc2kit_test_collectors:json has no collect() method",
    }
    assert {"aws", "brokencoll", "misnamed", "testcoll"} <= set(loaded.names())
    assert "brokencoll" not in loaded.broken  # never imported: nobody asked for it


@pytest.mark.usefixtures("plugins")
def test_check_runs_the_collectors_checks_over_the_newest_counted_record(tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    run(program, scenario)
    [(code, path, message)] = collected_codes(program)
    assert (code, path) == ("SK421", "evidence/TC-01/2026-05-20-mfa-report/users.json")
    assert message.endswith("; 1 item: bob")
    # Fixed in the system and collected again: the newest record is clean, so check is too.
    write_scenario(scenario, users=[{"name": "alice", "mfa": True}])
    run(program, scenario, "testcoll")
    assert collected_codes(program) == []
    # A snapshot that no longer matches its record does not count: the older one is checked again.
    newest = program.root / "evidence/TC-01/2026-05-20-mfa-report-2/users.json"
    newest.write_text("[]\n", encoding="utf-8")
    assert [c for c, _, _ in collected_codes(program)] == ["SK421"]


@pytest.mark.usefixtures("plugins")
def test_an_unreadable_snapshot_and_a_crashing_check_are_findings(tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    program.replace("controls/TC-01.md", "collector: othercoll/groups", "collector: crashcheck/groups")
    run(program, scenario)
    codes = collected_codes(program)
    assert ("SK425", "evidence/TC-01/2026-05-20-group-export/groups.json") in [(c, p) for c, p, _ in codes]
    assert any("KeyError: 'members'" in m for _, _, m in codes)
    # A record whose file is not JSON (recorded with its true sha256, so it counts): SK424, never run.
    folder = program.root / "evidence/TC-01/2026-05-21-mfa-report"
    folder.mkdir()
    (folder / "users.json").write_bytes(b"{not json")
    import hashlib

    digest = hashlib.sha256(b"{not json").hexdigest()
    (folder / "record.yaml").write_text(
        "id: EV-TC-01-20260521-MFA\ncontrol: TC-01\nrequirement: mfa-report\ncollected: 2026-05-21\n"
        f"collector: soc2kit collect testcoll\nfiles:\n  - path: users.json\n    sha256: {digest}\n",
        encoding="utf-8",
    )
    codes = collected_codes(program, today=date(2026, 5, 21))
    [(_code, path, message)] = [c for c in codes if c[0] == "SK424"]
    assert path == "evidence/TC-01/2026-05-21-mfa-report/users.json"
    assert "is not JSON" in message


def test_the_cli_with_a_real_plugin_on_pythonpath(plugin_path: Path, tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    env = {**os.environ, "PYTHONPATH": str(plugin_path), "TESTCOLL_SCENARIO": str(scenario)}
    args = [sys.executable, "-m", "soc2kit", "collect", "--root", str(program.root), "--format", "json"]
    first = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert first.returncode == 1, first.stderr  # bob has no second factor
    report = json.loads(first.stdout)
    assert [r["written"] for r in report["records"]] == [True, True]
    assert [d["code"] for d in report["diagnostics"]] == ["SK421"]
    second = subprocess.run([*args[:-1], "text"], env=env, capture_output=True, text=True, check=False)
    assert "Unchanged: EV-TC-01-" in second.stdout
    assert "Traceback" not in second.stderr
    checked = subprocess.run(
        [sys.executable, "-m", "soc2kit", "check", str(program.root), "--no-cache", "--select", "SK421", "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert [d["message"].rsplit(": ", 1)[1] for d in json.loads(checked.stdout)["diagnostics"]] == ["bob"]
    bad = subprocess.run([*args, "--control", "NOPE-1"], env=env, capture_output=True, text=True, check=False)
    assert bad.returncode == 2
    assert bad.stderr.startswith("soc2kit: error: unknown control 'NOPE-1'")


def test_a_run_killed_between_records_leaves_whole_records_only(plugin_path: Path, tmp_path: Path) -> None:
    program, scenario = fed_program(tmp_path / "program")
    program.replace("controls/TC-01.md", "collector: othercoll/groups", "collector: testcoll/groups")
    marker = tmp_path / "first-written"
    write_scenario(scenario, pause_after_first=str(marker))
    env = {**os.environ, "PYTHONPATH": str(plugin_path), "TESTCOLL_SCENARIO": str(scenario)}
    process = subprocess.Popen(
        [sys.executable, "-m", "soc2kit", "collect", "--root", str(program.root)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(600):
            if marker.exists() or process.poll() is not None:
                break
            time.sleep(0.05)
        assert marker.exists()
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    # Datasets come in sorted order: groups was recorded whole, users not at all.
    folders = sorted(p.name for p in (program.root / "evidence/TC-01").iterdir() if p.name.startswith("2026-"))
    assert len(folders) == 1
    assert folders[0].endswith("-group-export")
    assert sorted(p.name for p in (program.root / "evidence/TC-01" / folders[0]).iterdir()) == ["groups.json", "record.yaml"]
    assert not list((program.root / "evidence").glob(".soc2kit-add-*"))
    read = read_program(program.root)
    assert not [d for d in verify_evidence(read, None) if d.code in ("SK401", "SK402", "SK405")]


def test_init_writes_a_scheduled_collect_workflow_that_opens_one_pull_request() -> None:
    import yaml

    from soc2kit.starter import InitOptions, repository_files

    text = repository_files(InitOptions(organization="Initech"), ".")[".github/workflows/soc2kit-collect.yml"]
    workflow = yaml.safe_load(text)
    triggers = workflow[True]  # YAML 1.1 reads the key `on` as true
    assert triggers["schedule"][0]["cron"]
    assert "workflow_dispatch" in triggers
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write", "id-token": "write"}
    steps = workflow["jobs"]["collect"]["steps"]
    collect_step = next(s for s in steps if s.get("name") == "Collect")
    assert "soc2kit collect --format json" in collect_step["run"]
    # Credentials only from secrets, variables and OIDC, and only in the collect step's environment.
    assert {v.split(".")[0].removeprefix("${{ ") for v in collect_step["env"].values()} == {"vars", "secrets"}
    assert "GITHUB_ENV" not in text
    pull_request = next(s for s in steps if s.get("name") == "Open a pull request with the collection")
    assert "GOOGLE" not in str(pull_request)
    assert "AWS" not in str(pull_request)


def test_the_pull_request_step_pushes_one_branch_and_summarises_in_code_blocks(plugin_path: Path, tmp_path: Path) -> None:
    import yaml

    if shutil.which("jq") is None and not (os.environ.get("CI") or os.environ.get("SOC2KIT_REQUIRE_BROWSER")):
        pytest.skip("the step's summary needs jq, as GitHub's runners have it (.ci/run installs it; CI never skips)")

    from soc2kit.starter import InitOptions, repository_files

    text = repository_files(InitOptions(organization="Initech"), ".")[".github/workflows/soc2kit-collect.yml"]
    [step] = [s for s in yaml.safe_load(text)["jobs"]["collect"]["steps"] if s.get("name", "").startswith("Open a pull")]
    hostile = {"name": "@everyone `rm` <img src=x>", "mfa": False}
    program, scenario = fed_program(tmp_path / "repo", users=[*USERS, hostile])
    origin = tmp_path / "origin.git"

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=program.root, capture_output=True, text=True, check=True).stdout

    subprocess.run(["git", "init", "-q", "--bare", str(origin)], check=True)
    git("init", "-q", "-b", "main")
    git("add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-q", "-m", "program")
    git("remote", "add", "origin", str(origin))
    runner_temp = tmp_path / "runner"
    runner_temp.mkdir()
    env = {**os.environ, "PYTHONPATH": str(plugin_path), "TESTCOLL_SCENARIO": str(scenario)}
    with (runner_temp / "collect.json").open("w") as out:  # as the Collect step runs it
        subprocess.run(
            [sys.executable, "-m", "soc2kit", "collect", "--format", "json"], cwd=program.root, env=env, stdout=out, check=False
        )
    shims = tmp_path / "bin"
    shims.mkdir()
    log = tmp_path / "gh.log"
    (shims / "gh").write_text(
        f'#!/bin/sh\necho "$*" >> {log}\ncase "$*" in\n  "pr view"*) exit 1 ;;\n'
        f'  "pr create"*) while [ "$1" != "--body-file" ]; do shift; done; cp "$2" {tmp_path / "body.md"} ;;\nesac\n'
    )
    (shims / "gh").chmod(0o755)
    step_env = {
        **os.environ,
        "PATH": f"{shims}{os.pathsep}{os.environ['PATH']}",
        "RUNNER_TEMP": str(runner_temp),
        "GITHUB_RUN_ID": "77",
        "BASE": "main",
    }
    subprocess.run(["bash", "-e", "-c", step["run"]], cwd=program.root, env=step_env, check=True, capture_output=True)
    pushed = subprocess.run(
        ["git", "ls-tree", "-r", "--name-only", "soc2kit/collect"], cwd=origin, capture_output=True, text=True, check=True
    ).stdout.split()
    assert (
        "evidence/TC-01/" + next(p.name for p in (program.root / "evidence/TC-01").glob("*mfa-report")) + "/users.json" in pushed
    )
    assert log.read_text().count("pr create --base main --head soc2kit/collect") == 1
    body = (tmp_path / "body.md").read_text()
    blocks = body.split("```")
    assert len(blocks) == 5  # two fenced blocks, nothing outside them from a system
    assert "@everyone 'rm' <img src=x>" in blocks[3]
    assert "@everyone" not in blocks[0] + blocks[2] + blocks[4]
    assert "TC-01 mfa-report (testcoll/users): new record evidence/TC-01/" in blocks[1]
    assert "SK421 evidence/TC-01/" in blocks[3]


@pytest.mark.usefixtures("plugins")
def test_status_marks_collector_fed_requirements(tmp_path: Path) -> None:
    from soc2kit.readiness import assess

    program, _scenario = fed_program(tmp_path / "program")
    readiness = assess(read_program(program.root, today=TODAY))
    control = next(c for c in readiness.controls if c.control.id == "TC-01")
    shown = {r["id"]: r["collector"] for r in (req.to_dict() for req in control.requirements)}
    assert shown == {"review": None, "mfa-report": "testcoll/users", "group-export": "othercoll/groups"}
    status = subprocess.run(
        [sys.executable, "-m", "soc2kit", "status", str(program.root), "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    [reported] = [c for c in json.loads(status.stdout)["controls"] if c["id"] == "TC-01"]
    assert [r["collector"] for r in reported["requirements"]] == [None, "testcoll/users", "othercoll/groups"]
