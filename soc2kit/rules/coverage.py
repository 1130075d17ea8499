"""SK201-SK205: every in-scope criterion has a control (the CI gate), exclusions are explained."""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.layout import CONFIG_FILE
from soc2kit.readiness import controls_in_scope

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    if program.config_ok:
        yield from _uncovered(program)
        yield from _exclusions(program)
    assessed = controls_in_scope(program)
    for control in program.controls.values():
        doc = program.source("control", control.id)
        if not control.policies:
            yield diagnostic("SK204", doc.path, doc.line_of("id"), f"control {control.id} implements no policy")
        criteria = program.criteria_of(control)
        if criteria and control.id not in assessed:
            yield diagnostic(
                "SK205",
                doc.path,
                doc.line_of("criteria"),
                f"control {control.id} maps only to criteria out of scope or excluded ({', '.join(c.id for c in criteria)})",
            )


def _uncovered(program: Program) -> Iterator[Diagnostic]:
    config_doc = program.documents[CONFIG_FILE]
    categories = program.config.scope.categories
    claimed_by_invalid = _claims_of_invalid_controls(program)
    for criterion in program.criteria_in_scope():
        if program.controls_by_criterion.get(criterion.id):
            continue
        invalid = claimed_by_invalid.get(criterion.id)
        hint = (
            f"{', '.join(invalid)} would cover it but failed validation: fix the findings there"
            if invalid
            else f"map a control to {criterion.id}, or add it to scope.exclusions with a reason"
        )
        index = categories.index(criterion.category) if criterion.category in categories else None
        line = config_doc.line_of("scope", "categories", index) if index is not None else config_doc.line_of("scope")
        yield diagnostic(
            "SK201",
            CONFIG_FILE,
            line,
            f"criterion {criterion.id} ({criterion.title}) is in scope ({criterion.category}) but no control maps to it",
            hint,
        )


def _claims_of_invalid_controls(program: Program) -> dict[str, list[str]]:
    """Criterion -> IDs of controls that name it but failed validation (from their raw front-matter)."""
    claims: dict[str, list[str]] = {}
    for doc in program.documents.values():
        if doc.kind != "control" or doc.entity_id is None or ("control", doc.entity_id) not in program.invalid_ids:
            continue
        criteria = doc.data.get("criteria") if doc.data is not None else None
        for criterion_id in criteria if isinstance(criteria, list) else []:
            claims.setdefault(str(criterion_id), []).append(doc.entity_id)
    return claims


def _exclusions(program: Program) -> Iterator[Diagnostic]:
    config_doc = program.documents[CONFIG_FILE]
    ids = [c.id for c in program.catalog.criteria]
    for index, exclusion in enumerate(program.config.scope.exclusions):
        if program.catalog.criterion(exclusion.criterion) is None:
            close = difflib.get_close_matches(exclusion.criterion.upper(), ids, n=1, cutoff=0.6)
            yield diagnostic(
                "SK203",
                CONFIG_FILE,
                config_doc.line_of("scope", "exclusions", index, "criterion"),
                f"exclusion names '{exclusion.criterion}', which is not in the catalog",
                f"did you mean '{close[0]}'?" if close else "",
            )
        if not exclusion.reason.strip():
            yield diagnostic(
                "SK202",
                CONFIG_FILE,
                config_doc.line_of("scope", "exclusions", index),
                f"exclusion of {exclusion.criterion} gives no reason",
            )
