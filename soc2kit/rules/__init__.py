"""Checks over a loaded Program, one module per family; each yields Diagnostics.

The rule table itself is `soc2kit.rules.registry` (data only, imported by the diagnostics); the
families are imported when rules run, so importing the registry never pulls in the checks."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from soc2kit.diagnostics import Diagnostic
    from soc2kit.program import Program


def run_rules(program: Program) -> Iterator[Diagnostic]:
    from soc2kit.rules import adoption, coverage, evidence, line_endings, policies, readiness, references

    # The content family (SK012-SK014) runs per document while reading; see soc2kit.reading.
    for family in (references, coverage, policies, adoption, evidence, line_endings, readiness):
        yield from family.check(program)
