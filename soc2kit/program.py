"""Read a program folder once into one cross-linked `Program`; every output reads it.

Flow: files -> documents (front-matter with key lines) -> models -> Program (indexes both ways:
criterion <-> controls <-> policies <-> evidence). Reading checks nothing: the rules run in
`soc2kit.check.check_program`, and `soc2kit.loader.load_program` does both.
"""

from __future__ import annotations

import difflib
import os
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Generic, TypeVar
from zoneinfo import ZoneInfo

from soc2kit.cache import Cache
from soc2kit.catalog import load_catalog
from soc2kit.cycle_collection import cycle_collection_paused
from soc2kit.diagnostics import Diagnostic, apply_severities, diagnostic
from soc2kit.documents import MAX_DOCUMENT_BYTES, Document, decode, parse_text
from soc2kit.errors import ConfigError, UsageError
from soc2kit.layout import CONFIG_FILE, program_documents
from soc2kit.models import (
    Audit,
    Catalog,
    ComplementaryControl,
    Control,
    Criterion,
    Deviation,
    DeviationRegister,
    EvidenceRecord,
    Policy,
    ProgramConfig,
    SubserviceOrganization,
    SubserviceRegister,
    SystemInfo,
    SystemPart,
    UserEntityControlRegister,
)
from soc2kit.reading import DocumentCheck, Source, read_sources
from soc2kit.registry import Severity, find_rule
from soc2kit.regular_files import NotARegularFileError, read_regular
from soc2kit.validation import validate

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class MemoKey(Generic[_T]):
    """Names one result derived from a program; its type parameter is the type of that result."""

    name: str


class Memo:
    """Results derived from a read program (readiness per view, evidence file flaws), each computed
    once by the module that owns its key, so `check`, `status` and the portal share them."""

    __slots__ = ("_values",)

    def __init__(self) -> None:
        self._values: dict[MemoKey[Any], Any] = {}

    def get(self, key: MemoKey[_T]) -> _T | None:
        value: _T | None = self._values.get(key)
        return value

    def setdefault(self, key: MemoKey[_T], default: _T) -> _T:
        value: _T = self._values.setdefault(key, default)
        return value

    def put(self, key: MemoKey[_T], value: _T) -> _T:
        self._values[key] = value
        return value


@dataclass
class Program:
    """Everything in a program folder, validated and cross-linked. Build it with `read_program`
    (`diagnostics` are then reading's findings) or `load_program` (every finding)."""

    root: Path
    config: ProgramConfig
    catalog: Catalog
    policies: dict[str, Policy] = field(default_factory=dict)
    controls: dict[str, Control] = field(default_factory=dict)
    evidence: dict[str, EvidenceRecord] = field(default_factory=dict)
    system_parts: dict[str, SystemPart] = field(default_factory=dict)
    """The system description's parts by part name (`source("system-part", name)` is the document)."""
    subservice_organizations: dict[str, SubserviceOrganization] = field(default_factory=dict)
    """registers/subservice-organizations.yml by organization id (a duplicate keeps the first)."""
    user_entity_controls: dict[str, ComplementaryControl] = field(default_factory=dict)
    """registers/user-entity-controls.yml: the complementary user entity controls (CUECs) by id."""
    deviations: dict[str, Deviation] = field(default_factory=dict)
    """registers/deviations.yml: the deviations log by deviation id."""
    registers: dict[str, tuple[Document, Any]] = field(default_factory=dict)
    """Each register read and valid, by document kind: its document and its whole model, entries in
    file order (duplicates too), for the rules that point at an entry's line."""
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
    memo: Memo = field(default_factory=Memo, repr=False)
    """Results derived from this program once and shared by every output (see `Memo`)."""
    _sources: dict[tuple[str, str], Document] = field(default_factory=dict, repr=False)
    _cache: Cache = field(default_factory=Cache.disabled, repr=False)
    _document_findings: list[Diagnostic] = field(default_factory=list, repr=False)
    """What the per-document checks found, when they ran while reading (see `soc2kit.reading`)."""
    _unchecked: list[tuple[Document, Any]] = field(default_factory=list, repr=False)
    """Valid documents read without the per-document checks, with their models, for the check step."""

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

    # -- registers ---------------------------------------------------------------
    def deviations_of(self, control_id: str) -> list[Deviation]:
        """The deviations logged against a control, approved or not, in the log's order."""
        return [d for d in self.deviations.values() if d.control == control_id]

    def csocs_of(self, criterion_id: str) -> list[tuple[SubserviceOrganization, ComplementaryControl]]:
        """The complementary subservice organization controls mapped to a criterion, with their organization."""
        organizations = self.subservice_organizations.values()
        return [(org, csoc) for org in organizations for csoc in org.csocs if criterion_id in csoc.criteria]

    def carved_out(self, criterion_id: str) -> list[SubserviceOrganization]:
        """The carve-out subservice organizations whose services bear on a criterion."""
        return [
            org for org in self.subservice_organizations.values() if org.method == "carve-out" and criterion_id in org.criteria
        ]

    def find_control(self, typed: str) -> Control:
        """The control the user typed, matched exactly or ignoring case; UsageError (with the closest
        IDs) when there is none, so every command that takes a control ID answers a typo alike."""
        control = self.controls.get(typed) or next((c for i, c in self.controls.items() if i.upper() == typed.upper()), None)
        if control is not None:
            return control
        if any(kind == "control" and i.upper() == typed.upper() for kind, i in self.invalid_ids):
            raise UsageError(f"control {typed} is invalid; fix it first (`soc2kit check` says how)")
        close = difflib.get_close_matches(typed.upper(), list(self.controls), n=3)
        if close:
            raise UsageError(f"unknown control '{typed}'; did you mean {' or '.join(close)}?")
        raise UsageError(f"unknown control '{typed}': no control '{typed}' in the program; `soc2kit check` lists its controls")

    def evidence_sha256(self, path: str) -> str:
        """sha256 of a repository file, cached while its size, times, inode and device are unchanged."""
        return self._cache.file_sha256(self.root, path)

    @property
    def errors(self) -> list[Diagnostic]:
        return [d for d in self.diagnostics if d.severity is Severity.ERROR]


def read_program(
    root: str | os.PathLike[str] = ".",
    *,
    today: date | None = None,
    use_cache: bool = True,
    jobs: int = 1,
    document_check: DocumentCheck | None = None,
) -> Program:
    """Read every program file under `root` and cross-link it, without running the rules.

    `program.diagnostics` are then the findings of reading itself (files that cannot be read or
    parsed, invalid documents, a broken `soc2kit.yml`), with the severities it sets. `jobs` > 1 lets
    a cold read of many files fork that many worker processes; `document_check` is how the check step
    has each document checked while it is read (`soc2kit.check.check_program` runs it otherwise).
    With `use_cache`, unchanged files are not parsed again; the cache lives in the user's cache
    folder, never in the program folder. Never raises for bad content; raises `ConfigError` only
    when `root` is not a folder.
    """
    with cycle_collection_paused():
        program = read_unsaved(root, today=today, use_cache=use_cache, jobs=jobs, document_check=document_check)
        program._cache.save()
        return program


def read_unsaved(
    root: str | os.PathLike[str], *, today: date | None, use_cache: bool, jobs: int, document_check: DocumentCheck | None
) -> Program:
    """`read_program` without writing the cache, for a loader that saves it once after checking."""
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
    for read in read_sources(base, sources, cache, check=document_check, jobs=jobs):
        doc, model = read.document, read.model
        program.documents[doc.path] = doc
        if model is not None:
            _register(program, doc, model)
            if read.checked is None:
                program._unchecked.append((doc, model))
        elif doc.entity_id is not None:
            program.invalid_ids.add((doc.kind, doc.entity_id))
        if read.checked:
            program._document_findings.extend(read.checked)
    live = {source.path for source in sources}
    cache.prune(live)
    _index(program)
    program.diagnostics = apply_severities(reading_findings(program), program.config.rules)
    return program


def reading_findings(program: Program) -> list[Diagnostic]:
    """What reading found: every document's findings, and `soc2kit.yml` rule settings naming no rule."""
    found = [d for doc in program.documents.values() for d in doc.diagnostics]
    for key in program.config.rules:
        if find_rule(key) is None:
            line = program.documents[CONFIG_FILE].line_of("rules", key)
            found.append(diagnostic("SK021", CONFIG_FILE, line, f"no rule is called '{key}'"))
    return found


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
    return _parse_config(doc, raw)


def config_from_bytes(raw: bytes) -> ProgramConfig:
    """`load_config` for a `soc2kit.yml` read from elsewhere (a Git blob): the fallback when invalid."""
    return _parse_config(Document(path=CONFIG_FILE, kind="config"), raw)[1] or _FALLBACK_CONFIG


def _parse_config(doc: Document, raw: bytes) -> tuple[Document, ProgramConfig | None]:
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
    if isinstance(model, SystemPart):
        # Keyed by the part it describes; a second document for one part is reported by SK703.
        if model.part not in program.system_parts:
            program.system_parts[model.part] = model
            program._sources[("system-part", model.part)] = doc
        return
    if isinstance(model, (SubserviceRegister, UserEntityControlRegister, DeviationRegister)):
        _register_entries(program, doc, model)
        return
    table = tables[doc.kind]
    # A duplicate keeps the first one read; rule SK101 reports the second.
    if model.id not in table:
        table[model.id] = model
        program._sources[(doc.kind, model.id)] = doc


def _register_entries(
    program: Program, doc: Document, model: SubserviceRegister | UserEntityControlRegister | DeviationRegister
) -> None:
    program.registers[doc.kind] = (doc, model)
    if isinstance(model, SubserviceRegister):
        _first_of_each(model.subservice_organizations, program.subservice_organizations)
    elif isinstance(model, UserEntityControlRegister):
        _first_of_each(model.user_entity_controls, program.user_entity_controls)
    else:
        _first_of_each(model.deviations, program.deviations)


def _first_of_each(entries: list[Any], table: dict[str, Any]) -> None:
    for entry in entries:
        table.setdefault(entry.id, entry)  # a duplicate keeps the first; the registers rules report the second


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
