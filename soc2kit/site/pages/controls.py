"""Control pages: the list by family, and one page per control (description, criteria, policies,
evidence requirements, the evidence timeline window by window, the records, the test procedure)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from soc2kit.program import MemoKey
from soc2kit.site import markdown as md
from soc2kit.site import revisions, status
from soc2kit.site.portal import CONTROLS, GeneratedPage, Portal, control_page, month_page

TESTED_STATEMENTS: MemoKey[dict[tuple[str, str], list[int]]] = MemoKey("site.tested-statements")
"""(control ID, policy ID) -> numbers of the policy's statements that name the control in `Tested by:`."""


def family(control_id: str) -> str:
    return control_id.rsplit("-", 1)[0]


def build(portal: Portal) -> Iterator[GeneratedPage]:
    yield index(portal)
    for control in sorted(portal.program.controls.values(), key=lambda c: c.id):
        yield page(portal, control)


def index(portal: Portal) -> GeneratedPage:
    program = portal.program
    by_family: dict[str, list[Any]] = defaultdict(list)
    for control in sorted(program.controls.values(), key=lambda c: c.id):
        by_family[family(control.id)].append(control)
    parts = [
        "# Controls",
        "",
        (
            f"What {md.text(program.config.organization)} does, control by control: who owns it, how often it runs, the "
            "criteria it addresses and the evidence it leaves."
        ),
        "",
        md.cards(
            [
                md.metric(str(len(program.controls)), "Controls", name="controls"),
                md.metric(str(len(by_family)), "Families", name="control-families"),
                md.metric(
                    str(sum(1 for c in program.controls.values() if program.evidence_of(c))),
                    "With evidence",
                    name="controls-with-evidence",
                ),
            ]
        ),
    ]
    for name, controls in by_family.items():
        rows = [
            (
                portal.control_link(CONTROLS, c.id),
                md.text(c.title),
                md.text(c.owner),
                md.text(c.frequency),
                ", ".join(portal.criterion_link(CONTROLS, cid) for cid in c.criteria),
                status.control_badge(portal, c),
            )
            for c in controls
        ]
        parts += ["", f"## {md.text(name)}", "", md.table(["Control", "Title", "Owner", "Frequency", "Criteria", "Status"], rows)]
    if not program.controls:
        parts += ["", "*No controls yet.*"]
    return GeneratedPage(CONTROLS, "Controls", "\n".join(parts) + "\n")


def page(portal: Portal, control: Any) -> GeneratedPage:
    program = portal.program
    path = control_page(control.id)
    doc = program.source("control", control.id)
    body = portal.linkify(path, md.shift_headings(md.strip_title(doc.body, control.title)))
    preamble, found = md.sections(body)
    named = {heading.casefold(): text for heading, text in found}
    others = [(h, t) for h, t in found if h.casefold() not in {"description", "test procedure"}]
    records = program.evidence_of(control)
    card = md.definition_card(
        [
            ("ID", f"<code>{md.html(control.id)}</code>"),
            ("Status", status.control_badge(portal, control)),
            ("Owner", md.html(control.owner)),
            ("Frequency", md.html(control.frequency)),
            ("Kind", md.html(control.kind)),
            ("Automation", md.html(control.automation)),
            ("Evidence records", md.html(str(len(records)))),
        ]
    )
    parts = [f"# {md.text(control.id)} {md.text(control.title)}", "", card, ""]
    if preamble:
        parts += [preamble, ""]
    parts += ["## Description", "", named.get("description") or "*No description.*", ""]
    for heading, text in others:
        parts += [f"## {heading}", "", text, ""]
    criteria_rows = []
    for cid in control.criteria:
        criterion = program.catalog.criterion(cid)
        criteria_rows.append(
            (
                portal.criterion_link(path, cid),
                md.text(criterion.title) if criterion else "",
                md.text(criterion.category or "") if criterion else "",
                status.scope_badge(portal, cid),
            )
        )
    parts += ["## Criteria", "", md.table(["Criterion", "Title", "Category", "Scope"], criteria_rows), ""]
    tested = _tested_statements(portal)
    policy_rows = [
        (
            portal.policy_link(path, pid),
            md.text(program.policies[pid].title) if pid in program.policies else "",
            md.text(program.policies[pid].status) if pid in program.policies else "",
            md.text(", ".join(str(number) for number in tested.get((control.id, pid), []))),
        )
        for pid in control.policies
    ]
    parts += [
        "## Policies",
        "",
        md.table(["Policy", "Title", "Status", "Statements it tests"], policy_rows, empty="*This control implements no policy.*"),
        "",
    ]
    parts += ["## Readiness", "", status.design_checklist(portal, control), ""]
    requirement_rows = []
    for requirement in control.evidence:
        count = sum(1 for r in records if r.requirement == requirement.id)
        requirement_rows.append(
            (
                md.code(requirement.id),
                md.text(requirement.description),
                md.text(requirement.frequency or control.frequency),
                str(count) if count else md.badge("none yet", "warn"),
                f"automatic: {md.code(requirement.collector)}" if requirement.collector else "by hand",
            )
        )
    parts += [
        "## Evidence requirements",
        "",
        md.table(
            ["Requirement", "What", "Frequency", "Records", "Collected"],
            requirement_rows,
            empty="*No evidence requirement defined.*",
        ),
        "",
        "## Evidence timeline",
        "",
        status.timeline(portal, control, path),
        "",
        "## Evidence records",
        "",
        records_table(portal, path, records),
        "",
        "## Test procedure",
        "",
        named.get("test procedure") or "*No test procedure.*",
        "",
        "## Revision history",
        "",
        revisions.table(portal, doc.path),
    ]
    return GeneratedPage(path, f"{control.id} {control.title}", "\n".join(parts) + "\n", source=doc.path)


def records_table(portal: Portal, from_page: str, records: list[Any], *, with_control: bool = False) -> str:
    """Evidence records as a table (newest first); each links to its record file and its month."""
    rows = []
    for record in sorted(records, key=lambda r: (r.collected, r.id), reverse=True):
        source = portal.program.source("evidence", record.id).path
        month = record.collected.strftime("%Y-%m")
        covers = (
            f'<span class="sk-nowrap">{record.covers.start}</span> to <span class="sk-nowrap">{record.covers.end}</span>'
            if record.covers
            else ""
        )
        files = ", ".join(md.text(f.path.rsplit("/", 1)[-1]) for f in record.files)
        row = [portal.file_link(source, md.code(record.id))]
        if with_control:
            row.append(portal.control_link(from_page, record.control))
        row += [
            md.code(record.requirement),
            md.link(f'<span class="sk-nowrap">{record.collected}</span>', portal.rel(from_page, month_page(month))),
            covers,
            files,
        ]
        rows.append(row)
    headers = ["Record", *(["Control"] if with_control else []), "Requirement", "Collected", "Covers", "Files"]
    return md.table(headers, rows, empty="*No evidence recorded yet.*")


def _tested_statements(portal: Portal) -> dict[tuple[str, str], list[int]]:
    """Which statements of which policy name each control, read once per build for every control page."""
    program = portal.program
    found: dict[tuple[str, str], list[int]] | None = program.memo.get(TESTED_STATEMENTS)
    if found is None:
        found = {}
        for policy in program.policies.values():
            for statement in program.source("policy", policy.id).statements:
                for control_id in statement.controls:
                    found.setdefault((control_id, policy.id), []).append(statement.number)
        program.memo.put(TESTED_STATEMENTS, found)
    return found
