"""SK101-SK106: identities are unique and every reference resolves."""

from __future__ import annotations

import difflib
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.documents import Document
from soc2kit.models import normalise_id

if TYPE_CHECKING:
    from soc2kit.program import Program

MAX_CRITERIA_PER_CONTROL = 4


def check(program: Program) -> Iterator[Diagnostic]:
    yield from _duplicate_ids(program)
    yield from _unknown_mentions(program)
    criteria = [c.id for c in program.catalog.criteria]
    for control in program.controls.values():
        doc = program.source("control", control.id)
        for index, criterion_id in enumerate(control.criteria):
            if program.catalog.criterion(criterion_id) is None:
                close = difflib.get_close_matches(criterion_id.upper(), criteria, n=1, cutoff=0.6)
                hint = f"did you mean '{close[0]}'?" if close else "criterion IDs look like CC6.1, A1.2, P4.3"
                yield diagnostic(
                    "SK102",
                    doc.path,
                    doc.line_of("criteria", index),
                    f"control {control.id} maps to '{criterion_id}', which is not in the {program.catalog.name} catalog",
                    hint,
                )
        for index, policy_id in enumerate(control.policies):
            if policy_id not in program.policies and ("policy", policy_id) not in program.invalid_ids:
                yield diagnostic(
                    "SK103",
                    doc.path,
                    doc.line_of("policies", index),
                    f"control {control.id} names policy '{policy_id}', which does not exist",
                    _suggest(policy_id, program.policies),
                )
        if len(set(control.criteria)) > MAX_CRITERIA_PER_CONTROL:
            yield diagnostic(
                "SK106",
                doc.path,
                doc.line_of("criteria"),
                f"control {control.id} maps to {len(set(control.criteria))} criteria (more than {MAX_CRITERIA_PER_CONTROL})",
            )
    for record in program.evidence.values():
        doc = program.source("evidence", record.id)
        owner = program.controls.get(record.control)
        if owner is None and ("control", record.control) in program.invalid_ids:
            continue
        if owner is None:
            yield diagnostic(
                "SK104",
                doc.path,
                doc.line_of("control"),
                f"evidence {record.id} is for control '{record.control}', which does not exist",
                _suggest(record.control, program.controls),
            )
        elif owner.requirement(record.requirement) is None:
            known = ", ".join(r.id for r in owner.evidence) or "none defined"
            yield diagnostic(
                "SK105",
                doc.path,
                doc.line_of("requirement"),
                f"evidence {record.id}: control {owner.id} has no requirement '{record.requirement}'",
                f"its requirements: {known}",
            )


def _unknown_mentions(program: Program) -> Iterator[Diagnostic]:
    prefixes = {cid.rsplit("-", 1)[0] for cid in program.controls}
    known = program.controls.keys() | program.policies.keys() | {entity_id for _, entity_id in program.invalid_ids}
    for doc in program.documents.values():
        # One finding per ID and line: a line naming a missing control a thousand times is one mistake.
        for mentioned, line in dict.fromkeys(doc.mentions):
            if mentioned in known or mentioned == doc.entity_id:
                continue
            is_policy = mentioned.startswith("POL-")
            if is_policy or mentioned.rsplit("-", 1)[0] in prefixes:
                what = "policy" if is_policy else "control"
                yield diagnostic("SK107", doc.path, line, f"the text names {what} {mentioned}, which does not exist")


def _duplicate_ids(program: Program) -> Iterator[Diagnostic]:
    first_seen: dict[tuple[str, str], Document] = {}
    for doc in program.documents.values():
        if doc.entity_id is None or doc.kind == "config":
            continue
        other = first_seen.setdefault((doc.kind, normalise_id(doc.entity_id)), doc)
        if other is doc:
            continue
        same = (
            "the same ID"
            if other.entity_id == doc.entity_id
            else f"the same ID up to case, spaces or look-alike characters ({other.entity_id!r})"
        )
        yield diagnostic(
            "SK101",
            doc.path,
            doc.line_of("id"),
            f"{doc.kind} ID '{doc.entity_id}' has {same} as {other.path}:{other.line_of('id')}",
        )


def _suggest(name: str, known: Mapping[str, object]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
