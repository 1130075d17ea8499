"""The CC8.1 change-management gate: every change to the program, its workflows and its code owners on
the main branch came through a pull request, approved by someone who wrote none of it.

Public API
    check_changes(root, *, branch=None, since=None, repository=None, api_url=None) -> ChangesReport
        Reads the first-parent history of `branch` (default: the current branch; with a detached
        HEAD, `main`) in one `git log` pass, oldest first, limited to the gated paths. With
        GITHUB_TOKEN set, pull requests and their reviews are read from GitHub (`repository`,
        `api_url`: see soc2kit.github). Raises UsageError (exit 2) outside Git, in a repo without
        commits, for an unknown branch, a detached HEAD with no `main` branch, or a GitHub failure.
    ChangesReport: diagnostics (SK601-SK607, severities as set by the settings in force; excepted
        findings with severity "excepted"), commits (how many were examined), branch, head, note,
        since, changes (list[ChangeRecord]: one per examined commit, oldest first), github (whether
        reviews were read from GitHub).
    ChangeRecord: sha, day, kind, pr, authors, merger, approvals, findings, excepted, parents,
        subject, committer, exempt (why the commit was not judged; "" when it was).
    gated_paths(prefix) -> tuple[str, ...]: the gated paths relative to the Git root.
    same_person(a, b) -> bool: "Name <email>" identities compared by email, else by name.

How a commit is judged (docs/change-management.md says it for the auditor):
- Gated paths, relative to the Git root: the program's soc2kit.yml, policies/, controls/, system/
  (the system description) and registers/ (every register: change exceptions, deviations,
  subservice organizations, user entity controls), and .github/workflows/, CODEOWNERS,
  .github/CODEOWNERS, docs/CODEOWNERS.
- Each first-parent commit that changed one is judged by the settings in force before it: the
  soc2kit.yml and register versions brought by the newest earlier commit that passed the gate (or
  was exempt). A version brought by a failing commit never counts, so no commit can exempt itself or
  later commits (rule severities, `enforced_from`, exceptions).
- Exempt: root commits (and a shallow clone's boundary), commits before the program existed (no
  soc2kit.yml in force), and commits dated before `enforced_from` up to the first main-line commit
  dated on or after it (a back-dated commit after that is judged).
- A pull request is a merge or squash committed by GitHub's web flow whose subject names it, or,
  with a token, a merged pull request GitHub reports for a commit its web flow made. Approvals: counted GitHub
  reviews (soc2kit.github.judge_reviews) and `Approved-by:`/`Reviewed-by:` trailers. An approver who
  is one of the change's authors (soc2kit.authorship: for a merge, the authors of the merged commits,
  not the merger) is SK602 and does not count; no counted approval on a pull request is SK605.
- Findings named in the register in force at the end (soc2kit.change_exceptions reads it: commit sha
  or a prefix of 12+ and a rule code; or, for adoption, `before` a full sha and `findings`: every
  main-line commit before that commit) stay in the report with severity "excepted" and do not fail the
  gate; each adoption entry adds one SK608 counting what it excepted.
- With a token, a merged pull request's facts are kept in soc2kit.cache.FactsCache (by API URL,
  repository, number and commit) and not asked for again on later runs.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soc2kit.authorship import WEB_FLOW_EMAIL, Authorship, Kind, authorship, github_pr, merged_authors
from soc2kit.change_exceptions import EXCEPTABLE, Entry, Register, first_parent_before, read_register
from soc2kit.diagnostics import Diagnostic, apply_severities, diagnostic
from soc2kit.errors import UsageError
from soc2kit.git import Blobs
from soc2kit.history import Commit, RepoInfo, day_of, iter_commits, pr_number, repo_info
from soc2kit.layout import CHANGE_EXCEPTIONS, CONFIG_FILE, MARKDOWN_FOLDERS, REGISTERS_FOLDER
from soc2kit.models import ProgramConfig
from soc2kit.registry import Severity

if TYPE_CHECKING:
    from soc2kit.cache import FactsCache
    from soc2kit.github import Approval, GitHub, PullRequest

REPOSITORY_GATED = (".github/workflows", "CODEOWNERS", ".github/CODEOWNERS", "docs/CODEOWNERS")
"""Paths gated wherever the program is: they decide what runs on every change and who must review it."""
HOW_TO_READ_REVIEWS = (
    "set GITHUB_TOKEN to a token that can read pull requests (`pull-requests: read`; in a GitHub Actions "
    "workflow, `permissions: pull-requests: read` and `env: GITHUB_TOKEN: ${{ github.token }}`) so that "
    "`changes check` reads the reviews, or record the approver in an `Approved-by:` trailer"
)
TOKEN_VARIABLE = "GITHUB_TOKEN"  # noqa: S105 - the variable's name (soc2kit.github reads the same one)
_EMAIL = re.compile(r"<([^<>]+)>")


@dataclass
class ChangeRecord:
    """One examined commit on the main line: who wrote it, who merged it, who approved it, what was found."""

    sha: str
    day: date
    kind: Kind
    pr: int | None
    authors: tuple[str, ...]
    merger: str | None
    approvals: list[Approval] = field(default_factory=list)
    findings: list[Diagnostic] = field(default_factory=list)
    """Findings that count (severities as set by the settings in force before the commit)."""
    excepted: list[Diagnostic] = field(default_factory=list)
    """Findings closed by the exceptions register (severity "excepted", the entry in the hint)."""
    parents: tuple[str, ...] = ()
    subject: str = ""
    committer: str = ""
    exempt: str = ""
    """Why the commit was not judged ("root commit", ...); "" when it was."""


@dataclass
class ChangesReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    commits: int = 0
    branch: str = ""
    head: str = ""
    note: str = ""
    since: date | None = None
    """The first day reported (`--since`); older commits are still read for the settings in force."""
    changes: list[ChangeRecord] = field(default_factory=list)
    github: bool = False
    """Whether pull requests and reviews were read from the GitHub API."""


def _identity(text: str) -> tuple[str, str]:
    match = _EMAIL.search(text)
    email = match.group(1).strip().lower() if match else ""
    name = _EMAIL.sub("", text).strip().lower()
    if not match and "@" in name and " " not in name:
        return "", name
    return name, email


def same_person(first: str, second: str) -> bool:
    """Whether two "Name <email>" identities are one person: same email when both have one, else same name."""
    name_a, email_a = _identity(first)
    name_b, email_b = _identity(second)
    if email_a and email_b:
        return email_a == email_b
    return bool(name_a) and name_a == name_b


def gated_paths(prefix: str) -> tuple[str, ...]:
    """The gated paths relative to the Git root, for a program at `prefix` ("" or "sub/")."""
    # registers/ as a whole, not file by file: deviation approvals, subservice reports and CUECs are
    # management decisions the auditor relies on, and a register added later is gated from its first day.
    program = (CONFIG_FILE, *MARKDOWN_FOLDERS, REGISTERS_FOLDER)
    return tuple(dict.fromkeys((*(prefix + path for path in program), *REPOSITORY_GATED)))


def _resolve_branch(root: Path, info: RepoInfo, branch: str | None) -> tuple[str, str]:
    """The branch to check and its head sha."""
    from soc2kit.git import GitError, text

    if info.head is None:
        raise UsageError("the Git repository has no commits yet: there are no changes to check", path=info.toplevel)
    name = branch or info.branch
    if name is None:
        name = "main"
        missing = "HEAD is detached and there is no `main` branch; name the main branch with --branch"
    else:
        missing = f"there is no branch or revision '{name}' in this repository; name the main branch with --branch"
    if name.startswith("-"):
        raise UsageError(missing)
    try:
        head = text(["rev-parse", "-q", "--verify", "--end-of-options", f"{name}^{{commit}}"], cwd=root).strip()
    except GitError:
        raise UsageError(missing) from None
    return name, head


def _program_path(path: str, prefix: str) -> str:
    """A Git-root path as the program's reports name it: relative to the program folder."""
    if path.startswith(prefix):
        return path[len(prefix) :]
    return "../" * prefix.count("/") + path


def _location(commit: Commit, prefix: str) -> tuple[str, str]:
    paths = sorted(_program_path(change.path, prefix) for change in commit.changes)
    first = paths[0] if paths else "."
    more = f" and {len(paths) - 1} more file{'s' if len(paths) > 2 else ''}" if len(paths) > 1 else ""
    return first, f"{first}{more}"


def _describe(commit: Commit, who: Authorship) -> str:
    names = ", ".join(author.split(" <")[0] for author in who.authors)
    merged = f", merged by {who.merger.split(' <')[0]}" if who.merger else ""
    return f"commit {commit.short} ({commit.committer_date.date().isoformat()}, {names}{merged}: '{commit.subject}')"


@dataclass(frozen=True, slots=True)
class _PullRequest:
    """What is known of the pull request that brought a commit."""

    number: int | None
    approvals: tuple[Approval, ...] = ()
    self_approvers: tuple[str, ...] = ()
    ignored: tuple[str, ...] = ()
    """Reviews GitHub holds that do not count, with the reason ("bob: dismissed")."""
    claimed: int | None = None
    """A pull request number the subject names but that is not confirmed."""


def _trailer_approvals(commit: Commit, who: Authorship) -> tuple[list[Approval], list[str]]:
    if not commit.approvers:
        return [], []
    from soc2kit.github import Approval

    counted: list[Approval] = []
    own: list[str] = []
    for approver in commit.approvers:
        if any(same_person(approver, author) for author in who.authors):
            own.append(approver)
        elif approver.strip():
            counted.append(Approval(reviewer=approver, submitted_at=None, commit=None, source="trailer", stale=False))
    return counted, own


def _pull_request(commit: Commit, github: GitHub | None, facts: FactsCache | None = None) -> _PullRequest:
    """The pull request of `commit`: from GitHub with a client, else from the subject of a web-flow commit.

    Only commits GitHub's web flow made (merge, squash and rebase merges) are looked up: anything else was
    committed elsewhere and pushed, which no pull request makes, and skipping it keeps the API calls to
    one per merged pull request (the rate limit is 5,000 requests an hour). A merged pull request's
    facts are kept in `facts` and not asked for again."""
    claimed = pr_number(commit.subject)
    if github is None or commit.committer_email.strip().lower() != WEB_FLOW_EMAIL:
        number = github_pr(commit)
        return _PullRequest(number, claimed=claimed if number is None else None)
    from soc2kit.github import judge_reviews

    pull = _known_pull(facts, commit.sha)
    if pull is None:
        numbers = github.pull_requests_for_commit(commit.sha)
        if not numbers:
            return _PullRequest(None, claimed=claimed)
        pull = github.pull_request(numbers[0])
        if pull is None:
            return _PullRequest(None, claimed=numbers[0])
        _remember_pull(facts, commit.sha, pull)
    counted, ignored = judge_reviews(pull)
    own = tuple(review.reviewer for review, reason in ignored if review.state == "APPROVED" and "author" in reason)
    return _PullRequest(
        pull.number,
        approvals=tuple(counted),
        self_approvers=own,
        ignored=tuple(f"{review.reviewer}: {reason}" for review, reason in ignored),
    )


# A merged pull request's reviews before the merge, authors and merge commit never change: they are kept
# out of the tree (soc2kit.cache.FactsCache, scoped by API URL and repository) under the pull request's
# number and the commit, with the commit's number beside them, so a later run sends no request for them.


def _remember_pull(facts: FactsCache | None, sha: str, pull: PullRequest) -> None:
    if facts is None or pull.merged_at is None:
        return
    facts.put(f"pull:{pull.number}:{sha}", _pull_to_plain(pull))
    facts.put(f"commit:{sha}", pull.number)


def _known_pull(facts: FactsCache | None, sha: str) -> PullRequest | None:
    if facts is None:
        return None
    number = facts.get(f"commit:{sha}")
    if type(number) is not int:
        return None
    try:
        pull = _pull_from_plain(facts.get(f"pull:{number}:{sha}"))
    except (TypeError, ValueError, KeyError, AttributeError):  # a value of another shape: ask GitHub again
        return None
    return pull if pull.number == number and pull.merged_at is not None else None


def _moment_text(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _moment(value: object) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(_text(value))
    if moment.tzinfo is None:
        raise ValueError("a kept moment without a time zone")
    return moment


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("not a string")
    return value


def _texts(value: object) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise TypeError("not a list")
    return tuple(_text(item) for item in value)


def _optional_text(value: object) -> str | None:
    return None if value is None else _text(value)


def _pull_to_plain(pull: PullRequest) -> dict[str, Any]:
    return {
        "number": pull.number,
        "title": pull.title,
        "author": pull.author,
        "commit_authors": list(pull.commit_authors),
        "commit_shas": list(pull.commit_shas),
        "base": pull.base,
        "head_sha": pull.head_sha,
        "merged_at": _moment_text(pull.merged_at),
        "merged_by": pull.merged_by,
        "merge_commit_sha": pull.merge_commit_sha,
        "url": pull.url,
        "reviews": [
            [review.id, review.reviewer, review.state, _moment_text(review.submitted_at), review.commit]
            for review in pull.reviews
        ],
    }


def _pull_from_plain(plain: object) -> PullRequest:
    from soc2kit.github import PullRequest, Review

    if not isinstance(plain, dict) or type(plain["number"]) is not int or not isinstance(plain["reviews"], list):
        raise TypeError("not a kept pull request")
    reviews = []
    for item in plain["reviews"]:
        if not isinstance(item, list) or len(item) != 5 or type(item[0]) is not int:
            raise TypeError("not a kept review")
        reviews.append(Review(item[0], _text(item[1]), _text(item[2]), _moment(item[3]), _optional_text(item[4])))
    return PullRequest(
        number=plain["number"],
        title=_text(plain["title"]),
        author=_text(plain["author"]),
        commit_authors=_texts(plain["commit_authors"]),
        commit_shas=_texts(plain["commit_shas"]),
        base=_text(plain["base"]),
        head_sha=_text(plain["head_sha"]),
        merged_at=_moment(plain["merged_at"]),
        merged_by=_optional_text(plain["merged_by"]),
        merge_commit_sha=_optional_text(plain["merge_commit_sha"]),
        url=_text(plain["url"]),
        reviews=tuple(reviews),
    )


def judge_commit(
    commit: Commit, who: Authorship, pull: _PullRequest, branch: str, prefix: str, *, github: bool
) -> tuple[list[Diagnostic], list[Approval]]:
    """The SK601/SK602/SK604/SK605 findings of one gated first-parent commit, and its counted approvals."""
    found: list[Diagnostic] = []
    path, files = _location(commit, prefix)
    described = _describe(commit, who)
    trailer_approvals, trailer_own = _trailer_approvals(commit, who)
    approvals = [*pull.approvals, *trailer_approvals]
    if pull.number is None:
        how = "merged without a pull request" if commit.is_merge else "pushed directly, without a pull request"
        if pull.claimed is not None and github and commit.committer_email.strip().lower() == WEB_FLOW_EMAIL:
            how += f"; GitHub has no merged pull request #{pull.claimed} with this commit as its merge"
        elif pull.claimed is not None:
            how += (
                f"; its subject names pull request #{pull.claimed}, but it was committed by {commit.committer}, "
                "not merged by GitHub"
            )
        found.append(diagnostic("SK601", path, 1, f"{described} changed {files} on {branch}: {how}"))
    own = [*pull.self_approvers, *trailer_own]
    if own:
        found.append(
            diagnostic("SK602", path, 1, f"{described} changed {files} and was approved by its own author ({', '.join(own)})")
        )
    if pull.number is not None and not approvals:
        if github:
            ignored = f" (reviews that do not count: {'; '.join(pull.ignored)})" if pull.ignored else ""
            why = f"pull request #{pull.number} has no approving review from someone who wrote none of it{ignored}"
            found.append(diagnostic("SK605", path, 1, f"{described} changed {files}: no approval recorded: {why}"))
        else:
            why = f"pull request #{pull.number} carries no Approved-by/Reviewed-by trailer and GitHub's reviews were not read"
            found.append(
                diagnostic(
                    "SK605", path, 1, f"{described} changed {files}: no approval recorded: {why}", f"{HOW_TO_READ_REVIEWS}."
                )
            )
    if commit.signature in {"B", "R"}:
        state = "bad" if commit.signature == "B" else "made with a revoked key"
        found.append(diagnostic("SK604", path, 1, f"{described} changed {files}; its signature is {state}"))
    return found, approvals


def check_commit(commit: Commit, branch: str) -> list[Diagnostic]:
    """The findings of one gated commit from Git alone (no GitHub, no merged-commit authors)."""
    return judge_commit(commit, authorship(commit, {}), _pull_request(commit, None), branch, "", github=False)[0]


@dataclass
class _Settings:
    """What is in force before a commit: versions brought by commits that passed the gate (or were exempt)."""

    config: ProgramConfig | None = None
    """None: there is no program yet (no soc2kit.yml in force)."""
    register: bytes | None = None
    newest_day: date | None = None
    """The latest committer day of the main-line commits walked so far: once it reaches `enforced_from`,
    enforcement has begun, and a commit back-dated before that day is judged all the same."""


class _Walk:
    """The settings in force, advanced commit by commit, oldest first."""

    def __init__(self, blobs: Blobs, prefix: str) -> None:
        self.blobs = blobs
        self.config_path = prefix + CONFIG_FILE
        self.register_path = prefix + CHANGE_EXCEPTIONS
        self.settings = _Settings()

    def exemption(self, commit: Commit, day: date) -> str:
        """Why `commit` is not judged, or ""."""
        settings = self.settings
        newest = settings.newest_day = max(day, settings.newest_day or day)
        if not commit.parents:
            return "root commit: nothing existed to review against"
        if settings.config is None:
            return "before the program: no soc2kit.yml was in force"
        enforced_from = settings.config.change_management.enforced_from
        if enforced_from is not None and newest < enforced_from:
            return f"before change_management.enforced_from ({enforced_from})"
        return ""

    def adopt(self, commit: Commit) -> None:
        """Put in force the soc2kit.yml and register versions `commit` brought (it passed or was exempt)."""
        from soc2kit.program import config_from_bytes

        touched = {change.path for change in commit.changes} | {change.old_path for change in commit.changes if change.old_path}
        if self.config_path in touched:
            raw = self.blobs.read(f"{commit.sha}:{self.config_path}")
            self.settings.config = config_from_bytes(raw) if raw is not None else None
        if self.register_path in touched:
            self.settings.register = self.blobs.read(f"{commit.sha}:{self.register_path}")


def _walk(
    info: RepoInfo,
    head: str,
    branch: str,
    *,
    zone: tzinfo,
    github: GitHub | None,
    facts: FactsCache | None = None,
) -> Iterator[tuple[ChangeRecord, _Settings]]:
    """Every gated first-parent commit, oldest first, judged by the settings in force before it, with
    the settings in force after it.
    soc2kit.yml is itself gated, so the commit that brought each version is in the walk: the settings
    start empty (no program) and change only where a passing commit brought a new version."""
    prefix = info.prefix
    merged: Mapping[str, tuple[str, ...]] | None = None
    with Blobs(info.toplevel) as blobs:
        walk = _Walk(blobs, prefix)
        commits = iter_commits(info.toplevel, rev=head, first_parent=True, paths=_literal(gated_paths(prefix)), reverse=True)
        for commit in commits:
            if commit.is_merge and merged is None:
                merged = merged_authors(info.toplevel, head)  # one pass, only when a merge needs it
            day = day_of(commit, zone)
            exempt = walk.exemption(commit, day)
            # An exempt commit is recorded with what Git says of it; GitHub is asked only about judged ones.
            pull = _PullRequest(github_pr(commit)) if exempt else _pull_request(commit, github, facts)
            who = authorship(commit, merged or {}, pr=pull.number)
            kind: Kind = "direct" if who.kind == "squash" and pull.number is None else who.kind
            record = ChangeRecord(
                sha=commit.sha,
                day=day,
                kind=kind,
                pr=pull.number,
                authors=who.authors,
                merger=who.merger,
                parents=commit.parents,
                subject=commit.subject,
                committer=commit.committer,
                exempt=exempt,
            )
            settings = walk.settings
            if not exempt:
                found, record.approvals = judge_commit(commit, who, pull, branch, prefix, github=github is not None)
                rules = settings.config.rules if settings.config is not None else {}
                record.findings = apply_severities(found, rules)
            if not any(finding.severity is Severity.ERROR for finding in record.findings):
                walk.adopt(commit)
            yield record, walk.settings


def _literal(paths: tuple[str, ...]) -> list[str]:
    """Pathspecs that match these names exactly: a program folder may be named with glob characters."""
    return [f":(literal){path}" for path in paths]


def _apply_register(
    records: list[ChangeRecord], register: Register, root: Path, head: str, earlier: list[str]
) -> list[Diagnostic]:
    """Mark the findings the register excepts; return SK606 for entries that match nothing and SK608
    counting what each adoption entry excepted. `earlier`: examined commits left out of the report
    (before --since), which an entry may name without matching "nothing"."""
    path = CHANGE_EXCEPTIONS
    by_sha = sorted([(record.sha, index) for index, record in enumerate(records)] + [(sha, -1) for sha in earlier])
    shas = [sha for sha, _ in by_sha]
    problems: list[Diagnostic] = []
    adoptions: list[Entry] = []
    for entry in register.entries:
        if entry.commit is None:
            adoptions.append(entry)
            continue
        wanted = entry.commit
        start = bisect.bisect_left(shas, wanted)
        matches = [by_sha[i][1] for i in range(start, min(start + 2, len(shas))) if shas[i].startswith(wanted)]
        if len(matches) == 1 and matches[0] < 0:
            continue
        if len(matches) != 1:
            what = "matches several commits" if matches else "is not a commit on the checked branch that changed a gated path"
            problems.append(diagnostic("SK606", path, entry.line, f"commit '{wanted}' {what}"))
            continue
        record = records[matches[0]]
        if not _except(record, entry, path):
            problems.append(
                diagnostic("SK606", path, entry.line, f"commit {record.sha[:12]} has no {entry.findings[0]} finding to except")
            )
    for entry in adoptions:
        problems.extend(_apply_adoption(records, entry, root, head, earlier))
    return problems


def _except(record: ChangeRecord, entry: Entry, path: str) -> list[Diagnostic]:
    """Move `record`'s findings of the entry's codes to its excepted ones; return them."""
    hits = [finding for finding in record.findings if finding.code in entry.findings]
    if hits:
        note = entry.note(path)
        record.findings = [finding for finding in record.findings if finding not in hits]
        record.excepted.extend(replace(finding, severity=Severity.EXCEPTED, hint=note) for finding in hits)
    return hits


def _apply_adoption(records: list[ChangeRecord], entry: Entry, root: Path, head: str, earlier: list[str]) -> list[Diagnostic]:
    """Except the entry's findings on every main-line commit before `entry.before`; one SK608 counts them."""
    path = CHANGE_EXCEPTIONS
    assert entry.before is not None
    covered = first_parent_before(root, entry.before)
    if covered is None or not _is_ancestor(root, entry.before, head):
        where = "is not a commit in this repository" if covered is None else "is not on the checked branch"
        return [diagnostic("SK606", path, entry.line, f"before: commit '{entry.before}' {where}")]
    excepted: Counter[str] = Counter()
    for record in records:
        if record.sha in covered:
            excepted.update(finding.code for finding in _except(record, entry, path))
    total = sum(excepted.values())
    if not total:
        if any(sha in covered for sha in earlier):
            return []
        codes = ", ".join(entry.findings)
        return [diagnostic("SK606", path, entry.line, f"no {codes} finding on the commits before {entry.before[:12]} to except")]
    by_code = ", ".join(f"{code}: {count}" for code, count in sorted(excepted.items()))
    plural = "s" if total != 1 else ""
    return [
        diagnostic(
            "SK608",
            path,
            entry.line,
            f"{total} finding{plural} before adoption excepted by register entry at line {entry.line} "
            f"(commits before {entry.before[:12]}; {by_code})",
            entry.note(path),
        )
    ]


def _is_ancestor(root: Path, ancestor: str, head: str) -> bool:
    from soc2kit.git import succeeds

    return succeeds(["merge-base", "--is-ancestor", ancestor, head], cwd=root)


def check_changes(
    root: str | Path = ".",
    *,
    branch: str | None = None,
    since: date | None = None,
    repository: str | None = None,
    api_url: str | None = None,
) -> ChangesReport:
    """Run the CC8.1 gate over the main branch's first-parent history (see the module doc)."""
    from zoneinfo import ZoneInfo

    from soc2kit.program import load_config

    base = Path(root).resolve()
    if not base.is_dir():
        raise UsageError("is not a folder", path=base)
    info = repo_info(base)
    name, head = _resolve_branch(base, info, branch)
    config = load_config(base)  # the audit's time zone; the gate's settings come from Git, commit by commit
    zone = ZoneInfo(config.audit.timezone)
    github = None
    facts = None
    if _token_set():  # without a token the GitHub client (and its HTTP stack) is never loaded
        from soc2kit.cache import FactsCache
        from soc2kit.github import GitHub

        github = GitHub.from_environment(info.toplevel, repository=repository, api_url=api_url)
        if github is not None:
            facts = FactsCache.open(f"github-pulls\0{github.api_url}\0{github.repository}")
    report = ChangesReport(branch=name, head=head, since=since, github=github is not None)
    final = _Settings()
    earlier: list[str] = []  # commits before --since: the register may name them
    try:
        for record, settings in _walk(info, head, name, zone=zone, github=github, facts=facts):
            final = settings
            if since is None or record.day >= since:
                report.changes.append(record)
            else:
                earlier.append(record.sha)
    finally:
        if facts is not None:
            facts.save()  # also after a failure: what was learnt is not asked for again
        if github is not None:
            github.close()
    if final.register is not None:
        register = read_register(final.register, CHANGE_EXCEPTIONS)
        report.diagnostics.extend(register.problems)
        report.diagnostics.extend(_apply_register(report.changes, register, info.toplevel, head, earlier))
    report.commits = len(report.changes)
    for record in report.changes:
        report.diagnostics.extend(record.findings)
        report.diagnostics.extend(record.excepted)
    if info.shallow:
        report.note = "shallow clone: history is cut at the oldest fetched commit"
        report.diagnostics.append(
            diagnostic(
                "SK603", CONFIG_FILE, 1, f"this clone is shallow, so changes on {name} before its oldest commit are not checked"
            )
        )
    rules = final.config.rules if final.config is not None else config.rules
    judged = [d for d in report.diagnostics if d.code in EXCEPTABLE]
    rest = apply_severities([d for d in report.diagnostics if d.code not in EXCEPTABLE], rules)
    report.diagnostics = sorted([*judged, *rest], key=Diagnostic.sort_key)
    return report


def _token_set() -> bool:
    import os

    return bool(os.environ.get(TOKEN_VARIABLE, "").strip())
