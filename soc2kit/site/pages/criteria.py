"""The criteria matrix (every in-scope criterion -> its controls -> status; exclusions with their
reasons) and one page per criterion."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from soc2kit.site import markdown as md
from soc2kit.site import status
from soc2kit.site.portal import CRITERIA, GeneratedPage, Portal, criterion_page


def build(portal: Portal) -> Iterator[GeneratedPage]:
    yield matrix(portal)
    for criterion in portal.program.catalog.criteria:
        yield page(portal, criterion)


def matrix(portal: Portal) -> GeneratedPage:
    program = portal.program
    excluded = program.exclusions
    in_scope = program.criteria_in_scope()
    states = [status.criterion_state(portal, c.id) for c in in_scope]
    ready, uncovered = states.count("ready"), states.count("uncovered")
    parts = [
        "# Criteria",
        "",
        (
            f"Every criterion of the {md.text(program.catalog.name)} in scope for {md.text(program.config.system.name)}, "
            "the controls that address it and where it stands. A criterion is ready when at least one of its controls "
            "is ready."
        ),
        "",
        md.cards(
            [
                md.metric(str(len(in_scope)), "Criteria in scope", name="criteria-in-scope"),
                md.metric(str(ready), "Ready", name="criteria-ready", kind="ok"),
                md.metric(
                    str(len(in_scope) - ready - uncovered),
                    "Not ready",
                    name="criteria-not-ready",
                    kind="warn" if len(in_scope) - ready - uncovered else "",
                ),
                md.metric(str(uncovered), "Without a control", name="criteria-uncovered", kind="bad" if uncovered else ""),
                md.metric(str(len(excluded)), "Excluded", name="criteria-excluded"),
            ]
        ),
    ]
    for category in program.catalog.categories:
        if category.id not in program.config.scope.categories:
            continue
        rows = []
        for criterion in program.catalog.criteria:
            if criterion.category != category.id or criterion.id in excluded:
                continue
            controls = program.controls_of(criterion)
            rows.append(
                (
                    portal.criterion_link(CRITERIA, criterion.id),
                    md.text(criterion.title),
                    ", ".join(portal.control_link(CRITERIA, c.id) for c in controls) or "—",
                    status.criterion_badge(portal, criterion.id),
                )
            )
        parts += ["", f"## {md.text(category.title)}", "", md.table(["Criterion", "Title", "Controls", "Status"], rows)]
    parts += ["", "## Excluded criteria", ""]
    exclusion_rows = [
        (portal.criterion_link(CRITERIA, cid), md.text(reason) if reason else md.badge("no reason given", "bad"))
        for cid, reason in excluded.items()
    ]
    parts.append(md.table(["Criterion", "Reason"], exclusion_rows, empty="*No criterion is excluded.*"))
    out_of_scope = [c for c in program.catalog.categories if c.id not in program.config.scope.categories]
    if out_of_scope:
        parts += [
            "",
            "## Categories out of scope",
            "",
            md.table(["Category", "What it covers"], [(md.text(c.title), md.text(c.summary)) for c in out_of_scope]),
        ]
    return GeneratedPage(CRITERIA, "Criteria", "\n".join(parts) + "\n")


def page(portal: Portal, criterion: Any) -> GeneratedPage:
    program = portal.program
    path = criterion_page(criterion.id)
    series = next((s for s in program.catalog.series if s.id == criterion.series), None)
    category = next((c for c in program.catalog.categories if c.id == criterion.category), None)
    controls = program.controls_of(criterion)
    card = md.definition_card(
        [
            ("ID", f"<code>{md.html(criterion.id)}</code>"),
            ("Category", md.html(category.title if category else criterion.category or "")),
            ("Series", md.html(f"{series.id} {series.title}" if series else criterion.series)),
            ("Status", status.criterion_badge(portal, criterion.id)),
            ("Controls", md.html(str(len(controls)))),
        ]
    )
    parts = [f"# {md.text(criterion.id)} {md.text(criterion.title)}", "", card, "", md.text(criterion.summary), ""]
    reason = program.exclusions.get(criterion.id)
    if criterion.id in program.exclusions:
        parts += ['!!! note "Excluded from scope"', "", f"    {md.text(reason) if reason else 'No reason given.'}", ""]
    rows = [
        (
            portal.control_link(path, c.id),
            md.text(c.title),
            md.text(c.owner),
            md.text(c.frequency),
            ", ".join(portal.policy_link(path, pid) for pid in c.policies) or "—",
            status.control_badge(portal, c),
        )
        for c in controls
    ]
    parts += [
        "## Controls",
        "",
        md.table(
            ["Control", "Title", "Owner", "Frequency", "Policies", "Status"], rows, empty="*No control addresses this criterion.*"
        ),
    ]
    return GeneratedPage(path, f"{criterion.id} {criterion.title}", "\n".join(parts) + "\n")
