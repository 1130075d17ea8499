"""The control matrix an auditor asks for: what each control is, and what happened in each window.

Public API
    build_matrix(described, readiness, *, evidence=None, history=None) -> Matrix
        Two tables (see docs/auditors.md):
        - controls (`control-matrix`): one row per in-scope criterion and control that addresses
          it, in catalog order, controls by ID: the control's Description and Test procedure
          sections as plain text, kind, automation, owner, frequency, policies, the complementary
          subservice organization controls and carved-out organizations of the criterion, whether
          it is designed (or what its design lacks) and its design records, the records that
          satisfy its windows, and a note (records not counted and why, exceptions noted). A
          criterion without a control, or excluded, gets one row saying so.
        - windows (`control-windows`): one row per control, evidence requirement and run of
          windows (`soc2kit.readiness.runs`: consecutive windows in one state with the same
          records): the state ("exception noted" for a window an approved deviation names), the
          records that satisfy it, each one's collector and arrival commit (the commit that added
          the record, from Git history; empty without it), the records that failed verification,
          and the deviations with what happened. A Type I view demands no windows (design only):
          the table is then empty, and the design columns of the first table say it all.
        `described` is the program whose controls are described (the bundle: as at the period
        end); `readiness` the assessment, of `evidence` (default: `described`), whose records,
        deviations and history the windows name (the bundle: HEAD, where late evidence arrives).
    Matrix .controls, .windows (soc2kit.tables.Table), .csv_files() -> {file name: bytes},
        .xlsx() -> bytes (one workbook, the two tables as sheets, cell for cell the CSV contents)
    MATRIX_FORMATS = ("csv", "xlsx")
    plain_text(markdown) -> str: a Markdown section as plain text (paragraphs and list items on lines)
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time
from typing import TYPE_CHECKING

from soc2kit.readiness import runs
from soc2kit.tables import Table, csv_bytes, xlsx_bytes

if TYPE_CHECKING:
    from soc2kit.history import History
    from soc2kit.models import Control
    from soc2kit.program import Program
    from soc2kit.readiness import ControlStatus, NotCounted, Readiness, RequirementStatus, Run

MATRIX_FORMATS = ("csv", "xlsx")
CONTROLS_TABLE = "control-matrix"
WINDOWS_TABLE = "control-windows"
MATRIX_COLUMNS = (
    "criterion",
    "criterion_title",
    "control",
    "control_title",
    "description",
    "test_procedure",
    "kind",
    "automation",
    "owner",
    "frequency",
    "policies",
    "subservice_controls",
    "carved_out",
    "design",
    "design_records",
    "evidence",
    "note",
)
WINDOW_COLUMNS = (
    "control",
    "requirement",
    "frequency",
    "windows",
    "window_count",
    "start",
    "end",
    "due",
    "state",
    "records",
    "collectors",
    "arrival_commits",
    "not_counted",
    "deviations",
    "deviation_details",
)
_STATE_NAMES = {"exception": "exception noted"}


@dataclass(frozen=True)
class Matrix:
    controls: Table
    windows: Table
    created: datetime
    """The workbook's creation time: the view's reference day, so the same matrix gives the same bytes."""

    def csv_files(self) -> dict[str, bytes]:
        return {f"{table.name}.csv": csv_bytes(table) for table in (self.controls, self.windows)}

    def xlsx(self) -> bytes:
        return xlsx_bytes((self.controls, self.windows), self.created)


def build_matrix(
    described: Program, readiness: Readiness, *, evidence: Program | None = None, history: History | None = None
) -> Matrix:
    """The control matrix (see the module doc)."""
    evidence = evidence if evidence is not None else described
    assessed = {status.control.id: status for status in readiness.controls}
    controls = Table(CONTROLS_TABLE, MATRIX_COLUMNS)
    not_counted: dict[str, list[NotCounted]] = {}
    for record in readiness.not_counted:
        not_counted.setdefault(record.control, []).append(record)
    texts: dict[str, tuple[str, str]] = {}  # a control's two sections, read once for all its criteria
    exclusions = described.exclusions
    for criterion in described.catalog.criteria:
        if not described.in_scope(criterion):
            continue
        if criterion.id in exclusions:
            controls.add((criterion.id, criterion.title, *[""] * 14, f"excluded: {exclusions[criterion.id]}"))
            continue
        csocs = [f"{csoc.id} ({organization.name})" for organization, csoc in described.csocs_of(criterion.id)]
        carved_out = [organization.id for organization in described.carved_out(criterion.id)]
        mapped = sorted(described.controls_of(criterion), key=lambda c: c.id)
        if not mapped:
            controls.add((criterion.id, criterion.title, *[""] * 9, csocs, carved_out, "", "", "", "no control"))
        for control in mapped:
            status = assessed.get(control.id)
            records = (
                list(dict.fromkeys(r for req in status.requirements for w in req.windows for r in w.records)) if status else []
            )
            notes = [] if records else ["no evidence that counts in the view"]
            notes.extend(n.describe() for n in not_counted.get(control.id, ()))
            if status is not None and status.exceptions:
                # The readiness model decides which deviations apply to the view (one source with the bundle's log).
                notes.append(f"exceptions noted: {', '.join(status.exceptions)} (see the deviations log)")
            controls.add(
                (
                    criterion.id,
                    criterion.title,
                    control.id,
                    control.title,
                    *texts.setdefault(control.id, _sections(described, control)),
                    control.kind,
                    control.automation,
                    control.owner,
                    control.frequency,
                    control.policies,
                    csocs,
                    carved_out,
                    _design(status),
                    status.design_records if status is not None else [],
                    records,
                    notes,
                )
            )
    windows = Table(WINDOWS_TABLE, WINDOW_COLUMNS)
    for status in sorted(readiness.controls, key=lambda s: s.control.id):
        if status.control.id not in described.controls:
            continue  # gone by the period end: nothing describes it
        for requirement in status.requirements:
            for run in runs(requirement.windows):
                windows.add(_window_row(evidence, history, status.control.id, requirement, run))
    created = datetime.combine(readiness.view.reference, time(), tzinfo=UTC)
    return Matrix(controls, windows, created)


def _design(status: ControlStatus | None) -> str:
    if status is None:
        return "not assessed: the assessed program does not have it"
    return "designed" if status.designed else "not designed: " + "; ".join(status.design_problems)


def _window_row(
    program: Program, history: History | None, control: str, requirement: RequirementStatus, run: Run
) -> tuple[object, ...]:
    records = list(run.first.records)
    collectors, arrivals = [], []
    for record_id in records:
        record = program.evidence.get(record_id)
        collectors.append(record.collector if record is not None else "")
        arrivals.append(_arrival(program, history, record_id))
    deviation_ids = list(dict.fromkeys(d for window in run.windows for d in window.deviations))
    details = []
    for deviation_id in deviation_ids:
        deviation = program.deviations.get(deviation_id)
        if deviation is not None:
            details.append(f"{deviation_id}: {deviation.description}")
    return (
        control,
        requirement.id,
        requirement.frequency,
        run.label,
        str(len(run.windows)),
        run.first.window.start.isoformat(),
        run.last.window.end.isoformat(),
        run.last.due.isoformat(),
        _STATE_NAMES.get(run.state, run.state),
        records,
        collectors,
        arrivals,
        list(run.first.rejected),
        deviation_ids,
        details,
    )


def _arrival(program: Program, history: History | None, record_id: str) -> str:
    """The commit that added the record's file (under its first name), or "" without Git history."""
    if history is None or not history.available:
        return ""
    try:
        path = program.source("evidence", record_id).path
    except KeyError:
        return ""
    added = history.first_added(path)
    return added.sha if added is not None else ""


def _sections(program: Program, control: Control) -> tuple[str, str]:
    """The control's Description and Test procedure sections as plain text ("" when absent)."""
    try:
        sections = program.source("control", control.id).sections()
    except KeyError:
        return "", ""
    found = [sections.get(title) for title in ("description", "test procedure")]
    return plain_text(found[0].text) if found[0] else "", plain_text(found[1].text) if found[1] else ""


_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d+[.)])\s+")
_IMAGE_OR_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__|`)")
_HEADING = re.compile(r"^#{1,6}\s+")
_SPACE = re.compile(r"\s+")


def plain_text(markdown: str) -> str:
    """A Markdown section as plain text: each paragraph and each list item on one line, links as
    their text, no emphasis or code markers; what a spreadsheet cell shows well."""
    lines: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            lines.append(_SPACE.sub(" ", " ".join(current)).strip())
            current.clear()

    for raw in markdown.split("\n"):
        line = _EMPHASIS.sub("", _IMAGE_OR_LINK.sub(r"\1", _HEADING.sub("", raw.strip())))
        if not line:
            flush()
        elif _LIST_ITEM.match(raw):
            flush()
            current.append(line)
        else:
            current.append(line)
    flush()
    return "\n".join(line for line in lines if line)
