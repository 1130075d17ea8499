"""The production change population (CC8.1): every change that reached a product repository's
default branch in a period, read through the GitHub REST API and recorded as evidence.

    collect_population(root, request)       ask GitHub, write the population and the branch
                                            protection snapshot as evidence of the CC8.1 control
                                            naming the repository (one record, or one per requirement
                                            when the control keeps them apart); findings for
                                            unreviewed, self-approved and unchecked changes
    PopulationRequest, PopulationResult     what to collect; what was written and found
    recorded_population(program, control, start, end)
                                            the items of every population recorded for a control,
                                            for `soc2kit status --population` and its sample

The files are normalised JSON (sorted keys, items in the order the changes landed, UTC times, no
time of the run inside), so the same data gives the same bytes; the record's `collected` day and
`source.as_of` (the latest timestamp in the data) make a rerun on the same day byte-identical, and a
rerun finding an identical record writes nothing.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from soc2kit.errors import UsageError
from soc2kit.evidence.keep import json_bytes, sha256
from soc2kit.models import REPOSITORY

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from soc2kit.diagnostics import Diagnostic
    from soc2kit.github import BranchCommit, GitHub, PullRequest
    from soc2kit.models import Control
    from soc2kit.program import Program

CHANGE_CRITERION = "CC8.1"
POPULATION_FILE = "production-changes.json"
PROTECTION_FILE = "branch-protection.json"
POPULATION_KIND = "production-changes"
SHAPE_VERSION = 1
COLLECTOR = "soc2kit changes population"
PASSING_CONCLUSIONS = frozenset({"success", "neutral", "skipped"})
"""What GitHub's branch protection accepts from a required check."""

UNREVIEWED, SELF_APPROVED, UNCHECKED, UNPROTECTED = "SK611", "SK612", "SK613", "SK614"


@dataclass(frozen=True)
class PopulationRequest:
    """What `soc2kit changes population` was asked for; dates are days in the audit's time zone."""

    repository: str
    start: date
    end: date
    branch: str | None = None
    """Default: the repository's default branch."""
    control: str | None = None
    """Default: the CC8.1 control whose `repositories` names the repository."""
    requirement: str | None = None
    """Default: the control's only evidence requirement."""
    protection_requirement: str | None = None
    """The requirement the branch protection snapshot is for; default: the population's. A different one
    gives the snapshot a record of its own."""
    api_url: str | None = None
    collected: date | None = None
    """Default: today in the audit's time zone."""


@dataclass(frozen=True)
class WrittenRecord:
    requirement: str
    record_id: str
    record_path: str
    """The record, relative to the program root (POSIX)."""
    files: tuple[tuple[str, str], ...]
    """(path relative to the program root, sha256) of each file it holds."""
    written: bool
    """False when an identical record was there already."""


@dataclass(frozen=True)
class PopulationResult:
    control: str
    records: tuple[WrittenRecord, ...]
    """The population's record first; the protection snapshot's second when it has its own."""
    pull_requests: int
    direct_commits: int
    diagnostics: list[Diagnostic] = field(default_factory=list)


@dataclass(frozen=True)
class RecordedPopulation:
    """Items of recorded production populations, as fields of `soc2kit.population.Item`."""

    items: list[dict[str, Any]]
    notes: list[str]


def collect_population(
    root: str | os.PathLike[str],
    request: PopulationRequest,
    *,
    github: GitHub | None = None,
    today: date | None = None,
) -> PopulationResult:
    """Collect the population of `request` and record it (see the module docstring).

    Raises `UsageError` (writing nothing) for a bad repository name, period or control, no control
    naming the repository, or no GitHub token; `GitHubError` when GitHub refuses."""
    from soc2kit.program import read_program

    if re.match(REPOSITORY, request.repository) is None:
        raise UsageError(f"--repo wants OWNER/NAME as on GitHub, not {request.repository!r}")
    if request.end < request.start:
        raise UsageError(f"the period ends ({request.end}) before it starts ({request.start})")
    program = read_program(Path(root), today=today)
    if not program.config_ok:
        raise UsageError("soc2kit.yml is not usable; `soc2kit check` says why")
    control = _control_for(program, request.repository, request.control)
    zone = ZoneInfo(program.config.audit.timezone)
    collected = request.collected or program.today
    if request.start > collected:
        raise UsageError(
            f"the period starts ({request.start}) after the collected day ({collected}); nothing of it has happened yet"
        )
    if collected > program.today:
        raise UsageError(f"the collected date {collected} is in the future (today is {program.today})")
    request = _requirements(control, request)  # before hours of requests
    # The record covers what had happened by the collected day, and the data matches it.
    request = replace(request, end=min(request.end, collected))
    own = github is None
    if github is None:
        github = _connect(program.root, request)
    try:
        branch = request.branch or _default_branch(github)
        collection = _collect(github, request, branch, zone)
    finally:
        if own:
            github.close()
    from soc2kit.models import EvidenceSource

    files = {POPULATION_FILE: json_bytes(collection.payload), PROTECTION_FILE: json_bytes(collection.protection)}
    system = f"GitHub REST API {_public_url(github.api_url)}"
    tool = f"{COLLECTOR} {_version()}"
    assert request.requirement is not None
    assert request.protection_requirement is not None
    if request.protection_requirement == request.requirement:
        query = f"{collection.query}; and {collection.protection_query}"
        plan = [(request.requirement, EvidenceSource(system=system, query=query, tool=tool, as_of=collection.as_of), files)]
    else:
        plan = [
            (
                request.requirement,
                EvidenceSource(system=system, query=collection.query, tool=tool, as_of=collection.as_of),
                {POPULATION_FILE: files[POPULATION_FILE]},
            ),
            (
                request.protection_requirement,
                EvidenceSource(system=system, query=collection.protection_query, tool=tool),
                {PROTECTION_FILE: files[PROTECTION_FILE]},
            ),
        ]
    records = tuple(
        _keep(program, control, request=request, collected=collected, requirement=requirement, source=source, files=held)
        for requirement, source, held in plan
    )
    where = {name: path for record in records for path, _ in record.files for name in [path.rpartition("/")[2]]}
    diagnostics = _diagnostics(collection, files[POPULATION_FILE], where[POPULATION_FILE], where[PROTECTION_FILE])
    return PopulationResult(control.id, records, collection.pull_requests, collection.direct_commits, diagnostics)


def _requirements(control: Control, request: PopulationRequest) -> PopulationRequest:
    """`request` with the population's requirement and the protection snapshot's named (UsageError if unknown)."""
    from soc2kit.evidence.add import requirement_for

    known = [r.id for r in control.evidence]
    if request.requirement is None and len(known) > 1:
        raise UsageError(
            f"control {control.id} has several evidence requirements; choose one with --requirement for the "
            "population (and, when another requirement holds the branch protection export, name it with "
            f"--protection-requirement): {', '.join(known)}"
        )
    requirement = requirement_for(control, request.requirement)
    protection = requirement_for(control, request.protection_requirement or requirement)
    return replace(request, requirement=requirement, protection_requirement=protection)


def _keep(
    program: Program,
    control: Control,
    *,
    request: PopulationRequest,
    collected: date,
    requirement: str,
    source: Any,
    files: Mapping[str, bytes],
) -> WrittenRecord:
    """The record of `requirement` holding `files`: an identical one already there, else a new one."""
    from soc2kit.evidence.keep import keep_record

    kept = keep_record(
        program,
        control,
        requirement=requirement,
        files=files,
        source=source,
        collector=f"{COLLECTOR} {_version()}",
        collected=collected,
        covers=(request.start, request.end),
    )
    return WrittenRecord(requirement, kept.record_id, kept.record_path, kept.files, kept.written)


def _connect(root: Path, request: PopulationRequest) -> GitHub:
    from soc2kit.github import GitHub

    github = GitHub.from_environment(root, repository=request.repository, api_url=request.api_url)
    if github is None:
        raise UsageError(
            "the production change population is read from GitHub, and no token was given: set GITHUB_TOKEN "
            "to a token that can read the repository's pull requests, contents, checks and commit statuses "
            "(and its administration settings, for the branch protection snapshot)"
        )
    return github


def _default_branch(github: GitHub) -> str:
    branch = github.default_branch()
    if not branch:
        raise UsageError(f"GitHub names no default branch for {github.repository}; name the branch with --branch")
    return branch


def _public_url(url: str) -> str:
    """`url` without credentials or a query: neither belongs in evidence."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", ""))


def _version() -> str:
    from soc2kit import __version__

    return __version__


def _control_for(program: Program, repository: str, typed: str | None) -> Control:
    if typed is not None:
        control = program.find_control(typed)
        if CHANGE_CRITERION not in control.criteria:
            raise UsageError(
                f"control {control.id} is not mapped to {CHANGE_CRITERION} (change management), so it cannot hold "
                "a change population; choose a control whose criteria include it"
            )
        return control
    wanted = repository.casefold()  # GitHub's names ignore case
    naming = sorted(
        (c for c in program.controls.values() if any(r.casefold() == wanted for r in c.repositories)), key=lambda c: c.id
    )
    changing = [c for c in naming if CHANGE_CRITERION in c.criteria]
    if len(changing) == 1:
        return changing[0]
    if len(changing) > 1:
        listed = ", ".join(c.id for c in changing)
        raise UsageError(f"several {CHANGE_CRITERION} controls name {repository} ({listed}); choose one with --control")
    if naming:
        listed = ", ".join(c.id for c in naming)
        raise UsageError(
            f"{repository} is named by {listed}, which {'is' if len(naming) == 1 else 'are'} not mapped to "
            f"{CHANGE_CRITERION}; add {CHANGE_CRITERION} to its criteria, or pass --control"
        )
    raise UsageError(
        f"no {CHANGE_CRITERION} control names {repository}: add `repositories: [{repository}]` to the "
        "front-matter of the change-management control that covers it, or pass --control ID"
    )


@dataclass
class _Collection:
    payload: dict[str, Any]
    protection: dict[str, Any]
    query: str
    protection_query: str
    as_of: str | None
    pull_requests: int
    direct_commits: int
    findings: list[tuple[str, str, str]]
    """(item key, rule code, message) in item order."""


def _collect(github: GitHub, request: PopulationRequest, branch: str, zone: ZoneInfo) -> _Collection:
    start = datetime.combine(request.start, time(), zone)
    end = datetime.combine(request.end + timedelta(days=1), time(), zone)  # exclusive
    raw_protection = github.branch_protection(branch)
    protection = _protection_summary(raw_protection)
    required = tuple(protection["required_checks"])
    items: list[dict[str, Any]] = []
    reached: set[str] = set()
    """Commits that came with a pull request: its commits and its merge (or squash) commit."""
    latest: datetime | None = None
    pulls = 0
    for pr in github.merged_pull_requests(branch, start, end):
        if pr.merged_at is None or not start <= pr.merged_at < end:
            continue
        pulls += 1
        reached.update(pr.commit_shas)
        if pr.merge_commit_sha:
            reached.add(pr.merge_commit_sha)
        item, moment = _pull_request_item(github, request.repository, pr, required, zone)
        latest = moment if latest is None else max(latest, moment)
        items.append(item)
    candidates = [
        commit
        for commit in github.branch_commits(branch, start, end)
        # GitHub's `until` includes its end; a commit without a date is kept, since GitHub chose it by date.
        if commit.sha not in reached and (commit.date is None or start <= commit.date < end)
    ]
    by_number = {item["pr"]: item for item in items}
    elsewhere: list[dict[str, Any]] = []
    direct = 0
    for commit in candidates:
        # A rebase merge rewrites a pull request's commits, and a commit may be dated before its pull request
        # merged after the period: neither is a direct push. GitHub knows which pull request brought a
        # commit; one request per candidate keeps the cost to the few commits that need it.
        owners = github.merged_pull_requests_with_commit(commit.sha, branch)
        if owners:
            owner = next((p for p in owners if p.number in by_number), owners[0])
            if owner.number in by_number:
                by_number[owner.number]["landed_commits"].append(commit.sha)
            else:
                elsewhere.append({"commit": commit.sha, "pr": owner.number, "merged_at": _utc(owner.merged_at)})
            continue
        direct += 1
        if commit.date is not None:
            latest = commit.date if latest is None else max(latest, commit.date)
        items.append(_direct_item(request.repository, commit, zone))
    for item in by_number.values():
        item["landed_commits"].sort()
    elsewhere.sort(key=lambda entry: (entry["merged_at"], entry["pr"], entry["commit"]))
    items.sort(key=lambda item: (item["time"] or "", item["key"]))
    findings = [(item["key"], code, message) for item in items for code, message in item.pop("_findings")]
    for item in items:
        item["findings"] = sorted({code for key, code, _ in findings if key == item["key"]})
    if not protection["protected"]:
        # Keyed by the snapshot's file name: the finding points there, not at an item.
        findings.insert(
            0, (PROTECTION_FILE, UNPROTECTED, f"{request.repository} branch {_shown(branch)} has no branch protection")
        )
    query = (
        f"repository {request.repository}, branch {branch}: pull requests merged into it and commits on it "
        f"from {_utc(start)} to before {_utc(end)} ({request.start}..{request.end} in {zone.key}), "
        f"with their reviews, commits and the check results on each head, and the pull requests of each "
        f"commit that no merged pull request listed"
    )
    protection_query = f"repository {request.repository}, branch {branch}: the branch's protection rules"
    as_of = _utc(latest) if latest is not None else None
    payload: dict[str, Any] = {
        "version": SHAPE_VERSION,
        "kind": POPULATION_KIND,
        "repository": request.repository,
        "branch": branch,
        "period": {"start": request.start.isoformat(), "end": request.end.isoformat(), "timezone": zone.key},
        "query": query,
        "as_of": as_of,
        "required_checks": list(required),
        "counts": {"pull_requests": pulls, "direct_commits": direct, "items": len(items)},
        "findings": {code: sum(1 for _, c, _ in findings if c == code) for code in sorted({c for _, c, _ in findings})},
        "items": items,
        "commits_of_pull_requests_merged_outside_the_period": elsewhere,
    }
    snapshot = {
        "version": SHAPE_VERSION,
        "kind": "branch-protection",
        "repository": request.repository,
        "branch": branch,
        "summary": protection,
        "rules": raw_protection,
    }
    return _Collection(payload, snapshot, query, protection_query, as_of, pulls, direct, findings)


def _protection_summary(rules: Mapping[str, Any]) -> dict[str, Any]:
    """What an auditor asks of the branch protection: reviews, stale approvals, admins, checks."""
    reviews = rules.get("required_pull_request_reviews") or {}
    checks = rules.get("required_status_checks") or {}
    admins = rules.get("enforce_admins") or {}
    required = {str(name) for name in checks.get("contexts") or () if name}
    required.update(str(check.get("context")) for check in checks.get("checks") or () if check.get("context"))
    return {
        "protected": bool(rules),
        "required_approving_reviews": int(reviews.get("required_approving_review_count") or 0) if reviews else 0,
        "pull_request_required": bool(reviews),
        "dismiss_stale_reviews": bool(reviews.get("dismiss_stale_reviews", False)),
        "require_code_owner_reviews": bool(reviews.get("require_code_owner_reviews", False)),
        "require_last_push_approval": bool(reviews.get("require_last_push_approval", False)),
        "admins_included": bool(admins.get("enabled", False)),
        "required_checks": sorted(required),
        "checks_must_be_up_to_date": bool(checks.get("strict", False)),
    }


def _pull_request_item(
    github: GitHub, repository: str, pr: PullRequest, required: tuple[str, ...], zone: ZoneInfo
) -> tuple[dict[str, Any], datetime]:
    from soc2kit.github import judge_reviews

    assert pr.merged_at is not None
    approvals, ignored = judge_reviews(pr)
    authors = {pr.author.casefold(), *(login.casefold() for login in pr.commit_authors)}
    self_approvers = sorted({r.reviewer for r in pr.reviews if r.state == "APPROVED" and r.reviewer.casefold() in authors})
    findings: list[tuple[str, str]] = []
    shown = f"{repository}#{pr.number}"
    if not approvals and self_approvers:
        findings.append(
            (SELF_APPROVED, f"{shown} was approved only by its own author ({', '.join(map(_shown, self_approvers))})")
        )
    elif not approvals:
        findings.append((UNREVIEWED, f"{shown} was merged with no approval from someone other than its authors"))
    checks: list[dict[str, Any]] = []
    if required:
        results: dict[str, set[tuple[str, str]]] = {}
        for result in github.check_results(pr.head_sha):
            results.setdefault(result.name, set()).add((result.source, str(result.conclusion or "pending").lower()))
        for name in required:
            seen = sorted(results.get(name, ()))
            passed = any(conclusion in PASSING_CONCLUSIONS for _, conclusion in seen)
            shown_results = [{"source": source, "conclusion": conclusion} for source, conclusion in seen]
            checks.append({"name": name, "required": True, "results": shown_results, "passed": passed})
            if not passed:
                what = f"ended {', '.join(_shown(c) for _, c in seen)}" if seen else "did not run"
                findings.append((UNCHECKED, f"{shown}: the required check {_shown(name)} {what} on its head {pr.head_sha[:12]}"))
    item = {
        "key": shown,
        "kind": "pull-request",
        "pr": pr.number,
        "title": pr.title,
        "url": pr.url,
        "author": pr.author,
        "commit_authors": sorted(set(pr.commit_authors)),
        "base": pr.base,
        "head": pr.head_sha,
        "commits": list(pr.commit_shas),
        "landed_commits": [],
        "merged_at": _utc(pr.merged_at),
        "merged_by": pr.merged_by,
        "merge_commit": pr.merge_commit_sha,
        "day": pr.merged_at.astimezone(zone).date().isoformat(),
        "time": _utc(pr.merged_at),
        "approvals": [
            {
                "reviewer": a.reviewer,
                "submitted_at": _utc(a.submitted_at) if a.submitted_at else None,
                "commit": a.commit,
                "source": a.source,
                "stale": a.stale,
            }
            for a in sorted(approvals, key=lambda a: (_utc(a.submitted_at) if a.submitted_at else "", a.reviewer))
        ],
        "ignored_reviews": sorted(
            (
                {
                    "id": review.id,
                    "reviewer": review.reviewer,
                    "state": review.state,
                    "submitted_at": _utc(review.submitted_at) if review.submitted_at else None,
                    "reason": reason,
                }
                for review, reason in ignored
            ),
            key=lambda r: (r["submitted_at"] or "", r["id"]),
        ),
        "checks": checks,
        "_findings": findings,
    }
    return item, pr.merged_at


def _direct_item(repository: str, commit: BranchCommit, zone: ZoneInfo) -> dict[str, Any]:
    identity = f"{commit.author_name} <{commit.author_email}>"
    return {
        "key": commit.sha,
        "kind": "direct-commit",
        "pr": None,
        "title": commit.subject,
        "commit": commit.sha,
        "parents": list(commit.parents),
        "author": commit.author or identity,
        "author_identity": identity,
        "committer": commit.committer or f"{commit.committer_name} <{commit.committer_email}>",
        "committer_identity": f"{commit.committer_name} <{commit.committer_email}>",
        "day": commit.date.astimezone(zone).date().isoformat() if commit.date else None,
        "time": _utc(commit.date) if commit.date else None,
        "_findings": [(UNREVIEWED, f"{repository} commit {commit.sha[:12]} reached the branch without a pull request")],
    }


def _utc(moment: datetime) -> str:
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _shown(value: object) -> str:
    """A value from GitHub as one printable line for a finding."""
    return "".join(c if c.isprintable() else "\ufffd" for c in str(value))


def _diagnostics(collection: _Collection, population: bytes, path: str, protection: str) -> list[Diagnostic]:
    from soc2kit.diagnostics import diagnostic

    lines: dict[str, int] = {}
    for number, line in enumerate(population.decode("utf-8").splitlines(), start=1):
        if line.startswith('      "key": '):  # an item's key (items sit at this depth)
            lines[json.loads(line.strip().removeprefix('"key": ').rstrip(","))] = number
    return [
        diagnostic(code, protection if key == PROTECTION_FILE else path, lines.get(key, 1), message)
        for key, code, message in collection.findings
    ]


def recorded_population(program: Program, control: Control, start: date, end: date) -> RecordedPopulation | None:
    """The production changes of `start..end` from every population recorded for `control`, or None
    when it holds none. A file whose sha256 no longer matches its record is left out with a note."""
    from soc2kit.repo_paths import within

    root = os.path.realpath(program.root)
    by_key: dict[str, dict[str, Any]] = {}
    notes: list[str] = []
    found = False
    for record in program.evidence_of(control):
        for entry in record.files:
            if entry.path != POPULATION_FILE:
                continue
            found = True
            folder = program.source("evidence", record.id).path.rpartition("/")[0]
            real = os.path.realpath(os.path.join(root, folder, entry.path))
            data = _read(real) if within(real, root) else None
            if data is None or sha256(data) != entry.sha256:
                notes.append(f"{record.id}: {entry.path} is missing or no longer matches its sha256, so it was left out")
                continue
            for item in _items(data, program, start, end):
                by_key[item["key"]] = item
    if not found:
        return None
    items = sorted(by_key.values(), key=lambda item: (item["day"], item["key"]))
    notes.insert(0, f"production changes recorded by `{COLLECTOR}` under {control.id}, merged or pushed {start}..{end}")
    return RecordedPopulation(items, notes)


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _items(data: bytes, program: Program, start: date, end: date) -> Iterable[dict[str, Any]]:
    try:
        payload = json.loads(data)
    except ValueError:
        return
    if not isinstance(payload, dict) or payload.get("kind") != POPULATION_KIND:
        return
    zone = ZoneInfo(program.config.audit.timezone)
    for raw in payload.get("items") or ():
        try:
            moment = datetime.strptime(str(raw["time"]), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
        except (KeyError, TypeError, ValueError):
            continue
        day = moment.astimezone(zone).date()
        if not start <= day <= end:
            continue
        approvers = tuple(sorted({str(a.get("reviewer")) for a in raw.get("approvals") or () if isinstance(a, dict)}))
        commit = raw.get("merge_commit") if raw.get("kind") == "pull-request" else raw.get("commit")
        yield {
            "key": str(raw.get("key")),
            "day": day,
            "title": str(raw.get("title") or ""),
            "authors": _authors(raw),
            "merger": str(raw["merged_by"]) if raw.get("merged_by") else None,
            "commit": str(commit) if commit else None,
            "pr": raw.get("pr") if isinstance(raw.get("pr"), int) else None,
            "approvers": approvers,
            "paths": (),
            "arrived": day,
        }


def _authors(raw: Mapping[str, Any]) -> tuple[str, ...]:
    """Who wrote a recorded change: a pull request's author and its commits' authors; a commit's author."""
    named = [raw.get("author"), *(raw.get("commit_authors") or ())]
    return tuple(sorted({str(name) for name in named if name}))
