"""SK701-SK709: the system description (the report's Section III) is complete, written, reviewed,
and agrees with the rest of the program.

They apply once a program has a description (a `system/` folder, which `soc2kit init` writes): a
program from before the description existed is told nothing until it starts one (see
docs/system-description.md)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.layout import CONFIG_FILE
from soc2kit.models import SYSTEM_PART_NAMES, add_interval
from soc2kit.rules.content import PLACEHOLDER
from soc2kit.system_description import EVENT_PARTS, FOLDER, KIND, PartState, documents_of, has_description, parts
from soc2kit.words import WholeWords

if TYPE_CHECKING:
    from soc2kit.documents import Document
    from soc2kit.program import Program

REVIEW_EVERY = "12 months"
"""How old a part's review may be: the description is the report's, and the report is yearly."""

_CATEGORY_WORDS = {
    "security": r"secur",
    "availability": r"availab|uptime",
    "confidentiality": r"confidential",
    "processing-integrity": r"processing integrity|process(?:ed|ing)? (?:complete|accurate|timely)|complete(?:ly)?,? accurate",
    "privacy": r"privacy|personal (?:information|data)",
}
"""What a commitment for a category must mention, as patterns (case-insensitive)."""


def check(program: Program) -> Iterator[Diagnostic]:
    if not has_description(program):
        return
    states = parts(program)
    yield from _missing(program, states)
    yield from _placeholders(states)
    yield from _duplicates(program)
    yield from _reviews(program, states)
    yield from _system_named(program, states)
    yield from _categories(program, states)
    yield from _subservice_organizations(program, states)


def _missing(program: Program, states: list[PartState]) -> Iterator[Diagnostic]:
    line = program.documents[CONFIG_FILE].line_of("system") if CONFIG_FILE in program.documents else 1
    # A part whose document is there but invalid is not missing: reading already says what is wrong with it.
    named = {_part_of(doc) for doc in documents_of(program)}
    for state in states:
        if state.state != "missing" or state.outline.name in named:
            continue
        name = state.outline.name
        yield diagnostic(
            "SK701",
            CONFIG_FILE,
            line,
            f"the system description has no '{name}' part ({state.outline.title})",
            f"add {FOLDER}/{name}.md with `part: {name}`, a title, an owner and text that answers: {state.outline.guidance}",
        )


def _placeholders(states: list[PartState]) -> Iterator[Diagnostic]:
    for state in states:
        if state.document is None:
            continue
        for line, why in state.why:
            if why == f"the placeholder {PLACEHOLDER}":
                continue  # SK014 reports every TODO(soc2kit), in any document
            yield diagnostic(
                "SK702",
                state.document.path,
                line,
                f"the '{state.outline.name}' part is still a placeholder: {why}",
                f"write what the system really is; this part must answer: {state.outline.guidance}",
            )


def _duplicates(program: Program) -> Iterator[Diagnostic]:
    for doc in documents_of(program):
        name = _part_of(doc)
        if name is None or name not in program.system_parts:
            continue
        first = program.source(KIND, name)
        if first.path != doc.path:
            yield diagnostic(
                "SK703",
                doc.path,
                doc.line_of("part"),
                f"the '{name}' part is also {first.path}:{first.line_of('part')}; only that one counts",
            )


def _part_of(doc: Document) -> str | None:
    data: Any = doc.data
    name = data.get("part") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name in SYSTEM_PART_NAMES else None


def _reviews(program: Program, states: list[PartState]) -> Iterator[Diagnostic]:
    today = program.today
    events_since = _events_reviewed_since(program)
    for state in states:
        part, doc = state.part, state.document
        if part is None or doc is None:
            continue
        name = state.outline.name
        reviewed = part.last_reviewed
        if reviewed is None:
            yield diagnostic(
                "SK704", doc.path, doc.line_of("part"), f"the '{name}' part has never been reviewed (no `last_reviewed`)"
            )
            continue
        line = doc.line_of("last_reviewed")
        if reviewed > today:
            yield diagnostic(
                "SK705", doc.path, line, f"the '{name}' part is dated as reviewed on {reviewed}, after today ({today})"
            )
            continue
        due = add_interval(reviewed, REVIEW_EVERY)
        if due < today:
            yield diagnostic(
                "SK704",
                doc.path,
                line,
                f"the '{name}' part was due for review on {due} (last reviewed {reviewed}, every {REVIEW_EVERY})",
            )
        if name in EVENT_PARTS and events_since is not None and reviewed < events_since[0]:
            yield diagnostic(
                "SK706",
                doc.path,
                line,
                f"the '{name}' part was last reviewed on {reviewed}, before {events_since[1]} ({events_since[0]}), "
                "so it does not speak for the whole period",
            )


def _events_reviewed_since(program: Program) -> tuple[date, str] | None:
    """The day the incidents and changes parts must be reviewed on or after, and what that day is:
    the period's end once it has passed (they must cover all of it), else its start; a Type I's
    as-of date once it has come."""
    audit = program.config.audit
    if audit.type == "type2" and audit.period is not None:
        if program.today > audit.period.end:
            return audit.period.end, "the audit period ended"
        return audit.period.start, "the audit period began"
    if audit.type == "type1" and audit.as_of is not None and program.today >= audit.as_of:
        return audit.as_of, "the Type I as-of date"
    return None


def _words(text: str) -> str:
    return " ".join(text.split()).casefold()


def _system_named(program: Program, states: list[PartState]) -> Iterator[Diagnostic]:
    name = program.config.system.name
    services = next(state for state in states if state.outline.name == "services")
    if services.document is None or services.state != "written" or PLACEHOLDER in name or not program.config_ok:
        return
    if _words(name) not in _words(services.body):
        yield diagnostic(
            "SK707",
            services.document.path,
            services.document.body_line,
            f"the services part never names the system '{' '.join(name.split())}' that soc2kit.yml says the audit covers",
        )


def _categories(program: Program, states: list[PartState]) -> Iterator[Diagnostic]:
    commitments = next(state for state in states if state.outline.name == "commitments")
    if commitments.document is None or commitments.state != "written" or not program.config_ok:
        return
    text = _words(commitments.body)
    for category in program.config.scope.categories:
        pattern = _CATEGORY_WORDS.get(category)
        if pattern is not None and re.search(pattern, text) is None:
            yield diagnostic(
                "SK708",
                commitments.document.path,
                commitments.document.body_line,
                f"the commitments part says nothing about {category.replace('-', ' ')}, which is in scope",
            )


def _subservice_organizations(program: Program, states: list[PartState]) -> Iterator[Diagnostic]:
    organizations = program.subservice_organizations
    written = [state for state in states if state.document is not None and state.state == "written"]
    if not organizations or not written:
        return
    text = WholeWords(" ".join(state.body for state in written))
    where = next((state for state in written if state.outline.name == "boundaries"), written[0])
    assert where.document is not None
    for org_id, organization in organizations.items():
        if not (text.names(organization.name) or text.names(org_id)):
            yield diagnostic(
                "SK709",
                where.document.path,
                where.document.body_line,
                f"the subservice organization {_words_as_shown(organization.name)} ({org_id}) is named nowhere in the system description",
            )


def _words_as_shown(text: str) -> str:
    return " ".join(text.split())
