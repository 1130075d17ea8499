"""The system description (the report's Section III): its parts in report order, what each must
say, whether each is written, and the files the bundle carries.

    PARTS: tuple[PartOutline, ...]        every part in report order, with the question it answers
    outline(name) -> PartOutline
    parts(program) -> [PartState]         each part's document, body and state
    placeholders(body, name) -> [(offset, why)]   why a body is not yet a description
    bundle_entries(program, timeframe=None) -> {path: bytes}   system-description/NN-<part>.md and SYSTEM-DESCRIPTION.md

A part is "written" when its document has prose of its own, "placeholder" when the body is empty,
holds a placeholder marker (TODO, TBD, FIXME, TODO(soc2kit), lorem ipsum, `[placeholder]`-style
brackets) or still holds the outline's own guidance sentence unchanged, and "missing" when no
document of the program is that part. The parts are the description criteria's topics, named in
our own words; subservice organizations and user entity controls come from the registers, and the
controls from controls/, so the description does not repeat them.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from soc2kit import escaping
from soc2kit.models import SYSTEM_PART_NAMES, SystemPart

if TYPE_CHECKING:
    from datetime import date

    from soc2kit.documents import Document
    from soc2kit.program import Program

FOLDER = "system"
KIND = "system-part"
BUNDLE_FOLDER = "system-description"
COMBINED_NAME = "SYSTEM-DESCRIPTION.md"

State = Literal["written", "placeholder", "missing"]


@dataclass(frozen=True, slots=True)
class PartOutline:
    name: str
    title: str
    guidance: str
    """What the part must tell a reader, one sentence; a body that still holds it unchanged is an outline."""


PARTS: tuple[PartOutline, ...] = (
    PartOutline(
        "services",
        "Services provided",
        "Say who the company is, which services the system delivers to which customers, and how customers use them.",
    ),
    PartOutline(
        "commitments",
        "Principal service commitments and system requirements",
        "State what the company promises customers about security, availability, confidentiality, processing and privacy, "
        "where those promises are made, and the requirements the system must meet to keep them.",
    ),
    PartOutline(
        "infrastructure",
        "Components: infrastructure",
        "Describe the hosting, networks, and hardware the system runs on, and which provider operates each.",
    ),
    PartOutline(
        "software",
        "Components: software",
        "Describe the applications, services, operating systems and tools that make up the system and that run it.",
    ),
    PartOutline(
        "people",
        "Components: people",
        "Describe the teams and roles that govern, build, operate and support the system, and who they report to.",
    ),
    PartOutline(
        "procedures",
        "Components: procedures",
        "Describe the automated and manual procedures by which the system is built, changed, operated and monitored.",
    ),
    PartOutline(
        "data",
        "Components: data",
        "Describe the data the system takes in, stores, processes and sends out, and how it is classified.",
    ),
    PartOutline(
        "boundaries",
        "System boundaries",
        "Say what is inside the system and what is outside it: excluded services, subservice organizations and "
        "the responsibilities that stay with customers.",
    ),
    PartOutline(
        "control-environment",
        "Control environment, risk assessment, information and communication, and monitoring",
        "Describe the oversight, the risk assessment process, how information reaches the people who need it, "
        "and how the controls are monitored.",
    ),
    PartOutline(
        "incidents",
        "System incidents",
        "List the incidents since the last examination that kept the company from meeting a commitment or "
        "requirement, with their nature, timing and extent, or say plainly that there were none.",
    ),
    PartOutline(
        "changes",
        "Significant changes during the period",
        "List the significant changes to the system, its controls or its commitments during the period, "
        "or say plainly that there were none.",
    ),
)
"""Every part, in the order the report gives them. The names are `models.SystemPartName`."""

_BY_NAME = {outline.name: outline for outline in PARTS}
assert tuple(_BY_NAME) == SYSTEM_PART_NAMES, "PARTS and models.SystemPartName must list the same parts in one order"

EVENT_PARTS = ("incidents", "changes")
"""Parts that report what happened in the period: they must be reviewed after it began (and after it ended, once it has)."""

_MARKERS = (
    (re.compile(r"TODO\(soc2kit\)"), "the placeholder TODO(soc2kit)"),
    (re.compile(r"(?<![A-Za-z0-9_])(?:TODO|TBD|TBC|FIXME|XXX)(?![A-Za-z0-9_])"), "a TODO/TBD/FIXME marker"),
    (re.compile(r"lorem ipsum", re.IGNORECASE), "lorem ipsum filler"),
    (
        re.compile(
            r"[\[<{]\s*(?:placeholder|fill(?:\s+this)?\s+in|insert|to\s+be\s+written|your\s+\w+\s+here)[^\]>}\n]*[\]>}]",
            re.IGNORECASE,
        ),
        "a bracketed placeholder",
    ),
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)


def outline(name: str) -> PartOutline:
    return _BY_NAME[name]


def outline_text(name: str, *, owner: str = "TODO(soc2kit): the role that keeps this part true") -> str:
    """A new part's document: front-matter, its title and the guidance with a placeholder to replace."""
    part = _BY_NAME[name]
    # A JSON string is a YAML double-quoted scalar: a title with `: ` stays one value.
    return (
        f"---\npart: {name}\ntitle: {json.dumps(part.title)}\nowner: {json.dumps(owner)}\n---\n# {part.title}\n\n"
        f"{part.guidance}\n\nTODO(soc2kit): write this part.\n"
    )


@dataclass(frozen=True, slots=True)
class PartState:
    outline: PartOutline
    state: State
    part: SystemPart | None = None
    document: Document | None = None
    body: str = ""
    """The document's Markdown body (its own `# title` line included), as written."""
    why: tuple[tuple[int, str], ...] = ()
    """For a placeholder: (line in the file, what makes it one)."""

    @property
    def title(self) -> str:
        return self.part.title if self.part is not None else self.outline.title


def placeholders(body: str, name: str) -> list[tuple[int, str]]:
    """(0-based line offset in `body`, why) for each reason `body` is not yet a written part; the
    offset is 0 for an empty body. Fenced code is not prose, so markers there do not count."""
    found: list[tuple[int, str]] = []
    guidance = " ".join(_BY_NAME[name].guidance.split())
    fence = False
    prose_lines = 0
    lines = body.split("\n")
    uncommented = _COMMENT.sub(lambda match: "\n" * match.group(0).count("\n"), body).split("\n")
    for offset, (line, prose) in enumerate(zip(lines, uncommented, strict=True)):
        if _FENCE.match(line):
            fence = not fence
            continue
        if fence:
            continue
        stripped = prose.strip()
        if stripped and not stripped.startswith("#"):
            prose_lines += 1
        # Markers count inside HTML comments too: a hidden TODO is still unfinished work.
        for pattern, why in _MARKERS:
            if pattern.search(line):
                found.append((offset, why))
                break
    if guidance and guidance in " ".join(" ".join(lines).split()):
        first = next((i for i, line in enumerate(lines) if line.strip() and guidance.startswith(" ".join(line.split()))), 0)
        found.append((first, "the outline's guidance, unchanged"))
    if prose_lines == 0:
        found.insert(0, (0, "no text beyond headings"))
    return sorted(found)


def documents_of(program: Program) -> list[Document]:
    """Every document read from system/, in path order (valid or not)."""
    return sorted((doc for doc in program.documents.values() if doc.kind == KIND), key=lambda doc: doc.path)


def has_description(program: Program) -> bool:
    """Whether the program has begun a system description (a system/ folder, or any part read)."""
    return (program.root / FOLDER).is_dir() or bool(program.system_parts) or bool(documents_of(program))


def parts(program: Program) -> list[PartState]:
    """Every part in report order, with its document and state."""
    states = []
    for part_outline in PARTS:
        part = program.system_parts.get(part_outline.name)
        if part is None:
            states.append(PartState(part_outline, "missing"))
            continue
        doc = program.source(KIND, part_outline.name)
        body = doc.body
        why = tuple((doc.body_line + offset, reason) for offset, reason in placeholders(body, part_outline.name))
        states.append(PartState(part_outline, "placeholder" if why else "written", part, doc, body, why))
    return states


def _body_without_title(body: str) -> str:
    """The body less a leading `# title` line: the bundle and the portal set the title themselves."""
    lines = body.lstrip("\n").split("\n")
    if lines and lines[0].startswith("# "):
        lines = lines[1:]
    return "\n".join(lines).strip("\n")


def body_text(state: PartState) -> str:
    """The part's own prose, without its `# title` line."""
    return _body_without_title(state.body)


def _note(state: PartState) -> str:
    if state.state == "missing":
        return f"> This part is not written yet: no document in {FOLDER}/ has `part: {state.outline.name}`."
    if state.state == "placeholder":
        return "> This part is still a placeholder (`soc2kit check` says where)."
    return ""


def _heading_block(state: PartState) -> list[str]:
    lines = []
    if state.part is not None and state.document is not None:
        reviewed = state.part.last_reviewed.isoformat() if state.part.last_reviewed else "never"
        lines.append(
            f"_Owner: {_one_line(state.part.owner)}. Last reviewed: {reviewed}. Source: {escaping.code(state.document.path)}._"
        )
    note = _note(state)
    if note:
        lines.append(note)
    return lines


def _demote(markdown: str) -> str:
    """Headings one level down, outside fenced code, so a part's own `#`/`##` sit under its title."""
    out = []
    fence = False
    for line in markdown.split("\n"):
        if _FENCE.match(line):
            fence = not fence
        out.append("#" + line if not fence and line.startswith("#") else line)
    return "\n".join(out)


def bundle_entries(program: Program, timeframe: tuple[date, date] | date | None = None) -> dict[str, bytes]:
    """The description for the bundle: one file per part (`system-description/NN-<part>.md`, the
    part's own text under its title) and `SYSTEM-DESCRIPTION.md`, the parts in report order under
    one title. Missing and placeholder parts are written with a note saying so, never left out:
    the auditor sees what is not done. A part's body is the program's Markdown as written (Markdown
    in, Markdown out); titles, owners, names and paths are escaped as literal text. `timeframe`
    (the bundle's: a Type II period, or a Type I as-of date) names what the description speaks
    for; without it, soc2kit.yml's audit settings do."""
    entries: dict[str, bytes] = {}
    states = parts(program)
    combined = [
        f"# {_one_line(program.config.system.name)}: description of the system",
        "",
        f"Organization: {_one_line(program.config.organization)}. {_scope_line(program, timeframe)}",
        "",
    ]
    for number, state in enumerate(states, start=1):
        own = [f"# {_one_line(state.title)}", "", *_heading_block(state)]
        text = body_text(state)
        if text:
            own += ["", text]
        entries[f"{BUNDLE_FOLDER}/{number:02d}-{state.outline.name}.md"] = ("\n".join(own).rstrip("\n") + "\n").encode("utf-8")
        combined += [f"## {number}. {_one_line(state.title)}", "", *_heading_block(state)]
        if text:
            combined += ["", _demote(text)]
        combined.append("")
    combined += _from_the_program(program)
    entries[COMBINED_NAME] = ("\n".join(combined).rstrip("\n") + "\n").encode("utf-8")
    return entries


def _from_the_program(program: Program) -> list[str]:
    """What the description must also disclose that the program states elsewhere: the criteria left
    out and why, the subservice organizations and how each is treated, and what customers must do.
    Listed here so the description reads whole; the registers in the bundle carry the detail."""
    lines = ["## Criteria not covered", ""]
    exclusions = program.exclusions
    lines += [f"- {_one_line(criterion)}: {_one_line(reason)}" for criterion, reason in exclusions.items()] or [
        "Every criterion of the categories in scope is covered."
    ]
    lines += ["", "## Subservice organizations", ""]
    organizations = sorted(program.subservice_organizations.values(), key=lambda organization: organization.id)
    lines += [
        f"- {_one_line(organization.name)} ({_one_line(organization.method)}): {_one_line(organization.services)}"
        for organization in organizations
    ] or ["None are listed in registers/subservice-organizations.yml."]
    lines += ["", "## Complementary user entity controls", ""]
    controls = sorted(program.user_entity_controls.values(), key=lambda control: control.id)
    lines += [f"- {_one_line(control.id)}: {_one_line(control.description)}" for control in controls] or [
        "None are listed in registers/user-entity-controls.yml."
    ]
    return [*lines, ""]


def _scope_line(program: Program, timeframe: tuple[date, date] | date | None = None) -> str:
    # The bundle is built for a period given on its command line, and HEAD's soc2kit.yml may already
    # name the next one: the timeframe, when given, says which period the description speaks for.
    if isinstance(timeframe, tuple):
        return f"Type II, for the period {timeframe[0]} to {timeframe[1]}."
    if timeframe is not None:
        return f"Type I, as of {timeframe}."
    audit = program.config.audit
    if audit.type == "type1":
        when = f"Type I, as of {audit.as_of}." if audit.as_of else "Type I."
    else:
        when = f"Type II, for the period {audit.period.start} to {audit.period.end}." if audit.period else "Type II."
    return when


def _one_line(text: str) -> str:
    """A program value set in a heading or a sentence: literal Markdown text on one line, whatever
    the file held (a title's `*`, `<b>` or `[x](y)` shows as written)."""
    return escaping.markdown(" ".join(text.split()))
