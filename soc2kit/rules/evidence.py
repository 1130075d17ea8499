"""SK401-SK404, SK409: evidence files exist, match their recorded sha256 and stay inside the
repository, and every record lists at least one; while the audit runs, every control in scope has a
record that counts (SK403).

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
    if program.config_ok and view_of(program).ended:
        return  # SK501 names each window a control without evidence missed; SK403 would repeat it
    for control_id in controls_in_scope(program):
        records = program.evidence_by_control.get(control_id, [])
        if any(record.id not in flaws for record in records):
            continue
        doc = program.source("control", control_id)
        if records:
            message = (
                f"control {control_id} has no evidence record that counts yet: "
                f"{', '.join(r.id for r in records)} {'fails' if len(records) == 1 else 'fail'} verification"
            )
        else:
            message = f"control {control_id} has no evidence record yet"
        yield diagnostic("SK403", doc.path, doc.line_of("evidence"), message)
