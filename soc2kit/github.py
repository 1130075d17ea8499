"""The GitHub REST API: pull requests, their reviews and commits, branch commits, checks, branch protection.

Reads go through githubkit (typed models generated from GitHub's own OpenAPI description, httpx with
timeouts, Link-header pagination, rate-limit detection). On top of it this module keeps to the request
budget the server announces (it slows down when `x-ratelimit-remaining` runs low and waits for
`x-ratelimit-reset` when it is spent), retries secondary and primary rate limits after `retry-after` or the
reset time, retries 5xx answers and timeouts with backoff, and turns every failure into one `GitHubError`
that says what to do. githubkit is imported only when a client is made, so commands without a token do
not pay for it.

The token comes from the environment only. It is sent in the Authorization header and nowhere else: it is
never part of a message, a log record, a return value or a file.

Public API
    GitHubError(UsageError): the API cannot be used (bad or under-scoped token, unreachable, rate limit
        spent for too long); the message names the missing permission, never the token.
    Review, PullRequest, BranchCommit, CheckResult: what soc2kit reads from GitHub.
    Approval: a counted approval (source "github" or "trailer"; `stale` when it approved another commit
        than the pull request's head).
    judge_reviews(pr) -> (counted approvals, [(ignored review, reason)]).
    MergedPull: a merged pull request GitHub lists beside a commit (GitHub.merged_pull_requests_with_commit).
    GitHub(repository, *, token, api_url, timeout, max_wait): the client; GitHub.from_environment(root, ...)
        reads GITHUB_TOKEN, --repo / GITHUB_REPOSITORY / the origin remote, --github-api-url / GITHUB_API_URL.
    parse_repository(text) -> "OWNER/NAME"; repository_from_remote(url) -> "OWNER/NAME" | None.

Organization reads (the owner of the client's repository, or the organization of
GitHub.for_organization(org, ...)): organization_settings, organization_members, outside_collaborators,
organization_repositories, repository_admins, dependabot_alerts, code_scanning_alerts; they return
OrgRepository, RepositoryAdmins, DependabotAlert, CodeScanningAlert. parse_organization(text) -> "ORG".
"""

from __future__ import annotations

import os
import re
import threading
import time
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, Self, TypeVar, cast
from urllib.parse import quote, urlsplit

from soc2kit.api_urls import api_url_problem
from soc2kit.errors import UsageError
from soc2kit.git import GitError
from soc2kit.git import text as git_text

if TYPE_CHECKING:
    import httpx
    from githubkit import GitHub as KitGitHub
    from githubkit import Response
    from githubkit.exception import GitHubException
    from githubkit.typing import RetryOption

__all__ = [
    "DEFAULT_API_URL",
    "TOKEN_VARIABLE",
    "Approval",
    "BranchCommit",
    "CheckResult",
    "CodeScanningAlert",
    "DependabotAlert",
    "GitHub",
    "GitHubError",
    "MergedPull",
    "OrgRepository",
    "PullRequest",
    "RepositoryAdmins",
    "Review",
    "judge_reviews",
    "parse_organization",
    "parse_repository",
    "repository_from_remote",
]

DEFAULT_API_URL = "https://api.github.com"
# The REST API version asked for: every GitHub Enterprise Server release speaks it, and later versions
# drop fields soc2kit reads (2026-03-10 has no merge_commit_sha).
API_VERSION = "2022-11-28"
TOKEN_VARIABLE = "GITHUB_TOKEN"  # noqa: S105 - the variable's name, not a token
REPOSITORY_VARIABLE = "GITHUB_REPOSITORY"
API_URL_VARIABLE = "GITHUB_API_URL"

# The permission each kind of read needs, named as GitHub names it for fine-grained tokens and for
# `permissions:` in Actions workflows.
PULL_REQUESTS = "pull-requests: read"
CONTENTS = "contents: read"
CHECKS = "checks: read"
STATUSES = "statuses: read"
ADMINISTRATION = "administration: read"
METADATA = "metadata: read"
MEMBERS = "members: read"
ORGANIZATION_ADMINISTRATION = "organization-administration: read"
DEPENDABOT_ALERTS = "vulnerability-alerts: read"
CODE_SCANNING_ALERTS = "security-events: read"

_PAGE_SIZE = 100
_RATE_LIMIT_RETRIES = 5
_SERVER_ERROR_RETRIES = 4
_TIMEOUT_RETRIES = 2
_BACKOFF_SECONDS = 0.5
# x-ratelimit-reset is a whole second on the server's clock: waiting a little past it keeps a slightly
# different local clock from asking a moment too early.
_RESET_MARGIN_SECONDS = 1.0
# Below this share of the budget, requests are spread over what is left of the window.
_LOW_WATER_SHARE = 0.1

_ORGANIZATION = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})")
_REPOSITORY = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}")
_TOKEN_CHARACTERS = re.compile(r"[\x21-\x7e]+")

T = TypeVar("T")


class GitHubError(UsageError):
    """The GitHub API cannot give what was asked; the message says what to do and never holds the token."""

    permission: str | None = None
    """The permission GitHub asked for when it refused (or the one the read needs), when it refused one."""


@dataclass(frozen=True, slots=True)
class Review:
    id: int
    reviewer: str
    state: str
    submitted_at: datetime | None
    commit: str | None


@dataclass(frozen=True, slots=True)
class PullRequest:
    number: int
    title: str
    author: str
    commit_authors: tuple[str, ...]
    commit_shas: tuple[str, ...]
    base: str
    head_sha: str
    merged_at: datetime | None
    merged_by: str | None
    merge_commit_sha: str | None
    url: str
    reviews: tuple[Review, ...]


@dataclass(frozen=True, slots=True)
class Approval:
    reviewer: str
    submitted_at: datetime | None
    commit: str | None
    source: Literal["github", "trailer"]
    stale: bool


@dataclass(frozen=True, slots=True)
class BranchCommit:
    sha: str
    parents: tuple[str, ...]
    author: str  # GitHub login, "" when the author's email is not linked to an account
    author_name: str
    author_email: str
    committer: str  # GitHub login of the committer ("web-flow" for merges made on github.com), else ""
    committer_name: str
    committer_email: str
    date: datetime | None  # committer date
    subject: str


@dataclass(frozen=True, slots=True)
class MergedPull:
    """A merged pull request as GitHub lists it beside one of its commits (no reviews or commits)."""

    number: int
    base: str
    merged_at: datetime
    merge_commit_sha: str | None


@dataclass(frozen=True, slots=True)
class OrgRepository:
    name: str
    archived: bool
    private: bool


@dataclass(frozen=True, slots=True)
class RepositoryAdmins:
    """Who holds admin on one repository: users (those outside the organization also in `outside`), teams."""

    users: tuple[str, ...]
    outside: tuple[str, ...]
    teams: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DependabotAlert:
    repository: str  # OWNER/NAME
    number: int
    severity: str  # low, medium, high, critical
    created_at: datetime
    ecosystem: str
    package: str
    advisory: str  # the GHSA id
    cve: str | None
    summary: str
    url: str


@dataclass(frozen=True, slots=True)
class CodeScanningAlert:
    repository: str  # OWNER/NAME
    number: int
    security_severity: str | None  # low, medium, high, critical; None for a rule that is not about security
    rule_severity: str | None  # none, note, warning, error
    rule: str
    tool: str
    created_at: datetime
    path: str
    url: str


@dataclass(frozen=True, slots=True)
class CheckResult:
    name: str
    conclusion: str  # a check run's conclusion (or its status while not completed), a status's state
    source: Literal["check_run", "status"]


def judge_reviews(pr: PullRequest) -> tuple[list[Approval], list[tuple[Review, str]]]:
    """The approvals that count for `pr` and every other review with the reason it does not count.

    An approval counts when it is APPROVED, submitted before the merge, by someone who is neither the pull
    request's author nor an author of one of its commits, and not withdrawn by a later request for changes
    from the same reviewer (GitHub's own rule: a reviewer's latest verdict stands). Of several approvals by
    one reviewer the latest counts. An approval of a commit other than the head is counted and marked stale."""
    authors = {login.casefold() for login in (pr.author, *pr.commit_authors) if login}
    ignored: list[tuple[Review, str]] = []
    verdicts: dict[str, list[Review]] = {}
    ordered = sorted(pr.reviews, key=lambda r: (r.submitted_at is None, r.submitted_at or datetime.min.replace(tzinfo=UTC), r.id))
    for review in ordered:
        if review.state == "DISMISSED":
            ignored.append((review, "dismissed"))
        elif review.state == "PENDING" or review.submitted_at is None:
            ignored.append((review, "not submitted"))
        elif pr.merged_at is not None and review.submitted_at > pr.merged_at:
            ignored.append((review, "after the merge"))
        elif review.state not in {"APPROVED", "CHANGES_REQUESTED"}:
            ignored.append((review, "not an approval"))
        elif review.reviewer.casefold() in authors:
            ignored.append((review, "by an author of the change"))
        else:
            verdicts.setdefault(review.reviewer.casefold(), []).append(review)
    counted: list[Approval] = []
    for reviews in verdicts.values():
        latest = reviews[-1]
        for review in reviews[:-1]:
            if review.state == "CHANGES_REQUESTED":
                ignored.append((review, "not an approval"))
            elif latest.state == "CHANGES_REQUESTED":
                ignored.append((review, "withdrawn by a later request for changes"))
            else:
                ignored.append((review, "replaced by a later approval from the same reviewer"))
        if latest.state == "CHANGES_REQUESTED":
            ignored.append((latest, "not an approval"))
            continue
        counted.append(
            Approval(
                reviewer=latest.reviewer,
                submitted_at=latest.submitted_at,
                commit=latest.commit,
                source="github",
                stale=latest.commit is not None and latest.commit != pr.head_sha,
            )
        )
    counted.sort(key=lambda a: (a.submitted_at or datetime.min.replace(tzinfo=UTC), a.reviewer))
    ignored.sort(key=lambda pair: pair[0].id)
    return counted, ignored


def parse_repository(text: str) -> str:
    """`OWNER/NAME` checked for shape; GitHubError otherwise (the value is shown: it is no secret)."""
    value = text.strip().removesuffix(".git")
    if not _REPOSITORY.fullmatch(value) or value.split("/")[1] in {".", ".."}:
        shown = text if len(text) <= 120 and text.isprintable() else repr(text[:120])
        raise GitHubError(f"repository {shown} is not OWNER/NAME (for example octo-org/product)")
    return value


def parse_organization(text: str) -> str:
    """An organization's login checked for shape; GitHubError otherwise."""
    value = text.strip()
    if not _ORGANIZATION.fullmatch(value):
        shown = text if len(text) <= 60 and text.isprintable() else repr(text[:60])
        raise GitHubError(f"organization {shown} is not a GitHub organization name (letters, digits and hyphens)")
    return value


def repository_from_remote(url: str) -> str | None:
    """`OWNER/NAME` from a GitHub remote URL (https, ssh or scp-like), or None when it names none."""
    url = url.strip()
    scp = re.fullmatch(r"[^@/\s]+@[^:/\s]+:(?P<path>[^\s]+)", url)
    if scp:
        path = scp["path"]
    else:
        try:
            parts = urlsplit(url)
        except ValueError:
            return None
        if not parts.netloc:  # a local path or file URL names no GitHub repository
            return None
        path = parts.path
    segments = path.strip("/").removesuffix(".git").split("/")
    if len(segments) < 2:
        return None
    candidate = "/".join(segments[-2:])
    try:
        return parse_repository(candidate)
    except GitHubError:
        return None


def _api_url(text: str) -> str:
    """The API base URL, checked: https (plain http only to this machine), no credentials, no query."""
    value = text.strip().rstrip("/")
    problem = api_url_problem(value)
    if problem == "shape":
        raise GitHubError("the GitHub API URL must look like https://api.github.com or https://HOST/api/v3")
    if problem == "credentials":
        raise GitHubError("the GitHub API URL must not contain a user name or password; the token goes in GITHUB_TOKEN")
    if problem == "plain-http":
        raise GitHubError("the GitHub API URL must use https: the token would travel unencrypted over http")
    return value


def _clean(text: object, limit: int = 200) -> str:
    """Server text made safe for a one-line message."""
    flat = " ".join(str(text).split())
    flat = "".join(ch if ch.isprintable() else "?" for ch in flat)
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _accepted_permission(header: str | None) -> str | None:
    """GitHub's `x-accepted-github-permissions` ("pull_requests=read; contents=read") in workflow spelling."""
    if not header:
        return None
    first = header.split(";")[0]
    names = []
    for item in first.split(","):
        name, _, level = item.strip().partition("=")
        if name:
            names.append(f"{name.replace('_', '-')}: {level or 'read'}")
    return ", ".join(names) or None


class _Budget:
    """The primary rate limit as the server announces it, spent so that it is never exceeded.

    Every answer updates what is left and when the window resets. Before a request: with nothing left,
    wait for the reset; with little left, spread the remaining requests over the rest of the window."""

    def __init__(self, *, max_wait: float, sleep: Callable[[float], None], clock: Callable[[], float]) -> None:
        self.max_wait = max_wait
        self._sleep = sleep
        self._clock = clock
        self._lock = threading.Lock()
        self.limit: int | None = None
        self.remaining: int | None = None
        self.reset: float | None = None
        self.waited = 0.0

    def before_request(self) -> None:
        with self._lock:
            if self.remaining is None or self.reset is None:
                return
            now = self._clock()
            if now >= self.reset:
                self.remaining = None
                return
            until_reset = self.reset - now
            if self.remaining <= 0:
                wait = until_reset + _RESET_MARGIN_SECONDS
            elif self.limit and self.remaining < max(1, int(self.limit * _LOW_WATER_SHARE)):
                wait = until_reset / self.remaining
            else:
                wait = 0.0
            if wait > self.max_wait:
                raise _budget_spent(self.reset)
            if wait > 0:
                self._sleep(wait)
                self.waited += wait
            if self.remaining is not None and self._clock() < self.reset:
                self.remaining -= 1
            else:
                self.remaining = None

    def after_response(self, headers: httpx.Headers) -> None:
        if headers.get("x-ratelimit-resource", "core") != "core":
            return
        try:
            remaining = int(headers["x-ratelimit-remaining"])
            reset = float(int(headers["x-ratelimit-reset"]))
            limit = int(headers.get("x-ratelimit-limit", "0")) or None
        except (KeyError, ValueError):
            return
        with self._lock:
            self.remaining, self.reset, self.limit = remaining, reset, limit


class _Transport(Protocol):
    def shut(self) -> None: ...


def _budget_spent(reset: float) -> GitHubError:
    when = datetime.fromtimestamp(reset, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return GitHubError(f"the GitHub API rate limit for this token is spent until {when}; run again after that time")


def _metered_transport(budget: _Budget) -> _Transport:
    import httpx

    class MeteredTransport(httpx.BaseTransport):
        """httpx's transport with the budget consulted before each request and updated from each answer."""

        def __init__(self) -> None:
            self._inner = httpx.HTTPTransport(retries=0)

        def handle_request(self, request: httpx.Request) -> httpx.Response:
            budget.before_request()
            response = self._inner.handle_request(request)
            budget.after_response(response.headers)
            return response

        def close(self) -> None:
            # githubkit makes (and closes) an httpx client per request; keeping the pool open across them
            # keeps the connections alive. GitHub.close() closes it for good.
            pass

        def shut(self) -> None:
            self._inner.close()

    return MeteredTransport()


class GitHub:
    """Reads one repository through the GitHub REST API (github.com or a GitHub Enterprise Server)."""

    def __init__(
        self,
        repository: str,
        *,
        token: str | None,
        api_url: str = DEFAULT_API_URL,
        timeout: float = 30.0,
        max_wait: float = 900.0,
        retry_backoff: float = _BACKOFF_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        """`max_wait`: the longest wait for a rate limit before giving up; `retry_backoff`: the first wait
        before retrying a 5xx answer or a timeout (doubling each time)."""
        self.repository = parse_repository(repository)
        self.owner, self.name = self.repository.split("/")
        self.api_url = _api_url(api_url)
        self.timeout = timeout
        if token is not None and not _TOKEN_CHARACTERS.fullmatch(token):
            raise GitHubError(f"{TOKEN_VARIABLE} holds characters no GitHub token has (spaces, line breaks or non-ASCII)")
        self._budget = _Budget(max_wait=max_wait, sleep=sleep, clock=time.time)
        self._max_wait = max_wait
        self._backoff = retry_backoff
        self._repository_visible: bool | None = None
        # What error messages say was asked about: the repository, or the organization of for_organization().
        self._scope = self.repository
        self._transport = _metered_transport(self._budget)
        # Connections stay open between requests; they close with close(), `with`, or when the client goes.
        weakref.finalize(self, self._transport.shut)
        self._kit = self._make_kit(token)
        self._rest = self._kit.rest("2022-11-28")  # API_VERSION, spelled as the literal type wants

    @classmethod
    def from_environment(cls, root: Path, *, repository: str | None = None, api_url: str | None = None) -> GitHub | None:
        """The client configured from options and the environment; None when GITHUB_TOKEN is not set."""
        token = os.environ.get(TOKEN_VARIABLE, "").strip()
        if not token:
            return None
        chosen = repository or os.environ.get(REPOSITORY_VARIABLE, "").strip() or _origin_repository(root)
        if not chosen:
            raise GitHubError(
                "cannot tell which GitHub repository to read: pass --repo OWNER/NAME, set GITHUB_REPOSITORY, "
                "or add a GitHub `origin` remote"
            )
        url = api_url or os.environ.get(API_URL_VARIABLE, "").strip() or DEFAULT_API_URL
        return cls(chosen, token=token, api_url=url)

    @classmethod
    def for_organization(cls, organization: str, *, token: str | None, api_url: str = DEFAULT_API_URL, **options: Any) -> GitHub:
        """A client for the organization reads of `organization` (options as for the constructor)."""
        login = parse_organization(organization)
        # The repository-level reads are not meant for this client; `.github` is the organization's own
        # settings repository, named only so the constructor has an OWNER/NAME.
        client = cls(f"{login}/.github", token=token, api_url=api_url, **options)
        client._scope = f"organization {login}"
        return client

    def _make_kit(self, token: str | None) -> KitGitHub[Any]:
        from githubkit import GitHub as KitGitHub
        from githubkit import UnauthAuthStrategy

        from soc2kit import __version__

        auth: Any = token if token is not None else UnauthAuthStrategy()
        kit: KitGitHub[Any] = KitGitHub(
            auth,
            base_url=self.api_url + "/",
            user_agent=f"soc2kit/{__version__}",
            timeout=self.timeout,
            transport=cast("httpx.BaseTransport", self._transport),
            http_cache=False,
            auto_retry=self._retry_decision,
        )
        return kit

    def _retry_decision(self, exc: GitHubException, count: int) -> RetryOption:
        from githubkit.exception import RateLimitExceeded, RequestFailed, RequestTimeout
        from githubkit.typing import RetryOption

        if isinstance(exc, RateLimitExceeded):
            wait = max(exc.retry_after.total_seconds(), 0.0)
            if "retry-after" not in exc.response.headers:
                wait += _RESET_MARGIN_SECONDS
            if count < _RATE_LIMIT_RETRIES and wait <= self._max_wait:
                return RetryOption(do_retry=True, retry_after=timedelta(seconds=max(wait, 0.001)))
            return RetryOption(do_retry=False)
        if isinstance(exc, RequestFailed) and exc.response.status_code >= 500 and count < _SERVER_ERROR_RETRIES:
            return RetryOption(do_retry=True, retry_after=timedelta(seconds=self._backoff * 2**count))
        if isinstance(exc, RequestTimeout) and count < _TIMEOUT_RETRIES:
            return RetryOption(do_retry=True, retry_after=timedelta(seconds=self._backoff * 2**count))
        return RetryOption(do_retry=False)

    @property
    def rate_limit_waited(self) -> float:
        """Seconds spent waiting to keep within the announced budget (not counting retry waits)."""
        return self._budget.waited

    def close(self) -> None:
        """Closes the HTTP connections."""
        self._transport.shut()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _call(self, what: str, permission: str, request: Callable[[], T]) -> T:
        """`request()` with every failure turned into a GitHubError about `what`."""
        try:
            return request()
        except Exception as exc:  # converted into one kind of error below
            raise self._diagnose(exc, what, permission) from None

    def _each(self, what: str, permission: str, items: Iterable[T]) -> Iterator[T]:
        iterator = iter(items)
        while True:
            try:
                item = next(iterator)
            except StopIteration:
                return
            except Exception as exc:  # converted into one kind of error below
                raise self._diagnose(exc, what, permission) from None
            yield item

    def _diagnose(self, exc: Exception, what: str, permission: str) -> Exception:
        from githubkit.exception import RateLimitExceeded, RequestError, RequestFailed, RequestTimeout
        from pydantic import ValidationError

        where = f"{what} in {self._scope}"
        if isinstance(exc, GitHubError):
            return exc
        if isinstance(exc, RateLimitExceeded):
            reset = exc.response.headers.get("x-ratelimit-reset")
            if reset and reset.isdigit() and "retry-after" not in exc.response.headers:
                return _budget_spent(float(reset))
            return GitHubError(f"GitHub kept refusing to {where} for exceeding a rate limit; run again later")
        if isinstance(exc, RequestFailed):
            return self._refused(exc.response, where, permission)
        if isinstance(exc, RequestTimeout):
            return GitHubError(
                f"GitHub at {self.api_url} did not answer within {self.timeout:g} s ({_TIMEOUT_RETRIES + 1} tries) "
                f"when asked to {where}; check the network or try again later"
            )
        if isinstance(exc, RequestError):
            if isinstance(exc.exc, GitHubError):
                return exc.exc
            return GitHubError(
                f"cannot reach GitHub at {self.api_url} to {where} ({type(exc.exc).__name__}); "
                "check --github-api-url / GITHUB_API_URL and the network"
            )
        if isinstance(exc, ValidationError):
            return GitHubError(
                f"GitHub's answer when asked to {where} does not match GitHub's API description "
                f"(fields that differ: {exc.error_count()}); is {self.api_url} a GitHub API?"
            )
        if isinstance(exc, ValueError):  # an answer that is not JSON
            return GitHubError(f"GitHub's answer when asked to {where} is not JSON; is {self.api_url} a GitHub API?")
        raise exc

    def _refused(self, response: Response[Any], where: str, permission: str) -> GitHubError:
        status = response.status_code
        headers = response.headers
        try:
            body = response.json()
            message = _clean(body.get("message", "")) if isinstance(body, dict) else ""
        except ValueError:
            message = ""
        said = f"{status} {message}".strip()
        needed = _accepted_permission(headers.get("x-accepted-github-permissions")) or permission
        error = self._refusal(status, said, where, needed, headers)
        if status in {403, 404}:  # a 401 is a bad token, not a missing permission
            error.permission = needed
        return error

    def _refusal(self, status: int, said: str, where: str, needed: str, headers: httpx.Headers) -> GitHubError:
        if status == 401:
            return GitHubError(
                f"GitHub rejected {TOKEN_VARIABLE} ({said}) when asked to {where}: the token is wrong, expired or "
                f"revoked; provide a valid token with {needed}"
            )
        if status == 403 and headers.get("x-github-sso"):
            return GitHubError(
                f"GitHub refused to {where} ({said}): the token is not authorized for the organization's single sign-on; "
                "authorize it for SSO in the token settings"
            )
        if status in {403, 404}:
            scopes = headers.get("x-accepted-oauth-scopes")
            classic = f" (a classic token needs the scope: {_clean(scopes)})" if scopes else ""
            if status == 404 and self._scope != self.repository:
                return GitHubError(
                    f"GitHub answered {said} when asked to {where}: the organization or repository does not exist, "
                    f"the feature is off, or the token cannot see it; check the organization and give the token {needed}{classic}"
                )
            if status == 404:
                return GitHubError(
                    f"GitHub answered {said} when asked to {where}: the repository does not exist or the token cannot "
                    f"see it; check --repo and give the token {needed}{classic}"
                )
            if self._scope != self.repository:
                # A workflow's own GITHUB_TOKEN cannot be given organization permissions.
                return GitHubError(
                    f"GitHub refused to {where} ({said}): the token lacks {needed}{classic}; grant it to the "
                    "fine-grained token or GitHub App installation the collector uses"
                )
            return GitHubError(
                f"GitHub refused to {where} ({said}): the token lacks {needed}{classic}; grant it "
                f"(in a GitHub Actions workflow: `permissions:` with {needed})"
            )
        if status >= 500:
            return GitHubError(f"GitHub failed {_SERVER_ERROR_RETRIES + 1} times when asked to {where} ({said}); try again later")
        return GitHubError(f"GitHub answered {said} when asked to {where}")

    def _repository_exists(self) -> bool:
        """Whether the repository itself is visible: tells a missing pull request from an unseen repository."""
        if self._repository_visible is None:
            from githubkit.exception import RequestFailed

            try:
                self._rest.repos.get(self.owner, self.name)
            except RequestFailed as exc:
                if exc.response.status_code != 404:
                    raise self._diagnose(exc, "read the repository", METADATA) from None
                self._repository_visible = False
            except Exception as exc:  # converted into one kind of error
                raise self._diagnose(exc, "read the repository", METADATA) from None
            else:
                self._repository_visible = True
        return self._repository_visible

    def default_branch(self) -> str:
        """The repository's default branch, as GitHub names it."""
        data = self._call("read the repository", METADATA, lambda: self._rest.repos.get(self.owner, self.name).parsed_data)
        self._repository_visible = True
        return data.default_branch

    def pull_request(self, number: int) -> PullRequest | None:
        """Pull request `number` with its reviews and commits; None when the repository has no such pull request."""
        from githubkit.exception import RequestFailed

        what = f"read pull request #{number}"
        try:
            data = self._rest.pulls.get(self.owner, self.name, number).parsed_data
        except RequestFailed as exc:
            if exc.response.status_code == 404 and self._repository_exists():
                return None
            raise self._diagnose(exc, what, PULL_REQUESTS) from None
        except Exception as exc:  # converted into one kind of error
            raise self._diagnose(exc, what, PULL_REQUESTS) from None
        kit = self._rest
        review_pages: Iterable[Any] = self._kit.rest.paginate(
            kit.pulls.list_reviews, owner=self.owner, repo=self.name, pull_number=number, per_page=_PAGE_SIZE
        )
        reviews = tuple(
            Review(
                id=review.id,
                reviewer=review.user.login if review.user else "ghost",
                state=review.state,
                submitted_at=_moment(review.submitted_at),
                commit=review.commit_id or None,
            )
            for review in self._each(f"read the reviews of pull request #{number}", PULL_REQUESTS, review_pages)
        )
        commit_shas: list[str] = []
        commit_authors: set[str] = set()
        commit_pages: Iterable[Any] = self._kit.rest.paginate(
            kit.pulls.list_commits, owner=self.owner, repo=self.name, pull_number=number, per_page=_PAGE_SIZE
        )
        for commit in self._each(f"read the commits of pull request #{number}", PULL_REQUESTS, commit_pages):
            commit_shas.append(commit.sha)
            login = _login(commit.author)
            if login:
                commit_authors.add(login)
        return PullRequest(
            number=data.number,
            title=data.title,
            author=data.user.login if data.user else "ghost",
            commit_authors=tuple(sorted(commit_authors)),
            commit_shas=tuple(commit_shas),
            base=data.base.ref,
            head_sha=data.head.sha,
            merged_at=_moment(data.merged_at),
            merged_by=data.merged_by.login if data.merged_by else None,
            merge_commit_sha=data.merge_commit_sha or None,
            url=data.html_url,
            reviews=reviews,
        )

    def pull_requests_for_commit(self, sha: str) -> list[int]:
        """Numbers of the merged pull requests whose merge commit is `sha`."""
        kit = self._rest
        found = {
            pr.number
            for pr in self._each(
                f"find the pull requests of commit {sha[:12]}",
                PULL_REQUESTS,
                self._kit.rest.paginate(
                    kit.repos.list_pull_requests_associated_with_commit,
                    owner=self.owner,
                    repo=self.name,
                    commit_sha=sha,
                    per_page=_PAGE_SIZE,
                ),
            )
            if pr.merged_at is not None and pr.merge_commit_sha == sha
        }
        return sorted(found)

    def merged_pull_requests_with_commit(self, sha: str, branch: str) -> tuple[MergedPull, ...]:
        """The pull requests merged into `branch` that GitHub associates with commit `sha`, oldest merge first.

        Unlike `pull_requests_for_commit`, a match is any association GitHub knows, not only the merge commit:
        a rebase merge rewrites the pull request's commits, and the rewritten ones on the branch are still
        listed with their pull request; so is a commit dated before its pull request was merged."""
        kit = self._rest
        found: dict[int, MergedPull] = {}
        listing = self._kit.rest.paginate(
            kit.repos.list_pull_requests_associated_with_commit,
            owner=self.owner,
            repo=self.name,
            commit_sha=sha,
            per_page=_PAGE_SIZE,
        )
        for pr in self._each(f"find the pull requests of commit {sha[:12]}", PULL_REQUESTS, listing):
            merged_at = _moment(pr.merged_at)
            if merged_at is not None and pr.base.ref == branch:
                found[pr.number] = MergedPull(pr.number, pr.base.ref, merged_at, pr.merge_commit_sha or None)
        return tuple(sorted(found.values(), key=lambda p: (p.merged_at, p.number)))

    def merged_pull_requests(self, branch: str, start: datetime, end: datetime) -> Iterator[PullRequest]:
        """Pull requests merged into `branch` with start <= merged_at < end, oldest merge first, each complete."""
        kit = self._rest
        start, end = _aware(start), _aware(end)
        merged: list[tuple[datetime, int]] = []
        listing = self._kit.rest.paginate(
            kit.pulls.list,
            owner=self.owner,
            repo=self.name,
            state="closed",
            base=branch,
            sort="updated",
            direction="desc",
            per_page=_PAGE_SIZE,
        )
        for pr in self._each(f"list the pull requests merged into {branch}", PULL_REQUESTS, listing):
            # Merging updates a pull request, so once updates are older than `start` no later page can
            # hold a merge inside the period.
            if pr.updated_at < start:
                break
            merged_at = _moment(pr.merged_at)
            if merged_at is not None and start <= merged_at < end:
                merged.append((merged_at, pr.number))
        for _, number in sorted(set(merged)):
            pull = self.pull_request(number)
            if pull is not None:
                yield pull

    def branch_commits(self, branch: str, start: datetime, end: datetime) -> Iterator[BranchCommit]:
        """Commits reachable from `branch` with a commit date in [start, end], newest first (GitHub's order)."""
        kit = self._rest
        start, end = _aware(start), _aware(end)
        listing = self._kit.rest.paginate(  # type: ignore[call-overload]
            kit.repos.list_commits,
            owner=self.owner,
            repo=self.name,
            sha=branch,
            # githubkit would send str(datetime) ("2026-01-01 00:00:00+00:00"); GitHub's description asks for
            # ISO 8601 date-time, which the test server checks.
            since=_timestamp(start),
            until=_timestamp(end),
            per_page=_PAGE_SIZE,
        )
        for item in self._each(f"list the commits of {branch}", CONTENTS, listing):
            detail = item.commit
            author, committer = detail.author, detail.committer
            yield BranchCommit(
                sha=item.sha,
                parents=tuple(parent.sha for parent in item.parents),
                author=_login(item.author),
                author_name=author.name if author and author.name else "",
                author_email=author.email if author and author.email else "",
                committer=_login(item.committer),
                committer_name=committer.name if committer and committer.name else "",
                committer_email=committer.email if committer and committer.email else "",
                date=_parse_moment(committer.date if committer else None),
                subject=detail.message.split("\n", 1)[0],
            )

    def check_results(self, sha: str) -> tuple[CheckResult, ...]:
        """The check runs and the latest commit status per context for commit `sha`, sorted by name."""
        kit = self._rest
        results: dict[tuple[str, str], CheckResult] = {}
        runs = self._kit.rest.paginate(
            kit.checks.list_for_ref,
            map_func=lambda response: response.parsed_data.check_runs,
            owner=self.owner,
            repo=self.name,
            ref=sha,
            filter_="latest",
            per_page=_PAGE_SIZE,
        )
        for run in self._each(f"read the check runs of commit {sha[:12]}", CHECKS, runs):
            conclusion = run.conclusion if run.status == "completed" and run.conclusion else run.status
            results.setdefault(("check_run", run.name), CheckResult(name=run.name, conclusion=conclusion, source="check_run"))
        statuses = self._kit.rest.paginate(
            kit.repos.list_commit_statuses_for_ref, owner=self.owner, repo=self.name, ref=sha, per_page=_PAGE_SIZE
        )
        # GitHub lists statuses newest first: the first one seen per context is the one in force.
        for status in self._each(f"read the commit statuses of commit {sha[:12]}", STATUSES, statuses):
            results.setdefault(
                ("status", status.context), CheckResult(name=status.context, conclusion=status.state, source="status")
            )
        return tuple(sorted(results.values(), key=lambda r: (r.name, r.source)))

    def branch_protection(self, branch: str) -> dict[str, Any]:
        """The protection rules of `branch` as GitHub returns them; {} when the branch is not protected."""
        from githubkit.exception import RequestFailed

        what = f"read the protection rules of branch {branch}"
        path = f"/repos/{quote(self.owner)}/{quote(self.name)}/branches/{quote(branch, safe='')}/protection"
        try:
            response = self._kit.request("GET", path, headers={"X-GitHub-Api-Version": API_VERSION})
            data = response.json()
        except RequestFailed as exc:
            if exc.response.status_code == 404 and _message(exc.response) == "Branch not protected":
                return {}
            raise self._diagnose(exc, what, ADMINISTRATION) from None
        except Exception as exc:  # converted into one kind of error
            raise self._diagnose(exc, what, ADMINISTRATION) from None
        if not isinstance(data, dict):
            raise GitHubError(f"GitHub's answer when asked to {what} in {self.repository} is not an object")
        return data

    @property
    def organization(self) -> str:
        """The organization the organization reads ask about: the repository's owner."""
        return self.owner

    def organization_settings(self) -> dict[str, Any]:
        """The organization's security settings; a value GitHub shows only to owners is None when hidden."""
        what = "read the settings"
        path = f"/orgs/{quote(self.owner)}"
        data = self._call(
            what, METADATA, lambda: self._kit.request("GET", path, headers={"X-GitHub-Api-Version": API_VERSION}).json()
        )
        if not isinstance(data, dict):
            raise GitHubError(f"GitHub's answer when asked to {what} in {self._scope} is not an object")
        keys = ("two_factor_requirement_enabled", "default_repository_permission", "members_can_create_repositories")
        return {key: data.get(key) for key in keys}

    def organization_members(
        self, *, role: Literal["all", "admin", "member"] = "all", two_factor_disabled: bool = False
    ) -> list[str]:
        """Logins of the organization's members (owners only with role="admin"); with `two_factor_disabled`
        only those without two-factor authentication (GitHub answers that filter for owners' tokens only)."""
        listing: Iterable[Any] = self._kit.rest.paginate(
            self._rest.orgs.list_members,
            org=self.owner,
            role=role,
            filter_="2fa_disabled" if two_factor_disabled else "all",
            per_page=_PAGE_SIZE,
        )
        # GitHub answers the 2FA filter to owners only (422 "Only owners can use this filter." otherwise).
        what = "list the members without two-factor authentication (owners only)" if two_factor_disabled else "list the members"
        return [user.login for user in self._each(what, MEMBERS, listing)]

    def outside_collaborators(self, *, two_factor_disabled: bool = False) -> list[str]:
        """Logins of the organization's outside collaborators (with `two_factor_disabled`: those without 2FA)."""
        listing: Iterable[Any] = self._kit.rest.paginate(
            self._rest.orgs.list_outside_collaborators,
            org=self.owner,
            filter_="2fa_disabled" if two_factor_disabled else "all",
            per_page=_PAGE_SIZE,
        )
        what = "list the outside collaborators" + (
            " without two-factor authentication (owners only)" if two_factor_disabled else ""
        )
        return [user.login for user in self._each(what, MEMBERS, listing)]

    def organization_repositories(self) -> list[OrgRepository]:
        """Every repository of the organization the token can see."""
        listing = self._kit.rest.paginate(self._rest.repos.list_for_org, org=self.owner, type="all", per_page=_PAGE_SIZE)
        return [
            OrgRepository(name=repo.name, archived=repo.archived is True, private=repo.private)
            for repo in self._each("list the repositories", METADATA, listing)
        ]

    def repository_admins(self, name: str) -> RepositoryAdmins:
        """The users and teams with admin on repository `name` of the organization."""
        users, outside = (
            sorted(
                user.login
                for user in self._each(
                    f"list the admins of repository {name}",
                    METADATA,
                    self._kit.rest.paginate(
                        self._rest.repos.list_collaborators,
                        owner=self.owner,
                        repo=name,
                        affiliation=affiliation,
                        permission="admin",
                        per_page=_PAGE_SIZE,
                    ),
                )
            )
            for affiliation in ("all", "outside")
        )
        teams = self._kit.rest.paginate(self._rest.repos.list_teams, owner=self.owner, repo=name, per_page=_PAGE_SIZE)
        admin_teams = sorted(
            team.slug
            for team in self._each(f"list the teams of repository {name}", ADMINISTRATION, teams)
            if team.permission == "admin"
        )
        return RepositoryAdmins(users=tuple(users), outside=tuple(outside), teams=tuple(admin_teams))

    def dependabot_alerts(self, *, state: str = "open") -> list[DependabotAlert]:
        """The organization's Dependabot alerts in `state` (this listing pages by cursor, followed from Link)."""
        listing = self._kit.rest.paginate(
            self._rest.dependabot.list_alerts_for_org, org=self.owner, state=state, per_page=_PAGE_SIZE
        )
        found = []
        for alert in self._each("list the Dependabot alerts", DEPENDABOT_ALERTS, listing):
            advisory = alert.security_advisory
            package = alert.security_vulnerability.package
            found.append(
                DependabotAlert(
                    repository=alert.repository.full_name,
                    number=alert.number,
                    severity=alert.security_vulnerability.severity,
                    created_at=_aware(alert.created_at),
                    ecosystem=package.ecosystem,
                    package=package.name,
                    advisory=advisory.ghsa_id,
                    cve=advisory.cve_id or None,
                    summary=advisory.summary,
                    url=alert.html_url,
                )
            )
        return found

    def code_scanning_alerts(self, *, state: Literal["open", "closed", "dismissed", "fixed"] = "open") -> list[CodeScanningAlert]:
        """The organization's code-scanning alerts in `state`."""
        listing = self._kit.rest.paginate(
            self._rest.code_scanning.list_alerts_for_org, org=self.owner, state=state, per_page=_PAGE_SIZE
        )
        found = []
        for alert in self._each("list the code-scanning alerts", CODE_SCANNING_ALERTS, listing):
            rule, instance = alert.rule, alert.most_recent_instance
            location = instance.location or None
            found.append(
                CodeScanningAlert(
                    repository=alert.repository.full_name,
                    number=alert.number,
                    security_severity=_present(rule.security_severity_level),
                    rule_severity=_present(rule.severity),
                    rule=_present(rule.id) or _present(rule.name) or "",
                    tool=_present(alert.tool.name) or "",
                    created_at=_aware(alert.created_at),
                    path=(_present(location.path) if location else None) or "",
                    url=alert.html_url,
                )
            )
        return found


def _present(value: object) -> str | None:
    """A string field of a githubkit model, None when GitHub left it out or sent null."""
    return value if isinstance(value, str) else None


def _message(response: Response[Any]) -> str:
    try:
        body = response.json()
    except ValueError:
        return ""
    return str(body.get("message", "")) if isinstance(body, dict) else ""


def _login(user: object) -> str:
    login = getattr(user, "login", None)
    return login if isinstance(login, str) else ""


def _aware(moment: datetime) -> datetime:
    """A datetime without a zone is taken as UTC (GitHub's zone), so comparisons never raise."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    return None


def _parse_moment(value: object) -> datetime | None:
    if isinstance(value, datetime):
        return _moment(value)
    if isinstance(value, str) and value:
        try:
            return _moment(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _origin_repository(root: Path) -> str | None:
    """OWNER/NAME from the `origin` remote; the URL itself is never shown (it may carry credentials)."""
    try:
        url = git_text(["remote", "get-url", "origin"], cwd=root)
    except GitError:
        return None
    return repository_from_remote(url)
