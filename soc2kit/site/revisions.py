"""Revision history tables from Git (soc2kit.history), as the policy and control pages show them."""

from __future__ import annotations

from typing import Any

from soc2kit.site import markdown as md
from soc2kit.site.portal import Portal

STATUS_WORD = {"added": "added", "modified": "changed", "deleted": "deleted", "renamed": "renamed", "copied": "copied"}


def unavailable(portal: Portal) -> str:
    # Notes come from soc2kit itself and are Markdown (they quote commands in backticks).
    return f"*{md.text_with_code(portal.history_note or 'Git history is not available.')}*"


def approvals(commit: Any) -> str:
    names = [value.split("<", 1)[0].strip() for value in commit.approvers]
    return md.text(", ".join(names)) if names else ""


def table(portal: Portal, program_path: str) -> str:
    """Date, author, pull request, summary and commit of every revision of `program_path`, newest first."""
    history = portal.history
    if history is None:
        return unavailable(portal)
    revisions = history.revisions(program_path)
    approved = any(rev.commit.approvers for rev in revisions)
    rows = []
    for rev in revisions:
        status = rev.change.status
        summary = md.text(rev.commit.subject)
        if status in {"added", "renamed"}:
            summary += f" {md.badge(STATUS_WORD[status], 'info')}"
        row = [
            f'<span class="sk-nowrap">{rev.date.date().isoformat()}</span>',
            md.text(rev.commit.author_name),
            portal.pr_link(rev.pr),
            summary,
        ]
        if approved:
            row.append(approvals(rev.commit) or "—")
        row.append(portal.commit_link(rev.sha))
        rows.append(row)
    headers = ["Date", "Author", "Pull request", "Summary", *(["Approved by"] if approved else []), "Commit"]
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
    """'2026-02-10 by Bob Builder (#12)' for the newest revision of `program_path` (HTML), or None."""
    if portal.history is None:
        return None
    rev = portal.history.last_changed(program_path)
    if rev is None:
        return None
    pr = f" (#{rev.pr})" if rev.pr is not None else ""
    return md.html(f"{rev.date.date().isoformat()} by {rev.commit.author_name}{pr}")
