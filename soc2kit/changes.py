"""The CC8.1 change-management gate: every policy and control change on the main branch came
through a pull request, and nobody approved their own change.

Public API
    check_changes(root, *, branch=None, since=None) -> ChangesReport
        Reads the first-parent history of `branch` (default: the current branch; with a detached
        HEAD, `main`) in one `git log` pass, limited to policies/ and controls/.
        Raises UsageError (exit 2) outside Git, in a repo without commits, for an unknown branch,
        or a detached HEAD with no `main` branch.
    ChangesReport: diagnostics (SK601-SK604, severities as overridden in soc2kit.yml), commits
        (how many were checked), branch, head, note.
    same_person(a, b) -> bool: "Name <email>" identities compared by email, else by name.

Rules: a commit on the first-parent line that changed policies/ or controls/ passes when it is a
pull-request merge ("Merge pull request #N from ...") or a squash ("subject (#N)"). Root commits
(and the boundary of a shallow clone) are exempt: nothing existed to review against, and so are
commits before `change_management.enforced_from` in soc2kit.yml (history from before the team
adopted pull requests; `--since` narrows further). Approvals are
`Approved-by:` and `Reviewed-by:` trailers; an approver who is the commit's author is SK602.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from soc2kit.diagnostics import Diagnostic, apply_severities, diagnostic
from soc2kit.errors import UsageError
from soc2kit.history import Commit, RepoInfo, iter_commits, repo_info
from soc2kit.layout import MARKDOWN_FOLDERS

GATED_PATHS = MARKDOWN_FOLDERS
_EMAIL = re.compile(r"<([^<>]+)>")


@dataclass
class ChangesReport:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    commits: int = 0
    branch: str = ""
    head: str = ""
    note: str = ""
    since: date | None = None
    """The first day checked: the later of `--since` and `change_management.enforced_from`."""


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


def _location(commit: Commit) -> tuple[str, str]:
    paths = sorted(change.path for change in commit.changes)
    first = paths[0] if paths else "."
    more = f" and {len(paths) - 1} more file{'s' if len(paths) > 2 else ''}" if len(paths) > 1 else ""
    return first, f"{first}{more}"


def _describe(commit: Commit) -> str:
    return f"commit {commit.short} ({commit.committer_date.date().isoformat()}, {commit.author_name}: '{commit.subject}')"


def check_commit(commit: Commit, branch: str) -> list[Diagnostic]:
    """The SK601/SK602/SK604 findings of one first-parent commit."""
    found: list[Diagnostic] = []
    path, files = _location(commit)
    if commit.parents and commit.pr is None:
        how = "merged without a pull request" if commit.is_merge else "pushed directly, without a pull request"
        found.append(diagnostic("SK601", path, 1, f"{_describe(commit)} changed {files} on {branch}: {how}"))
    for approver in commit.approvers:
        if same_person(approver, commit.author):
            found.append(
                diagnostic(
                    "SK602", path, 1, f"{_describe(commit)} changed {files} and was approved by its own author ({approver})"
                )
            )
            break
    if commit.signature in {"B", "R"}:
        state = "bad" if commit.signature == "B" else "made with a revoked key"
        found.append(diagnostic("SK604", path, 1, f"{_describe(commit)} changed {files}; its signature is {state}"))
    return found


def check_changes(root: str | Path = ".", *, branch: str | None = None, since: date | None = None) -> ChangesReport:
    """Run the CC8.1 gate over the main branch's first-parent history (see the module doc)."""
    from zoneinfo import ZoneInfo

    from soc2kit.program import load_config

    base = Path(root).resolve()
    if not base.is_dir():
        raise UsageError("is not a folder", path=base)
    info = repo_info(base)
    name, head = _resolve_branch(base, info, branch)
    config = load_config(base)  # the time zone, enforced_from and rule settings; the documents are not needed
    tz = ZoneInfo(config.audit.timezone)
    report = ChangesReport(branch=name, head=head)
    since = report.since = max((day for day in (since, config.change_management.enforced_from) if day), default=None)
    for commit in iter_commits(base, rev=head, first_parent=True, paths=GATED_PATHS, since=since, tz=tz):
        report.commits += 1
        report.diagnostics.extend(check_commit(commit, name))
    if info.shallow:
        report.note = "shallow clone: history is cut at the oldest fetched commit"
        report.diagnostics.append(
            diagnostic(
                "SK603", "soc2kit.yml", 1, f"this clone is shallow, so changes on {name} before its oldest commit are not checked"
            )
        )
    report.diagnostics = apply_severities(report.diagnostics, config.rules)
    return report
