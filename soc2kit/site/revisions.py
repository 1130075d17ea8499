"""Revision history tables from Git (soc2kit.history), as the policy and control pages show them.

A change's people are kept apart, as soc2kit.authorship reads them: its authors (for a merge, the
authors of the commits it merged), its merger (a merge commit's author: who pressed the button, never
listed as an author) and its approvers (`Approved-by:`/`Reviewed-by:` trailers). Entries of the change
exceptions register that name a commit show on it as excepted findings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from soc2kit.authorship import Authorship, authorship
from soc2kit.change_exceptions import Excepted, ExceptionIndex
from soc2kit.site import markdown as md
from soc2kit.site.portal import Portal

STATUS_WORD = {"added": "added", "modified": "changed", "deleted": "deleted", "renamed": "renamed", "copied": "copied"}


@dataclass(frozen=True, slots=True)
class ChangeFacts:
    """What Git says about the changes of one HEAD beyond the commits themselves: read once per HEAD."""

    merged: Mapping[str, tuple[str, ...]]
    excepted: ExceptionIndex


_FACTS: dict[tuple[str, str], ChangeFacts] = {}
_FACTS_KEPT = 4  # `mkdocs serve` rebuilds at each new HEAD: keep a few, not one per commit ever served


def facts(portal: Portal) -> ChangeFacts | None:
    """The merged authors and register entries of the portal's history (one `git log` and one register
    read per program folder and HEAD), or None without history."""
    history = portal.history
    if history is None or history.head is None:
        return None
    key = (str(history.root), history.head)
    found = _FACTS.get(key)
    if found is None:
        from soc2kit.authorship import merged_authors
        from soc2kit.change_exceptions import register_at
        from soc2kit.git import Blobs

        with Blobs(history.root) as blobs:
            entries = register_at(blobs, history.prefix, history.head).entries
        found = ChangeFacts(merged_authors(history.root, history.head), ExceptionIndex(entries, history.root, history.head))
        while len(_FACTS) >= _FACTS_KEPT:
            del _FACTS[next(iter(_FACTS))]
        _FACTS[key] = found
    return found


def people(portal: Portal, commit: Any) -> Authorship:
    """Who wrote `commit`'s change and who merged it."""
    known = facts(portal)
    return authorship(commit, known.merged if known is not None else {})


def excepted(portal: Portal, commit: Any) -> tuple[Excepted, ...]:
    known = facts(portal)
    return known.excepted.of(commit.sha) if known is not None else ()


def name_of(identity: str) -> str:
    """The name of a "Name <email>" identity (the whole text when it has no email)."""
    name, sep, email = identity.rpartition(" <")
    return name if sep and email.endswith(">") else identity


def names(identities: Any) -> str:
    """Names, escaped for a table cell, comma-separated."""
    return md.text(", ".join(name_of(identity) for identity in identities))


def unavailable(portal: Portal) -> str:
    # Notes come from soc2kit itself and are Markdown (they quote commands in backticks).
    return f"*{md.text_with_code(portal.history_note or 'Git history is not available.')}*"


def approvals(commit: Any) -> str:
    return names(commit.approvers) if commit.approvers else ""


def exceptions_cell(found: tuple[Excepted, ...]) -> str:
    """Excepted findings as badges, each with who accepted it, when and why (escaped)."""
    return "<br>".join(
        f"{md.badge(f'{item.finding} excepted', 'muted')} {md.text(f'by {item.accepted_by} on {item.accepted_on}: {item.reason}')}"
        for item in found
    )


def table(portal: Portal, program_path: str) -> str:
    """Date, authors, merger, pull request, summary, approvers and commit of every revision of
    `program_path`, newest first (merger, approvers and excepted findings only when one has them)."""
    history = portal.history
    if history is None:
        return unavailable(portal)
    revisions = history.revisions(program_path)
    who = {rev.sha: people(portal, rev.commit) for rev in revisions}
    closed = {rev.sha: excepted(portal, rev.commit) for rev in revisions}
    merged = any(found.merger for found in who.values())
    approved = any(rev.commit.approvers for rev in revisions)
    with_exceptions = any(closed.values())
    rows = []
    for rev in revisions:
        status = rev.change.status
        summary = md.text(rev.commit.subject)
        if status in {"added", "renamed"}:
            summary += f" {md.badge(STATUS_WORD[status], 'info')}"
        row = [f'<span class="sk-nowrap">{rev.date.date().isoformat()}</span>', names(who[rev.sha].authors)]
        if merged:
            row.append(md.text(name_of(who[rev.sha].merger or "")) or "—")
        row += [portal.pr_link(rev.pr), summary]
        if approved:
            row.append(approvals(rev.commit) or "—")
        if with_exceptions:
            row.append(exceptions_cell(closed[rev.sha]) or "—")
        row.append(portal.commit_link(rev.sha))
        rows.append(row)
    headers = [
        "Date",
        "Authors",
        *(["Merged by"] if merged else []),
        "Pull request",
        "Summary",
        *(["Approved by"] if approved else []),
        *(["Excepted"] if with_exceptions else []),
        "Commit",
    ]
    note = f'\n\n!!! warning "Shallow clone"\n\n    {md.text_with_code(portal.history_note)}' if history.shallow else ""
    return (
        md.table(
            headers,
            rows,
            empty="*This file has no committed revision yet.*",
        )
        + note
    )


def last_change(portal: Portal, program_path: str) -> str | None:
    """'2026-02-10 by Alice Adams, merged by Bob Builder (#12)' for the newest revision of `program_path`
    (HTML), or None."""
    if portal.history is None:
        return None
    rev = portal.history.last_changed(program_path)
    if rev is None:
        return None
    who = people(portal, rev.commit)
    pr = f" (#{rev.pr})" if rev.pr is not None else ""
    merger = f", merged by {name_of(who.merger)}" if who.merger else ""
    authors = ", ".join(name_of(author) for author in who.authors)
    return md.html(f"{rev.date.date().isoformat()} by {authors}{merger}{pr}")
