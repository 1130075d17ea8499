"""The Google Workspace collector against a local Directory API held to Google's discovery document."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

import pytest
from google_server import (
    CLIENT_VERSION,
    ROLE_SCOPE,
    TOKEN,
    USER_SCOPE,
    DirectoryServer,
    Fault,
    Scenario,
    google_user,
)

from soc2kit.collectors.base import CollectContext, Collector, CollectorError
from soc2kit.collectors.google_workspace import GoogleWorkspaceCollector

TODAY = date(2026, 12, 1)


def scenario(**changes) -> Scenario:
    """Seven users over four pages: alice a super admin, bob without 2-step verification, carol suspended
    but still holding a role, dave dormant, erin a delegated admin without 2-step, frank suspended with
    no role, grace new and never signed in."""
    users = [
        google_user(1, "alice@example.com", is_admin=True),
        google_user(2, "bob@example.com", enrolled=False),
        google_user(3, "carol@example.com", suspended=True, delegated=True),
        google_user(4, "dave@example.com", last_login="2026-06-01T09:00:00.000Z"),
        google_user(5, "erin@example.com", enrolled=False, delegated=True),
        google_user(6, "frank@example.com", suspended=True, enrolled=False),
        google_user(7, "grace@example.com", last_login="1970-01-01T00:00:00.000Z", created="2026-11-25T10:00:00.000Z"),
    ]
    roles = [
        {
            "kind": "admin#directory#role",
            "roleId": "9170516996784129",
            "roleName": "_SEED_ADMIN_ROLE",
            "isSystemRole": True,
            "isSuperAdminRole": True,
        },
        {
            "kind": "admin#directory#role",
            "roleId": "9170516996784130",
            "roleName": "_HELP_DESK_ADMIN_ROLE",
            "isSystemRole": True,
            "isSuperAdminRole": False,
        },
    ]

    def assignment(number: int, role: str, assignee: str, kind: str = "user") -> dict:
        return {
            "kind": "admin#directory#roleAssignment",
            "roleAssignmentId": str(7000 + number),
            "roleId": role,
            "assignedTo": assignee,
            "assigneeType": kind,
            "scopeType": "CUSTOMER",
        }

    assignments = [
        assignment(1, "9170516996784129", users[0]["id"]),
        assignment(2, "9170516996784130", users[4]["id"]),
        assignment(3, "9170516996784130", users[2]["id"]),
        assignment(4, "9170516996784130", "03ep43zb2k1vcy", kind="group"),
    ]
    return Scenario(users=users, roles=roles, role_assignments=assignments, page_size=2, **changes)


class RecordedSleep:
    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def context(server: DirectoryServer, **environ: str) -> CollectContext:
    base = {"GOOGLE_WORKSPACE_TOKEN": TOKEN, "GOOGLE_WORKSPACE_API_URL": server.url}
    return CollectContext(environ={**base, **environ}, today=TODAY, timeout=10)


def collect(server: DirectoryServer, datasets=("users", "admins"), sleep=None, **environ: str) -> dict:
    collector = GoogleWorkspaceCollector(sleep=sleep or RecordedSleep())
    return {snapshot.dataset: snapshot for snapshot in collector.collect(list(datasets), context(server, **environ))}


@pytest.fixture
def server():
    with DirectoryServer(scenario()) as running:
        yield running
    assert running.problems == []


def test_the_discovery_document_is_the_pinned_clients_and_the_collector_is_a_registered_plugin():
    from importlib.metadata import entry_points, version

    assert version("google-api-python-client") == CLIENT_VERSION
    (entry,) = entry_points(group="soc2kit.collectors", name="google-workspace")
    collector = entry.load()()
    assert isinstance(collector, Collector)
    assert set(collector.datasets) == set(collector.permissions) == {"users", "admins"}


def test_users_and_admins_are_collected_over_every_page_in_the_neutral_shape(server):
    snapshots = collect(server)
    users = snapshots["users"].data
    assert [user["email"] for user in users] == sorted(user["email"] for user in users)
    assert len(users) == 7
    by_email = {user["email"]: user for user in users}
    assert by_email["alice@example.com"]["admin_roles"] == ("_SEED_ADMIN_ROLE",)
    assert by_email["bob@example.com"]["second_factor_enrolled"] is False
    assert by_email["carol@example.com"]["status"] == "suspended"
    assert by_email["carol@example.com"]["suspended_at"] == "2026-10-01T12:00:00.000Z"
    assert by_email["grace@example.com"]["last_login"] is None
    assert by_email["dave@example.com"]["last_login"] == "2026-06-01"
    assert set(by_email["alice@example.com"]) == {
        "id", "email", "status", "second_factor_enrolled", "second_factor_enforced", "admin_roles",
        "last_login", "created", "suspended_at", "deleted_at",
    }  # fmt: skip
    assert snapshots["users"].system == "Google Workspace customer C03az79cb"
    assert "admin/directory/v1/users" in snapshots["users"].query
    assert [(grant["role"], grant["assignee"]) for grant in snapshots["admins"].data] == [
        ("_HELP_DESK_ADMIN_ROLE", "03ep43zb2k1vcy"),
        ("_HELP_DESK_ADMIN_ROLE", "carol@example.com"),
        ("_HELP_DESK_ADMIN_ROLE", "erin@example.com"),
        ("_SEED_ADMIN_ROLE", "alice@example.com"),
    ]
    user_pages = [request for request in server.requests if request.startswith("GET admin/directory/v1/users")]
    assert len(user_pages) == 4
    assert sum("pageToken=" in request for request in user_pages) == 3
    assert TOKEN not in json.dumps([snapshot.data for snapshot in snapshots.values()]) + snapshots["users"].query


def test_an_unchanged_directory_gives_byte_identical_data(server):
    first = collect(server)
    second = collect(server)
    for dataset in ("users", "admins"):
        assert json.dumps(first[dataset].data, sort_keys=True) == json.dumps(second[dataset].data, sort_keys=True)
        assert first[dataset].query == second[dataset].query


def findings(dataset: str, data) -> set[tuple[str, tuple[str, ...]]]:
    found = GoogleWorkspaceCollector().check(dataset, json.loads(json.dumps(data)), CollectContext(environ={}, today=TODAY))
    return {(finding.check, finding.items) for finding in found}


def test_checks_name_exactly_the_offending_users(server):
    snapshots = collect(server)
    assert findings("users", snapshots["users"].data) == {
        ("google-workspace.user-without-second-factor", ("bob@example.com",)),
        ("google-workspace.user-without-second-factor", ("erin@example.com",)),
        ("google-workspace.admin-without-second-factor", ("erin@example.com",)),
        ("google-workspace.inactive-user-holds-admin-role", ("carol@example.com",)),
        ("google-workspace.dormant-user", ("dave@example.com",)),
    }
    assert findings("admins", snapshots["admins"].data) == set()


def test_a_super_admin_role_granted_to_a_group_is_a_finding():
    grants = [
        {
            "role": "_SEED_ADMIN_ROLE",
            "super_admin": True,
            "assignee_type": "group",
            "assignee": "admins@example.com",
            "scope": "CUSTOMER",
        }
    ]
    assert findings("admins", grants) == {("google-workspace.super-admin-granted-to-group", ("admins@example.com",))}


@pytest.mark.parametrize("data", [None, "text", {"users": []}, [1, "x"], [{"email": "a@example.com", "status": "gone"}]])
def test_checks_report_data_they_do_not_recognise_instead_of_failing(data):
    assert ("google-workspace.data-unrecognised", ()) in findings("users", data)


def test_a_429_waits_as_long_as_retry_after_says_and_a_5xx_is_retried():
    faults = [
        Fault("admin/directory/v1/users", nth=2, status=429, retry_after="7"),
        Fault("roleassignments", nth=1, status=503),
    ]
    with DirectoryServer(scenario(faults=faults)) as running, DirectoryServer(scenario()) as calm:
        sleep = RecordedSleep()
        retried = collect(running, sleep=sleep)
        assert retried["users"].data == collect(calm)["users"].data
    assert running.problems == []
    assert 7.0 in sleep.waits
    assert len(sleep.waits) == 2


def test_a_spent_quota_answered_with_403_is_retried_too():
    faults = [Fault("admin/directory/v1/users", nth=1, status=403, reason="userRateLimitExceeded")]
    with DirectoryServer(scenario(faults=faults)) as running:
        assert len(collect(running)["users"].data) == 7


def test_a_server_that_keeps_failing_stops_with_a_collector_error_after_bounded_retries():
    faults = [Fault("admin/directory/v1/users", nth=1, status=500, count=100)]
    with DirectoryServer(scenario(faults=faults)) as running:
        sleep = RecordedSleep()
        with pytest.raises(CollectorError, match="HTTP 500 after 6 attempts") as caught:
            collect(running, sleep=sleep)
    assert caught.value.system == "Google Workspace customer my_customer"
    assert len(sleep.waits) == 5
    assert max(sleep.waits) <= 60


def test_an_expired_token_is_a_clear_error_without_the_token():
    with (
        DirectoryServer(scenario(expired_tokens=frozenset({TOKEN}))) as running,
        pytest.raises(CollectorError, match="HTTP 401") as caught,
    ):
        collect(running)
    assert "GOOGLE_WORKSPACE_TOKEN" in caught.value.message
    assert TOKEN not in str(caught.value)


@pytest.mark.parametrize(("granted", "missing"), [({USER_SCOPE}, ROLE_SCOPE), ({ROLE_SCOPE}, USER_SCOPE)])
def test_a_missing_scope_is_named(granted, missing):
    with DirectoryServer(scenario(tokens={TOKEN: frozenset(granted)})) as running, pytest.raises(CollectorError) as caught:
        collect(running)
    assert caught.value.permission == missing
    assert missing in caught.value.message
    assert running.problems == []


def test_no_credentials_and_a_plain_http_api_elsewhere_are_refused(server):
    collector = GoogleWorkspaceCollector()
    with pytest.raises(CollectorError, match="no credentials"):
        list(collector.collect(["users"], CollectContext(environ={"GOOGLE_WORKSPACE_API_URL": server.url}, today=TODAY)))
    elsewhere = CollectContext(
        environ={"GOOGLE_WORKSPACE_TOKEN": TOKEN, "GOOGLE_WORKSPACE_API_URL": "http://admin.example.com"}, today=TODAY
    )
    with pytest.raises(CollectorError, match="must use https") as caught:
        list(collector.collect(["users"], elsewhere))
    assert TOKEN not in str(caught.value)
    assert server.requests == []


def test_an_unknown_dataset_is_refused_before_any_request(server):
    with pytest.raises(CollectorError, match="no dataset named groups"):
        collect(server, datasets=("groups",))
    assert server.requests == []


def service_account_key(tmp_path: Path, server_url: str) -> tuple[Path, str]:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    info = {
        "type": "service_account",
        "project_id": "soc2kit-tests",
        "private_key_id": "0" * 40,
        "private_key": private,
        "client_email": "collector@soc2kit-tests.iam.gserviceaccount.com",
        "client_id": "1" * 21,
        "token_uri": f"{server_url}/token",
    }
    path = tmp_path / "key.json"
    path.write_text(json.dumps(info), encoding="utf-8")
    return path, public


@pytest.mark.parametrize("delegated_scopes", [frozenset({USER_SCOPE, ROLE_SCOPE}), frozenset({USER_SCOPE})])
def test_a_service_account_key_with_domain_wide_delegation(tmp_path, delegated_scopes):
    with DirectoryServer(scenario()) as running:
        key, public = service_account_key(tmp_path, running.url)
        running.scenario.service_account = (public, "collector@soc2kit-tests.iam.gserviceaccount.com", delegated_scopes)
        environ = {
            "GOOGLE_WORKSPACE_API_URL": running.url,
            "GOOGLE_WORKSPACE_CREDENTIALS": str(key),
            "GOOGLE_WORKSPACE_ADMIN": "alice@example.com",
        }
        collector = GoogleWorkspaceCollector(sleep=RecordedSleep())
        if ROLE_SCOPE in delegated_scopes:
            snapshots = list(collector.collect(["users"], CollectContext(environ=environ, today=TODAY)))
            assert len(snapshots[0].data) == 7
        else:
            with pytest.raises(CollectorError, match="domain-wide delegation") as caught:
                list(collector.collect(["users"], CollectContext(environ=environ, today=TODAY)))
            assert "BEGIN PRIVATE KEY" not in str(caught.value)
    assert running.problems == []


def test_a_service_account_key_without_the_admin_to_act_as_is_refused(tmp_path, server):
    environ = {"GOOGLE_WORKSPACE_API_URL": server.url, "GOOGLE_WORKSPACE_CREDENTIALS": str(tmp_path / "key.json")}
    with pytest.raises(CollectorError, match="GOOGLE_WORKSPACE_ADMIN"):
        list(GoogleWorkspaceCollector().collect(["users"], CollectContext(environ=environ, today=TODAY)))


def test_soc2kit_collect_google_workspace_writes_verifiable_records_check_names_the_users_and_a_rerun_writes_nothing(
    program_dir, monkeypatch
):
    from conftest import run_cli

    today = date.today()

    def day(days_ago: int) -> str:
        return f"{today - timedelta(days=days_ago)}T09:00:00.000Z"

    users = [
        google_user(1, "alice@example.com", is_admin=True, last_login=day(2)),
        google_user(2, "bob@example.com", enrolled=False, last_login=day(2)),
        google_user(3, "carol@example.com", suspended=True, delegated=True, last_login=day(200)),
        google_user(4, "dave@example.com", last_login=day(120)),
        google_user(5, "grace@example.com", last_login="1970-01-01T00:00:00.000Z", created=day(3)),
    ]
    base = scenario()
    assignments = [a for a in base.role_assignments if a["assignedTo"] in {users[0]["id"], users[2]["id"]}]
    program_dir.replace(
        "controls/TC-01.md",
        "    description: Signed review\n",
        "    description: Signed review\n"
        "  - id: second-factor\n    description: 2-step verification of every account\n    collector: google-workspace/users\n"
        "  - id: admin-roles\n    description: Admin role assignments\n    collector: google-workspace/admins\n",
    )
    root = str(program_dir.root)
    with DirectoryServer(Scenario(users=users, roles=base.roles, role_assignments=assignments, page_size=2)) as running:
        monkeypatch.setenv("GOOGLE_WORKSPACE_TOKEN", TOKEN)
        monkeypatch.setenv("GOOGLE_WORKSPACE_API_URL", running.url)
        first = run_cli("collect", "google-workspace", "--root", root, "--format", "json")
        second = run_cli("collect", "google-workspace", "--root", root, "--format", "json")
    assert running.problems == []
    assert first.returncode == 1, first.stderr  # the checks found problems
    written = json.loads(first.stdout)["records"]
    assert sorted((r["requirement"], r["written"]) for r in written) == [("admin-roles", True), ("second-factor", True)]
    assert [r["written"] for r in json.loads(second.stdout)["records"]] == [False, False]
    files = sorted(program_dir.root.joinpath("evidence").rglob("*.json"))
    assert sorted(path.name for path in files) == ["admins.json", "users.json"]
    assert all(TOKEN not in path.read_text(encoding="utf-8") for path in program_dir.root.rglob("*") if path.is_file())
    verify = run_cli("evidence", "verify", "--root", root, "--no-history", "--format", "json")
    # verify accepts the records (every digest matches); the checks' findings are check's to report, not verify's.
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert json.loads(verify.stdout)["diagnostics"] == [], verify.stdout
    check = run_cli("check", root, "--no-cache", "--format", "json")
    found = {
        (check_id, email)
        for diagnostic in json.loads(check.stdout)["diagnostics"]
        if diagnostic["code"] == "SK421"
        for check_id in re.findall(r"google-workspace\.[a-z-]+", diagnostic["message"])
        for email in set(re.findall(r"[a-z]+@example\.com", diagnostic["message"]))
    }
    assert found == {
        ("google-workspace.user-without-second-factor", "bob@example.com"),
        ("google-workspace.inactive-user-holds-admin-role", "carol@example.com"),
        ("google-workspace.dormant-user", "dave@example.com"),
    }


def test_soc2kit_collect_with_a_missing_scope_is_a_finding_naming_it_and_writes_nothing(program_dir, monkeypatch):
    from conftest import run_cli

    program_dir.replace(
        "controls/TC-01.md",
        "    description: Signed review\n",
        "    description: Signed review\n  - id: second-factor\n    description: 2-step verification\n    collector: google-workspace/users\n",
    )
    before = sorted(program_dir.root.rglob("*"))
    with DirectoryServer(scenario(tokens={TOKEN: frozenset({USER_SCOPE})})) as running:
        monkeypatch.setenv("GOOGLE_WORKSPACE_TOKEN", TOKEN)
        monkeypatch.setenv("GOOGLE_WORKSPACE_API_URL", running.url)
        failed = run_cli("collect", "google-workspace", "--root", str(program_dir.root), "--format", "json")
    assert failed.returncode == 1
    messages = [d["message"] for d in json.loads(failed.stdout)["diagnostics"]]
    assert any("Google Workspace customer my_customer" in m and ROLE_SCOPE in m for m in messages), messages
    assert TOKEN not in failed.stdout + failed.stderr
    assert sorted(program_dir.root.rglob("*")) == before


@pytest.mark.parametrize(
    "content",
    [
        "not json",
        '{"type": "service_account"}',
        "[]",
        '{"private_key": "-----BEGIN PRIVATE KEY-----\\nAAAA\\n-----END PRIVATE KEY-----\\n", "client_email": "x@y"}',
    ],
)
def test_a_damaged_service_account_key_is_a_clear_error(tmp_path, server, content):
    key = tmp_path / "key.json"
    key.write_text(content, encoding="utf-8")
    environ = {
        "GOOGLE_WORKSPACE_API_URL": server.url,
        "GOOGLE_WORKSPACE_CREDENTIALS": str(key),
        "GOOGLE_WORKSPACE_ADMIN": "alice@example.com",
    }
    with pytest.raises(CollectorError, match="readable service account key") as caught:
        list(GoogleWorkspaceCollector().collect(["users"], CollectContext(environ=environ, today=TODAY)))
    assert "PRIVATE KEY" not in str(caught.value)
    assert server.requests == []


@pytest.mark.parametrize(("retry_after", "wait"), [("3600", 60.0), ("Thu, 01 Jan 2026 00:00:00 GMT", 0.0), ("soon", 1.0)])
def test_retry_after_is_bounded_and_read_as_seconds_or_a_date(retry_after, wait):
    faults = [Fault("roles", nth=1, status=429, retry_after=retry_after)]
    with DirectoryServer(scenario(faults=faults)) as running:
        sleep = RecordedSleep()
        collect(running, sleep=sleep)
    assert sleep.waits == [wait]


def test_a_token_expiring_part_way_through_the_pages_yields_no_snapshot_at_all():
    faults = [Fault("admin/directory/v1/users", nth=3, status=401)]
    collector = GoogleWorkspaceCollector(sleep=RecordedSleep())
    with DirectoryServer(scenario(faults=faults)) as running:
        snapshots = collector.collect(["users", "admins"], context(running))
        with pytest.raises(CollectorError, match="HTTP 401"):
            next(snapshots)
    assert running.problems == []


@pytest.mark.parametrize("token", ["tok\u00e9n", "two words", "line\nbreak"])
def test_a_token_that_cannot_be_a_header_is_refused_without_being_shown(server, token):
    with pytest.raises(CollectorError, match="does not hold an access token") as caught:
        collect(server, GOOGLE_WORKSPACE_TOKEN=token)
    assert token not in str(caught.value)
    assert server.requests == []
