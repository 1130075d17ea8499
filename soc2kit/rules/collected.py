"""SK421-SK427: evidence that collectors feed. A requirement that names `collector: NAME/DATASET`
must name an installed, working collector and one of its datasets; the newest counted record of it
is read back (JSON only, size-limited, nothing in it is ever run) and handed to the collector's
`check()`, whose findings become errors on the record's file naming the offending items.

`soc2kit collect` (soc2kit.collect) shares these pieces: which requirements collectors feed, what is
wrong with the collectors they name, and findings as diagnostics.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from soc2kit.collectors.base import CollectContext, Finding
from soc2kit.diagnostics import Diagnostic, diagnostic

if TYPE_CHECKING:
    from soc2kit.collectors.base import Collector
    from soc2kit.collectors.plugins import Plugins
    from soc2kit.models import Control, EvidenceRecord, EvidenceRequirement
    from soc2kit.program import Program

SNAPSHOT_MAX_BYTES = 256 * 1024 * 1024
"""The largest snapshot file `check` reads back (100,000 users make about 60 MB)."""
RECORD_COLLECTOR = "soc2kit collect"
"""A collected record's `collector` field: this, then the collector's name."""
ITEMS_SHOWN = 20


@dataclass(frozen=True)
class Fed:
    """An evidence requirement a collector feeds."""

    control: Control
    requirement: EvidenceRequirement
    index: int
    """Position in the control's `evidence` list."""
    collector: str
    dataset: str

    @property
    def frequency(self) -> str:
        return self.requirement.frequency or self.control.frequency

    @property
    def file_name(self) -> str:
        return f"{self.dataset}.json"

    def where(self, program: Program) -> tuple[str, int]:
        """The control file and the line of the requirement's `collector`."""
        doc = program.source("control", self.control.id)
        return doc.path, doc.line_of("evidence", self.index, "collector")


def fed_requirements(program: Program, controls: Iterable[str] | None = None) -> list[Fed]:
    """Every requirement naming a collector, of `controls` (default: every control), in control order."""
    chosen = sorted(program.controls) if controls is None else list(controls)
    found = []
    for control_id in chosen:
        control = program.controls[control_id]
        for index, requirement in enumerate(control.evidence):
            if requirement.collector:
                name, _, dataset = requirement.collector.partition("/")
                found.append(Fed(control, requirement, index, name, dataset))
    return found


def naming_problems(program: Program, fed: Iterable[Fed], plugins: Plugins) -> tuple[list[Diagnostic], list[Fed]]:
    """SK422/SK423/SK426 for requirements naming a collector or dataset that cannot be used; the usable rest."""
    found: list[Diagnostic] = []
    usable: list[Fed] = []
    for item in fed:
        path, line = item.where(program)
        label = f"control {item.control.id} requirement '{item.requirement.id}'"
        if item.collector in plugins.broken:
            found.append(
                diagnostic(
                    "SK426",
                    path,
                    line,
                    f"{label} names collector '{item.collector}', which cannot be used: {plugins.broken[item.collector]}",
                )
            )
        elif item.collector not in plugins.found:
            installed = ", ".join(plugins.names()) or "none"
            found.append(
                diagnostic(
                    "SK422",
                    path,
                    line,
                    f"{label} names collector '{item.collector}', which is not installed (installed: {installed})",
                )
            )
        elif item.dataset not in plugins.found[item.collector].datasets:
            known = ", ".join(sorted(plugins.found[item.collector].datasets)) or "none"
            found.append(
                diagnostic(
                    "SK423",
                    path,
                    line,
                    f"{label} names dataset '{item.dataset}' of collector '{item.collector}', which has none of "
                    f"that name (it has: {known})",
                )
            )
        else:
            usable.append(item)
    return found, usable


def checked(collector: Collector, item: Fed, data: Any, context: CollectContext, path: str) -> list[Diagnostic]:
    """The collector's findings in `data` as SK421 errors on `path`; SK425 when its check fails."""
    found: list[Diagnostic] = []
    failure = ""
    try:
        for finding in collector.check(item.dataset, data, context):
            if not isinstance(finding, Finding):
                failure = f"it yielded {type(finding).__name__}, not a Finding"
                break
            found.append(diagnostic("SK421", path, 1, _message(item, finding)))
    except (Exception, SystemExit) as exc:  # a plugin's bug is a finding naming it, never a traceback or an exit
        failure = _error(exc)
    if failure:
        message = (
            f"control {item.control.id} requirement '{item.requirement.id}': the check of collector "
            f"'{item.collector}' failed on dataset '{item.dataset}': {shown(failure)}"
        )
        return [diagnostic("SK425", path, 1, message)]
    return found


def check(program: Program) -> Iterator[Diagnostic]:
    if not program.controls:
        return
    fed = fed_requirements(program)
    if not fed:
        return  # no plugin is loaded for a program that names none
    from soc2kit.collectors.plugins import load_collectors
    from soc2kit.evidence.verify import evidence_flaws

    plugins = load_collectors({item.collector for item in fed})
    found, usable = naming_problems(program, fed, plugins)
    yield from found
    if not usable:
        return
    flaws = {rid for rid, reasons in evidence_flaws(program, None).items() if any(r.disqualifies for r in reasons)}
    context = CollectContext(environ={}, today=program.today)  # checks read recorded data: no credentials
    for item in usable:
        record = newest_counted(program, item, flaws)
        if record is None:
            continue  # no evidence yet: the readiness rules say so
        entry = next((f for f in record.files if f.path == item.file_name), None)
        if entry is None:
            continue  # the newest record was added by hand, not collected: nothing of the collector's to check
        folder = program.source("evidence", record.id).path.rpartition("/")[0]
        path = f"{folder}/{entry.path}" if folder else entry.path
        data, problem = read_snapshot(program, path)
        if problem:
            yield diagnostic(
                "SK424",
                path,
                1,
                f"control {item.control.id} requirement '{item.requirement.id}': the collected snapshot {problem}, "
                f"so the checks of collector '{item.collector}' cannot run",
            )
            continue
        yield from checked(plugins.found[item.collector], item, data, context, path)


def newest_counted(program: Program, item: Fed, flaws: set[str]) -> EvidenceRecord | None:
    records = [
        r
        for r in program.evidence_of(item.control)
        if r.requirement == item.requirement.id
        and r.purpose == "operating"
        and r.id not in flaws
        and r.collected <= program.today
    ]
    from soc2kit.evidence.keep import record_age

    return max(records, key=record_age, default=None)


def read_snapshot(program: Program, path: str) -> tuple[Any, str]:
    """The JSON in a collected file of the program, or why it cannot be read."""
    import os

    from soc2kit.repo_paths import within

    full = os.path.join(program.root, path)
    real = os.path.realpath(full)
    if not within(real, os.path.realpath(program.root)):
        return None, "lies outside the program folder"
    try:
        size = os.path.getsize(real)
        if size > SNAPSHOT_MAX_BYTES:
            return None, f"is {size} bytes, more than the {SNAPSHOT_MAX_BYTES} bytes soc2kit reads back"
        with open(real, "rb") as handle:
            raw = handle.read(SNAPSHOT_MAX_BYTES + 1)
    except OSError as exc:
        return None, f"cannot be read ({exc.strerror or exc})"
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant), ""
    except UnicodeDecodeError:
        return None, "is not UTF-8 text"
    except (ValueError, RecursionError) as exc:
        return None, f"is not JSON ({shown(str(exc))[:200]})"


def shown(text: str) -> str:
    """Text from a system or a plugin as one printable line."""
    return "".join(c if c.isprintable() else "\ufffd" for c in " ".join(str(text).split()))


def _message(item: Fed, finding: Finding) -> str:
    items = [shown(i) for i in finding.items]
    listed = ", ".join(items[:ITEMS_SHOWN]) + (f" and {len(items) - ITEMS_SHOWN} more" if len(items) > ITEMS_SHOWN else "")
    count = f"{len(items)} item{'' if len(items) == 1 else 's'}"
    return (
        f"control {item.control.id} requirement '{item.requirement.id}' ({item.collector}/{item.dataset}): "
        f"{shown(finding.message)} [{shown(finding.check)}]" + (f"; {count}: {listed}" if items else "")
    )


def _error(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")
