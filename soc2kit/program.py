"""Load a program folder once into one cross-linked `Program`; every output reads it.

Flow: files -> documents (front-matter with key lines) -> models -> Program (indexes both ways:
criterion <-> controls <-> policies <-> evidence) -> rules -> diagnostics.
"""

from __future__ import annotations

import gc
import os
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from soc2kit.cache import Cache
from soc2kit.catalog import load_catalog
from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.documents import MAX_DOCUMENT_BYTES, Document, decode, parse_text
from soc2kit.errors import ConfigError
from soc2kit.layout import CONFIG_FILE, program_documents
from soc2kit.models import (
    Audit,
    Catalog,
    Control,
    Criterion,
    EvidenceRecord,
    Policy,
    ProgramConfig,
    SystemInfo,
)
from soc2kit.reading import Source, read_sources
from soc2kit.regular_files import NotARegularFileError, read_regular
from soc2kit.rules.registry import Severity, apply_severities, find_rule
from soc2kit.validation import validate


@dataclass
class Program:
    """Everything in a program folder, validated and cross-linked. Build it with `load_program`."""

    root: Path
    config: ProgramConfig
    catalog: Catalog
    policies: dict[str, Policy] = field(default_factory=dict)
    controls: dict[str, Control] = field(default_factory=dict)
    evidence: dict[str, EvidenceRecord] = field(default_factory=dict)
    documents: dict[str, Document] = field(default_factory=dict)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    config_ok: bool = True
    today: date = field(default_factory=date.today)
    """Today in the audit's time zone (`audit.timezone`), unless `load_program(today=...)` fixed it."""
    controls_by_criterion: dict[str, list[Control]] = field(default_factory=dict)
    controls_by_policy: dict[str, list[Control]] = field(default_factory=dict)
    evidence_by_control: dict[str, list[EvidenceRecord]] = field(default_factory=dict)
    invalid_ids: set[tuple[str, str]] = field(default_factory=set)
    """(kind, id) of documents that were read but failed validation: references to them are not reported again."""
    assessments: dict[Any, Any] = field(default_factory=dict, repr=False)
    """Readiness per view, kept by `soc2kit.readiness.assess` so `check`, `status` and the portal assess once;
    and the evidence file flaws (`soc2kit.evidence.file_flaws`), so evidence files are hashed once."""
    _sources: dict[tuple[str, str], Document] = field(default_factory=dict, repr=False)
    _cache: Cache = field(default_factory=Cache.disabled, repr=False)

    # -- scope -----------------------------------------------------------------
    @property
    def exclusions(self) -> dict[str, str]:
        """Excluded criterion ID -> reason, as written in `soc2kit.yml`."""
        return {e.criterion: e.reason for e in self.config.scope.exclusions}

    def in_scope(self, criterion: Criterion) -> bool:
        """In one of the categories in scope (exclusions are reported separately)."""
        return criterion.category in self.config.scope.categories

    def criteria_in_scope(self) -> list[Criterion]:
        """Criteria of the categories in scope, less the excluded ones, in catalog order."""
        excluded = self.exclusions
        return [c for c in self.catalog.criteria if self.in_scope(c) and c.id not in excluded]

    # -- cross-links -------------------------------------------------------------
    def source(self, kind: str, entity_id: str) -> Document:
        """The document a policy, control or evidence record was read from."""
        return self._sources[(kind, entity_id)]

    def criteria_of(self, control: Control) -> list[Criterion]:
        return [c for c in (self.catalog.criterion(cid) for cid in control.criteria) if c is not None]

    def policies_of(self, control: Control) -> list[Policy]:
        return [self.policies[pid] for pid in control.policies if pid in self.policies]

    def controls_of(self, policy_or_criterion: Policy | Criterion) -> list[Control]:
        index = self.controls_by_policy if isinstance(policy_or_criterion, Policy) else self.controls_by_criterion
        return index.get(policy_or_criterion.id, [])

    def evidence_of(self, control: Control) -> list[EvidenceRecord]:
        return self.evidence_by_control.get(control.id, [])

    def evidence_sha256(self, path: str) -> str:
        """sha256 of a repository file, cached while its size, times, inode and device are unchanged."""
        return self._cache.file_sha256(self.root, path)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def load_program(root: str | os.PathLike[str] = ".", *, today: date | None = None, use_cache: bool = True) -> Program:
    """Read every program file under `root`, cross-link it and run every rule.

    Never raises for bad content: problems are `program.diagnostics`. A broken `soc2kit.yml` sets
    `program.config_ok` to False (the CLI exits 2) and the rest is still checked against a
    security-only scope. Raises `ConfigError` only when `root` is not a folder.
    """
    with _without_cycle_collection():
        return _load_program(root, today, use_cache=use_cache)


@contextmanager
def _without_cycle_collection() -> Iterator[None]:
    """Loading creates millions of long-lived objects and no garbage cycles; the cycle collector's
    repeated passes over them took 7 of 16 seconds of a cached check of 100,000 documents."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _load_program(root: str | os.PathLike[str], today: date | None, *, use_cache: bool) -> Program:
    base = Path(root)
    if not base.is_dir():
        raise ConfigError("is not a folder" if base.exists() else "does not exist", path=base)
    base = base.resolve()
    cache = Cache.open(base) if use_cache else Cache.disabled()
    config_doc, config = _load_config(base)
    program = Program(
        root=base, config=config or _FALLBACK_CONFIG, catalog=_FALLBACK_CATALOG, config_ok=config is not None, _cache=cache
    )
    program.today = today or datetime.now(ZoneInfo(program.config.audit.timezone)).date()
    try:
        program.catalog = load_catalog(program.config.catalog)
    except ConfigError as exc:
        program.config_ok = False
        config_doc.diagnostics.append(diagnostic("SK020", CONFIG_FILE, config_doc.line_of("catalog"), exc.message))
        program.catalog = load_catalog()
    program.documents[CONFIG_FILE] = config_doc

    sources = list(_discover(base))
    for doc, model in read_sources(base, sources, cache):
        program.documents[doc.path] = doc
        if model is not None:
            _register(program, doc, model)
        elif doc.entity_id is not None:
            program.invalid_ids.add((doc.kind, doc.entity_id))
    live = {source.path for source in sources}
    cache.prune(live)
    _index(program)

    from soc2kit.rules import run_rules  # the rules read the Program; import late to keep the graph one-way

    found = [d for doc in program.documents.values() for d in doc.diagnostics]
    found.extend(run_rules(program))
    program.diagnostics = _apply_severities(found, program)
    cache.save()
    return program


def load_config(root: str | os.PathLike[str]) -> ProgramConfig:
    """`soc2kit.yml` alone, for commands that need the audit's time zone or the rule settings but
    not the program; the security-only fallback when it is missing or invalid (`check` says why)."""
    return _load_config(Path(root))[1] or _FALLBACK_CONFIG


def _load_config(root: Path) -> tuple[Document, ProgramConfig | None]:
    doc = Document(path=CONFIG_FILE, kind="config")
    path = root / CONFIG_FILE
    if not path.exists():
        doc.diagnostics.append(diagnostic("SK020", CONFIG_FILE, 1, f"no {CONFIG_FILE} in {root}"))
        return doc, None
    try:
        raw = read_regular(path, limit=MAX_DOCUMENT_BYTES)
    except NotARegularFileError as exc:
        doc.diagnostics.append(diagnostic("SK020", CONFIG_FILE, 1, f"is not a regular file ({exc.strerror})"))
        return doc, None
    except OSError as exc:
        doc.diagnostics.append(diagnostic("SK020", CONFIG_FILE, 1, f"cannot be read: {exc.strerror or exc}"))
        return doc, None
    text = decode(raw, CONFIG_FILE, doc.diagnostics)
    if text is not None:
        parse_text(doc, text, markdown=False)
    config = validate(doc, ProgramConfig)
    if config is None and not any(d.code == "SK020" for d in doc.diagnostics):
        doc.diagnostics.append(
            diagnostic("SK020", CONFIG_FILE, 1, "is not a valid program config, so the scope is unknown; see the findings above")
        )
    return doc, config if isinstance(config, ProgramConfig) else None


_FALLBACK_CONFIG = ProgramConfig(
    organization="(unknown)", system=SystemInfo(name="(unknown)"), audit=Audit(type="type1", as_of=date(2000, 1, 1))
)
_FALLBACK_CATALOG = Catalog(id="none", name="none", version="0", categories=[], series=[], criteria=[])


def _discover(root: Path) -> Iterator[Source]:
    """Every program document under `root`, in sorted order."""
    for relpath, folder in program_documents(root):
        yield Source(relpath, folder.kind, folder.markdown)


def _register(program: Program, doc: Document, model: Any) -> None:
    tables: dict[str, dict[str, Any]] = {"policy": program.policies, "control": program.controls, "evidence": program.evidence}
    table = tables[doc.kind]
    # A duplicate keeps the first one read; rule SK101 reports the second.
    if model.id not in table:
        table[model.id] = model
        program._sources[(doc.kind, model.id)] = doc


def _index(program: Program) -> None:
    by_criterion: dict[str, list[Control]] = defaultdict(list)
    by_policy: dict[str, list[Control]] = defaultdict(list)
    for control in program.controls.values():
        for criterion_id in dict.fromkeys(control.criteria):
            by_criterion[criterion_id].append(control)
        for policy_id in dict.fromkeys(control.policies):
            by_policy[policy_id].append(control)
    by_control: dict[str, list[EvidenceRecord]] = defaultdict(list)
    for record in program.evidence.values():
        by_control[record.control].append(record)
    for records in by_control.values():
        records.sort(key=lambda r: (r.collected, r.id))
    program.controls_by_criterion = dict(by_criterion)
    program.controls_by_policy = dict(by_policy)
    program.evidence_by_control = dict(by_control)


def _apply_severities(found: list[Diagnostic], program: Program) -> list[Diagnostic]:
    for key in program.config.rules:
        if find_rule(key) is None:
            line = program.documents[CONFIG_FILE].line_of("rules", key)
            found.append(diagnostic("SK021", CONFIG_FILE, line, f"no rule is called '{key}'"))
    return apply_severities(found, program.config.rules)
