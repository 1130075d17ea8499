"""The rule families, one module per family; each checks a read Program and yields Diagnostics.

The rule table (codes, names, severities) is `soc2kit.registry`; the check step that runs these is
`soc2kit.check`."""

from __future__ import annotations

from collections.abc import Iterator

from soc2kit.diagnostics import Diagnostic
from soc2kit.program import Program
from soc2kit.rules import (
    adoption,
    collected,
    config,
    coverage,
    evidence,
    line_endings,
    policies,
    readiness,
    references,
    registers,
    statements,
    system,
)


def run_rules(program: Program) -> Iterator[Diagnostic]:
    """Every family that looks at the whole program. The content family (SK012-SK014) looks at one
    document at a time, so it runs as each document is read (see `soc2kit.check.DOCUMENT_CHECK`)."""
    for family in (
        config,
        references,
        coverage,
        policies,
        statements,
        adoption,
        evidence,
        line_endings,
        readiness,
        system,
        registers,
        collected,
    ):
        yield from family.check(program)
