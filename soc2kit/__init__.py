"""soc2kit: SOC 2 policies, controls and evidence as code, kept in Git.

Public API, grouped by purpose (imported lazily, so the CLI starts fast):

Loading
    load_program(root)      read and check a program folder; returns a Program
    Program                 the cross-linked program: config, catalog, policies, controls, evidence
Findings
    Diagnostic              one finding: rule code, severity, path, line, message, hint
    Severity                error | warning | info
    RULES                   every rule by code
Models
    ProgramConfig, Policy, Control, EvidenceRequirement, EvidenceRecord, Criterion, Catalog
Errors
    Soc2kitError, ConfigError, UsageError
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "load_program": "soc2kit.program",
    "Program": "soc2kit.program",
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
    "Catalog",
    "ConfigError",
    "Control",
    "Criterion",
    "Diagnostic",
    "EvidenceRecord",
    "EvidenceRequirement",
    "Policy",
    "Program",
    "ProgramConfig",
    "Severity",
    "Soc2kitError",
    "UsageError",
    "__version__",
    "load_program",
]

if TYPE_CHECKING:
    from soc2kit.diagnostics import Diagnostic
    from soc2kit.errors import ConfigError, Soc2kitError, UsageError
    from soc2kit.models import Catalog, Control, Criterion, EvidenceRecord, EvidenceRequirement, Policy, ProgramConfig
    from soc2kit.program import Program, load_program
    from soc2kit.rules.registry import RULES, Severity


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'soc2kit' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value
    return value
