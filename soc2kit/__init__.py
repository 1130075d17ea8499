"""soc2kit: SOC 2 policies, controls and evidence as code, kept in Git.

Public API, grouped by purpose (imported lazily, so the CLI starts fast):

Loading
    find_program_root(start=None, *, explicit)  the program folder: `start` as given, or found upwards as the CLI does
    load_program(root)      read and check a program folder; returns a Program
    Program                 the cross-linked program: config, catalog, policies, controls, evidence
    load_program_at(root, rev)  the program as it stood at a commit, tag or date (from Git objects)
Readiness
    assess(program, view=None)  per control, criterion, series and category; gaps; the score
    view_of(program, as_of=, period=)  Type I as of a date, or Type II over a period
Git history
    load_history(root)      every program file's revisions, from one `git log` pass
    export_trail(...), check_changes(root), diff_revisions(root, base, head)
Evidence
    add_evidence(root, request), verify_evidence(program, history=None), file_sha256(path)
Findings
    Diagnostic              one finding: rule code, severity, path, line, message, hint
    Severity                error | warning | info
    RULES                   every rule by code
Models
    ProgramConfig, Policy, Control, EvidenceRequirement, EvidenceRecord, Criterion, Catalog
Errors
    Soc2kitError, ConfigError, UsageError, ProgramNotFoundError (a ConfigError: no soc2kit.yml found)
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "find_program_root": "soc2kit.layout",
    "ProgramNotFoundError": "soc2kit.layout",
    "load_program": "soc2kit.program",
    "Program": "soc2kit.program",
    "load_program_at": "soc2kit.revision",
    "assess": "soc2kit.readiness",
    "view_of": "soc2kit.readiness",
    "Readiness": "soc2kit.readiness",
    "load_history": "soc2kit.history",
    "History": "soc2kit.history",
    "export_trail": "soc2kit.trail",
    "check_changes": "soc2kit.changes",
    "diff_revisions": "soc2kit.diff",
    "add_evidence": "soc2kit.evidence",
    "AddRequest": "soc2kit.evidence",
    "verify_evidence": "soc2kit.evidence",
    "file_sha256": "soc2kit.digests",
    "Diagnostic": "soc2kit.diagnostics",
    "Severity": "soc2kit.rules.registry",
    "RULES": "soc2kit.rules.registry",
    "ProgramConfig": "soc2kit.models",
    "Policy": "soc2kit.models",
    "Control": "soc2kit.models",
    "EvidenceRequirement": "soc2kit.models",
    "EvidenceRecord": "soc2kit.models",
    "Criterion": "soc2kit.models",
    "Catalog": "soc2kit.models",
    "Soc2kitError": "soc2kit.errors",
    "ConfigError": "soc2kit.errors",
    "UsageError": "soc2kit.errors",
}

__all__ = [
    "RULES",
    "AddRequest",
    "Catalog",
    "ConfigError",
    "Control",
    "Criterion",
    "Diagnostic",
    "EvidenceRecord",
    "EvidenceRequirement",
    "History",
    "Policy",
    "Program",
    "ProgramConfig",
    "ProgramNotFoundError",
    "Readiness",
    "Severity",
    "Soc2kitError",
    "UsageError",
    "__version__",
    "add_evidence",
    "assess",
    "check_changes",
    "diff_revisions",
    "export_trail",
    "file_sha256",
    "find_program_root",
    "load_history",
    "load_program",
    "load_program_at",
    "verify_evidence",
    "view_of",
]

if TYPE_CHECKING:
    from soc2kit.changes import check_changes
    from soc2kit.diagnostics import Diagnostic
    from soc2kit.diff import diff_revisions
    from soc2kit.digests import file_sha256
    from soc2kit.errors import ConfigError, Soc2kitError, UsageError
    from soc2kit.evidence import AddRequest, add_evidence, verify_evidence
    from soc2kit.history import History, load_history
    from soc2kit.layout import ProgramNotFoundError, find_program_root
    from soc2kit.models import Catalog, Control, Criterion, EvidenceRecord, EvidenceRequirement, Policy, ProgramConfig
    from soc2kit.program import Program, load_program
    from soc2kit.readiness import Readiness, assess, view_of
    from soc2kit.revision import load_program_at
    from soc2kit.rules.registry import RULES, Severity
    from soc2kit.trail import export_trail


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'soc2kit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
