"""`soc2kit collect`: run the collectors the controls name and record what they fetch as evidence.

    collect(root, request) -> CollectResult     one collect() call per collector, with every dataset
                                                the chosen requirements need; one record per (control,
                                                requirement); the findings of each collector's checks
    CollectRequest, CollectResult, CollectedRecord

Each requirement naming `collector: NAME/DATASET` gets a record holding one file, `DATASET.json`
(`soc2kit.evidence.keep.json_bytes` of the snapshot's data), with the system, the exact query, the
collector's name and version and the time in `source`, written through `add_evidence` (atomic: a
record is whole or absent; a file that looks like it holds a credential is refused). When the
requirement's newest record holds the same bytes from the same query and was collected in the
frequency window of today, nothing is written: a second run against an unchanged system writes
nothing new. A collector that fails, or that cannot be used, is a finding naming the system and the
error (exit 1); the other collectors still run.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from soc2kit.collectors.base import CollectContext, Collector, CollectorError, Snapshot
from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.errors import UsageError
from soc2kit.rules.collected import RECORD_COLLECTOR, Fed, checked, fed_requirements, naming_problems, shown

if TYPE_CHECKING:
    from soc2kit.program import Program


@dataclass(frozen=True)
class CollectRequest:
    names: tuple[str, ...] = ()
    """Collectors to run; empty: every collector a chosen control names."""
    controls: tuple[str, ...] = ()
    """Controls to collect for; empty: every control."""
    period: tuple[date, date] | None = None
    """The period the records cover (`covers`); default: none, a snapshot shows the day it was taken."""
    dry_run: bool = False
    """Collect and check, but write nothing."""


@dataclass(frozen=True)
class CollectedRecord:
    control: str
    requirement: str
    collector: str
    dataset: str
    record_id: str | None
    """None in a dry run that would write a new record."""
    record_path: str | None
    written: bool
    """False when an identical record was there already (or, in a dry run, always)."""


@dataclass(frozen=True)
class CollectResult:
    records: list[CollectedRecord] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    collectors: list[str] = field(default_factory=list)
    """The collectors that were run, in the order they ran."""
    notes: list[str] = field(default_factory=list)
    """What the user should know that is not a finding."""


def collect(
    root: str | os.PathLike[str],
    request: CollectRequest,
    *,
    environ: dict[str, str] | None = None,
    today: date | None = None,
) -> CollectResult:
    """Run the collectors of `request` (see the module docstring). Raises UsageError, writing nothing,
    when the program is unusable, a control is unknown, or nothing the request names is fed by a collector."""
    from soc2kit.collectors.plugins import load_collectors
    from soc2kit.program import read_program

    program = read_program(Path(root), today=today)
    if not program.config_ok:
        raise UsageError("soc2kit.yml is not usable; `soc2kit check` says why")
    if request.period is not None and request.period[1] > program.today:
        raise UsageError(f"the period ends ({request.period[1]}) after today ({program.today}); nothing after today is collected")
    controls = [program.find_control(typed).id for typed in dict.fromkeys(request.controls)] or None
    fed = fed_requirements(program, controls)
    if request.names:
        fed = [item for item in fed if item.collector in request.names]
    plugins = load_collectors({item.collector for item in fed})
    unknown = [name for name in request.names if name not in plugins.installed]
    if unknown:
        installed = ", ".join(plugins.names()) or "none"
        raise UsageError(f"no collector named {', '.join(repr(n) for n in unknown)} is installed (installed: {installed})")
    if not fed and not request.names and not request.controls:
        # A scheduled run in a program that names no collector yet: nothing to do is not a failure.
        return CollectResult(notes=["nothing to collect: no evidence requirement names a collector (docs/collectors.md)"])
    if not fed:
        which = f"collector {', '.join(request.names)}" if request.names else "a collector"
        where = f"control {', '.join(controls)}" if controls else "any control"
        invalid = sum(1 for kind, _ in program.invalid_ids if kind == "control")
        unread = (
            f" ({invalid} control{'' if invalid == 1 else 's'} could not be read; `soc2kit check` says why)" if invalid else ""
        )
        raise UsageError(
            f"no evidence requirement of {where} names {which}{unread}; name one in a control's front-matter "
            "(`collector: NAME/DATASET` under `evidence:`, docs/collectors.md)"
        )
    result = CollectResult()
    problems, usable = naming_problems(program, fed, plugins)
    result.diagnostics.extend(problems)
    context = CollectContext(environ=dict(os.environ if environ is None else environ), today=program.today)
    session = _Session(program, context, request, result)
    by_collector: dict[str, list[Fed]] = {}
    for item in usable:
        by_collector.setdefault(item.collector, []).append(item)
    for name in sorted(by_collector):
        result.collectors.append(name)
        session.run(plugins.found[name], by_collector[name])
    return result


@dataclass(frozen=True)
class _Session:
    program: Program
    context: CollectContext
    request: CollectRequest
    result: CollectResult

    def run(self, collector: Collector, fed: list[Fed]) -> None:
        """One collect() call for every dataset `fed` needs; each snapshot recorded as it arrives, so a
        failure part way keeps the whole records already written and nothing of the rest."""
        wanted: dict[str, list[Fed]] = {}
        for item in fed:
            wanted.setdefault(item.dataset, []).append(item)
        received: set[str] = set()
        name = collector.name
        try:
            for snapshot in collector.collect(sorted(wanted), self.context):
                problem = _snapshot_problem(snapshot, wanted, received)
                if problem:
                    self.failed(fed, received, f"it returned data soc2kit cannot record: {problem}", name)
                    return
                received.add(snapshot.dataset)
                for item in wanted[snapshot.dataset]:
                    self.record(collector, item, snapshot)
        except CollectorError as exc:
            permission = f" (the credentials lack {shown(exc.permission)})" if exc.permission else ""
            self.failed(fed, received, f"{shown(exc.system)}: {shown(exc.message)}{permission}", name)
            return
        except (Exception, SystemExit) as exc:  # a plugin's bug is a finding naming it, never a traceback or an exit
            self.failed(fed, received, f"it failed with {shown(_error(exc))}", name)
            return
        for item in fed:
            if item.dataset not in received:
                path, line = item.where(self.program)
                message = (
                    f"control {item.control.id} requirement '{item.requirement.id}': collector '{name}' returned no "
                    f"snapshot of dataset '{item.dataset}'"
                )
                self.result.diagnostics.append(diagnostic("SK425", path, line, message))

    def record(self, collector: Collector, item: Fed, snapshot: Snapshot) -> None:
        from pydantic import ValidationError

        from soc2kit import periods
        from soc2kit.evidence.keep import SecretsFoundError, identical_record, json_bytes, keep_record, sha256
        from soc2kit.models import EvidenceSource

        program, request, result = self.program, self.request, self.result
        control_path, line = item.where(program)
        label = f"control {item.control.id} requirement '{item.requirement.id}'"
        try:
            data = json_bytes(snapshot.data)
            source = EvidenceSource(
                system=snapshot.system,
                query=snapshot.query,
                tool=f"{collector.name} {collector.version}",
                as_of=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        except (TypeError, ValueError, RecursionError, ValidationError) as exc:
            message = f"{label}: collector '{collector.name}' returned a snapshot of '{item.dataset}' soc2kit cannot record: "
            result.diagnostics.append(diagnostic("SK425", control_path, line, message + shown(_error(exc))[:300]))
            return
        today = program.today
        if item.frequency == periods.ON_EVENT:
            window = (date.min, today)
        else:
            whole = periods.window_of(item.frequency, today)
            window = (whole.calendar_start, whole.calendar_end)
        record_id: str | None
        if request.dry_run:
            digests = {item.file_name: sha256(data)}
            existing = identical_record(program, item.control, item.requirement.id, source, digests, newest_within=window)
            record_id = existing.id if existing is not None else None
            record_path = program.source("evidence", existing.id).path if existing is not None else None
            written = False
        else:
            try:
                kept = keep_record(
                    program,
                    item.control,
                    requirement=item.requirement.id,
                    files={item.file_name: data},
                    source=source,
                    collector=f"{RECORD_COLLECTOR} {collector.name}",
                    collected=today,
                    covers=request.period,
                    newest_within=window,
                )
            except SecretsFoundError as exc:
                result.diagnostics.append(diagnostic("SK427", control_path, line, f"{label}: {exc}"))
                return
            except UsageError as exc:
                result.diagnostics.append(diagnostic("SK425", control_path, line, f"{label}: cannot record the snapshot: {exc}"))
                return
            record_id, record_path, written = kept.record_id, kept.record_path, kept.written
        result.records.append(
            CollectedRecord(item.control.id, item.requirement.id, collector.name, item.dataset, record_id, record_path, written)
        )
        where = f"{record_path.rpartition('/')[0]}/{item.file_name}" if record_path else control_path
        result.diagnostics.extend(checked(collector, item, json_roundtrip(data), self.context, where))

    def failed(self, fed: Iterable[Fed], received: set[str], error: str, name: str) -> None:
        for item in fed:
            if item.dataset in received:
                continue
            path, line = item.where(self.program)
            message = (
                f"control {item.control.id} requirement '{item.requirement.id}': collector '{name}' could not collect "
                f"dataset '{item.dataset}': {error}"
            )
            self.result.diagnostics.append(diagnostic("SK425", path, line, message))


def _snapshot_problem(snapshot: object, wanted: dict[str, list[Fed]], received: set[str]) -> str:
    if not isinstance(snapshot, Snapshot):
        return f"collect() yielded {type(snapshot).__name__}, not a Snapshot"
    if snapshot.dataset not in wanted:
        return f"a snapshot of dataset {shown(str(snapshot.dataset))!r}, which was not asked for"
    if snapshot.dataset in received:
        return f"two snapshots of dataset {snapshot.dataset!r}"
    return ""


def json_roundtrip(data: bytes) -> Any:
    """The data as `check` will read it back from the file, so collect and check judge the same thing."""
    import json

    return json.loads(data.decode("utf-8"))


def _error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__
