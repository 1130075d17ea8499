"""SK501-SK507, SK731: evidence over the audit period. Missing windows once the Type II period has ended,
stale evidence while it runs, and dates that cannot be right. A Type I tests design only, so it
demands no window and nothing goes stale there; once its as-of date has passed, each in-scope
control needs a design record on or before it (SK731).

The windows and freshness come from `soc2kit.readiness` (one model for `check` and `status`)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit import periods
from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.layout import CONFIG_FILE
from soc2kit.models import EvidenceRecord
from soc2kit.readiness import ControlStatus, RequirementStatus, View, assess, runs, view_of

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    if not program.config_ok:
        return  # the audit dates are unknown
    view = view_of(program)
    yield from _dates(program, view)
    if not program.controls:
        return
    readiness = assess(program, view)
    yield from _period(program, view, readiness.controls)
    if not view.tests_operation:
        if view.ended:
            yield from _design_records_missing(program, view, readiness.controls)
        return
    for status in readiness.controls:
        for requirement in status.requirements:
            if view.ended:
                yield from _missing(program, status, requirement)
            elif requirement.stale:
                yield _stale(program, status, requirement)


def _design_records_missing(program: Program, view: View, controls: list[ControlStatus]) -> Iterator[Diagnostic]:
    """SK731: a Type I whose as-of date has passed needs a design record for each control (SK403 stops then)."""
    for status in controls:
        if status.design["has_evidence"]:
            continue
        doc = program.source("control", status.control.id)
        yield diagnostic(
            "SK731",
            doc.path,
            doc.line_of("evidence"),
            f"as of {view.reference}, control {status.control.id} has no design record or other evidence that counts",
            f"record how it is designed (walkthrough notes, a configuration screenshot): "
            f"`soc2kit evidence add {status.control.id} FILE --purpose design --collected {view.reference}`",
        )


def _requirement_line(program: Program, status: ControlStatus, requirement: RequirementStatus) -> tuple[str, int]:
    doc = program.source("control", status.control.id)
    if requirement.index is None:
        return doc.path, doc.line_of("frequency")
    return doc.path, doc.line_of("evidence", requirement.index, "id")


def _missing(program: Program, status: ControlStatus, requirement: RequirementStatus) -> Iterator[Diagnostic]:
    missing = runs(requirement.windows, only="missing")
    if not missing:
        return  # the common case: no line needed, so the document is not parsed again for its lines
    path, line = _requirement_line(program, status, requirement)
    name = f"requirement '{requirement.id}'" if requirement.id else "its evidence"
    control = status.control.id
    for run in missing:
        first, last = run.first, run.last
        if requirement.frequency == periods.ON_EVENT:
            message = (
                f"control {control} has no {name} record in the period {first.window.label} (on-event: at least one is expected)"
            )
        else:
            if len(run.windows) == 1:
                what = f"the {requirement.frequency} window {first.window.label}"
            else:
                what = f"{len(run.windows)} {requirement.frequency} windows, {first.window.label} to {last.window.label}"
            days = f"{first.window.start}..{last.window.end}"
            message = f"control {control} has no evidence for {what} ({days}, due by {last.due}); {name}"
        yield diagnostic("SK501", path, line, message)


def _stale(program: Program, status: ControlStatus, requirement: RequirementStatus) -> Diagnostic:
    path, line = _requirement_line(program, status, requirement)
    name = f"requirement '{requirement.id}'" if requirement.id else "evidence"
    return diagnostic(
        "SK502",
        path,
        line,
        f"control {status.control.id}: the newest {name} record was collected on {requirement.newest}; "
        f"for a {requirement.frequency} control it was fresh until {requirement.fresh_until}",
    )


def _period(program: Program, view: View, controls: list[ControlStatus]) -> Iterator[Diagnostic]:
    if view.period is None:
        return
    start, end = view.period
    doc = program.documents[CONFIG_FILE]
    line = doc.line_of("audit", "period")
    if periods.longer_than_12_months(start, end):
        yield diagnostic(
            "SK503", CONFIG_FILE, line, f"the audit period {start}..{end} is longer than 12 months; a Type II period is 3 to 12"
        )
    using: dict[str, set[str]] = {}
    for status in controls:
        for requirement in status.requirements:
            using.setdefault(requirement.frequency, set()).add(status.control.id)
    for frequency in ("weekly", "monthly", "quarterly", "semiannual", "annual"):
        if frequency in using and periods.shorter_than_window(start, end, frequency):
            count = len(using[frequency])
            yield diagnostic(
                "SK504",
                CONFIG_FILE,
                line,
                f"the audit period {start}..{end} is shorter than one {frequency} window; "
                f"{count} control{'s' if count != 1 else ''} with {frequency} evidence must each operate inside it",
            )


def _dates(program: Program, view: View) -> Iterator[Diagnostic]:
    today = program.today
    for record in program.evidence.values():
        covers = record.covers
        # A design record fills no window, so where its range falls against the period or its windows does not matter.
        windowed = record.purpose == "operating"
        future = record.collected > today or (covers is not None and covers.end > today)
        outside = (
            windowed
            and covers is not None
            and view.period is not None
            and view.period[0] <= record.collected <= view.period[1]
            and (covers.end < view.period[0] or covers.start > view.period[1])
        )
        straddle = _straddles(program, record) if covers is not None and windowed else ""
        if not (future or outside or straddle):
            continue
        doc = program.source("evidence", record.id)
        if record.collected > today:
            yield diagnostic(
                "SK506",
                doc.path,
                doc.line_of("collected"),
                f"record {record.id} is collected on {record.collected}, after today ({today})",
            )
        if covers is None:
            continue
        if covers.end > today:
            yield diagnostic(
                "SK506",
                doc.path,
                doc.line_of("covers", "end"),
                f"record {record.id} covers days up to {covers.end}, after today ({today})",
            )
        if outside and view.period is not None:
            start, end = view.period
            yield diagnostic(
                "SK505",
                doc.path,
                doc.line_of("covers"),
                f"record {record.id} was collected during the audit period {start}..{end} "
                f"but covers {covers.start}..{covers.end}, entirely outside it",
            )
        if straddle:
            yield diagnostic("SK507", doc.path, doc.line_of("covers"), f"record {record.id}: {straddle}")


def _straddles(program: Program, record: EvidenceRecord) -> str:
    assert record.covers is not None
    control = program.controls.get(record.control)
    if control is None:
        return ""
    requirement = control.requirement(record.requirement)
    frequency = (requirement.frequency if requirement else None) or control.frequency
    pair = periods.straddled(frequency, record.covers.start, record.covers.end)
    if pair is None:
        return ""
    return (
        f"covers {record.covers.start}..{record.covers.end}, which spans the {frequency} windows {pair[0].label} "
        f"and {pair[1].label} without covering either fully, so it satisfies neither"
    )
