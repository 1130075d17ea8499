"""SK401-SK404, SK409: evidence files exist, match their recorded sha256 and stay inside the
repository, and every record lists at least one; while the audit runs, every control in scope has a
record that counts (SK403), and in a Type II audit an operating one (a design record shows design only).

The file findings are `soc2kit.evidence.file_flaws`, the same ones that keep a record from counting
for readiness; computed once per program, so readiness reuses them without hashing again."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.evidence import file_flaws
from soc2kit.readiness import controls_in_scope, view_of

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    flaws = file_flaws(program)
    for found in flaws.values():
        yield from (flaw.finding for flaw in found)
    view = view_of(program) if program.config_ok else None
    if view is not None and view.ended:
        return  # SK501 names each window a control without evidence missed; SK403 would repeat it
    # A design record shows how a control is built, never that it operated: in a Type II audit it
    # is not the evidence SK403 asks for (readiness lets it satisfy no window either).
    tests_operation = view is not None and view.tests_operation
    for control_id in controls_in_scope(program):
        records = program.evidence_by_control.get(control_id, [])
        counting = [record for record in records if record.id not in flaws]
        if any(record.purpose == "operating" or not tests_operation for record in counting):
            continue
        doc = program.source("control", control_id)
        failing = [record.id for record in records if record.id in flaws]
        design = [record.id for record in counting]
        if design:
            message = (
                f"control {control_id} has no operating evidence yet: {', '.join(design)} "
                f"{'is a design record, which shows' if len(design) == 1 else 'are design records, which show'} "
                "how it is built, not that it operated over the period"
            )
            if failing:
                message += f"; {', '.join(failing)} {'fails' if len(failing) == 1 else 'fail'} verification"
        elif records:
            message = (
                f"control {control_id} has no evidence record that counts yet: "
                f"{', '.join(failing)} {'fails' if len(failing) == 1 else 'fail'} verification"
            )
        else:
            message = f"control {control_id} has no evidence record yet"
        yield diagnostic("SK403", doc.path, doc.line_of("evidence"), message)
