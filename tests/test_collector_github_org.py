"""The github-org collector against a GitHub API on 127.0.0.1 that checks every request and answer against
GitHub's own OpenAPI description (tests/github_server.py, @octokit/openapi pinned there)."""

from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import pytest

from soc2kit.collectors.base import CollectContext, CollectorError, Finding, Snapshot
from soc2kit.collectors.github_org import GitHubOrgCollector
from tests.github_server import (
    ALL_PERMISSIONS,
    TOKEN,
    CodeScanningAlert,
    DependabotAlert,
    Fault,
    GitHubServer,
    Organization,
    OrgRepository,
    Scenario,
)

TODAY = date(2026, 3, 1)
NOON = datetime(2026, 3, 1, 12, tzinfo=UTC)
FILLER = [f"dev{index:02d}" for index in range(7)]


def days_ago(days: int) -> datetime:
    return NOON - timedelta(days=days)


def organization() -> Organization:
    """alice and dave own the organization; bob and dave have no 2FA; eve (outside) is admin on api, frank
    (outside, no 2FA) only writes; two alerts of each kind are past the policy's periods."""
    return Organization(
        login="octo-org",
        two_factor_required=False,
        members={"alice": "admin", "bob": "member", "carol": "member", "dave": "admin", **dict.fromkeys(FILLER, "member")},
        outside_collaborators={"eve", "frank"},
        two_factor_disabled={"bob", "dave", "frank"},
        repositories={
            "api": OrgRepository(
                "api",
                collaborators={"alice": "admin", "eve": "admin", "frank": "write", "carol": "maintain"},
                outside={"eve", "frank"},
                teams={"platform": "admin", "readers": "pull"},
            ),
            "web": OrgRepository("web", collaborators={"dave": "admin", "frank": "read"}, outside={"frank"}),
            "legacy": OrgRepository("legacy", archived=True, collaborators={"alice": "admin"}),
        },
        dependabot_alerts=[
            DependabotAlert("api", 1, "critical", days_ago(10), package="lodash"),  # past 7 days
            DependabotAlert("api", 2, "high", days_ago(10)),
            DependabotAlert("web", 3, "low", days_ago(200), package="minimist"),  # past 180 days
            DependabotAlert("api", 4, "critical", days_ago(30), state="fixed"),
            DependabotAlert("api", 5, "medium", days_ago(20)),
        ],
        code_scanning_alerts=[
            CodeScanningAlert("api", 1, "high", days_ago(40)),  # past 30 days
            CodeScanningAlert("api", 2, None, days_ago(400), rule="py/unused-import", severity="note"),
            CodeScanningAlert("web", 7, "critical", days_ago(2), rule="js/xss"),
            CodeScanningAlert("web", 8, "critical", days_ago(90), state="dismissed"),
        ],
    )


def scenario(**options: Any) -> Scenario:
    return Scenario(owner="octo-org", organization=organization(), page_size=2, **options)


def context(server: GitHubServer, **environ: str) -> CollectContext:
    variables = {"GITHUB_TOKEN": TOKEN, "GITHUB_API_URL": server.url, "SOC2KIT_GITHUB_ORG": "octo-org", **environ}
    return CollectContext(environ={k: v for k, v in variables.items() if v}, today=TODAY, timeout=10.0)


def collector(**options: Any) -> GitHubOrgCollector:
    return GitHubOrgCollector(retry_backoff=0.01, **options)


def collect(server: GitHubServer, datasets: list[str] | None = None, **environ: str) -> dict[str, Snapshot]:
    chosen = collector()
    snapshots = list(chosen.collect(datasets or list(chosen.datasets), context(server, **environ)))
    return {snapshot.dataset: snapshot for snapshot in snapshots}


def findings(snapshots: dict[str, Snapshot]) -> list[Finding]:
    """The checks run as `soc2kit check` runs them: over the data written as JSON and read back, with no environment."""
    chosen = collector()
    found = []
    for dataset, snapshot in sorted(snapshots.items()):
        recorded = json.loads(json.dumps(snapshot.data, indent=2, sort_keys=True, ensure_ascii=False))
        found += chosen.check(dataset, recorded, CollectContext(environ={}, today=TODAY))
    return found


def offenders(found: list[Finding]) -> dict[str, list[str]]:
    by_check: dict[str, list[str]] = {}
    for finding in found:
        by_check.setdefault(finding.check, []).extend(finding.items)
    return by_check


@pytest.mark.parametrize("github_server", [scenario()], indirect=True)
def test_the_checks_name_exactly_the_offending_members_and_alerts(github_server: GitHubServer) -> None:
    snapshots = collect(github_server)
    assert sorted(snapshots) == sorted(GitHubOrgCollector.datasets)
    found = findings(snapshots)
    assert offenders(found) == {
        "github-org.two-factor-not-required": ["octo-org"],
        "github-org.member-without-2fa": ["bob", "dave"],
        "github-org.outside-collaborator-without-2fa": ["frank"],
        "github-org.outside-collaborator-admin": ["eve"],
        "github-org.dependabot-alert-past-sla": ["octo-org/api#1", "octo-org/web#3"],
        "github-org.code-scanning-alert-past-sla": ["octo-org/api#1"],
    }
    messages = {finding.message for finding in found}
    assert "owner dave of GitHub organization octo-org has two-factor authentication disabled" in messages
    assert "outside collaborator eve holds admin on octo-org/api" in messages
    assert (
        "Dependabot alert octo-org/api#1 (critical, npm/lodash, "
        + snapshots["dependabot-alerts"].data["alerts"][0]["advisory"]
        + ") has been open 10 days, past its 7-day remediation period"
    ) in messages
    assert all(snapshot.system == f"GitHub organization octo-org at {github_server.url}" for snapshot in snapshots.values())
    assert TOKEN not in json.dumps([s.data for s in snapshots.values()]) + json.dumps([s.query for s in snapshots.values()])


@pytest.mark.parametrize("github_server", [scenario()], indirect=True)
def test_the_snapshots_are_normalised_and_hold_what_was_asked(github_server: GitHubServer) -> None:
    snapshots = collect(github_server)
    members = snapshots["members"].data
    assert members["members"][:4] == [
        {"login": "alice", "role": "owner", "two_factor_disabled": False},
        {"login": "bob", "role": "member", "two_factor_disabled": True},
        {"login": "carol", "role": "member", "two_factor_disabled": False},
        {"login": "dave", "role": "owner", "two_factor_disabled": True},
    ]
    assert len(members["members"]) == 4 + len(FILLER)
    assert snapshots["org-settings"].data == {
        "organization": "octo-org",
        "two_factor_requirement_enabled": False,
        "default_repository_permission": "read",
        "members_can_create_repositories": False,
    }
    api = next(r for r in snapshots["repository-admins"].data["repositories"] if r["name"] == "api")
    assert api == {
        "name": "api",
        "archived": False,
        "private": True,
        "admins": [{"login": "alice", "outside": False}, {"login": "eve", "outside": True}],
        "admin_teams": ["platform"],
    }
    assert [r["name"] for r in snapshots["repository-admins"].data["repositories"]] == ["api", "legacy", "web"]
    dependabot = snapshots["dependabot-alerts"].data["alerts"]
    assert [(a["repository"], a["number"]) for a in dependabot] == [
        ("octo-org/api", 1),
        ("octo-org/api", 2),
        ("octo-org/api", 5),
        ("octo-org/web", 3),
    ]
    code_scanning = snapshots["code-scanning-alerts"].data["alerts"]
    assert [(a["repository"], a["number"], a["security_severity"]) for a in code_scanning] == [
        ("octo-org/api", 1, "high"),
        ("octo-org/api", 2, None),
        ("octo-org/web", 7, "critical"),
    ]
    assert snapshots["dependabot-alerts"].query == (
        "GET /orgs/octo-org/dependabot/alerts?state=open (per_page=100, every page by cursor)"
    )


@pytest.mark.parametrize("github_server", [scenario()], indirect=True)
def test_an_unchanged_organization_gives_byte_identical_data(github_server: GitHubServer) -> None:
    # The server stamps every alert's updated_at with the time of the request: a volatile field.
    first = collect(github_server)
    second = collect(github_server)

    def recorded(snapshots: dict[str, Snapshot]) -> dict[str, str]:
        return {name: json.dumps(s.data, indent=2, sort_keys=True, ensure_ascii=False) + "\n" for name, s in snapshots.items()}

    assert recorded(first) == recorded(second)
    assert {name: s.query for name, s in first.items()} == {name: s.query for name, s in second.items()}


@pytest.mark.parametrize("github_server", [scenario()], indirect=True)
def test_every_listing_is_read_over_all_its_pages(github_server: GitHubServer) -> None:
    collect(github_server, ["members", "dependabot-alerts", "code-scanning-alerts"])
    asked = [(exchange.path, dict(parse_qsl(exchange.query))) for exchange in github_server.requests]
    member_pages = [q for path, q in asked if path == "/orgs/octo-org/members" and (q["role"], q["filter"]) == ("all", "all")]
    assert len(member_pages) == 6  # 11 members, 2 a page
    cursors = [query for path, query in asked if path == "/orgs/octo-org/dependabot/alerts"]
    assert len(cursors) == 2
    assert cursors[1]["after"] == "cursor-2"
    assert sum(path == "/orgs/octo-org/code-scanning/alerts" for path, _ in asked) == 2


@pytest.mark.parametrize(
    ("fault", "status"),
    [
        (Fault("too_many", on_request=2, seconds=0.01), 429),
        (Fault("secondary", on_request=2, seconds=0.01), 403),
        (Fault("server", on_request=2, times=3), 502),
    ],
)
def test_rate_limits_and_server_errors_are_retried(fault: Fault, status: int) -> None:
    with GitHubServer(scenario(faults=[fault])) as server:
        snapshots = collect(server, ["outside-collaborators"])
    assert not server.problems
    assert [exchange.status for exchange in server.requests].count(status) == fault.times
    assert [p["login"] for p in snapshots["outside-collaborators"].data["outside_collaborators"]] == ["eve", "frank"]


@pytest.mark.parametrize("github_server", [scenario(token="ghs_" + "Expired" + "y" * 29)], indirect=True)
def test_an_expired_token_is_an_error_that_does_not_hold_it(github_server: GitHubServer) -> None:
    with pytest.raises(CollectorError) as caught:
        collect(github_server, ["members"])
    error = caught.value
    assert error.system == f"GitHub organization octo-org at {github_server.url}"
    assert "401 Bad credentials" in error.message
    assert "wrong, expired or revoked" in error.message
    assert TOKEN not in str(error)
    assert error.permission is None


@pytest.mark.parametrize(
    ("missing", "dataset", "needed"),
    [
        ("members", "members", "members: read"),
        ("members", "outside-collaborators", "members: read"),
        ("vulnerability_alerts", "dependabot-alerts", "vulnerability-alerts: read"),
        ("security_events", "code-scanning-alerts", "security-events: read"),
        ("administration", "repository-admins", "administration: read"),
        ("organization_administration", "org-settings", "organization-administration: read"),
    ],
)
def test_a_missing_permission_is_named(missing: str, dataset: str, needed: str) -> None:
    with GitHubServer(scenario(permissions=ALL_PERMISSIONS - {missing})) as server, pytest.raises(CollectorError) as caught:
        collect(server, [dataset])
    assert not server.problems
    assert caught.value.permission == needed
    assert f"lacks {needed}" in caught.value.message


@pytest.mark.parametrize(
    "github_server", [scenario(permissions=ALL_PERMISSIONS - {"organization_administration"})], indirect=True
)
def test_a_token_that_is_not_an_owners_cannot_hide_members_without_2fa(github_server: GitHubServer) -> None:
    with pytest.raises(CollectorError) as caught:
        collect(github_server, ["members"])
    assert caught.value.message == (
        "GitHub answered 422 Only owners can use this filter. when asked to list the members without two-factor "
        "authentication (owners only) in organization octo-org"
    )


def test_a_run_without_a_token_or_an_organization_says_what_to_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with GitHubServer(scenario()) as server:
        with pytest.raises(CollectorError, match="GITHUB_TOKEN is not set"):
            collect(server, ["members"], GITHUB_TOKEN="")
        monkeypatch.chdir(tmp_path)  # not a Git repository: no origin remote to fall back on
        with pytest.raises(CollectorError, match="cannot tell which organization to read: set SOC2KIT_GITHUB_ORG"):
            collect(server, ["members"], SOC2KIT_GITHUB_ORG="")
        with pytest.raises(CollectorError, match="organization 'octo org' is not a GitHub organization name"):
            collect(server, ["members"], SOC2KIT_GITHUB_ORG="'octo org'")
        with pytest.raises(CollectorError) as caught:
            collect(server, ["members"], GITHUB_API_URL="https://user:secret@ghe.example.com/api/v3")
        assert caught.value.system == "GitHub organization octo-org"
        assert "must not contain a user name or password" in caught.value.message
        assert "secret" not in str(caught.value)
        assert server.requests == []


def test_the_organization_comes_from_the_setting_the_actions_repository_or_the_origin_remote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin", "git@github.com:remote-org/program.git"], check=True)
    monkeypatch.chdir(tmp_path)
    chosen = GitHubOrgCollector()

    def org(**environ: str) -> str:
        return chosen.organization(CollectContext(environ=environ, today=TODAY))

    assert org(SOC2KIT_GITHUB_ORG="set-org", GITHUB_REPOSITORY="actions-org/x") == "set-org"
    assert org(GITHUB_REPOSITORY="actions-org/x") == "actions-org"
    assert org() == "remote-org"


@pytest.mark.parametrize("github_server", [scenario()], indirect=True)
def test_the_alert_periods_come_from_the_policy_and_can_be_set_and_are_recorded(github_server: GitHubServer) -> None:
    policy = collect(github_server, ["dependabot-alerts", "code-scanning-alerts"])
    assert policy["dependabot-alerts"].data["remediation_days"] == {"critical": 7, "high": 30, "medium": 90, "low": 180}
    relaxed = collect(
        github_server, ["dependabot-alerts", "code-scanning-alerts"], SOC2KIT_GITHUB_ALERT_SLA_DAYS="critical=30, high=60"
    )
    assert relaxed["code-scanning-alerts"].data["remediation_days"] == {"critical": 30, "high": 60, "medium": 90, "low": 180}
    # `soc2kit check` gives checks no environment: the periods recorded with the alerts decide.
    assert offenders(findings(relaxed)) == {"github-org.dependabot-alert-past-sla": ["octo-org/web#3"]}
    strict = GitHubOrgCollector(alert_sla_days={"high": 5, "medium": 10}, retry_backoff=0.01)
    chosen = list(strict.collect(["dependabot-alerts"], context(github_server)))
    found = list(strict.check("dependabot-alerts", chosen[0].data, CollectContext(environ={}, today=TODAY)))
    assert offenders(found)["github-org.dependabot-alert-past-sla"] == [
        "octo-org/api#1",
        "octo-org/api#2",
        "octo-org/api#5",
        "octo-org/web#3",
    ]
    asked = len(github_server.requests)
    with pytest.raises(CollectorError, match="SOC2KIT_GITHUB_ALERT_SLA_DAYS must look like critical=7"):
        collect(github_server, ["dependabot-alerts"], SOC2KIT_GITHUB_ALERT_SLA_DAYS="urgent=1")
    assert len(github_server.requests) == asked


@pytest.mark.parametrize(
    ("dataset", "data"),
    [
        ("members", None),
        ("members", {"organization": "o", "members": [{"login": "a", "two_factor_disabled": "yes"}]}),
        ("repository-admins", {"organization": "o", "repositories": [{"name": "r", "admins": "eve"}]}),
        (
            "dependabot-alerts",
            {"organization": "o", "alerts": [{"repository": "o/r", "number": 1, "severity": "high", "created_at": "soon"}]},
        ),
        ("code-scanning-alerts", {"organization": "o", "remediation_days": {}, "alerts": [["not", "an", "object"]]}),
        ("org-settings", {"organization": "o"}),
    ],
)
def test_recorded_data_of_another_shape_is_a_finding_not_a_crash(dataset: str, data: Any) -> None:
    found = list(GitHubOrgCollector().check(dataset, data, CollectContext(environ={}, today=TODAY)))
    assert [f.check for f in found] == ["github-org.data-unrecognised"]
    assert found[0].items == ()
    unknown = list(GitHubOrgCollector().check("teams", {}, CollectContext(environ={}, today=TODAY)))
    assert [f.check for f in unknown] == ["github-org.dataset-unknown"]


def cli_organization() -> Organization:
    """The organization of `organization()` with its alerts dated from the real today (the CLI's)."""
    now = datetime.now(UTC).replace(microsecond=0)
    org = organization()
    for alert in [*org.dependabot_alerts, *org.code_scanning_alerts]:
        alert.created_at = now - (NOON - alert.created_at)
    return org


FED = (
    "    description: Signed review\n"
    "  - id: org-members\n    description: Members of the GitHub organization\n    collector: github-org/members\n"
    "  - id: org-settings\n    description: Two-factor requirement\n    collector: github-org/org-settings\n"
    "  - id: repository-admins\n    description: Repository admins\n    collector: github-org/repository-admins\n"
    "  - id: dependabot\n    description: Open Dependabot alerts\n    collector: github-org/dependabot-alerts\n"
)


def test_soc2kit_collect_github_org_writes_verifiable_records_check_names_the_offenders_and_a_rerun_writes_nothing(
    program_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run_cli

    program_dir.replace("controls/TC-01.md", "    description: Signed review\n", FED)
    root = str(program_dir.root)
    with GitHubServer(Scenario(owner="octo-org", organization=cli_organization(), page_size=2)) as server:
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("SOC2KIT_GITHUB_ORG", "octo-org")
        first = run_cli("collect", "github-org", "--root", root, "--format", "json")
        second = run_cli("collect", "github-org", "--root", root, "--format", "json")
    assert server.problems == []
    assert first.returncode == 1, first.stderr  # the checks found problems
    written = json.loads(first.stdout)["records"]
    assert sorted((r["requirement"], r["written"]) for r in written) == [
        ("dependabot", True),
        ("org-members", True),
        ("org-settings", True),
        ("repository-admins", True),
    ]
    assert [r["written"] for r in json.loads(second.stdout)["records"]] == [False] * 4
    files = sorted(path.name for path in program_dir.root.joinpath("evidence").rglob("*.json"))
    assert files == ["dependabot-alerts.json", "members.json", "org-settings.json", "repository-admins.json"]
    assert all(TOKEN not in path.read_text(encoding="utf-8") for path in program_dir.root.rglob("*") if path.is_file())
    verify = run_cli("evidence", "verify", "--root", root, "--no-history", "--format", "json")
    # verify accepts the records (every digest matches); the checks' findings are check's to report, not verify's.
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["diagnostics"] == [], verify.stdout
    check = run_cli("check", root, "--no-cache", "--format", "json")
    # An SK421 message ends "[CHECK]; N item(s): ITEM, ..." (soc2kit.rules.collected).
    found = sorted(
        (match["check"], item)
        for diagnostic in json.loads(check.stdout)["diagnostics"]
        if diagnostic["code"] == "SK421"
        for match in [re.search(r"\[(?P<check>github-org\.[a-z0-9-]+)\]; \d+ items?: (?P<items>.*)$", diagnostic["message"])]
        if match
        for item in match["items"].split(", ")
    )
    assert found == [
        ("github-org.dependabot-alert-past-sla", "octo-org/api#1"),
        ("github-org.dependabot-alert-past-sla", "octo-org/web#3"),
        ("github-org.member-without-2fa", "bob"),
        ("github-org.member-without-2fa", "dave"),
        ("github-org.outside-collaborator-admin", "eve"),
        ("github-org.two-factor-not-required", "octo-org"),
    ]


def test_soc2kit_collect_github_org_without_a_permission_is_a_finding_naming_it_and_writes_nothing(
    program_dir, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import run_cli

    program_dir.replace("controls/TC-01.md", "    description: Signed review\n", FED)
    before = sorted(program_dir.root.rglob("*"))
    scenario = Scenario(owner="octo-org", organization=cli_organization(), permissions=ALL_PERMISSIONS - {"members"})
    with GitHubServer(scenario) as server:
        monkeypatch.setenv("GITHUB_TOKEN", TOKEN)
        monkeypatch.setenv("GITHUB_API_URL", server.url)
        monkeypatch.setenv("SOC2KIT_GITHUB_ORG", "octo-org")
        failed = run_cli("collect", "github-org", "--root", str(program_dir.root), "--format", "json", "--dry-run")
    assert failed.returncode == 1, failed.stderr
    messages = [d["message"] for d in json.loads(failed.stdout)["diagnostics"]]
    assert any("GitHub organization octo-org" in m and "lacks members: read" in m for m in messages), messages
    assert TOKEN not in failed.stdout + failed.stderr
    assert sorted(program_dir.root.rglob("*")) == before
