"""Policy pages: the list, and one page per policy (metadata card, body, controls, revisions)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from soc2kit.site import markdown as md
from soc2kit.site import revisions
from soc2kit.site.portal import POLICIES, GeneratedPage, Portal, policy_page

STATUS_KIND = {"approved": "ok", "draft": "warn", "retired": "muted"}


def build(portal: Portal) -> Iterator[GeneratedPage]:
    yield index(portal)
    for policy in sorted(portal.program.policies.values(), key=lambda p: p.title.casefold()):
        yield page(portal, policy)


def review_badge(portal: Portal, policy: Any) -> str:
    due = policy.next_review()
    if policy.status == "retired":
        return md.html(due.isoformat())
    if due < portal.program.today:
        return f"{md.html(due.isoformat())} {md.badge('overdue', 'bad')}"
    return md.html(due.isoformat())


def index(portal: Portal) -> GeneratedPage:
    program = portal.program
    policies = sorted(program.policies.values(), key=lambda p: p.title.casefold())
    counts = {status: sum(1 for p in policies if p.status == status) for status in STATUS_KIND}
    overdue = sum(1 for p in policies if p.status != "retired" and p.next_review() < program.today)
    rows = [
        (
            portal.policy_link(POLICIES, p.id),
            md.link(md.text(p.title), portal.rel(POLICIES, policy_page(p.id))),
            md.text(p.owner),
            md.badge(p.status, STATUS_KIND[p.status]),
            md.text(p.version),
            review_badge(portal, p),
            str(len(program.controls_of(p))),
        )
        for p in policies
    ]
    cards = md.cards(
        [
            md.metric(str(len(policies)), "Policies", name="policies"),
            md.metric(str(counts["approved"]), "Approved", name="policies-approved", kind="ok"),
            md.metric(str(counts["draft"]), "Drafts", name="policies-draft", kind="warn" if counts["draft"] else ""),
            md.metric(str(overdue), "Reviews overdue", name="policies-overdue", kind="bad" if overdue else ""),
        ]
    )
    body = [
        "# Policies",
        "",
        (
            f"What {md.text(program.config.organization)} commits to. Each policy names the role that owns it and the role "
            "that approved it; the controls listed on its page carry it out."
        ),
        "",
        cards,
        "",
        md.table(["ID", "Policy", "Owner", "Status", "Version", "Next review", "Controls"], rows, empty="*No policies yet.*"),
    ]
    return GeneratedPage(POLICIES, "Policies", "\n".join(body) + "\n")


def page(portal: Portal, policy: Any) -> GeneratedPage:
    program = portal.program
    path = policy_page(policy.id)
    doc = program.source("policy", policy.id)
    controls = program.controls_of(policy)
    card = md.definition_card(
        [
            ("ID", f"<code>{md.html(policy.id)}</code>"),
            ("Status", md.badge(policy.status, STATUS_KIND[policy.status])),
            ("Version", md.html(policy.version)),
            ("Owner", md.html(policy.owner)),
            ("Approver", md.html(policy.approver) if policy.approver else md.badge("none", "warn")),
            ("Effective", md.html(policy.effective.isoformat())),
            ("Last reviewed", md.html(policy.last_reviewed.isoformat()) if policy.last_reviewed else "never"),
            ("Next review", review_badge(portal, policy)),
            ("Controls", md.html(str(len(controls)))),
            *([("Last change", changed)] if (changed := revisions.last_change(portal, doc.path)) else []),
        ]
    )
    body = portal.linkify(path, md.shift_headings(md.strip_title(doc.body, policy.title)))
    control_rows = [
        (
            portal.control_link(path, c.id),
            md.text(c.title),
            ", ".join(portal.criterion_link(path, cid) for cid in c.criteria),
            md.text(c.frequency),
            md.text(c.owner),
        )
        for c in controls
    ]
    parts = [
        f"# {md.text(policy.title)}",
        "",
        card,
        "",
        body.strip(),
        "",
        "## Implementing controls",
        "",
        md.table(
            ["Control", "Title", "Criteria", "Frequency", "Owner"],
            control_rows,
            empty="*No control implements this policy yet.*",
        ),
        "",
        "## Revision history",
        "",
        revisions.table(portal, doc.path),
    ]
    return GeneratedPage(path, policy.title, "\n".join(parts) + "\n", source=doc.path)
