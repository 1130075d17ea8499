"""The Changes page: recent changes to the program from Git, for change management (CC8.1): who
changed which policy or control, who merged it, when, through which pull request, approved by whom, and
which findings the change exceptions register accepted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from soc2kit.site import markdown as md
from soc2kit.site import revisions
from soc2kit.site.portal import CHANGES, GeneratedPage, Portal

MAX_FILES_SHOWN = 6


def build(portal: Portal) -> Iterator[GeneratedPage]:
    yield page(portal)


def page(portal: Portal) -> GeneratedPage:
    parts = [
        *md.hide_navigation(),
        "# Changes",
        "",
        (
            "Every change to the program (policies, controls, evidence and `soc2kit.yml`) as Git recorded it, newest "
            "first. Change management (criterion CC8.1) expects each change to reach the main branch through a reviewed "
            "pull request."
        ),
        "",
    ]
    history = portal.history
    if history is None:
        parts.append(revisions.unavailable(portal))
        return GeneratedPage(CHANGES, "Changes", "\n".join(parts) + "\n")
    commits = history.commits
    shown = commits[: portal.changes_limit]
    program = portal.program
    period = program.config.audit.period if program.config.audit.type == "type2" else None
    in_period = [c for c in commits if period is not None and c.committer_date.date() in period]
    without_pr = sum(1 for c in commits if c.pr is None)
    cards = [
        md.metric(f"{len(commits):,}", "Changes", name="changes"),
        md.metric(f"{len(commits) - without_pr:,}", "Through a pull request", name="changes-with-pr", kind="ok"),
        md.metric(f"{without_pr:,}", "Without a pull request", name="changes-without-pr", kind="warn" if without_pr else "ok"),
    ]
    if period is not None:
        cards.append(md.metric(f"{len(in_period):,}", "In the audit period", name="changes-in-period"))
    parts += [md.cards(cards), ""]
    if history.shallow:
        parts += ['!!! warning "Shallow clone"', "", f"    {md.text_with_code(portal.history_note)}", ""]
    # Authors, merger and approvers apart: GitHub makes the merger the merge commit's author.
    who = [revisions.people(portal, commit) for commit in shown]
    closed = [revisions.excepted(portal, commit) for commit in shown]
    approved = any(commit.approvers for commit in shown)
    with_exceptions = any(closed)
    rows = []
    for commit, people, found in zip(shown, who, closed, strict=True):
        row = [
            f'<span class="sk-nowrap">{commit.committer_date.date().isoformat()}</span>',
            revisions.names(people.authors),
            md.text(revisions.name_of(people.merger)) if people.merger else "—",
            portal.pr_link(commit.pr),
            md.text(commit.subject),
            _changed(portal, commit),
        ]
        if approved:
            row.append(revisions.approvals(commit) or "—")
        if with_exceptions:
            row.append(revisions.exceptions_cell(found) or "—")
        row.append(portal.commit_link(commit.sha))
        rows.append(row)
    headers = [
        "Date",
        "Authors",
        "Merged by",
        "Pull request",
        "Summary",
        "What changed",
        *(["Approved by"] if approved else []),
        *(["Excepted"] if with_exceptions else []),
        "Commit",
    ]
    parts.append(md.table(headers, rows, empty="*No commit has touched the program yet.*"))
    if len(commits) > len(shown):
        parts += ["", f"The {len(shown)} most recent of {len(commits):,} changes; `soc2kit trail export` lists them all."]
    return GeneratedPage(CHANGES, "Changes", "\n".join(parts) + "\n")


def _changed(portal: Portal, commit: Any) -> str:
    items = [_entity(portal, change) for change in commit.changes[:MAX_FILES_SHOWN]]
    more = len(commit.changes) - MAX_FILES_SHOWN
    if more > 0:
        items.append(f"and {more} more")
    return ", ".join(items)


def _entity(portal: Portal, change: Any) -> str:
    program = portal.program
    doc = program.documents.get(change.path)
    word = "" if change.status == "modified" else f" ({change.status})"
    if doc is not None and doc.entity_id:
        if doc.kind == "policy" and doc.entity_id in program.policies:
            return portal.policy_link(CHANGES, doc.entity_id) + word
        if doc.kind == "control" and doc.entity_id in program.controls:
            return portal.control_link(CHANGES, doc.entity_id) + word
        if doc.kind == "evidence" and doc.entity_id in program.evidence:
            return f"evidence {md.text(doc.entity_id)} of {portal.control_link(CHANGES, program.evidence[doc.entity_id].control)}{word}"
    return f"{md.code(change.path)}{word}"
