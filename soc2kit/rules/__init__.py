"""Checks over a loaded Program, one module per family; each yields Diagnostics."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.rules import content, coverage, evidence, policies, references

if TYPE_CHECKING:
    from soc2kit.diagnostics import Diagnostic
    from soc2kit.program import Program

FAMILIES = (content, references, coverage, policies, evidence)


def run_rules(program: Program) -> Iterator[Diagnostic]:
    for family in FAMILIES:
        yield from family.check(program)
