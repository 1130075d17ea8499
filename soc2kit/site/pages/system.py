"""The system description pages: an index of the parts in report order with their state, and one
page per written part (its owner, review date and text)."""

from __future__ import annotations

from collections.abc import Iterator

from soc2kit.site import markdown as md
from soc2kit.site import revisions
from soc2kit.site.portal import GeneratedPage, Portal
from soc2kit.system_description import FOLDER, PartState, body_text, has_description, parts

SYSTEM = "system/index.md"
STATE_KIND = {"written": "ok", "placeholder": "warn", "missing": "bad"}
STATE_LABEL = {"written": "written", "placeholder": "placeholder", "missing": "missing"}


def part_page(name: str) -> str:
    return f"system/{name}.md"


def build(portal: Portal) -> Iterator[GeneratedPage]:
    if not has_description(portal.program):
        return  # a program from before the description existed: no section (docs/system-description.md)
    states = parts(portal.program)
    yield index(portal, states)
    for state in states:
        if state.document is not None:
            yield page(portal, state)


def _reviewed(state: PartState) -> str:
    if state.part is None:
        return ""
    if state.part.last_reviewed is None:
        return md.badge("never", "warn")
    return md.html(state.part.last_reviewed.isoformat())


def index(portal: Portal, states: list[PartState]) -> GeneratedPage:
    program = portal.program
    counts = {state: sum(1 for s in states if s.state == state) for state in STATE_KIND}
    rows = [
        (
            str(number),
            md.link(md.text(state.title), portal.rel(SYSTEM, part_page(state.outline.name)))
            if state.document is not None
            else md.text(state.outline.title),
            md.text(state.part.owner) if state.part is not None else "",
            _reviewed(state),
            md.badge(STATE_LABEL[state.state], STATE_KIND[state.state]),
        )
        for number, state in enumerate(states, start=1)
    ]
    body = [
        "# System description",
        "",
        (
            f"What {md.text(program.config.system.name)} is and how {md.text(program.config.organization)} runs it: "
            f"the description of the system the report covers, one part per document in `{FOLDER}/`, in the order "
            "the report gives them."
        ),
        "",
    ]
    body += [
        md.cards(
            [
                md.metric(str(counts["written"]), "Parts written", name="system-written", kind="ok" if counts["written"] else ""),
                md.metric(
                    str(counts["placeholder"]),
                    "Placeholders",
                    name="system-placeholder",
                    kind="warn" if counts["placeholder"] else "",
                ),
                md.metric(str(counts["missing"]), "Missing", name="system-missing", kind="bad" if counts["missing"] else ""),
            ]
        ),
        "",
        md.table(["No.", "Part", "Owner", "Last reviewed", "State"], rows),
        "",
    ]
    return GeneratedPage(SYSTEM, "System description", "\n".join(body) + "\n")


def page(portal: Portal, state: PartState) -> GeneratedPage:
    assert state.part is not None
    assert state.document is not None
    path = part_page(state.outline.name)
    doc = state.document
    card = md.definition_card(
        [
            ("Part", md.html(state.outline.title)),
            ("State", md.badge(STATE_LABEL[state.state], STATE_KIND[state.state])),
            ("Owner", md.html(state.part.owner)),
            ("Last reviewed", _reviewed(state)),
            *([("Last change", changed)] if (changed := revisions.last_change(portal, doc.path)) else []),
        ]
    )
    lines = [f"# {md.text(state.title)}", "", card, ""]
    if state.state == "placeholder":
        lines += [
            '!!! warning "Still a placeholder"',
            "",
            f"    This part must answer: {md.text(state.outline.guidance)}",
            "",
        ]
    text = portal.linkify(path, md.shift_headings(body_text(state)))
    lines += [text.strip(), "", "## Revision history", "", revisions.table(portal, doc.path)]
    return GeneratedPage(path, state.title, "\n".join(lines) + "\n", source=doc.path)
