"""SK012, SK013: the body sections a control or policy must have."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic

if TYPE_CHECKING:
    from soc2kit.program import Program

CONTROL_SECTIONS = ("Description", "Test procedure")
POLICY_SECTIONS = ("Purpose", "Scope", "Roles and responsibilities", "Policy statements", "Exceptions", "Enforcement", "Review")


def check(program: Program) -> Iterator[Diagnostic]:
    for control in program.controls.values():
        doc = program.source("control", control.id)
        sections = doc.sections()
        for title in CONTROL_SECTIONS:
            section = sections.get(title.lower())
            if section is None:
                yield diagnostic("SK012", doc.path, doc.body_line, f"control {control.id} has no '## {title}' section")
            elif not section.text:
                yield diagnostic("SK012", doc.path, section.line, f"control {control.id}: section '{title}' is empty")
    for policy in program.policies.values():
        doc = program.source("policy", policy.id)
        sections = doc.sections()
        missing = [title for title in POLICY_SECTIONS if title.lower() not in sections]
        if missing:
            yield diagnostic("SK013", doc.path, doc.body_line, f"policy {policy.id} lacks section(s): {', '.join(missing)}")
