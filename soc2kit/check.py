"""The check step: every rule over a read `Program`, then the severities `soc2kit.yml` sets."""

from __future__ import annotations

from soc2kit.diagnostics import Diagnostic, apply_severities
from soc2kit.program import Program, reading_findings
from soc2kit.reading import DocumentCheck, keep_found_limits
from soc2kit.rules import run_rules
from soc2kit.rules.content import check_document

DOCUMENT_CHECK: DocumentCheck = check_document
"""The rules that look at one document alone (SK012-SK014). Handed to `read_program`, they run while
each file is parsed and are cached with it; otherwise `check_program` runs them."""


def check_program(program: Program) -> list[Diagnostic]:
    """Run every rule over `program`; set `program.diagnostics` to every finding, reading's and the
    rules', with the severities `soc2kit.yml` sets, sorted; and return them. Checking again gives
    the same findings."""
    for doc, model in program._unchecked:
        program._document_findings.extend(DOCUMENT_CHECK(doc, model))
    program._unchecked.clear()
    found = reading_findings(program)
    found.extend(program._document_findings)
    found.extend(run_rules(program))
    program.diagnostics = apply_severities(found, program.config.rules)
    keep_found_limits(program._cache, program.documents.values())
    program._cache.save()  # the evidence rule hashed the evidence files through it
    return program.diagnostics
