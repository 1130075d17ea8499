"""soc2kit: SOC 2 policies, controls and evidence as code, kept in Git.

The public API is exactly the names below (`soc2kit.__all__`), imported lazily so the CLI starts fast.
They are stable: within a major version they keep their names, their parameters (new ones come
with defaults, keyword-only) and their documented return types; everything an exported function
returns or documents raising is exported here too, so an integrator never imports a submodule.
Submodules are internal and may move between releases.

Exception types are API: catch `Soc2kitError` (every error soc2kit raises on purpose) or one of its
subclasses, and read its `path` and `line`. Messages are not API: their wording may change in any
release, so match on the type, never on the text. Findings are values (`Diagnostic`), not exceptions;
their rule codes (SK001...) are stable, their messages are not.

Loading
    find_program_root(start=None, *, explicit)  the program folder: `start` as given, or found upwards as the CLI does
    load_program(root, *, check=True)  read a program folder and check it; returns a Program
    read_program(root)      read a program folder without running the rules (findings: reading's own)
    check_program(program)  run every rule over a read Program; returns (and sets) all its diagnostics
    Program                 the cross-linked program: config, catalog, policies, controls, evidence
    load_program_at(root, rev) -> ProgramAt  the program as it stood at a commit, tag or date (from Git objects)
Readiness
    view_of(program, as_of=, period=) -> View  Type I as of a date, or Type II over a period
    assess(program, view=None) -> Readiness  per control, criterion, series and category; gaps; the score
Git history
    load_history(root) -> History  every program file's revisions, from one `git log` pass
    export_trail(...) -> TrailMeta, check_changes(root) -> ChangesReport, diff_revisions(root, base, head) -> ProgramDiff
Evidence
    add_evidence(root, AddRequest) -> AddResult, verify_evidence(program, history=None), file_sha256(path)
Findings
    Diagnostic              one finding: rule code, severity, path, line, message, hint
    Severity                error | warning | info
    RULES                   every rule by code
Models
    ProgramConfig, Policy, Control, EvidenceRequirement, EvidenceRecord, Criterion, Catalog
Errors
    Soc2kitError            the base: `.path`, `.line`, `.message`
    ConfigError             soc2kit.yml is missing, unreadable or invalid
    ProgramNotFoundError    a ConfigError: no soc2kit.yml found
    UsageError              arguments that cannot work (a bad date, a path outside the repository, no Git)
    NotARegularFileError    an OSError: a path to hash is a folder, device, pipe or socket
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "find_program_root": "soc2kit.layout",
    "ProgramNotFoundError": "soc2kit.layout",
    "load_program": "soc2kit.loader",
    "read_program": "soc2kit.program",
    "check_program": "soc2kit.check",
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
    "Severity": "soc2kit.registry",
    "RULES": "soc2kit.registry",
    "ProgramConfig": "soc2kit.models",
    "Policy": "soc2kit.models",
    "Control": "soc2kit.models",
    "EvidenceRequirement": "soc2kit.models",
    "EvidenceRecord": "soc2kit.models",
    "Criterion": "soc2kit.models",
    "Catalog": "soc2kit.models",
    "Soc2kitError": "soc2kit.errors",
    "NotARegularFileError": "soc2kit.regular_files",
    "ProgramAt": "soc2kit.revision",
    "View": "soc2kit.readiness",
    "TrailMeta": "soc2kit.trail",
    "ChangesReport": "soc2kit.changes",
    "ProgramDiff": "soc2kit.diff",
    "AddResult": "soc2kit.evidence",
    "ConfigError": "soc2kit.errors",
    "UsageError": "soc2kit.errors",
}

__all__ = [
    "RULES",
    "AddRequest",
    "AddResult",
    "Catalog",
    "ChangesReport",
    "ConfigError",
    "Control",
    "Criterion",
    "Diagnostic",
    "EvidenceRecord",
    "EvidenceRequirement",
    "History",
    "NotARegularFileError",
    "Policy",
    "Program",
    "ProgramAt",
    "ProgramConfig",
    "ProgramDiff",
    "ProgramNotFoundError",
    "Readiness",
    "Severity",
    "Soc2kitError",
    "TrailMeta",
    "UsageError",
    "View",
    "__version__",
    "add_evidence",
    "assess",
    "check_changes",
    "check_program",
    "diff_revisions",
    "export_trail",
    "file_sha256",
    "find_program_root",
    "load_history",
    "load_program",
    "load_program_at",
    "read_program",
    "verify_evidence",
    "view_of",
]

if TYPE_CHECKING:
    from soc2kit.changes import ChangesReport, check_changes
    from soc2kit.check import check_program
    from soc2kit.diagnostics import Diagnostic
    from soc2kit.diff import ProgramDiff, diff_revisions
    from soc2kit.digests import file_sha256
    from soc2kit.errors import ConfigError, Soc2kitError, UsageError
    from soc2kit.evidence import AddRequest, AddResult, add_evidence, verify_evidence
    from soc2kit.history import History, load_history
    from soc2kit.layout import ProgramNotFoundError, find_program_root
    from soc2kit.loader import load_program
    from soc2kit.models import Catalog, Control, Criterion, EvidenceRecord, EvidenceRequirement, Policy, ProgramConfig
    from soc2kit.program import Program, read_program
    from soc2kit.readiness import Readiness, View, assess, view_of
    from soc2kit.registry import RULES, Severity
    from soc2kit.regular_files import NotARegularFileError
    from soc2kit.revision import ProgramAt, load_program_at
    from soc2kit.trail import TrailMeta, export_trail


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'soc2kit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
