"""The GitHub organization collector: members, outside collaborators, settings, repository admins, alerts.

It reads one organization through soc2kit.github (the same client, budget and retries as the change
population) and checks what it read: the organization does not require two-factor authentication,
members or outside collaborators without it, outside collaborators holding admin on a repository, and
Dependabot or code-scanning alerts open longer than the vulnerability policy allows.

Configuration, all from the environment the collector is given (at collection: the remediation periods
in force are recorded beside the alerts, so `soc2kit check` judges a record by the periods it was
collected under, with no environment of its own):
    GITHUB_TOKEN                     the token (never written anywhere, never part of a message)
    SOC2KIT_GITHUB_ORG               the organization; else the owner of GITHUB_REPOSITORY (set in GitHub
                                     Actions); else the owner of the program repository's `origin` remote
    GITHUB_API_URL                   a GitHub Enterprise Server API (https://HOST/api/v3)
    SOC2KIT_GITHUB_ALERT_SLA_DAYS    remediation periods, e.g. "critical=7,high=30,medium=90,low=180"
                                     (the starter's vulnerability policy; a subset overrides those named)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from soc2kit import __version__
from soc2kit.collectors.base import CollectContext, CollectorError, Finding, Snapshot
from soc2kit.git import GitError
from soc2kit.git import text as git_text
from soc2kit.github import (
    ADMINISTRATION,
    API_URL_VARIABLE,
    CODE_SCANNING_ALERTS,
    DEFAULT_API_URL,
    DEPENDABOT_ALERTS,
    MEMBERS,
    METADATA,
    ORGANIZATION_ADMINISTRATION,
    REPOSITORY_VARIABLE,
    TOKEN_VARIABLE,
    GitHub,
    GitHubError,
    parse_organization,
    parse_repository,
    repository_from_remote,
)

__all__ = ["DEFAULT_ALERT_SLA_DAYS", "ORGANIZATION_VARIABLE", "SLA_VARIABLE", "GitHubOrgCollector"]

ORGANIZATION_VARIABLE = "SOC2KIT_GITHUB_ORG"
SLA_VARIABLE = "SOC2KIT_GITHUB_ALERT_SLA_DAYS"
# Days from detection to remediation, from the starter's vulnerability management policy (statement 5).
DEFAULT_ALERT_SLA_DAYS: Mapping[str, int] = {"critical": 7, "high": 30, "medium": 90, "low": 180}
SEVERITIES = tuple(DEFAULT_ALERT_SLA_DAYS)

_PAGES = "per_page=100, every page"


class _UnrecognisedError(Exception):
    """Recorded data that is not the shape this collector writes."""


class GitHubOrgCollector:
    """Collects a GitHub organization's membership, settings, repository admins and security alerts."""

    name = "github-org"
    version = __version__
    datasets: Mapping[str, str] = {
        "members": "the organization's members with their role (owner or member) and whether 2FA is disabled",
        "outside-collaborators": "users with access to a repository who are not members, and whether 2FA is disabled",
        "org-settings": "whether the organization requires two-factor authentication, and the default repository permission",
        "repository-admins": "per repository: the users and teams holding admin, outside collaborators marked",
        "dependabot-alerts": "open Dependabot alerts with severity, package, advisory and the date opened",
        "code-scanning-alerts": "open code-scanning alerts with security severity, rule, tool and the date opened",
    }
    permissions: Mapping[str, str] = {
        "members": f"{MEMBERS} (organization owner for the 2FA filter); classic: read:org",
        "outside-collaborators": f"{MEMBERS} (organization owner for the 2FA filter); classic: read:org",
        "org-settings": f"{ORGANIZATION_ADMINISTRATION}; classic: read:org as an organization owner",
        "repository-admins": f"{METADATA}, {ADMINISTRATION} on every repository; classic: repo",
        "dependabot-alerts": f"{DEPENDABOT_ALERTS}; classic: security_events (or repo)",
        "code-scanning-alerts": f"{CODE_SCANNING_ALERTS}; classic: security_events (or repo)",
    }

    def __init__(self, *, alert_sla_days: Mapping[str, int] | None = None, **client_options: Any) -> None:
        """`alert_sla_days` overrides the policy's periods (and SOC2KIT_GITHUB_ALERT_SLA_DAYS);
        `client_options` go to soc2kit.github.GitHub (max_wait, retry_backoff, sleep)."""
        self._alert_sla_days = dict(alert_sla_days) if alert_sla_days is not None else None
        self._client_options = client_options

    def collect(self, datasets: Sequence[str], context: CollectContext) -> Iterator[Snapshot]:
        unknown = [name for name in datasets if name not in self.datasets]
        organization = self.organization(context)
        system = f"GitHub organization {organization}"
        if unknown:
            raise CollectorError(system, f"no such dataset: {', '.join(unknown)}; known: {', '.join(self.datasets)}")
        try:
            remediation_days = self.alert_sla_days(context)
        except ValueError as exc:
            raise CollectorError(system, str(exc)) from None
        token = context.environ.get(TOKEN_VARIABLE, "").strip()
        if not token:
            raise CollectorError(system, f"{TOKEN_VARIABLE} is not set; provide a token that can read the organization")
        api_url = context.environ.get(API_URL_VARIABLE, "").strip() or DEFAULT_API_URL
        try:
            client = GitHub.for_organization(
                organization, token=token, api_url=api_url, timeout=context.timeout, **self._client_options
            )
        except GitHubError as exc:
            raise CollectorError(system, exc.message, permission=exc.permission) from None
        if client.api_url != DEFAULT_API_URL:  # shown only once checked: no user name or password in it
            system += f" at {client.api_url}"
        readers: dict[str, Callable[[GitHub], tuple[Any, str]]] = {
            "members": _members,
            "outside-collaborators": _outside_collaborators,
            "org-settings": _settings,
            "repository-admins": _repository_admins,
            "dependabot-alerts": lambda client: _dependabot_alerts(client, remediation_days),
            "code-scanning-alerts": lambda client: _code_scanning_alerts(client, remediation_days),
        }
        with client:
            for dataset in datasets:
                try:
                    data, query = readers[dataset](client)
                except GitHubError as exc:
                    raise CollectorError(system, exc.message, permission=exc.permission) from None
                yield Snapshot(dataset=dataset, system=system, query=query, data=data)

    def organization(self, context: CollectContext) -> str:
        """The organization to read: SOC2KIT_GITHUB_ORG, else GITHUB_REPOSITORY's owner, else the owner of
        the `origin` remote of the program repository (CollectorError when none names one)."""
        environ = context.environ
        try:
            if environ.get(ORGANIZATION_VARIABLE, "").strip():
                return parse_organization(environ[ORGANIZATION_VARIABLE])
            if environ.get(REPOSITORY_VARIABLE, "").strip():
                return parse_repository(environ[REPOSITORY_VARIABLE]).split("/")[0]
        except GitHubError as exc:
            raise CollectorError("GitHub organization", exc.message) from None
        root = getattr(context, "root", None) or Path.cwd()
        try:
            repository = repository_from_remote(git_text(["remote", "get-url", "origin"], cwd=Path(root)))
        except GitError:
            repository = None
        if repository is None:
            raise CollectorError(
                "GitHub organization",
                f"cannot tell which organization to read: set {ORGANIZATION_VARIABLE}, or {REPOSITORY_VARIABLE}, "
                "or run in a repository whose `origin` remote is on GitHub",
            )
        return repository.split("/")[0]

    def alert_sla_days(self, context: CollectContext) -> dict[str, int]:
        """Days each severity may stay open: the policy's, then SOC2KIT_GITHUB_ALERT_SLA_DAYS, then the
        constructor's `alert_sla_days`. ValueError names a bad setting."""
        days = dict(DEFAULT_ALERT_SLA_DAYS)
        setting = context.environ.get(SLA_VARIABLE, "").strip()
        if setting:
            for part in setting.split(","):
                severity, _, value = part.strip().partition("=")
                severity = severity.strip().lower()
                if severity not in days or not value.strip().isdigit():
                    raise ValueError(
                        f"{SLA_VARIABLE} must look like critical=7,high=30,medium=90,low=180 (whole days); {_shown(part)} is not"
                    )
                days[severity] = int(value)
        if self._alert_sla_days is not None:
            for level, allowed in self._alert_sla_days.items():
                if level not in days or not isinstance(allowed, int) or allowed < 0:
                    raise ValueError(f"alert_sla_days: {_shown(level)} must be one of {', '.join(SEVERITIES)} with whole days")
                days[level] = allowed
        return days

    def check(self, dataset: str, data: Any, context: CollectContext) -> Iterator[Finding]:
        checks: dict[str, Callable[[Any, CollectContext], Iterator[Finding]]] = {
            "members": _check_members,
            "outside-collaborators": _check_outside_collaborators,
            "org-settings": _check_settings,
            "repository-admins": _check_repository_admins,
            "dependabot-alerts": self._check_dependabot,
            "code-scanning-alerts": self._check_code_scanning,
        }
        if dataset not in checks:
            yield Finding("github-org.dataset-unknown", f"the github-org collector has no dataset {_shown(dataset)}", ())
            return
        try:
            yield from list(checks[dataset](data, context))
        except _UnrecognisedError as exc:
            yield Finding("github-org.data-unrecognised", f"the recorded {dataset} data is not what github-org writes: {exc}", ())

    def _check_dependabot(self, data: Any, context: CollectContext) -> Iterator[Finding]:
        sla = _remediation_days(data)
        for alert in _records(data, "alerts"):
            severity = _text(alert, "severity")
            late = _days_past(alert, sla.get(severity), context.today)
            if late is not None:
                item = f"{_text(alert, 'repository')}#{_number(alert)}"
                package = f"{_text(alert, 'ecosystem')}/{_text(alert, 'package')}"
                yield Finding(
                    "github-org.dependabot-alert-past-sla",
                    f"Dependabot alert {item} ({severity}, {package}, {_text(alert, 'advisory')}) has been open "
                    f"{late} days, past its {sla[severity]}-day remediation period",
                    (item,),
                )

    def _check_code_scanning(self, data: Any, context: CollectContext) -> Iterator[Finding]:
        sla = _remediation_days(data)
        for alert in _records(data, "alerts"):
            severity = alert.get("security_severity")
            if severity is not None and not isinstance(severity, str):
                raise _UnrecognisedError("an alert's security_severity is not text")
            # A rule without a security severity is a code-quality note, not a vulnerability to remediate.
            late = _days_past(alert, sla.get(severity) if severity else None, context.today)
            if late is not None and severity:
                item = f"{_text(alert, 'repository')}#{_number(alert)}"
                yield Finding(
                    "github-org.code-scanning-alert-past-sla",
                    f"code-scanning alert {item} ({severity}, {_text(alert, 'rule')}) has been open {late} days, "
                    f"past its {sla[severity]}-day remediation period",
                    (item,),
                )


def _members(client: GitHub) -> tuple[Any, str]:
    org = client.organization
    everyone = client.organization_members(role="all")
    owners = set(client.organization_members(role="admin"))
    without_2fa = set(client.organization_members(role="all", two_factor_disabled=True))
    members = [
        {"login": login, "role": "owner" if login in owners else "member", "two_factor_disabled": login in without_2fa}
        for login in sorted(set(everyone), key=_login_key)
    ]
    query = (
        f"GET /orgs/{org}/members?role=all&filter=all; GET /orgs/{org}/members?role=admin&filter=all; "
        f"GET /orgs/{org}/members?role=all&filter=2fa_disabled ({_PAGES})"
    )
    return {"organization": org, "members": members}, query


def _outside_collaborators(client: GitHub) -> tuple[Any, str]:
    org = client.organization
    everyone = client.outside_collaborators()
    without_2fa = set(client.outside_collaborators(two_factor_disabled=True))
    people = [{"login": login, "two_factor_disabled": login in without_2fa} for login in sorted(set(everyone), key=_login_key)]
    query = (
        f"GET /orgs/{org}/outside_collaborators?filter=all; GET /orgs/{org}/outside_collaborators?filter=2fa_disabled ({_PAGES})"
    )
    return {"organization": org, "outside_collaborators": people}, query


def _settings(client: GitHub) -> tuple[Any, str]:
    org = client.organization
    settings = client.organization_settings()
    if not isinstance(settings.get("two_factor_requirement_enabled"), bool):
        # GitHub leaves the field out rather than refusing: only an administrator's token sees it.
        error = GitHubError(
            f"GitHub did not show whether organization {org} requires two-factor authentication: the token lacks "
            f"{ORGANIZATION_ADMINISTRATION} (a classic token: read:org as an organization owner)"
        )
        error.permission = ORGANIZATION_ADMINISTRATION
        raise error
    return {"organization": org, **settings}, f"GET /orgs/{org}"


def _repository_admins(client: GitHub) -> tuple[Any, str]:
    org = client.organization
    repositories = []
    for repository in sorted(client.organization_repositories(), key=lambda r: r.name.casefold()):
        admins = client.repository_admins(repository.name)
        outside = set(admins.outside)
        repositories.append(
            {
                "name": repository.name,
                "archived": repository.archived,
                "private": repository.private,
                "admins": [{"login": login, "outside": login in outside} for login in sorted(admins.users, key=_login_key)],
                "admin_teams": sorted(admins.teams),
            }
        )
    query = (
        f"GET /orgs/{org}/repos?type=all; for each repository: "
        f"GET /repos/{org}/REPOSITORY/collaborators?affiliation=all&permission=admin, "
        f"GET /repos/{org}/REPOSITORY/collaborators?affiliation=outside&permission=admin, "
        f"GET /repos/{org}/REPOSITORY/teams ({_PAGES})"
    )
    return {"organization": org, "repositories": repositories}, query


def _dependabot_alerts(client: GitHub, remediation_days: dict[str, int]) -> tuple[Any, str]:
    org = client.organization
    alerts = [
        {
            "repository": alert.repository,
            "number": alert.number,
            "severity": alert.severity,
            "created_at": _stamp(alert.created_at),
            "ecosystem": alert.ecosystem,
            "package": alert.package,
            "advisory": alert.advisory,
            "cve": alert.cve,
            "url": alert.url,
        }
        for alert in client.dependabot_alerts(state="open")
    ]
    alerts.sort(key=lambda a: (str(a["repository"]).casefold(), a["number"]))
    data = {"organization": org, "remediation_days": remediation_days, "alerts": alerts}
    return data, f"GET /orgs/{org}/dependabot/alerts?state=open (per_page=100, every page by cursor)"


def _code_scanning_alerts(client: GitHub, remediation_days: dict[str, int]) -> tuple[Any, str]:
    org = client.organization
    alerts = [
        {
            "repository": alert.repository,
            "number": alert.number,
            "security_severity": alert.security_severity,
            "rule_severity": alert.rule_severity,
            "rule": alert.rule,
            "tool": alert.tool,
            "created_at": _stamp(alert.created_at),
            "path": alert.path,
            "url": alert.url,
        }
        for alert in client.code_scanning_alerts(state="open")
    ]
    alerts.sort(key=lambda a: (str(a["repository"]).casefold(), a["number"]))
    data = {"organization": org, "remediation_days": remediation_days, "alerts": alerts}
    return data, f"GET /orgs/{org}/code-scanning/alerts?state=open ({_PAGES})"


def _check_members(data: Any, _context: CollectContext) -> Iterator[Finding]:
    org = _organization(data)
    for member in _records(data, "members"):
        if _flag(member, "two_factor_disabled"):
            login = _text(member, "login")
            role = "owner" if _text(member, "role") == "owner" else "member"
            yield Finding(
                "github-org.member-without-2fa",
                f"{role} {login} of GitHub organization {org} has two-factor authentication disabled",
                (login,),
            )


def _check_outside_collaborators(data: Any, _context: CollectContext) -> Iterator[Finding]:
    org = _organization(data)
    for person in _records(data, "outside_collaborators"):
        if _flag(person, "two_factor_disabled"):
            login = _text(person, "login")
            yield Finding(
                "github-org.outside-collaborator-without-2fa",
                f"outside collaborator {login} of GitHub organization {org} has two-factor authentication disabled",
                (login,),
            )


def _check_settings(data: Any, _context: CollectContext) -> Iterator[Finding]:
    org = _organization(data)
    if not _flag(data, "two_factor_requirement_enabled"):
        yield Finding(
            "github-org.two-factor-not-required",
            f"GitHub organization {org} does not require two-factor authentication of its members",
            (org,),
        )


def _check_repository_admins(data: Any, _context: CollectContext) -> Iterator[Finding]:
    org = _organization(data)
    held: dict[str, list[str]] = {}
    for repository in _records(data, "repositories"):
        name = _text(repository, "name")
        for admin in _records(repository, "admins"):
            if _flag(admin, "outside"):
                held.setdefault(_text(admin, "login"), []).append(name)
    for login in sorted(held, key=_login_key):
        names = ", ".join(f"{org}/{name}" for name in held[login])
        yield Finding(
            "github-org.outside-collaborator-admin",
            f"outside collaborator {login} holds admin on {names}",
            (login,),
        )


def _remediation_days(data: Any) -> dict[str, int]:
    """The periods recorded beside the alerts: the ones in force when they were collected."""
    days = data.get("remediation_days") if isinstance(data, dict) else None
    if not isinstance(days, dict) or not all(
        severity in SEVERITIES and isinstance(value, int) and not isinstance(value, bool) and value >= 0
        for severity, value in days.items()
    ):
        raise _UnrecognisedError("'remediation_days' is not severity: whole days")
    return days


def _organization(data: Any) -> str:
    if not isinstance(data, dict):
        raise _UnrecognisedError("not an object")
    return _text(data, "organization")


def _records(data: Any, key: str) -> list[dict[str, Any]]:
    if not isinstance(data, dict) or not isinstance(data.get(key), list):
        raise _UnrecognisedError(f"no list {key!r}")
    items: list[dict[str, Any]] = []
    for item in data[key]:
        if not isinstance(item, dict):
            raise _UnrecognisedError(f"an entry of {key!r} is not an object")
        items.append(item)
    return items


def _text(record: dict[str, Any], key: str) -> str:
    value = record.get(key)
    if not isinstance(value, str):
        raise _UnrecognisedError(f"{key!r} is not text")
    return _shown(value)


def _flag(record: dict[str, Any], key: str) -> bool:
    value = record.get(key)
    if not isinstance(value, bool):
        raise _UnrecognisedError(f"{key!r} is not true or false")
    return value


def _number(record: dict[str, Any]) -> int:
    value = record.get("number")
    if not isinstance(value, int) or isinstance(value, bool):
        raise _UnrecognisedError("an alert's 'number' is not a whole number")
    return value


def _days_past(alert: dict[str, Any], allowed: int | None, today: date) -> int | None:
    """Days the alert has been open when that exceeds `allowed` (None: within it, or no period applies)."""
    text = _text(alert, "created_at")
    try:
        opened = datetime.fromisoformat(text)
    except ValueError:
        raise _UnrecognisedError(f"created_at {text!r} is not a date and time") from None
    if opened.tzinfo is None:
        opened = opened.replace(tzinfo=UTC)
    days = (today - opened.astimezone(UTC).date()).days
    return days if allowed is not None and days > allowed else None


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _login_key(login: str) -> tuple[str, str]:
    return login.casefold(), login


def _shown(text: str) -> str:
    """Recorded text made safe for a one-line message (the data file is the repository's, not ours)."""
    flat = "".join(ch if ch.isprintable() else "?" for ch in " ".join(text.split()))
    return flat if len(flat) <= 200 else flat[:199] + "…"
