"""Google Workspace through the Admin SDK Directory API: users, their 2-step verification, admin roles.

The Google half of an identity-provider collector: it reads the directory with httpx (plain REST; the
discovery-based google-api-python-client would add a large dependency for three list calls) and turns
it into the provider-neutral records of soc2kit.collectors.identity, which also holds the checks.

Calls (all GET, paged by pageToken, with only the fields soc2kit records):
    admin/directory/v1/customer/{customer}/roles
    admin/directory/v1/customer/{customer}/roleassignments
    admin/directory/v1/users?customer={customer}
Users are streamed a page at a time and kept as compact neutral records, so 100,000 users fit in a
few hundred megabytes. 429, 5xx, Google's 403 rate-limit reasons and network errors are retried with
bounded backoff (Retry-After honoured); 401 and a missing scope stop with a CollectorError saying
what to do, naming the scope.

Credentials, from the environment only (never written, never part of a message):
    GOOGLE_WORKSPACE_TOKEN        an OAuth 2.0 access token with the scopes in SCOPES; or
    GOOGLE_WORKSPACE_CREDENTIALS  the path of a service account key (JSON) with domain-wide delegation,
    GOOGLE_WORKSPACE_ADMIN        and the administrator it acts as (needs google-auth, the
                                  `soc2kit[google-workspace]` extra, to sign the token request).
    GOOGLE_WORKSPACE_CUSTOMER     the customer ID (default my_customer: the administrator's own).
    GOOGLE_WORKSPACE_API_URL      the API base (default https://admin.googleapis.com; plain http only
                                  to this machine, for tests).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from soc2kit.api_urls import api_url_problem
from soc2kit.collectors.base import CollectContext, CollectorError, Finding, Snapshot
from soc2kit.collectors.identity import (
    DirectoryUser,
    RoleGrant,
    UserStatus,
    check_admins,
    check_users,
    grant_record,
    user_record,
)

if TYPE_CHECKING:
    import httpx

__all__ = ["DEFAULT_API_URL", "SCOPES", "GoogleWorkspaceCollector"]

DEFAULT_API_URL = "https://admin.googleapis.com"
DEFAULT_CUSTOMER = "my_customer"
USER_SCOPE = "https://www.googleapis.com/auth/admin.directory.user.readonly"
ROLE_SCOPE = "https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly"
SCOPES = (USER_SCOPE, ROLE_SCOPE)
"""Every scope the collector asks for: both read-only."""

TOKEN_VARIABLE = "GOOGLE_WORKSPACE_TOKEN"  # noqa: S105 - the variable's name, not a token
KEY_VARIABLE = "GOOGLE_WORKSPACE_CREDENTIALS"
ADMIN_VARIABLE = "GOOGLE_WORKSPACE_ADMIN"
CUSTOMER_VARIABLE = "GOOGLE_WORKSPACE_CUSTOMER"
API_URL_VARIABLE = "GOOGLE_WORKSPACE_API_URL"

_PREFIX = "google-workspace"
_USERS_PATH = "admin/directory/v1/users"
_USER_FIELDS = (
    "id,primaryEmail,customerId,suspended,suspensionTime,archived,deletionTime,creationTime,lastLoginTime,"
    "isAdmin,isDelegatedAdmin,isEnrolledIn2Sv,isEnforcedIn2Sv"
)
# Google reports "never signed in" as the Unix epoch.
_NEVER = "1970-01-01"
_SUPER_ADMIN = "super admin"
_DELEGATED_ADMIN = "delegated admin (through a group)"
_RETRIED_STATUSES = frozenset({429, 500, 502, 503, 504})
# Google's Directory API also answers a spent quota with 403 and one of these reasons.
_RATE_LIMIT_REASONS = frozenset({"rateLimitExceeded", "userRateLimitExceeded", "quotaExceeded", "RATE_LIMIT_EXCEEDED"})
_ATTEMPTS = 6
_LONGEST_WAIT = 60.0
_PAGE_SIZE = 500
_JWT_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"


class GoogleWorkspaceCollector:
    """The `google-workspace` collector (entry point `soc2kit.collectors`)."""

    name = "google-workspace"
    datasets: Mapping[str, str] = {
        "users": "every user: status, 2-step verification enrolled and enforced, admin roles, last sign-in, suspension",
        "admins": "every admin role assignment: role, super-admin or not, the user or group holding it, its scope",
    }
    permissions: Mapping[str, str] = {
        "users": f"OAuth scopes {USER_SCOPE} and {ROLE_SCOPE}",
        "admins": f"OAuth scopes {USER_SCOPE} and {ROLE_SCOPE}",
    }

    def __init__(self, *, sleep: Callable[[float], None] = time.sleep) -> None:
        from soc2kit import __version__

        self.version = __version__
        self._sleep = sleep

    def collect(self, datasets: Sequence[str], context: CollectContext) -> Iterator[Snapshot]:
        unknown = [name for name in datasets if name not in self.datasets]
        if unknown:
            raise CollectorError("Google Workspace", f"no dataset named {', '.join(unknown)}")
        if not datasets:
            return
        customer = context.environ.get(CUSTOMER_VARIABLE, "").strip() or DEFAULT_CUSTOMER
        system = f"Google Workspace customer {customer}"
        api_url = _api_url(context.environ.get(API_URL_VARIABLE, "").strip() or DEFAULT_API_URL, system)
        directory = _Directory(api_url, customer, context, system, self._sleep)
        try:
            result = directory.read()
        finally:
            directory.close()
        system = f"Google Workspace customer {result.customer_id or customer}"
        for dataset in datasets:
            data = result.users if dataset == "users" else result.grants
            yield Snapshot(dataset=dataset, system=system, query=result.query, data=data)

    def check(self, dataset: str, data: Any, context: CollectContext) -> Iterator[Finding]:
        if dataset == "users":
            yield from check_users(_PREFIX, data, context.today)
        elif dataset == "admins":
            yield from check_admins(_PREFIX, data)
        else:
            yield Finding(check=f"{_PREFIX}.data-unrecognised", message=f"no dataset named {dataset}", items=())


@dataclass(frozen=True, slots=True)
class _DirectoryRead:
    users: list[dict[str, Any]]
    grants: list[dict[str, Any]]
    customer_id: str | None
    query: str


class _Directory:
    """One run's HTTP conversation with the Directory API."""

    def __init__(self, api_url: str, customer: str, context: CollectContext, system: str, sleep: Callable[[float], None]) -> None:
        import httpx

        self._httpx = httpx
        self._api_url = api_url
        self._customer = customer
        self._system = system
        self._sleep = sleep
        self._client = httpx.Client(timeout=context.timeout, follow_redirects=False, trust_env=False)
        self._token = _access_token(context.environ, self._client, system)

    def close(self) -> None:
        self._client.close()

    def read(self) -> _DirectoryRead:
        customer_path = f"admin/directory/v1/customer/{quote(self._customer, safe='')}"
        roles: dict[str, tuple[str, bool]] = {}
        for page in self._pages(f"{customer_path}/roles", {"maxResults": "100"}, ROLE_SCOPE):
            for role in _items(page, "items", self._system):
                role_id = str(role.get("roleId", ""))
                roles[role_id] = (str(role.get("roleName") or role_id), role.get("isSuperAdminRole") is True)
        assignments: list[tuple[str, str, str, str]] = []
        for page in self._pages(f"{customer_path}/roleassignments", {"maxResults": "200"}, ROLE_SCOPE):
            for assignment in _items(page, "items", self._system):
                scope = str(assignment.get("scopeType") or "CUSTOMER")
                if scope == "ORG_UNIT" and assignment.get("orgUnitId"):
                    scope = f"ORG_UNIT {assignment['orgUnitId']}"
                assignments.append(
                    (
                        str(assignment.get("assignedTo", "")),
                        str(assignment.get("assigneeType") or "user"),
                        str(assignment.get("roleId", "")),
                        scope,
                    )
                )
        roles_of: dict[str, list[str]] = {}
        for assignee, kind, role_id, _scope in assignments:
            if kind == "user":
                roles_of.setdefault(assignee, []).append(roles.get(role_id, (role_id, False))[0])
        super_roles = sorted(name for name, is_super in roles.values() if is_super)
        emails: dict[str, str] = {}
        # One string per calendar day: 100,000 users share a few thousand sign-in and creation days.
        days: dict[str, str] = {}
        users: list[dict[str, Any]] = []
        customer_id: str | None = None
        params = {"customer": self._customer, "maxResults": str(_PAGE_SIZE), "fields": f"nextPageToken,users({_USER_FIELDS})"}
        for page in self._pages(_USERS_PATH, params, USER_SCOPE):
            for raw in _items(page, "users", self._system):
                user = _user(raw, roles_of, super_roles, days)
                if user is None:
                    continue
                if customer_id is None and isinstance(raw.get("customerId"), str):
                    customer_id = raw["customerId"]
                if user.id in roles_of:
                    emails[user.id] = user.email
                users.append(user_record(user))
        users.sort(key=lambda record: (record["email"], record["id"]))
        grants = [
            grant_record(
                RoleGrant(
                    role=roles.get(role_id, (role_id, False))[0],
                    super_admin=roles.get(role_id, (role_id, False))[1],
                    assignee_type=kind,
                    assignee=emails.get(assignee, assignee) if kind == "user" else assignee,
                    scope=scope,
                )
            )
            for assignee, kind, role_id, scope in assignments
        ]
        grants.sort(key=lambda record: (record["role"], record["assignee_type"], record["assignee"], record["scope"]))
        query = (
            f"GET {customer_path}/roles; GET {customer_path}/roleassignments; "
            f"GET {_USERS_PATH}?customer={self._customer}&fields=users({_USER_FIELDS}) (every page)"
        )
        return _DirectoryRead(users=users, grants=grants, customer_id=customer_id, query=query)

    def _pages(self, path: str, params: dict[str, str], scope: str) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        token: str | None = None
        while True:
            page = self._get(path, {**params, "pageToken": token} if token else params, scope)
            yield page
            next_token = page.get("nextPageToken")
            if not isinstance(next_token, str) or not next_token:
                return
            if next_token in seen:
                raise CollectorError(self._system, f"the API repeated a page token while listing {path}: stopped")
            seen.add(next_token)
            token = next_token

    def _get(self, path: str, params: dict[str, str], scope: str) -> dict[str, Any]:
        httpx = self._httpx
        url = f"{self._api_url}/{path}"
        headers = {"Authorization": f"Bearer {self._token}", "Accept": "application/json"}
        for attempt in range(_ATTEMPTS):
            last = attempt == _ATTEMPTS - 1
            try:
                response = self._client.get(url, params=params, headers=headers)
            except httpx.TransportError as error:
                if last:
                    raise CollectorError(self._system, f"cannot reach {self._api_url}: {type(error).__name__}") from None
                self._sleep(_backoff(attempt))
                continue
            if response.status_code == 200:
                return _json_object(response, self._system, path)
            reason = _error_reason(response)
            if response.status_code in _RETRIED_STATUSES or (response.status_code == 403 and reason in _RATE_LIMIT_REASONS):
                if last:
                    raise CollectorError(
                        self._system, f"{path} kept failing with HTTP {response.status_code} after {_ATTEMPTS} attempts"
                    )
                self._sleep(_retry_wait(response, attempt))
                continue
            raise self._refusal(response, path, scope, reason)
        raise AssertionError("unreachable")  # pragma: no cover

    def _refusal(self, response: httpx.Response, path: str, scope: str, reason: str) -> CollectorError:
        said = _error_message(response)
        if response.status_code == 401:
            return CollectorError(
                self._system,
                "the credentials were refused (HTTP 401: the access token expired or was revoked); "
                f"put a fresh token in {TOKEN_VARIABLE} or use a service account key ({KEY_VARIABLE})",
            )
        if response.status_code == 403:
            return CollectorError(
                self._system,
                f"{path} was refused (HTTP 403{': ' + said if said else ''}): the credentials need the OAuth scope "
                f"{scope}, granted to an administrator allowed to read it",
                permission=scope,
            )
        if response.status_code == 404:
            return CollectorError(
                self._system, f"{path} was not found (HTTP 404{': ' + said if said else ''}): check {CUSTOMER_VARIABLE}"
            )
        detail = said or reason
        return CollectorError(self._system, f"{path} failed with HTTP {response.status_code}{': ' + detail if detail else ''}")


def _user(
    raw: dict[str, Any], roles_of: Mapping[str, list[str]], super_roles: Sequence[str], days: dict[str, str]
) -> DirectoryUser | None:
    user_id, email = raw.get("id"), raw.get("primaryEmail")
    if not isinstance(user_id, str) or not isinstance(email, str):
        return None
    status: UserStatus = "active"
    if raw.get("deletionTime"):
        status = "deleted"
    elif raw.get("archived") is True:
        status = "archived"
    elif raw.get("suspended") is True:
        status = "suspended"
    roles = set(roles_of.get(user_id, ()))
    if raw.get("isAdmin") is True and not roles.intersection(super_roles):
        roles.add(super_roles[0] if super_roles else _SUPER_ADMIN)
    if raw.get("isDelegatedAdmin") is True and not roles:
        roles.add(_DELEGATED_ADMIN)
    last_day = _day(raw.get("lastLoginTime"), days)
    return DirectoryUser(
        id=user_id,
        email=email,
        status=status,
        second_factor_enrolled=_flag(raw.get("isEnrolledIn2Sv")),
        second_factor_enforced=_flag(raw.get("isEnforcedIn2Sv")),
        admin_roles=tuple(sorted(roles)),
        last_login=None if last_day == _NEVER else last_day,
        created=_day(raw.get("creationTime"), days),
        suspended_at=_text(raw.get("suspensionTime")) if status == "suspended" else None,
        deleted_at=_text(raw.get("deletionTime")),
    )


def _flag(value: object) -> bool | None:
    return value if isinstance(value, bool) else None


def _day(value: object, days: dict[str, str]) -> str | None:
    """The date of an ISO 8601 date-time, one shared string per day."""
    if not isinstance(value, str) or len(value) < 10:
        return None
    day = value[:10]
    return days.setdefault(day, day)


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


def _items(page: dict[str, Any], key: str, system: str) -> list[dict[str, Any]]:
    items = page.get(key, [])
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise CollectorError(system, f"the API answered with a `{key}` that is not a list of objects")
    return items


def _json_object(response: httpx.Response, system: str, path: str) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise CollectorError(system, f"{path} answered with something other than a JSON object")
    return body


def _error_body(response: httpx.Response) -> dict[str, Any]:
    try:
        body = json.loads(response.content)
    except ValueError:
        return {}
    error = body.get("error") if isinstance(body, dict) else None
    return error if isinstance(error, dict) else {}


def _error_reason(response: httpx.Response) -> str:
    errors = _error_body(response).get("errors")
    if isinstance(errors, list) and errors and isinstance(errors[0], dict):
        return str(errors[0].get("reason", ""))
    return ""


def _error_message(response: httpx.Response) -> str:
    return _clean(_error_body(response).get("message", ""))


def _clean(text: object, limit: int = 200) -> str:
    """Server text made safe for a one-line message."""
    flat = " ".join(str(text).split())
    flat = "".join(ch if ch.isprintable() else "?" for ch in flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _backoff(attempt: int) -> float:
    return float(min(_LONGEST_WAIT, 2**attempt))


def _retry_wait(response: httpx.Response, attempt: int) -> float:
    """Retry-After in seconds or as an HTTP date, kept within _LONGEST_WAIT; else exponential backoff."""
    header = response.headers.get("retry-after", "").strip()
    if header.isdigit():
        return min(_LONGEST_WAIT, float(header))
    if header:
        try:
            moment = parsedate_to_datetime(header)
        except (TypeError, ValueError):
            moment = None
        if moment is not None and moment.tzinfo is not None:
            return max(0.0, min(_LONGEST_WAIT, moment.timestamp() - time.time()))
    return _backoff(attempt)


def _api_url(text: str, system: str) -> str:
    """The API base URL, checked: https (plain http only to this machine), no credentials, no query."""
    value = text.rstrip("/")
    problem = api_url_problem(value)
    if problem == "shape":
        raise CollectorError(system, f"{API_URL_VARIABLE} is not a URL like {DEFAULT_API_URL}")
    if problem == "credentials":
        raise CollectorError(system, f"{API_URL_VARIABLE} must not hold a user name or password")
    if problem == "plain-http":
        raise CollectorError(system, f"{API_URL_VARIABLE} must use https: the token would travel unencrypted")
    return value


def _access_token(environ: Mapping[str, str], client: httpx.Client, system: str) -> str:
    token = environ.get(TOKEN_VARIABLE, "").strip()
    if token:
        if not token.isascii() or not token.isprintable() or " " in token:
            raise CollectorError(system, f"{TOKEN_VARIABLE} does not hold an access token (one word of printable ASCII)")
        return token
    key_path = environ.get(KEY_VARIABLE, "").strip()
    if not key_path:
        raise CollectorError(
            system,
            f"no credentials: set {TOKEN_VARIABLE} to an OAuth access token, or {KEY_VARIABLE} to a service "
            f"account key with domain-wide delegation and {ADMIN_VARIABLE} to the administrator it acts as",
        )
    admin = environ.get(ADMIN_VARIABLE, "").strip()
    if not admin:
        raise CollectorError(
            system, f"{KEY_VARIABLE} is set but {ADMIN_VARIABLE} is not: name the administrator the service account acts as"
        )
    return _service_account_token(key_path, admin, client, system)


def _service_account_token(key_path: str, admin: str, client: httpx.Client, system: str) -> str:
    """Exchange a signed JWT (RFC 7523) for an access token acting as `admin` (domain-wide delegation).

    google-auth only signs: the exchange is one POST, sent through the same client and URL checks as
    the API calls, so the key never leaves this process and a test can serve the token endpoint.
    """
    import httpx

    try:
        from google.auth import crypt, jwt
    except ImportError:
        raise CollectorError(
            system, f"{KEY_VARIABLE} needs google-auth to sign the token request: pip install 'soc2kit[google-workspace]'"
        ) from None
    try:
        with open(key_path, encoding="utf-8") as handle:
            info = json.load(handle)
        signer = crypt.RSASigner.from_service_account_info(info)  # type: ignore[no-untyped-call]
        token_uri = str(info.get("token_uri") or "https://oauth2.googleapis.com/token")
        issuer = str(info["client_email"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        raise CollectorError(system, f"{KEY_VARIABLE} does not name a readable service account key (JSON)") from None
    token_uri = _api_url(token_uri, system)
    now = int(time.time())
    claims = {"iss": issuer, "sub": admin, "scope": " ".join(SCOPES), "aud": token_uri, "iat": now, "exp": now + 3600}
    assertion: bytes = jwt.encode(signer, claims)  # type: ignore[no-untyped-call]
    try:
        response = client.post(token_uri, data={"grant_type": _JWT_GRANT, "assertion": assertion.decode("ascii")})
    except httpx.TransportError as error:
        raise CollectorError(system, f"cannot reach the token endpoint: {type(error).__name__}") from None
    try:
        body = response.json()
    except ValueError:
        body = {}
    token = body.get("access_token") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(token, str) or not token:
        said = _clean(body.get("error_description") or body.get("error") or "") if isinstance(body, dict) else ""
        raise CollectorError(
            system,
            f"the token endpoint refused the service account (HTTP {response.status_code}{': ' + said if said else ''}); "
            f"domain-wide delegation must grant it {', '.join(SCOPES)}",
            permission=" ".join(SCOPES),
        )
    return token
