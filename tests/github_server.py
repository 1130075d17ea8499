"""A GitHub REST API on 127.0.0.1 for tests: serves a `Scenario`, checked against GitHub's own description.

Every request the client sends and every answer the server gives is validated with openapi-core against
the api.github.com description of the npm package @octokit/openapi (pinned below; .ci/run installs it into
.ci/npm). Problems are collected in `GitHubServer.problems`; the `github_server` fixture fails the test when
any are left, so an answer shape we invented (or a request GitHub would not understand) fails the test.

The server pages lists through Link headers (`Scenario.page_size` caps per_page), announces and enforces a
primary rate-limit budget (x-ratelimit-* headers; a request over budget gets GitHub's 403 and is counted in
`over_budget`), checks the token (401) and the token's permissions (403 with x-accepted-github-permissions),
and injects `Fault`s on chosen requests: a secondary rate limit (403 + retry-after), a primary one (403,
remaining 0, x-ratelimit-reset), a 429 with retry-after, a 502, a 401 or a slow answer. `Scenario.organization`
adds an organization: members, outside collaborators, repositories with their admins, Dependabot and
code-scanning alerts (the Dependabot listing pages by cursor, as GitHub's does).
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import os
import random
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal, Self
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

import pytest

SPEC_PACKAGE = "@octokit/openapi"
SPEC_VERSION = "23.0.2"
SPEC_FILE = "generated/api.github.com.json"
REPO_ROOT = Path(__file__).resolve().parent.parent
SPEC_SEARCH = (REPO_ROOT / ".ci" / "npm" / "node_modules", REPO_ROOT / "node_modules")

TOKEN = "ghs_" + "T0kenForTests" + "x" * 23  # a made-up token the tests look for everywhere
WEB_FLOW = "web-flow"
EPOCH = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
ALL_PERMISSIONS = frozenset(
    {
        "metadata",
        "pull_requests",
        "contents",
        "checks",
        "statuses",
        "administration",
        "members",
        "organization_administration",
        "vulnerability_alerts",
        "security_events",
    }
)


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def fake_sha(*parts: object) -> str:
    return hashlib.sha1(":".join(map(str, parts)).encode(), usedforsecurity=False).hexdigest()


def _id(*parts: object) -> int:
    return int(hashlib.sha256(":".join(map(str, parts)).encode()).hexdigest()[:12], 16)


@dataclass
class Commit:
    sha: str
    parents: list[str]
    author: str  # login ("" for an email with no account)
    committer: str
    date: datetime
    message: str
    author_name: str = ""
    author_email: str = ""
    committer_name: str = ""
    committer_email: str = ""

    def __post_init__(self) -> None:
        self.author_name = self.author_name or (self.author.title() or "Someone")
        self.author_email = self.author_email or f"{self.author or 'someone'}@example.com"
        if self.committer == WEB_FLOW:
            self.committer_name = self.committer_name or "GitHub"
            self.committer_email = self.committer_email or "noreply@github.com"
        self.committer_name = self.committer_name or (self.committer.title() or "Someone")
        self.committer_email = self.committer_email or f"{self.committer or 'someone'}@example.com"


@dataclass
class Review:
    id: int
    user: str
    state: Literal["APPROVED", "CHANGES_REQUESTED", "COMMENTED", "DISMISSED", "PENDING"]
    submitted_at: datetime | None
    commit_id: str | None


@dataclass
class Pull:
    number: int
    title: str
    user: str
    base: str
    head_ref: str
    head_sha: str
    created_at: datetime
    updated_at: datetime
    closed_at: datetime | None = None
    merged_at: datetime | None = None
    merged_by: str | None = None
    merge_commit_sha: str | None = None
    commits: list[str] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    landed: list[str] = field(default_factory=list)
    """The commits the merge put on the base branch: the merge or squash commit, or every rebased commit."""


@dataclass
class CheckRun:
    name: str
    status: str = "completed"
    conclusion: str | None = "success"


@dataclass
class Status:
    context: str
    state: str = "success"
    created_at: datetime = EPOCH


@dataclass
class Fault:
    """An answer injected instead of the real one, on requests number `on_request` .. on_request+times-1."""

    kind: Literal["secondary", "too_many", "primary", "server", "unauthorized", "slow"]
    on_request: int = 1
    times: int = 1
    seconds: float = 1.0  # retry-after, time to reset, or delay


@dataclass
class OrgRepository:
    """A repository of the organization: who holds which role on it."""

    name: str
    archived: bool = False
    collaborators: dict[str, str] = field(default_factory=dict)  # login -> role_name (admin, maintain, write, ...)
    outside: set[str] = field(default_factory=set)  # the collaborators who are not organization members
    teams: dict[str, str] = field(default_factory=dict)  # slug -> permission (admin, maintain, push, triage, pull)


@dataclass
class DependabotAlert:
    repository: str
    number: int
    severity: Literal["low", "medium", "high", "critical"]
    created_at: datetime
    package: str = "left-pad"
    ecosystem: str = "npm"
    state: Literal["open", "dismissed", "fixed", "auto_dismissed"] = "open"


@dataclass
class CodeScanningAlert:
    repository: str
    number: int
    security_severity: Literal["low", "medium", "high", "critical"] | None
    created_at: datetime
    rule: str = "py/sql-injection"
    severity: Literal["none", "note", "warning", "error"] = "error"
    state: Literal["open", "dismissed", "fixed"] = "open"
    path: str = "app/views.py"


@dataclass
class Organization:
    """An organization as its owner sees it: members with roles, outside collaborators, repositories, alerts."""

    login: str = "octo-org"
    two_factor_required: bool = False
    members: dict[str, str] = field(default_factory=dict)  # login -> "admin" (owner) or "member"
    outside_collaborators: set[str] = field(default_factory=set)
    two_factor_disabled: set[str] = field(default_factory=set)
    repositories: dict[str, OrgRepository] = field(default_factory=dict)
    dependabot_alerts: list[DependabotAlert] = field(default_factory=list)
    code_scanning_alerts: list[CodeScanningAlert] = field(default_factory=list)


@dataclass
class Scenario:
    owner: str = "octo-org"
    repo: str = "product"
    default_branch: str = "main"
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)  # name -> head sha
    pulls: dict[int, Pull] = field(default_factory=dict)
    check_runs: dict[str, list[CheckRun]] = field(default_factory=dict)
    statuses: dict[str, list[Status]] = field(default_factory=dict)  # newest first, as GitHub lists them
    protection: dict[str, dict[str, Any]] = field(default_factory=dict)
    page_size: int = 100
    rate_limit: int = 5000
    rate_window: float = 3600.0
    faults: list[Fault] = field(default_factory=list)
    token: str = TOKEN
    permissions: frozenset[str] = ALL_PERMISSIONS
    prefix: str = ""  # "/api/v3" for a GitHub Enterprise Server
    validate: bool = True
    tamper: Any = None  # callable(path, body) -> body, to serve a shape GitHub never would
    organization: Organization | None = None

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"

    def add_commit(self, commit: Commit) -> Commit:
        self.commits[commit.sha] = commit
        return commit

    def add_pull(
        self,
        number: int,
        *,
        author: str,
        commits: list[tuple[str, datetime]] | None = None,
        merged_by: str | None = "maintainer",
        merged_at: datetime | None = None,
        method: Literal["merge", "squash", "rebase"] = "merge",
        reviews: list[tuple[str, str, datetime | None, str | None]] | None = None,
        base: str | None = None,
        title: str | None = None,
    ) -> Pull:
        """A pull request with its branch commits (authors and dates), merged onto the base branch's head."""
        base = base or self.default_branch
        created = merged_at - timedelta(hours=6) if merged_at else EPOCH
        if base not in self.branches:
            self.push(author=self.owner, when=EPOCH - timedelta(days=30), message="Initial commit", branch=base)
        parent = self.branches.get(base)
        shas: list[str] = []
        previous = parent
        for index, (commit_author, when) in enumerate(commits or [(author, created + timedelta(minutes=5))]):
            commit = self.add_commit(
                Commit(
                    sha=fake_sha(self.full_name, number, index),
                    parents=[previous] if previous else [],
                    author=commit_author,
                    committer=commit_author,
                    date=when,
                    message=f"Work {index + 1} for #{number}",
                )
            )
            shas.append(commit.sha)
            previous = commit.sha
        head = shas[-1]
        pull = Pull(
            number=number,
            title=title or f"Change {number}",
            user=author,
            base=base,
            head_ref=f"feature-{number}",
            head_sha=head,
            created_at=created,
            updated_at=merged_at or created,
            commits=shas,
        )
        if merged_at is not None:
            pull.closed_at = merged_at
            pull.merged_at = merged_at
            pull.merged_by = merged_by
            if method == "rebase":
                # GitHub replays each commit onto the base with itself as committer: new shas, dated at the
                # merge; the last one is the pull request's merge_commit_sha.
                onto = parent
                for index, sha in enumerate(shas):
                    original = self.commits[sha]
                    rebased = self.add_commit(
                        Commit(
                            sha=fake_sha(self.full_name, number, "rebase", index),
                            parents=[onto] if onto else [],
                            author=original.author,
                            committer=WEB_FLOW,
                            date=merged_at,
                            message=original.message,
                        )
                    )
                    pull.landed.append(rebased.sha)
                    onto = rebased.sha
                pull.merge_commit_sha = onto
                self.branches[base] = onto  # type: ignore[assignment]
            elif method == "merge":
                merge = Commit(
                    sha=fake_sha(self.full_name, number, "merge"),
                    parents=[p for p in (parent, head) if p],
                    author=merged_by or "",
                    committer=WEB_FLOW,
                    date=merged_at,
                    message=f"Merge pull request #{number} from {self.owner}/feature-{number}\n\n{pull.title}",
                )
            else:
                merge = Commit(
                    sha=fake_sha(self.full_name, number, method),
                    parents=[parent] if parent else [],
                    author=author,
                    committer=WEB_FLOW,
                    date=merged_at,
                    message=f"{pull.title} (#{number})",
                )
            if method != "rebase":
                self.add_commit(merge)
                pull.merge_commit_sha = merge.sha
                pull.landed = [merge.sha]
                self.branches[base] = merge.sha
        for offset, (reviewer, state, when, commit_id) in enumerate(reviews or []):
            pull.reviews.append(
                Review(
                    id=number * 1000 + offset + 1,
                    user=reviewer,
                    state=state,  # type: ignore[arg-type]
                    submitted_at=when,
                    commit_id=commit_id if commit_id is not None else head,
                )
            )
        self.pulls[number] = pull
        return pull

    def push(self, *, author: str, when: datetime, message: str = "Direct change", branch: str | None = None) -> Commit:
        """A commit pushed straight onto a branch, without a pull request."""
        branch = branch or self.default_branch
        parent = self.branches.get(branch)
        commit = self.add_commit(
            Commit(
                sha=fake_sha(self.full_name, "push", branch, when.isoformat(), message),
                parents=[parent] if parent else [],
                author=author,
                committer=author,
                date=when,
                message=message,
            )
        )
        self.branches[branch] = commit.sha
        return commit

    @classmethod
    def generate(
        cls, *, pull_requests: int, page_size: int = 100, seed: int = 0, last_merge: datetime | None = None, **options: Any
    ) -> Scenario:
        """`pull_requests` merged pull requests over 2026 (merge, squash and rebase), with reviews of every kind,
        some direct pushes, check runs and statuses on each pull request's head, and a protected default branch."""
        rng = random.Random(seed)
        scenario = cls(page_size=page_size, **options)
        people = [f"dev{index:02d}" for index in range(24)]
        span = (last_merge or datetime(2026, 12, 20, tzinfo=UTC)) - EPOCH
        moments = sorted(EPOCH + span * rng.random() for _ in range(pull_requests))
        scenario.push(author="maintainer", when=EPOCH - timedelta(days=1), message="Initial commit")
        for number, moment in enumerate(moments, start=1):
            merged_at = moment.replace(microsecond=0)
            author = rng.choice(people)
            others = [p for p in people if p != author]
            commits = [(author, merged_at - timedelta(hours=5, minutes=k)) for k in range(rng.randint(1, 3), 0, -1)]
            if rng.random() < 0.1:
                commits.append((rng.choice(others), merged_at - timedelta(hours=4)))
            kind = rng.random()
            reviewer = rng.choice(others)
            before = merged_at - timedelta(hours=1)
            if kind < 0.7:
                reviews = [(reviewer, "APPROVED", before, None)]
            elif kind < 0.78:
                reviews = [(reviewer, "DISMISSED", before, None)]
            elif kind < 0.84:
                reviews = [(author, "APPROVED", before, None)]
            elif kind < 0.9:
                reviews = [(reviewer, "APPROVED", merged_at + timedelta(hours=2), None)]
            elif kind < 0.95:
                reviews = [
                    (reviewer, "CHANGES_REQUESTED", before - timedelta(hours=1), None),
                    (reviewer, "APPROVED", before, None),
                ]
            else:
                reviews = []
            draw = rng.random()
            method = "merge" if draw < 0.6 else "squash" if draw < 0.95 else "rebase"
            pull = scenario.add_pull(
                number,
                author=author,
                commits=commits,
                merged_by=rng.choice([*others, "maintainer"]),
                merged_at=merged_at,
                method=method,  # type: ignore[arg-type]
                reviews=reviews,
            )
            # Branch protection judges the checks on the pull request's head, where they run before the merge.
            scenario.check_runs[pull.head_sha] = [CheckRun("test", conclusion="success" if rng.random() < 0.95 else "failure")]
            scenario.statuses[pull.head_sha] = [Status("ci/lint", created_at=merged_at - timedelta(minutes=30))]
            if rng.random() < 0.02:
                scenario.push(author=rng.choice(people), when=merged_at + timedelta(minutes=1), message=f"Hotfix after #{number}")
        scenario.protection[scenario.default_branch] = protection_rules(scenario, ["test", "ci/lint"])
        return scenario


def protection_rules(scenario: Scenario, checks: list[str]) -> dict[str, Any]:
    """Branch protection as GitHub answers it: required reviews, stale dismissal, admins included, checks."""
    base = f"https://api.github.com/repos/{scenario.full_name}/branches/{scenario.default_branch}/protection"
    return {
        "url": base,
        "required_status_checks": {
            "url": f"{base}/required_status_checks",
            "strict": True,
            "contexts": checks,
            "checks": [{"context": name, "app_id": None} for name in checks],
            "contexts_url": f"{base}/required_status_checks/contexts",
        },
        "required_pull_request_reviews": {
            "url": f"{base}/required_pull_request_reviews",
            "dismiss_stale_reviews": True,
            "require_code_owner_reviews": True,
            "required_approving_review_count": 1,
            "require_last_push_approval": True,
        },
        "enforce_admins": {"url": f"{base}/enforce_admins", "enabled": True},
        "required_linear_history": {"enabled": False},
        "allow_force_pushes": {"enabled": False},
        "allow_deletions": {"enabled": False},
        "required_conversation_resolution": {"enabled": True},
    }


_NPM_TRIED: list[str] = []


@functools.cache
def spec_path() -> Path:
    """The api.github.com description inside the pinned @octokit/openapi package (.ci/run installs it)."""
    for folder in SPEC_SEARCH:
        package = folder / SPEC_PACKAGE
        manifest = package / "package.json"
        if manifest.is_file():
            version = json.loads(manifest.read_text(encoding="utf-8")).get("version")
            if version != SPEC_VERSION:
                msg = f"{manifest} is version {version}, the tests pin {SPEC_VERSION}"
                raise RuntimeError(msg)
            return package / SPEC_FILE
    # Not there (the README's test command on a fresh machine): fetch it with npm from the registry when
    # npm exists; otherwise skip the GitHub tests with one reason, except in CI, where they must run.
    npm = shutil.which("npm")
    if npm is not None and not _NPM_TRIED:
        _NPM_TRIED.append(npm)  # once per session: a failed install is not retried by every test
        subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(SPEC_SEARCH[0].parent),
                "--no-save",
                "--no-audit",
                "--no-fund",
                f"{SPEC_PACKAGE}@{SPEC_VERSION}",
            ],
            capture_output=True,
            check=False,
        )
        if (SPEC_SEARCH[0] / SPEC_PACKAGE / SPEC_FILE).is_file():
            return SPEC_SEARCH[0] / SPEC_PACKAGE / SPEC_FILE
    msg = f"GitHub's OpenAPI description is missing: npm install --prefix .ci/npm --no-save {SPEC_PACKAGE}@{SPEC_VERSION}"
    if os.environ.get("CI") or os.environ.get("SOC2KIT_REQUIRE_BROWSER"):
        raise RuntimeError(msg)
    pytest.skip(f"GitHub API tests not run: {msg} (npm was not found or could not install it)")


@functools.cache
def openapi_spec() -> dict[str, Any]:
    """GitHub's REST API description (loaded once per test session)."""
    return json.loads(spec_path().read_text(encoding="utf-8"))


@dataclass
class _Operation:
    """One GET operation of the description: its path pattern, parameters and answer schemas."""

    template: str
    pattern: re.Pattern[str]
    parameters: dict[tuple[str, str], dict[str, Any]]  # (in, name) -> parameter object
    responses: dict[str, Any]
    validators: dict[str, Any] = field(default_factory=dict)


@functools.cache
def _operations() -> tuple[_Operation, ...]:
    spec = openapi_spec()
    found = []
    for template, item in spec["paths"].items():
        operation = item.get("get")
        if operation is None:
            continue
        regex = re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(template))
        parameters = {}
        for parameter in [*item.get("parameters", []), *operation.get("parameters", [])]:
            resolved = _resolve(parameter)
            parameters[resolved["in"], resolved["name"]] = resolved
        found.append(_Operation(template, re.compile(regex), parameters, operation["responses"]))
    # Literal segments win over placeholders, as GitHub routes them (`/pulls/comments` before `/pulls/{n}`).
    found.sort(key=lambda op: op.template.count("{"))
    return tuple(found)


def _resolve(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        target: Any = openapi_spec()
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def _operation(path: str) -> _Operation | None:
    return next((op for op in _operations() if op.pattern.fullmatch(path)), None)


@functools.cache
def _components() -> dict[str, Any]:
    return _json_schema(openapi_spec()["components"])


def _json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema objects as JSON Schema: `nullable: true` becomes a "null" type (or an anyOf with
    null beside a reference, whose siblings JSON Schema ignores); examples and x- extensions are dropped."""
    if isinstance(node, list):
        return [_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: _json_schema(value) for key, value in node.items() if not key.startswith("x-") and key not in {"example", "examples"}
    }
    if out.pop("nullable", False) is True:
        if "type" in out and "$ref" not in out:
            kinds = out["type"] if isinstance(out["type"], list) else [out["type"]]
            out["type"] = [*kinds, "null"]
            if "enum" in out and None not in out["enum"]:
                out["enum"] = [*out["enum"], None]
        else:
            out = {"anyOf": [out, {"type": "null"}]}
    return out


def _validator(schema: Any) -> Any:
    import jsonschema_rs

    converted = _json_schema(schema)
    if "$ref" in json.dumps(converted):
        # Rooted beside the description's components, so `#/components/...` references resolve as in the file.
        converted = {**converted, "components": _components()}
    return jsonschema_rs.Draft4Validator(converted, validate_formats=True)


def _schema_problems(operation: _Operation, key: str, schema: Any, value: Any) -> list[str]:
    validator = operation.validators.get(key)
    if validator is None:
        validator = operation.validators[key] = _validator(schema)
    return [
        f"{'/'.join(map(str, error.instance_path)) or '(top)'}: {error.message[:300]}"
        for _, error in zip(range(10), validator.iter_errors(value), strict=False)
    ]


def _query_value(schema: dict[str, Any], text: str) -> Any:
    """A query string value as the parameter's schema types it (GitHub's parameters are scalars)."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(text)
        if kind == "number":
            return float(text)
    except ValueError:
        return text
    if kind == "boolean":
        return {"true": True, "false": False}.get(text, text)
    return text


def validation_problems(
    method: str,
    path: str,
    query: str,
    status: int | None = None,
    body: Any = None,
) -> list[str]:
    """What GitHub's description says is wrong with a GET request (and, given `status`, with its JSON answer).

    `path` is the path under the API root (no GHES prefix)."""
    if method != "GET":
        return [f"{method} {path}: soc2kit only reads; the tests serve no other method"]
    operation = _operation(path)
    if operation is None:
        return [f"GET {path}: no such operation in GitHub's API description"]
    where = f"GET {operation.template}"
    problems = []
    for name, text in parse_qsl(query, keep_blank_values=True):
        parameter = operation.parameters.get(("query", name))
        if parameter is None:
            problems.append(f"{where}: query parameter {name!r} is not in the description")
            continue
        schema = _resolve(parameter.get("schema", {}))
        value = _query_value(schema, text)
        problems += [f"{where}: query {name}={text!r}: {p}" for p in _schema_problems(operation, f"query:{name}", schema, value)]
    if status is None:
        return problems
    answer = _resolve(operation.responses.get(str(status)) or operation.responses.get("default") or {})
    if not answer:
        return [*problems, f"{where}: answer {status} is not in the description"]
    content = answer.get("content", {}).get("application/json")
    if content is None:
        return problems
    problems += [
        f"{where} answer {status}: {p}" for p in _schema_problems(operation, f"answer:{status}", content["schema"], body)
    ]
    return problems


_OPERATIONS: list[tuple[re.Pattern[str], str, str]] = [
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)"), "repository", "metadata"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls"), "pulls", "pull_requests"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)"), "pull", "pull_requests"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/reviews"), "reviews", "pull_requests"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/pulls/(?P<n>\d+)/commits"), "pull_commits", "pull_requests"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/commits"), "commits", "contents"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/commits/(?P<sha>[^/]+)/pulls"), "commit_pulls", "pull_requests"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/commits/(?P<sha>[^/]+)/check-runs"), "check_runs", "checks"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/commits/(?P<sha>[^/]+)/statuses"), "statuses", "statuses"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/branches/(?P<b>[^/]+)/protection"), "protection", "administration"),
    # The organization's routes: "" needs no permission (GitHub then leaves the owner-only fields out).
    (re.compile(r"/orgs/(?P<org>[^/]+)"), "org", ""),
    (re.compile(r"/orgs/(?P<org>[^/]+)/members"), "org_members", "members"),
    (re.compile(r"/orgs/(?P<org>[^/]+)/outside_collaborators"), "outside_collaborators", "members"),
    (re.compile(r"/orgs/(?P<org>[^/]+)/repos"), "org_repositories", "metadata"),
    (re.compile(r"/orgs/(?P<org>[^/]+)/dependabot/alerts"), "dependabot_alerts", "vulnerability_alerts"),
    (re.compile(r"/orgs/(?P<org>[^/]+)/code-scanning/alerts"), "code_scanning_alerts", "security_events"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/collaborators"), "collaborators", "metadata"),
    (re.compile(r"/repos/(?P<o>[^/]+)/(?P<r>[^/]+)/teams"), "teams", "administration"),
]
_ORGANIZATION_REPOSITORY_OPERATIONS = frozenset({"collaborators", "teams"})


@dataclass
class Exchange:
    method: str
    path: str
    query: str
    headers: dict[str, str]
    status: int = 0


class GitHubServer:
    """The running server: `.url` (API base URL), `.scenario`, `.requests` (log of `Exchange`), `.problems`."""

    def __init__(self, scenario: Scenario) -> None:
        self.scenario = scenario
        self.requests: list[Exchange] = []
        self.problems: list[str] = []
        self.over_budget = 0
        self._lock = threading.Lock()
        self._window_reset = 0
        self._used = 0
        if scenario.validate:
            _operations()
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in separate writes

            def do_GET(self) -> None:
                server.handle(self)

            def do_POST(self) -> None:
                server.handle(self)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self._http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._http.daemon_threads = True
        self.port = self._http.server_address[1]
        self._thread = threading.Thread(target=self._http.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.scenario.prefix}"

    def start(self) -> GitHubServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._thread.is_alive():  # shutdown() waits for serve_forever, which never ran otherwise
            self._http.shutdown()
        self._http.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def handle(self, handler: BaseHTTPRequestHandler) -> None:
        split = urlsplit(handler.path)
        headers = {key.lower(): value for key, value in handler.headers.items()}
        length = int(headers.get("content-length") or 0)
        if length:
            handler.rfile.read(length)
        with self._lock:
            exchange = Exchange(handler.command, split.path, split.query, headers)
            self.requests.append(exchange)
            number = len(self.requests)
        try:
            status, extra, body = self._answer(handler.command, split.path, split.query, headers, number)
        except Exception as exc:  # a bug in the test server: reported, not left to hang the client
            with self._lock:
                self.problems.append(f"server failed on {handler.command} {handler.path}: {exc!r}")
            status, extra, body = 500, {}, {"message": "test server failed"}
        exchange.status = status
        payload = b"" if body is None else json.dumps(body).encode()
        response_headers = {"content-type": "application/json; charset=utf-8", **extra}
        handler.send_response(status)
        for key, value in response_headers.items():
            handler.send_header(key, value)
        handler.send_header("content-length", str(len(payload)))
        handler.end_headers()
        handler.wfile.write(payload)

    def _answer(
        self, method: str, path: str, query: str, headers: dict[str, str], number: int
    ) -> tuple[int, dict[str, str], Any]:
        scenario = self.scenario
        if not path.startswith(scenario.prefix + "/"):
            return 404, {}, _error("Not Found")
        api_path = path[len(scenario.prefix) :]
        if scenario.validate:
            problems = validation_problems(method, api_path, query)
            with self._lock:
                self.problems.extend(problems)
        fault = next((f for f in scenario.faults if f.on_request <= number < f.on_request + f.times), None)
        if fault and fault.kind == "slow":
            time.sleep(fault.seconds)
            fault = None
        if (fault and fault.kind == "unauthorized") or headers.get("authorization") not in {
            f"token {scenario.token}",
            f"Bearer {scenario.token}",
        }:
            return 401, {}, _error("Bad credentials", status="401")
        limits, spent = self._spend(fault)
        if fault and fault.kind == "secondary":
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            return 403, {**limits, "retry-after": str(math.ceil(fault.seconds))}, _error(message, status="403")
        if fault and fault.kind == "too_many":  # GitHub also answers a secondary rate limit with 429
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            return 429, {**limits, "retry-after": str(math.ceil(fault.seconds))}, _error(message, status="429")
        if spent:
            return 403, limits, _error("API rate limit exceeded for installation.", status="403")
        if fault and fault.kind == "server":
            return 502, limits, {"message": "Server Error"}
        status, extra, body = self._route(method, api_path, query)
        if scenario.tamper is not None and 200 <= status < 300:
            body = scenario.tamper(api_path, body)
        if scenario.validate:
            declared = 200 <= status < 300 or status == 404
            if declared:
                problems = validation_problems(method, api_path, query, status, body)
                with self._lock:
                    self.problems.extend(problems)
        return status, {**limits, **extra}, body

    def _spend(self, fault: Fault | None) -> tuple[dict[str, str], bool]:
        """The rate-limit headers for this request, and whether the budget was already spent."""
        scenario = self.scenario
        with self._lock:
            now = time.time()
            if now >= self._window_reset:
                self._window_reset = math.ceil(now + scenario.rate_window)
                self._used = 0
            planned = fault is not None and fault.kind == "primary"
            if planned:
                self._window_reset = math.ceil(now + fault.seconds)  # type: ignore[union-attr]
                self._used = scenario.rate_limit
            spent = self._used >= scenario.rate_limit
            if spent and not planned:
                self.over_budget += 1
            if not spent:
                self._used += 1
            return {
                "x-ratelimit-limit": str(scenario.rate_limit),
                "x-ratelimit-remaining": str(scenario.rate_limit - self._used),
                "x-ratelimit-used": str(self._used),
                "x-ratelimit-reset": str(self._window_reset),
                "x-ratelimit-resource": "core",
            }, spent

    def _route(self, method: str, path: str, query: str) -> tuple[int, dict[str, str], Any]:
        scenario = self.scenario
        params = dict(parse_qsl(query))
        if method != "GET":
            return 404, {}, _error("Not Found")
        for pattern, operation, permission in _OPERATIONS:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            if not self._known(match, operation):
                return 404, {}, _error("Not Found", status="404")
            if permission and permission not in scenario.permissions:
                return (
                    403,
                    {"x-accepted-github-permissions": f"{permission}=read"},
                    _error("Resource not accessible by integration", status="403"),
                )
            return getattr(self, f"_get_{operation}")(match, params, path)
        return 404, {}, _error("Not Found", status="404")

    def _known(self, match: re.Match[str], operation: str) -> bool:
        """Whether the organization or repository a route names exists in the scenario."""
        scenario, organization = self.scenario, self.scenario.organization
        groups = match.groupdict()
        if "org" in groups:
            return organization is not None and groups["org"] == organization.login
        if operation in _ORGANIZATION_REPOSITORY_OPERATIONS and organization is not None:
            return groups["o"] == organization.login and groups["r"] in organization.repositories
        return (groups["o"], groups["r"]) == (scenario.owner, scenario.repo)

    def _page(self, items: list[Any], params: dict[str, str], path: str) -> tuple[int, dict[str, str], list[Any]]:
        try:
            per_page = min(int(params.get("per_page", 30)), 100, self.scenario.page_size)
            page = max(int(params.get("page", 1)), 1)
        except ValueError:
            return 422, {}, []
        last = max(1, math.ceil(len(items) / per_page))
        links = []

        def link(number: int, rel: str) -> str:
            return f'<{self.url}{path}?{urlencode({**params, "page": number})}>; rel="{rel}"'

        if page < last:
            links += [link(page + 1, "next"), link(last, "last")]
        if page > 1:
            links += [link(1, "first"), link(page - 1, "prev")]
        return 200, ({"link": ", ".join(links)} if links else {}), items[(page - 1) * per_page : page * per_page]

    def _get_repository(self, _match: re.Match[str], _params: dict[str, str], _path: str) -> tuple[int, dict[str, str], Any]:
        return 200, {}, repository_json(self.scenario, full=True)

    def _get_pulls(self, _match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        pulls = list(self.scenario.pulls.values())
        state = params.get("state", "open")
        if state != "all":
            pulls = [p for p in pulls if (p.closed_at is None) == (state == "open")]
        if "base" in params:
            pulls = [p for p in pulls if p.base == params["base"]]
        key = {"created": lambda p: p.created_at, "updated": lambda p: p.updated_at}.get(params.get("sort", "created"))
        if key is None:
            return 422, {}, _error("Validation Failed", status="422")
        pulls.sort(key=lambda p: (key(p), p.number), reverse=params.get("direction", "desc") == "desc")
        status, headers, page = self._page(pulls, params, path)
        return status, headers, [pull_json(self.scenario, p, full=False) for p in page]

    def _pull(self, match: re.Match[str]) -> Pull | None:
        return self.scenario.pulls.get(int(match["n"]))

    def _get_pull(self, match: re.Match[str], _params: dict[str, str], _path: str) -> tuple[int, dict[str, str], Any]:
        pull = self._pull(match)
        if pull is None:
            return 404, {}, _error("Not Found", status="404")
        return 200, {}, pull_json(self.scenario, pull, full=True)

    def _get_reviews(self, match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        pull = self._pull(match)
        if pull is None:
            return 404, {}, _error("Not Found", status="404")
        status, headers, page = self._page(pull.reviews, params, path)
        return status, headers, [review_json(self.scenario, pull, r) for r in page]

    def _get_pull_commits(self, match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        pull = self._pull(match)
        if pull is None:
            return 404, {}, _error("Not Found", status="404")
        status, headers, page = self._page(pull.commits, params, path)
        return status, headers, [commit_json(self.scenario, self.scenario.commits[sha]) for sha in page]

    def _get_commits(self, _match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        scenario = self.scenario
        start = scenario.branches.get(params.get("sha", scenario.default_branch), params.get("sha", ""))
        if start not in scenario.commits:
            return 404, {}, _error("Not Found", status="404")
        seen: set[str] = set()
        stack = [start]
        while stack:
            sha = stack.pop()
            if sha in seen or sha not in scenario.commits:
                continue
            seen.add(sha)
            stack.extend(scenario.commits[sha].parents)
        since = _parse(params.get("since"))
        until = _parse(params.get("until"))
        chosen = [
            scenario.commits[sha]
            for sha in seen
            if (since is None or scenario.commits[sha].date >= since) and (until is None or scenario.commits[sha].date <= until)
        ]
        chosen.sort(key=lambda c: (c.date, c.sha), reverse=True)
        status, headers, page = self._page(chosen, params, path)
        return status, headers, [commit_json(scenario, c) for c in page]

    def _get_commit_pulls(self, match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        sha = match["sha"]
        # GitHub lists a pull request beside its own commits, its merge commit and the commits a rebase merge
        # wrote onto the base branch.
        pulls = [p for p in self.scenario.pulls.values() if sha == p.merge_commit_sha or sha in p.commits or sha in p.landed]
        status, headers, page = self._page(sorted(pulls, key=lambda p: p.number), params, path)
        return status, headers, [pull_json(self.scenario, p, full=False) for p in page]

    def _get_check_runs(self, match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        runs = self.scenario.check_runs.get(match["sha"], [])
        status, headers, page = self._page(runs, params, path)
        return (
            status,
            headers,
            {"total_count": len(runs), "check_runs": [check_run_json(self.scenario, match["sha"], r) for r in page]},
        )

    def _get_statuses(self, match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        statuses = self.scenario.statuses.get(match["sha"], [])
        status, headers, page = self._page(statuses, params, path)
        return status, headers, [status_json(self.scenario, match["sha"], s) for s in page]

    def _get_protection(self, match: re.Match[str], _params: dict[str, str], _path: str) -> tuple[int, dict[str, str], Any]:
        rules = self.scenario.protection.get(match["b"])
        if rules is None:
            return 404, {}, _error("Branch not protected", status="404")
        return 200, {}, rules

    def _organization(self) -> Organization:
        assert self.scenario.organization is not None  # _known() let only a scenario organization through
        return self.scenario.organization

    def _get_org(self, _match: re.Match[str], _params: dict[str, str], _path: str) -> tuple[int, dict[str, str], Any]:
        organization = self._organization()
        # GitHub shows the two-factor requirement only to those who may administer the organization.
        owner_view = "organization_administration" in self.scenario.permissions
        return 200, {}, organization_json(organization, owner_view=owner_view)

    def _get_org_members(self, _match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        organization = self._organization()
        role = params.get("role", "all")
        logins = [login for login, held in organization.members.items() if role in {"all", held}]
        if params.get("filter") == "2fa_disabled" and "organization_administration" not in self.scenario.permissions:
            return 422, {}, _error("Only owners can use this filter.", status="422")
        if params.get("filter") == "2fa_disabled":
            logins = [login for login in logins if login in organization.two_factor_disabled]
        status, headers, page = self._page(sorted(logins, key=lambda login: _id("user", login)), params, path)
        return status, headers, [user_json(login) for login in page]

    def _get_outside_collaborators(
        self, _match: re.Match[str], params: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        organization = self._organization()
        logins = list(organization.outside_collaborators)
        if params.get("filter") == "2fa_disabled":
            logins = [login for login in logins if login in organization.two_factor_disabled]
        status, headers, page = self._page(sorted(logins, key=lambda login: _id("user", login)), params, path)
        return status, headers, [user_json(login) for login in page]

    def _get_org_repositories(self, _match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        organization = self._organization()
        repositories = sorted(organization.repositories.values(), key=lambda r: r.name)
        status, headers, page = self._page(repositories, params, path)
        return status, headers, [org_repository_json(organization.login, r) for r in page]

    def _get_collaborators(self, match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        repository = self._organization().repositories[match["r"]]
        affiliation = params.get("affiliation", "all")
        wanted = _PERMISSION_RANK.get(params.get("permission", "pull"), 0)
        logins = [
            login
            for login, role in repository.collaborators.items()
            if _PERMISSION_RANK[_ROLE_PERMISSION[role]] >= wanted and (affiliation != "outside" or login in repository.outside)
        ]
        status, headers, page = self._page(sorted(logins), params, path)
        return status, headers, [collaborator_json(login, repository.collaborators[login]) for login in page]

    def _get_teams(self, match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        organization = self._organization()
        repository = organization.repositories[match["r"]]
        status, headers, page = self._page(sorted(repository.teams.items()), params, path)
        return status, headers, [team_json(organization.login, slug, permission) for slug, permission in page]

    def _get_dependabot_alerts(self, _match: re.Match[str], params: dict[str, str], path: str) -> tuple[int, dict[str, str], Any]:
        organization = self._organization()
        states = set(params.get("state", "auto_dismissed,dismissed,fixed,open").split(","))
        alerts = [a for a in organization.dependabot_alerts if a.state in states]
        alerts.sort(key=lambda a: (a.created_at, a.repository, a.number), reverse=params.get("direction", "desc") == "desc")
        # This listing pages by cursor (`after`), not by page number: the Link header carries the cursor.
        try:
            per_page = min(int(params.get("per_page", 30)), 100, self.scenario.page_size)
            start = int(params["after"].removeprefix("cursor-")) if "after" in params else 0
        except ValueError:
            return 400, {}, _error("Bad Request", status="400")
        page = alerts[start : start + per_page]
        headers = {}
        if start + per_page < len(alerts):
            after = urlencode({**params, "after": f"cursor-{start + per_page}"})
            headers["link"] = f'<{self.url}{path}?{after}>; rel="next"'
        return 200, headers, [dependabot_alert_json(organization.login, a) for a in page]

    def _get_code_scanning_alerts(
        self, _match: re.Match[str], params: dict[str, str], path: str
    ) -> tuple[int, dict[str, str], Any]:
        organization = self._organization()
        alerts = [a for a in organization.code_scanning_alerts if a.state == params.get("state", a.state)]
        alerts.sort(key=lambda a: (a.created_at, a.repository, a.number), reverse=params.get("direction", "desc") == "desc")
        status, headers, page = self._page(alerts, params, path)
        return status, headers, [code_scanning_alert_json(organization.login, a) for a in page]


def _parse(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text)


def _error(message: str, *, status: str | None = None) -> dict[str, str]:
    body = {"message": message, "documentation_url": "https://docs.github.com/rest"}
    if status:
        body["status"] = status
    return body


API = "https://api.github.com"
WEB = "https://github.com"


def user_json(login: str) -> dict[str, Any]:
    api = f"{API}/users/{quote(login)}"
    return {
        "login": login,
        "id": _id("user", login),
        "node_id": f"U_{_id('user', login)}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{_id('user', login)}?v=4",
        "gravatar_id": "",
        "url": api,
        "html_url": f"{WEB}/apps/{login.removesuffix('[bot]')}" if login.endswith("[bot]") else f"{WEB}/{login}",
        "followers_url": f"{api}/followers",
        "following_url": f"{api}/following{{/other_user}}",
        "gists_url": f"{api}/gists{{/gist_id}}",
        "starred_url": f"{api}/starred{{/owner}}{{/repo}}",
        "subscriptions_url": f"{api}/subscriptions",
        "organizations_url": f"{api}/orgs",
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events{{/privacy}}",
        "received_events_url": f"{api}/received_events",
        "type": "Bot" if login.endswith("[bot]") else "User",
        "site_admin": False,
    }


_REPOSITORY_LINKS = (
    "archive_url",
    "assignees_url",
    "blobs_url",
    "branches_url",
    "collaborators_url",
    "comments_url",
    "commits_url",
    "compare_url",
    "contents_url",
    "contributors_url",
    "deployments_url",
    "downloads_url",
    "events_url",
    "forks_url",
    "git_commits_url",
    "git_refs_url",
    "git_tags_url",
    "hooks_url",
    "issue_comment_url",
    "issue_events_url",
    "issues_url",
    "keys_url",
    "labels_url",
    "languages_url",
    "merges_url",
    "milestones_url",
    "notifications_url",
    "pulls_url",
    "releases_url",
    "stargazers_url",
    "statuses_url",
    "subscribers_url",
    "subscription_url",
    "tags_url",
    "teams_url",
    "trees_url",
)


def repository_json(scenario: Scenario, *, full: bool = False) -> dict[str, Any]:
    api = f"{API}/repos/{scenario.full_name}"
    data: dict[str, Any] = {link: f"{api}/{link.removesuffix('_url')}" for link in _REPOSITORY_LINKS}
    data.update(
        {
            "id": _id("repo", scenario.full_name),
            "node_id": f"R_{_id('repo', scenario.full_name)}",
            "name": scenario.repo,
            "full_name": scenario.full_name,
            "owner": user_json(scenario.owner),
            "private": True,
            "html_url": f"{WEB}/{scenario.full_name}",
            "description": "The product",
            "fork": False,
            "url": api,
            "clone_url": f"{WEB}/{scenario.full_name}.git",
            "git_url": f"git://github.com/{scenario.full_name}.git",
            "ssh_url": f"git@github.com:{scenario.full_name}.git",
            "svn_url": f"{WEB}/{scenario.full_name}",
            "mirror_url": None,
            "homepage": None,
            "language": "Python",
            "forks": 0,
            "forks_count": 0,
            "stargazers_count": 0,
            "watchers": 0,
            "watchers_count": 0,
            "size": 1024,
            "default_branch": scenario.default_branch,
            "open_issues": 0,
            "open_issues_count": 0,
            "has_issues": True,
            "has_projects": False,
            "has_wiki": False,
            "has_pages": False,
            "has_downloads": False,
            "has_discussions": False,
            "archived": False,
            "disabled": False,
            "license": None,
            "pushed_at": stamp(EPOCH),
            "created_at": stamp(EPOCH - timedelta(days=400)),
            "updated_at": stamp(EPOCH),
        }
    )
    if full:
        data.update({"subscribers_count": 3, "network_count": 0})
    return data


def pull_json(scenario: Scenario, pull: Pull, *, full: bool) -> dict[str, Any]:
    api = f"{API}/repos/{scenario.full_name}"
    url = f"{api}/pulls/{pull.number}"
    html = f"{WEB}/{scenario.full_name}/pull/{pull.number}"
    repo = repository_json(scenario)

    def side(ref: str, sha: str) -> dict[str, Any]:
        return {"label": f"{scenario.owner}:{ref}", "ref": ref, "sha": sha, "user": user_json(scenario.owner), "repo": repo}

    base_sha = scenario.commits[pull.commits[0]].parents[0] if scenario.commits[pull.commits[0]].parents else pull.head_sha
    data: dict[str, Any] = {
        "url": url,
        "id": _id("pull", scenario.full_name, pull.number),
        "node_id": f"PR_{pull.number}",
        "html_url": html,
        "diff_url": f"{html}.diff",
        "patch_url": f"{html}.patch",
        "issue_url": f"{api}/issues/{pull.number}",
        "commits_url": f"{url}/commits",
        "review_comments_url": f"{url}/comments",
        "review_comment_url": f"{api}/pulls/comments{{/number}}",
        "comments_url": f"{api}/issues/{pull.number}/comments",
        "statuses_url": f"{api}/statuses/{pull.head_sha}",
        "number": pull.number,
        "state": "closed" if pull.closed_at else "open",
        "locked": False,
        "title": pull.title,
        "user": user_json(pull.user),
        "body": None,
        "labels": [],
        "milestone": None,
        "active_lock_reason": None,
        "created_at": stamp(pull.created_at),
        "updated_at": stamp(pull.updated_at),
        "closed_at": stamp(pull.closed_at) if pull.closed_at else None,
        "merged_at": stamp(pull.merged_at) if pull.merged_at else None,
        "merge_commit_sha": pull.merge_commit_sha,
        "assignee": None,
        "assignees": [],
        "requested_reviewers": [],
        "requested_teams": [],
        "head": side(pull.head_ref, pull.head_sha),
        "base": side(pull.base, base_sha),
        "_links": {
            name: {"href": href}
            for name, href in {
                "self": url,
                "html": html,
                "issue": f"{api}/issues/{pull.number}",
                "comments": f"{api}/issues/{pull.number}/comments",
                "review_comments": f"{url}/comments",
                "review_comment": f"{api}/pulls/comments{{/number}}",
                "commits": f"{url}/commits",
                "statuses": f"{api}/statuses/{pull.head_sha}",
            }.items()
        },
        "author_association": "MEMBER",
        "auto_merge": None,
        "draft": False,
    }
    if full:
        data.update(
            {
                "merged": pull.merged_at is not None,
                "mergeable": None,
                "rebaseable": None,
                "mergeable_state": "unknown",
                "merged_by": user_json(pull.merged_by) if pull.merged_by else None,
                "comments": 0,
                "review_comments": 0,
                "maintainer_can_modify": False,
                "commits": len(pull.commits),
                "additions": 10,
                "deletions": 2,
                "changed_files": 1,
            }
        )
    return data


def review_json(scenario: Scenario, pull: Pull, review: Review) -> dict[str, Any]:
    html = f"{WEB}/{scenario.full_name}/pull/{pull.number}#pullrequestreview-{review.id}"
    pull_url = f"{API}/repos/{scenario.full_name}/pulls/{pull.number}"
    data: dict[str, Any] = {
        "id": review.id,
        "node_id": f"PRR_{review.id}",
        "user": user_json(review.user),
        "body": "",
        "state": review.state,
        "html_url": html,
        "pull_request_url": pull_url,
        "_links": {"html": {"href": html}, "pull_request": {"href": pull_url}},
        "commit_id": review.commit_id,
        "author_association": "MEMBER",
    }
    if review.submitted_at is not None:
        data["submitted_at"] = stamp(review.submitted_at)
    return data


def commit_json(scenario: Scenario, commit: Commit) -> dict[str, Any]:
    api = f"{API}/repos/{scenario.full_name}"
    return {
        "url": f"{api}/commits/{commit.sha}",
        "sha": commit.sha,
        "node_id": f"C_{commit.sha[:16]}",
        "html_url": f"{WEB}/{scenario.full_name}/commit/{commit.sha}",
        "comments_url": f"{api}/commits/{commit.sha}/comments",
        "commit": {
            "url": f"{api}/git/commits/{commit.sha}",
            "author": {"name": commit.author_name, "email": commit.author_email, "date": stamp(commit.date)},
            "committer": {"name": commit.committer_name, "email": commit.committer_email, "date": stamp(commit.date)},
            "message": commit.message,
            "comment_count": 0,
            "tree": {"sha": fake_sha("tree", commit.sha), "url": f"{api}/git/trees/{fake_sha('tree', commit.sha)}"},
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None, "verified_at": None},
        },
        "author": user_json(commit.author) if commit.author else None,
        "committer": user_json(commit.committer) if commit.committer else None,
        "parents": [
            {"sha": parent, "url": f"{api}/commits/{parent}", "html_url": f"{WEB}/{scenario.full_name}/commit/{parent}"}
            for parent in commit.parents
        ],
    }


def check_run_json(scenario: Scenario, sha: str, run: CheckRun) -> dict[str, Any]:
    run_id = _id("check", sha, run.name)
    api = f"{API}/repos/{scenario.full_name}"
    return {
        "id": run_id,
        "head_sha": sha,
        "node_id": f"CR_{run_id}",
        "external_id": "",
        "url": f"{api}/check-runs/{run_id}",
        "html_url": f"{WEB}/{scenario.full_name}/runs/{run_id}",
        "details_url": f"{WEB}/{scenario.full_name}/runs/{run_id}",
        "status": run.status,
        "conclusion": run.conclusion,
        "started_at": stamp(EPOCH),
        "completed_at": stamp(EPOCH) if run.status == "completed" else None,
        "output": {
            "title": None,
            "summary": None,
            "text": None,
            "annotations_count": 0,
            "annotations_url": f"{api}/check-runs/{run_id}/annotations",
        },
        "name": run.name,
        "check_suite": {"id": _id("suite", sha)},
        "app": None,
        "pull_requests": [],
    }


def status_json(scenario: Scenario, sha: str, status: Status) -> dict[str, Any]:
    status_id = _id("status", sha, status.context, status.created_at.isoformat())
    return {
        "url": f"{API}/repos/{scenario.full_name}/statuses/{sha}",
        "avatar_url": None,
        "id": status_id,
        "node_id": f"SC_{status_id}",
        "state": status.state,
        "description": None,
        "target_url": None,
        "context": status.context,
        "created_at": stamp(status.created_at),
        "updated_at": stamp(status.created_at),
        "creator": user_json("ci-bot[bot]"),
    }


# A collaborator's role as the `permission` levels name it, and their order.
_ROLE_PERMISSION = {"read": "pull", "triage": "triage", "write": "push", "maintain": "maintain", "admin": "admin"}
_PERMISSION_RANK = {"pull": 0, "triage": 1, "push": 2, "maintain": 3, "admin": 4}


def organization_json(organization: Organization, *, owner_view: bool) -> dict[str, Any]:
    login = organization.login
    api = f"{API}/orgs/{quote(login)}"
    data: dict[str, Any] = {
        "login": login,
        "id": _id("org", login),
        "node_id": f"O_{_id('org', login)}",
        "url": api,
        "repos_url": f"{api}/repos",
        "events_url": f"{api}/events",
        "hooks_url": f"{api}/hooks",
        "issues_url": f"{api}/issues",
        "members_url": f"{api}/members{{/member}}",
        "public_members_url": f"{api}/public_members{{/member}}",
        "avatar_url": f"https://avatars.githubusercontent.com/u/{_id('org', login)}?v=4",
        "description": "The product's organization",
        "html_url": f"{WEB}/{login}",
        "has_organization_projects": True,
        "has_repository_projects": True,
        "public_repos": 0,
        "public_gists": 0,
        "followers": 0,
        "following": 0,
        "type": "Organization",
        "created_at": stamp(EPOCH - timedelta(days=900)),
        "updated_at": stamp(EPOCH),
        "archived_at": None,
        "default_repository_permission": "read",
        "members_can_create_repositories": False,
    }
    if owner_view:
        data["two_factor_requirement_enabled"] = organization.two_factor_required
    return data


def simple_repository_json(owner: str, name: str, *, private: bool = True) -> dict[str, Any]:
    full_name = f"{owner}/{name}"
    api = f"{API}/repos/{full_name}"
    data: dict[str, Any] = {link: f"{api}/{link.removesuffix('_url')}" for link in _REPOSITORY_LINKS}
    data.update(
        {
            "id": _id("repo", full_name),
            "node_id": f"R_{_id('repo', full_name)}",
            "name": name,
            "full_name": full_name,
            "owner": user_json(owner),
            "private": private,
            "html_url": f"{WEB}/{full_name}",
            "description": None,
            "fork": False,
            "url": api,
            "hooks_url": f"{api}/hooks",
        }
    )
    return data


def org_repository_json(owner: str, repository: OrgRepository) -> dict[str, Any]:
    return {**simple_repository_json(owner, repository.name), "archived": repository.archived, "disabled": False}


def collaborator_json(login: str, role: str) -> dict[str, Any]:
    rank = _PERMISSION_RANK[_ROLE_PERMISSION[role]]
    permissions = {name: rank >= level for name, level in _PERMISSION_RANK.items()}
    return {**user_json(login), "permissions": permissions, "role_name": role}


def team_json(owner: str, slug: str, permission: str) -> dict[str, Any]:
    team_id = _id("team", owner, slug)
    api = f"{API}/organizations/{_id('org', owner)}/team/{team_id}"
    return {
        "id": team_id,
        "node_id": f"T_{team_id}",
        "url": api,
        "html_url": f"{WEB}/orgs/{owner}/teams/{slug}",
        "name": slug.replace("-", " ").title(),
        "slug": slug,
        "description": None,
        "privacy": "closed",
        "notification_setting": "notifications_enabled",
        "permission": permission,
        "members_url": f"{api}/members{{/member}}",
        "repositories_url": f"{api}/repos",
        "type": "organization",
        "parent": None,
    }


def dependabot_alert_json(owner: str, alert: DependabotAlert) -> dict[str, Any]:
    full_name = f"{owner}/{alert.repository}"
    ghsa = f"GHSA-{_id('ghsa', alert.package, alert.severity) % 10000:04d}-test-x2x2"
    package = {"ecosystem": alert.ecosystem, "name": alert.package}
    vulnerability = {
        "package": package,
        "severity": alert.severity,
        "vulnerable_version_range": "< 1.2.0",
        "first_patched_version": {"identifier": "1.2.0"},
    }
    return {
        "number": alert.number,
        "state": alert.state,
        "dependency": {"package": package, "manifest_path": "package-lock.json", "scope": "runtime", "relationship": "direct"},
        "security_advisory": {
            "ghsa_id": ghsa,
            "cve_id": None,
            "summary": f"{alert.package} is vulnerable",
            "description": f"A made-up weakness of {alert.package} for tests.",
            "vulnerabilities": [vulnerability],
            "severity": alert.severity,
            "cvss": {"score": 9.1 if alert.severity == "critical" else 5.0, "vector_string": None},
            "cwes": [],
            "identifiers": [{"type": "GHSA", "value": ghsa}],
            "references": [{"url": f"https://github.com/advisories/{ghsa}"}],
            "published_at": stamp(EPOCH - timedelta(days=100)),
            "updated_at": stamp(EPOCH - timedelta(days=100)),
            "withdrawn_at": None,
        },
        "security_vulnerability": vulnerability,
        "url": f"{API}/repos/{full_name}/dependabot/alerts/{alert.number}",
        "html_url": f"{WEB}/{full_name}/security/dependabot/{alert.number}",
        "created_at": stamp(alert.created_at),
        # Volatile on purpose: it moves on every fetch, as GitHub's does when it rescans; it must not be recorded.
        "updated_at": stamp(datetime.now(UTC)),
        "dismissed_at": None,
        "dismissed_by": None,
        "dismissed_reason": None,
        "dismissed_comment": None,
        "fixed_at": None,
        "auto_dismissed_at": None,
        "repository": simple_repository_json(owner, alert.repository),
    }


def code_scanning_alert_json(owner: str, alert: CodeScanningAlert) -> dict[str, Any]:
    full_name = f"{owner}/{alert.repository}"
    api = f"{API}/repos/{full_name}/code-scanning/alerts/{alert.number}"
    return {
        "number": alert.number,
        "created_at": stamp(alert.created_at),
        "updated_at": stamp(datetime.now(UTC)),
        "url": api,
        "html_url": f"{WEB}/{full_name}/security/code-scanning/{alert.number}",
        "instances_url": f"{api}/instances",
        "state": alert.state,
        "fixed_at": None,
        "dismissed_by": None,
        "dismissed_at": None,
        "dismissed_reason": None,
        "dismissed_comment": None,
        "rule": {
            "id": alert.rule,
            "name": alert.rule.split("/")[-1],
            "severity": alert.severity,
            "security_severity_level": alert.security_severity,
            "description": f"Rule {alert.rule}",
            "tags": ["security"],
        },
        "tool": {"name": "CodeQL", "version": "2.20.0", "guid": None},
        "most_recent_instance": {
            "ref": "refs/heads/main",
            "analysis_key": ".github/workflows/codeql.yml:analyze",
            "environment": "{}",
            "category": ".github/workflows/codeql.yml:analyze",
            "state": alert.state,
            "commit_sha": fake_sha(full_name, "scan"),
            "message": {"text": "A made-up finding for tests."},
            "location": {"path": alert.path, "start_line": 10, "end_line": 10, "start_column": 1, "end_column": 20},
            "classifications": [],
        },
        "repository": simple_repository_json(owner, alert.repository),
    }
