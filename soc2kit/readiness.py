"""The readiness model, in one place: where the program stands against the criteria in scope, what
is missing and who owns the fix. `soc2kit status`, the SK5xx rules and the portal all read it.

Public API
    view_of(program, *, as_of=None, period=None) -> View
        What is assessed: Type I as of a date, or Type II over a period; from `soc2kit.yml` unless
        `as_of` or `period` overrides it (UsageError when both are given).
    assess(program, view=None, *, history=None, progress=None) -> Readiness
        The whole assessment; `progress(done, total)` is called while controls are assessed.
        With an available Git `history` (`soc2kit.history.load_history`), records are also
        verified against it (see below). Cached on the program per view and per set of records that
        do not count: `check`'s rules and a later `status` assess once when history finds nothing new.
    controls_in_scope(program) -> dict[str, list[str]]
        Control ID -> its in-scope criteria, for every control with at least one: the controls
        readiness assesses and the only ones `check` asks evidence of (SK403, SK5xx).
    Readiness
        .view, .score (Score), .criteria, .exclusions, .controls, .categories, .series, .gaps,
        .missing_windows() (runs, MissingWindows), .stale() (StaleEvidence), .exceptions
        (ExceptionNoted: the approved deviations that apply to the view), .summary(), .notes
        (warnings about the view itself), .to_dict() (the versioned JSON shape documented in
        docs/readiness.md, JSON_SHAPE_VERSION).
    runs(windows, only=None) -> list[Run]
        Consecutive windows with the same state and records, as the JSON and the reports show them.
    View, Score, Tally, CriterionStatus, ControlStatus, RequirementStatus, WindowStatus, Run, Gap,
    ExceptionNoted

The definitions (docs/readiness.md says the same in prose):

- A record counts when it passes verification (`soc2kit.evidence.evidence_flaws`: it lists files,
  each inside the repository, a regular file with the recorded sha256; with Git history, neither
  the record nor a file was changed after the commit that added it, and that commit was made
  neither before the collected day nor more than the evidence grace period after it) and was
  collected on or before `view.now` (Type I: the as-of date, or today if that is earlier; Type II:
  today). A record that fails verification is listed with its reasons (`not_counted`), and so are
  the windows it would have satisfied. Its span is its `covers` range, else its collected day,
  cut at `view.now`. It satisfies the windows `periods.satisfies` says.
- A window is satisfied (a record satisfies it), exception (an approved deviation names it, shown as
  "exception noted", whatever records it has), missing (its due date, the window's end plus the
  grace period, has passed), due (it has ended, the grace period runs), open (it holds today) or
  upcoming. A deviation names a window by control, requirement (none: each of the control's) and
  window label; one that is not approved changes nothing (SK7xx reports it). The exceptions of a
  view (per control and in all) are the approved deviations that made a window of it an exception,
  and, in a Type II, those about a sample item alone (no window) approved on or after the period's
  start. A Type I tests no operation and notes no exceptions.
- Type I tests design only, as of a date: no window is demanded and nothing goes stale. Type II
  tests design and operation over the period: every window of the period is expected.
- A control is designed when the policies it implements are approved and in effect, it has an
  owner, its document describes its procedure (a non-empty Description section), it defines an
  evidence requirement and has a design record (a record whose `purpose` is design, or any record
  that counts). Design records satisfy no window; as they are judged by their collected day, those
  of an earlier Type I carry forward into a Type II. Operating (Type II) when no window is missing,
  None while none is due yet and always in Type I; exception windows are neither satisfied nor
  missing. Ready = designed and not failing (operating is not False).
- A criterion is ready when at least one in-scope control mapped to it is ready.
- Score = 100 x ready criteria / criteria in scope (exclusions are out of scope), one decimal.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date
from typing import TYPE_CHECKING, Any, Literal

from soc2kit import periods
from soc2kit.errors import UsageError
from soc2kit.evidence import evidence_flaws
from soc2kit.layout import CONFIG_FILE, DEVIATIONS_REGISTER
from soc2kit.models import Control, Deviation, EvidenceRecord, add_interval
from soc2kit.program import MemoKey

if TYPE_CHECKING:
    from soc2kit.evidence import Flaws
    from soc2kit.history import History
    from soc2kit.program import Program

JSON_SHAPE_VERSION = 2
SCORE_FORMULA = "100 * ready criteria / criteria in scope"
WindowState = Literal["satisfied", "exception", "missing", "due", "open", "upcoming"]
WINDOW_STATES: tuple[WindowState, ...] = ("satisfied", "exception", "missing", "due", "open", "upcoming")
_PLACEHOLDER_OWNERS = {"tbd", "todo", "unassigned", "none", "n/a", "-", "?"}


@dataclass(frozen=True, slots=True)
class View:
    """What is assessed, and when: Type I as of a date, or Type II over a period."""

    type: Literal["type1", "type2"]
    today: date
    as_of: date | None = None
    period: tuple[date, date] | None = None
    grace: str = "30 days"
    timezone: str = "UTC"

    @property
    def reference(self) -> date:
        """The as-of date (Type I) or the last day of the period (Type II)."""
        if self.type == "type1":
            assert self.as_of is not None
            return self.as_of
        assert self.period is not None
        return self.period[1]

    @property
    def now(self) -> date:
        """The last day a record may be collected on and still count."""
        return min(self.reference, self.today) if self.type == "type1" else self.today

    @property
    def ended(self) -> bool:
        """The period has ended (Type II), or the as-of date has passed (Type I)."""
        return self.reference < self.today

    @property
    def freshness_date(self) -> date:
        """The day freshness is judged on: today, or the reference date once it has passed."""
        return min(self.reference, self.today)

    @property
    def tests_operation(self) -> bool:
        """Type II tests operation over the period; Type I tests design only and demands no window."""
        return self.type == "type2"

    def describe(self) -> str:
        if self.type == "type1":
            return f"Type I as of {self.as_of}"
        assert self.period is not None
        state = "ended" if self.ended else ("not started" if self.today < self.period[0] else "in progress")
        return f"Type II over {self.period[0]}..{self.period[1]} ({state})"

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "as_of": _iso(self.as_of),
            "period": {"start": self.period[0].isoformat(), "end": self.period[1].isoformat()} if self.period else None,
            "today": self.today.isoformat(),
            "timezone": self.timezone,
            "grace": self.grace,
            "ended": self.ended,
            "assesses": ["design", "operation"] if self.tests_operation else ["design"],
            "description": self.describe(),
        }


def view_of(program: Program, *, as_of: date | None = None, period: tuple[date, date] | None = None) -> View:
    """The view `soc2kit.yml` asks for, unless `as_of` (Type I) or `period` (Type II) overrides it."""
    audit = program.config.audit
    common = {"today": program.today, "grace": audit.evidence_grace, "timezone": audit.timezone}
    if as_of is not None and period is not None:
        raise UsageError("give --as-of (Type I) or --period (Type II), not both")
    if as_of is not None:
        return View("type1", as_of=as_of, **common)  # type: ignore[arg-type]
    if period is not None:
        if period[1] < period[0]:
            raise UsageError(f"the period ends ({period[1]}) before it starts ({period[0]})")
        return View("type2", period=period, **common)  # type: ignore[arg-type]
    if audit.type == "type1":
        return View("type1", as_of=audit.as_of, **common)  # type: ignore[arg-type]
    assert audit.period is not None
    return View("type2", period=(audit.period.start, audit.period.end), **common)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class WindowStatus:
    window: periods.Window
    due: date
    state: WindowState
    records: tuple[str, ...] = ()
    """IDs of the records that satisfy the window."""
    rejected: tuple[str, ...] = ()
    """IDs of records that would satisfy the window but fail verification (`Readiness.not_counted` says why)."""
    deviations: tuple[str, ...] = ()
    """IDs of the approved deviations that name the window (its state is then "exception")."""


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive windows of one requirement in the same state with the same records: how the
    JSON and the reports show windows, so a daily control is a few runs rather than 181 rows."""

    windows: tuple[WindowStatus, ...]

    @property
    def first(self) -> WindowStatus:
        return self.windows[0]

    @property
    def last(self) -> WindowStatus:
        return self.windows[-1]

    @property
    def state(self) -> WindowState:
        return self.first.state

    @property
    def label(self) -> str:
        first, last = self.first.window.label, self.last.window.label
        return first if first == last else f"{first}..{last}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "first": self.first.window.label,
            "last": self.last.window.label,
            "count": len(self.windows),
            "start": self.first.window.start.isoformat(),
            "end": self.last.window.end.isoformat(),
            "due": self.last.due.isoformat(),
            "state": self.state,
            "records": list(self.first.records),
            "not_counted": list(self.first.rejected),
            "deviations": list(self.first.deviations),
        }


def runs(windows: Iterable[WindowStatus], *, only: WindowState | None = None) -> list[Run]:
    """`windows` grouped into runs of equal state and records (only runs in state `only`, if given)."""
    if only is not None:
        windows = windows if isinstance(windows, (list, tuple)) else list(windows)
        if not any(window.state == only for window in windows):
            return []  # the common case (nothing missing): no runs to build only to drop them
    found: list[Run] = []
    current: list[WindowStatus] = []
    for window in windows:
        if current and (
            window.state != current[0].state
            or window.records != current[0].records
            or window.rejected != current[0].rejected
            or window.deviations != current[0].deviations
        ):
            found.append(Run(tuple(current)))
            current = []
        current.append(window)
    if current:
        found.append(Run(tuple(current)))
    return [run for run in found if only is None or run.state == only]


@dataclass(slots=True)
class RequirementStatus:
    """One evidence requirement of a control: its windows, records and freshness."""

    id: str
    """The requirement ID, or "" for a control that defines none (its records are judged together)."""
    frequency: str
    index: int | None
    """Position in the control's `evidence` list (for the line of a finding); None when implicit."""
    windows: list[WindowStatus]
    records: int
    """Operating records that count (pass verification, collected on or before `view.now`); design records are not among them."""
    newest: date | None
    fresh_until: date | None
    """The last day the newest record is fresh; None for on-event or without records."""
    stale: bool
    """Type II only: the newest record is no longer fresh (Type I demands no operation)."""
    collector: str | None = None
    """`<collector>/<dataset>` when a collector feeds the requirement (`soc2kit collect`): its windows are automatic."""

    def count(self, state: str) -> int:
        return sum(1 for w in self.windows if w.state == state)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "frequency": self.frequency,
            "records": self.records,
            "newest": _iso(self.newest),
            "fresh_until": _iso(self.fresh_until),
            "stale": self.stale,
            "collector": self.collector,
            "windows": [run.to_dict() for run in runs(self.windows)],
        }


DesignCheck = Literal["policy_approved", "owner_set", "procedure_described", "requirement_defined", "has_evidence"]
"""`has_evidence`: a design record, that is a record whose purpose is design, or any record that counts."""


@dataclass(slots=True)
class ControlStatus:
    control: Control
    path: str
    criteria: list[str]
    """The control's in-scope criteria."""
    design: dict[DesignCheck, bool]
    design_problems: list[str]
    requirements: list[RequirementStatus]
    operating: bool | None
    """Type II: no window missing (None while none is due). Type I: always None (design only)."""
    exceptions: list[str] = field(default_factory=list)
    """IDs of the control's approved deviations that apply to the view, in the log's order: those naming
    one of its windows (an "exception" window), and in a Type II those about a sample item alone
    approved on or after the period's start. Not one naming another period or a requirement it lacks."""
    design_records: list[str] = field(default_factory=list)
    """IDs of the counted records whose purpose is design."""

    @property
    def designed(self) -> bool:
        return all(self.design.values())

    @property
    def ready(self) -> bool:
        return self.designed and self.operating is not False

    def window_counts(self) -> dict[str, int]:
        counts = dict.fromkeys(("expected", *WINDOW_STATES), 0)
        for requirement in self.requirements:
            for window in requirement.windows:
                counts["expected"] += 1
                counts[window.state] += 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        control = self.control
        return {
            "id": control.id,
            "title": control.title,
            "owner": control.owner,
            "path": self.path,
            "frequency": control.frequency,
            "criteria": self.criteria,
            "policies": control.policies,
            "designed": self.designed,
            "design": dict(self.design),
            "operating": self.operating,
            "ready": self.ready,
            "exceptions": self.exceptions,
            "design_records": self.design_records,
            "windows": self.window_counts(),
            "requirements": [r.to_dict() for r in self.requirements],
        }


@dataclass(slots=True)
class CriterionStatus:
    id: str
    title: str
    series: str
    category: str
    controls: list[str]
    ready_controls: list[str]
    csocs: list[str] = field(default_factory=list)
    """IDs of the complementary subservice organization controls mapped to it: listed, never counted as ours."""
    carved_out: list[str] = field(default_factory=list)
    """IDs of the carve-out subservice organizations whose services bear on it."""

    @property
    def state(self) -> Literal["ready", "not-ready", "uncovered"]:
        if not self.controls:
            return "uncovered"
        return "ready" if self.ready_controls else "not-ready"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "series": self.series,
            "category": self.category,
            "state": self.state,
            "controls": self.controls,
            "ready_controls": self.ready_controls,
            "csocs": self.csocs,
            "carved_out": self.carved_out,
        }


@dataclass(frozen=True, slots=True)
class Tally:
    """Ready criteria out of the criteria in scope, for one category or series."""

    id: str
    title: str
    ready: int
    total: int
    category: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "category": self.category, "ready": self.ready, "total": self.total}


@dataclass(frozen=True, slots=True)
class Gap:
    """One thing that holds the audit back: what, why, who owns the fix, which criteria it blocks."""

    kind: Literal["criterion", "policy", "control"]
    id: str
    title: str
    owner: str
    path: str
    missing: tuple[str, ...]
    blocks: tuple[str, ...]
    """In-scope criteria that are not ready and that this gap's subject addresses."""

    def sort_key(self) -> tuple[int, int, str]:
        return (-len(self.blocks), _GAP_RANK[self.kind], self.id)

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "title": self.title,
            "owner": self.owner,
            "path": self.path,
            "missing": list(self.missing),
            "blocks": list(self.blocks),
        }


_GAP_RANK = {"criterion": 0, "policy": 1, "control": 2}


@dataclass(frozen=True, slots=True)
class Score:
    value: float
    ready: int
    total: int
    formula: str = SCORE_FORMULA

    def to_dict(self) -> dict[str, Any]:
        return {"value": self.value, "ready": self.ready, "total": self.total, "formula": self.formula}


@dataclass(frozen=True, slots=True)
class MissingWindows:
    """A run of consecutive windows of one requirement with no evidence, past their due dates."""

    control: str
    requirement: str
    frequency: str
    owner: str
    path: str
    run: Run
    not_counted: tuple[NotCounted, ...] = ()
    """Records that would have satisfied these windows but fail verification."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "requirement": self.requirement,
            "frequency": self.frequency,
            "owner": self.owner,
            "path": self.path,
            "first": self.run.first.window.label,
            "last": self.run.last.window.label,
            "count": len(self.run.windows),
            "start": self.run.first.window.start.isoformat(),
            "end": self.run.last.window.end.isoformat(),
            "due": self.run.last.due.isoformat(),
            "not_counted": [{"record": n.record, "reasons": list(n.reasons)} for n in self.not_counted],
        }


@dataclass(frozen=True, slots=True)
class NotCounted:
    """An evidence record of an in-scope control that fails verification, so it satisfies no window."""

    record: str
    control: str
    requirement: str
    path: str
    """The record, relative to the program root."""
    reasons: tuple[str, ...]

    def describe(self) -> str:
        """For example "EV-AC-06-2026Q1 not counted: file x was modified on 2026-05-02, after it was committed on 2026-04-03"."""
        return f"{self.record} not counted: {'; '.join(self.reasons)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "control": self.control,
            "requirement": self.requirement,
            "path": self.path,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class ExceptionNoted:
    """An approved deviation of an in-scope control: what the report's exceptions list shows."""

    deviation: str
    control: str
    requirement: str | None
    """None: it names every requirement of the control."""
    window: str | None
    sample: str | None
    description: str
    management_response: str
    approved_by: str
    approved_on: date
    path: str
    """The deviations log, relative to the program root."""

    @property
    def subject(self) -> str:
        """What it is about: "2026-Q1", "sample PR #42", or "2026-Q1, sample PR #42"."""
        return ", ".join(part for part in (self.window, f"sample {self.sample}" if self.sample else None) if part)

    def to_dict(self) -> dict[str, Any]:
        return {
            "deviation": self.deviation,
            "control": self.control,
            "requirement": self.requirement,
            "window": self.window,
            "sample": self.sample,
            "description": self.description,
            "management_response": self.management_response,
            "approved_by": self.approved_by,
            "approved_on": self.approved_on.isoformat(),
            "path": self.path,
        }


@dataclass(frozen=True, slots=True)
class StaleEvidence:
    control: str
    requirement: str
    owner: str
    path: str
    frequency: str
    newest: date
    fresh_until: date

    def to_dict(self) -> dict[str, Any]:
        return {
            "control": self.control,
            "requirement": self.requirement,
            "owner": self.owner,
            "path": self.path,
            "frequency": self.frequency,
            "newest": self.newest.isoformat(),
            "fresh_until": self.fresh_until.isoformat(),
        }


@dataclass
class Readiness:
    """The assessment of one program under one view. Build it with `assess`."""

    view: View
    organization: str
    system: str
    score: Score
    criteria: list[CriterionStatus]
    exclusions: list[tuple[str, str, str]]
    """(criterion ID, title, reason) for every exclusion in `soc2kit.yml`."""
    controls: list[ControlStatus]
    out_of_scope_controls: int
    categories: list[Tally]
    series: list[Tally]
    gaps: list[Gap]
    notes: list[str] = field(default_factory=list)
    """Warnings about the view itself (a period longer than 12 months, shorter than a window)."""
    not_counted: list[NotCounted] = field(default_factory=list)
    """Records of in-scope controls that fail verification, by record ID."""
    exceptions: list[ExceptionNoted] = field(default_factory=list)
    """The in-scope controls' exceptions (`ControlStatus.exceptions`), by control and then the log's order."""
    history_checked: bool = False
    """Records were verified against Git history too, not only against their files."""

    def missing_windows(self) -> list[MissingWindows]:
        """Runs of missing windows, earliest first, with the records that did not count for them."""
        why = {n.record: n for n in self.not_counted}
        found = [
            MissingWindows(
                c.control.id,
                r.id,
                r.frequency,
                c.control.owner,
                c.path,
                run,
                tuple(why[rid] for rid in dict.fromkeys(x for w in run.windows for x in w.rejected) if rid in why),
            )
            for c in self.controls
            for r in c.requirements
            for run in runs(r.windows, only="missing")
        ]
        found.sort(key=lambda m: (m.run.first.window.start, m.control, m.requirement))
        return found

    def stale(self) -> list[StaleEvidence]:
        found = [
            StaleEvidence(c.control.id, r.id, c.control.owner, c.path, r.frequency, r.newest, r.fresh_until)
            for c in self.controls
            for r in c.requirements
            if r.stale and r.newest is not None and r.fresh_until is not None
        ]
        found.sort(key=lambda s: (s.fresh_until, s.control, s.requirement))
        return found

    def summary(self) -> dict[str, Any]:
        windows = dict.fromkeys(("expected", *WINDOW_STATES), 0)
        for control in self.controls:
            for key, value in control.window_counts().items():
                windows[key] += value
        states = [c.state for c in self.criteria]
        return {
            "criteria": {
                "in_scope": len(self.criteria),
                "ready": states.count("ready"),
                "not_ready": states.count("not-ready"),
                "uncovered": states.count("uncovered"),
                "excluded": len(self.exclusions),
            },
            "controls": {
                "in_scope": len(self.controls),
                "designed": sum(1 for c in self.controls if c.designed),
                "operating": sum(1 for c in self.controls if c.operating is True),
                "with_exceptions": sum(1 for c in self.controls if c.exceptions),
                "ready": sum(1 for c in self.controls if c.ready),
                "out_of_scope": self.out_of_scope_controls,
            },
            "windows": windows,
            "stale": sum(1 for c in self.controls for r in c.requirements if r.stale),
            "gaps": len(self.gaps),
            "not_counted": len(self.not_counted),
            "exceptions": len(self.exceptions),
        }

    def to_dict(self) -> dict[str, Any]:
        """The documented JSON shape (docs/readiness.md); `version` changes only when a key changes meaning or goes."""
        from soc2kit import __version__

        return {
            "version": JSON_SHAPE_VERSION,
            "tool": {"name": "soc2kit", "version": __version__},
            "program": {"organization": self.organization, "system": self.system},
            "view": self.view.to_dict(),
            "notes": self.notes,
            "score": self.score.to_dict(),
            "summary": self.summary(),
            "categories": [t.to_dict() for t in self.categories],
            "series": [t.to_dict() for t in self.series],
            "criteria": [c.to_dict() for c in self.criteria],
            "exclusions": [{"criterion": cid, "title": title, "reason": reason} for cid, title, reason in self.exclusions],
            "gaps": [g.to_dict() for g in self.gaps],
            "missing_windows": [m.to_dict() for m in self.missing_windows()],
            "stale": [s.to_dict() for s in self.stale()],
            "evidence_checks": {"files": True, "history": self.history_checked},
            "not_counted": [n.to_dict() for n in self.not_counted],
            "exceptions": [e.to_dict() for e in self.exceptions],
            "controls": [c.to_dict() for c in self.controls],
        }


def view_notes(view: View, frequencies: Iterable[str]) -> list[str]:
    """Warnings about the view: a period longer than 12 months, or shorter than a window in use."""
    if view.period is None:
        return []
    start, end = view.period
    notes = []
    if periods.longer_than_12_months(start, end):
        notes.append(f"the period {start}..{end} is longer than 12 months; a SOC 2 Type II period is 3 to 12 months")
    used = set(frequencies)
    notes.extend(
        f"the period {start}..{end} is shorter than one {frequency} window; "
        f"{frequency} controls can show at most one occurrence, and it must fall inside the period"
        for frequency in ("weekly", "monthly", "quarterly", "semiannual", "annual")
        if frequency in used and periods.shorter_than_window(start, end, frequency)
    )
    return notes


_ASSESSMENTS: MemoKey[dict[tuple[View, tuple[tuple[str, tuple[str, ...]], ...]], Readiness]] = MemoKey("readiness")
"""Readiness per (view, records that do not count and why)."""


def assess(
    program: Program,
    view: View | None = None,
    *,
    history: History | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Readiness:
    """Assess every in-scope control and criterion of `program` under `view` (default: `soc2kit.yml`'s);
    with an available `history`, records that Git shows were changed or back-dated do not count."""
    view = view or view_of(program)
    flaws = {rid: found for rid, found in evidence_flaws(program, history).items() if any(f.disqualifies for f in found)}
    checked = history is not None and history.available
    # Keyed by what does not count, so a `status` whose history finds nothing new reuses `check`'s assessment.
    key = (view, tuple(sorted((rid, tuple(f.reason for f in found)) for rid, found in flaws.items())))
    cache = program.memo.setdefault(_ASSESSMENTS, {})
    known = cache.get(key)
    if known is not None:
        if progress is not None:
            progress(len(program.controls), len(program.controls))
        if known.history_checked == checked:
            return known
        cache[key] = known = replace(known, history_checked=known.history_checked or checked)
        return known
    cache[key] = readiness = _assess(program, view, flaws, progress)
    readiness.history_checked = checked
    return readiness


def controls_in_scope(program: Program) -> dict[str, list[str]]:
    """Control ID -> its criteria in scope (not excluded), in ID order, for every control that has one.

    The one notion of which controls are assessed and asked for evidence: readiness, SK403 and the
    SK5xx rules all use it, so `check` never asks evidence of a control `status` does not count."""
    in_scope_ids = {c.id for c in program.criteria_in_scope()}
    found: dict[str, list[str]] = {}
    for control_id in sorted(program.controls):
        criteria = [cid for cid in dict.fromkeys(program.controls[control_id].criteria) if cid in in_scope_ids]
        if criteria:
            found[control_id] = criteria
    return found


def _assess(program: Program, view: View, flaws: Flaws, progress: Callable[[int, int], None] | None) -> Readiness:
    in_scope = program.criteria_in_scope()
    scoped = controls_in_scope(program)
    judge = _Judge(program, view, flaws)
    controls: list[ControlStatus] = []
    out_of_scope = len(program.controls) - len(scoped)
    for done, (control_id, criteria) in enumerate(scoped.items(), start=1):
        controls.append(judge.control(program.controls[control_id], criteria))
        if progress is not None and (done % 500 == 0 or done == len(scoped)):
            progress(done, len(scoped))

    by_id = {c.control.id: c for c in controls}
    criteria_status = []
    for criterion in in_scope:
        mapped = [c.id for c in program.controls_of(criterion) if c.id in by_id]
        criteria_status.append(
            CriterionStatus(
                id=criterion.id,
                title=criterion.title,
                series=criterion.series,
                category=criterion.category or "",
                controls=sorted(mapped),
                ready_controls=sorted(cid for cid in mapped if by_id[cid].ready),
                csocs=[csoc.id for _org, csoc in program.csocs_of(criterion.id)],
                carved_out=[org.id for org in program.carved_out(criterion.id)],
            )
        )
    ready_ids = {c.id for c in criteria_status if c.state == "ready"}
    total = len(criteria_status)
    score = Score(round(100.0 * len(ready_ids) / total, 1) if total else 0.0, len(ready_ids), total)

    def tally(ident: str, title: str, category: str, members: list[CriterionStatus]) -> Tally:
        return Tally(ident, title, sum(1 for c in members if c.id in ready_ids), len(members), category)

    categories = [
        tally(cat.id, cat.title, cat.id, [c for c in criteria_status if c.category == cat.id])
        for cat in program.catalog.categories
        if cat.id in program.config.scope.categories
    ]
    series = [
        tally(s.id, s.title, s.category, members)
        for s in program.catalog.series
        if (members := [c for c in criteria_status if c.series == s.id])
    ]
    exclusions = []
    for exclusion in program.config.scope.exclusions:
        known = program.catalog.criterion(exclusion.criterion)
        exclusions.append((exclusion.criterion, known.title if known else "(not in the catalog)", exclusion.reason))
    frequencies = {r.frequency for c in controls for r in c.requirements}
    return Readiness(
        view=view,
        organization=program.config.organization,
        system=program.config.system.name,
        score=score,
        criteria=criteria_status,
        exclusions=exclusions,
        controls=controls,
        out_of_scope_controls=out_of_scope,
        categories=categories,
        series=series,
        gaps=_gaps(program, view, criteria_status, controls, ready_ids, not_counted=judge.not_counted),
        notes=view_notes(view, frequencies),
        not_counted=sorted(judge.not_counted.values(), key=lambda n: (n.control, n.record)),
        exceptions=[
            _exception_noted(d) for c in controls if c.exceptions for d in judge.deviations(c.control.id) if d.id in c.exceptions
        ],
    )


def _exception_noted(deviation: Deviation) -> ExceptionNoted:
    # Only approved deviations get here: both are set.
    assert deviation.approved_by is not None
    assert deviation.approved_on is not None
    return ExceptionNoted(
        deviation.id,
        deviation.control,
        deviation.requirement,
        deviation.window,
        deviation.sample,
        deviation.description,
        deviation.management_response,
        deviation.approved_by,
        deviation.approved_on,
        DEVIATIONS_REGISTER,
    )


class _Judge:
    """Assesses controls under one view; caches the windows of each frequency."""

    def __init__(self, program: Program, view: View, flaws: Flaws) -> None:
        self.program = program
        self.view = view
        self.flaws = flaws
        self.not_counted: dict[str, NotCounted] = {}
        self._windows: dict[str, tuple[list[periods.Window], list[date], list[WindowStatus]]] = {}

    def deviations(self, control_id: str) -> list[Deviation]:
        """The control's approved deviations (an unapproved one changes nothing; its rule reports it)."""
        return [d for d in self.program.deviations_of(control_id) if d.approved(self.program.today)]

    def control(self, control: Control, criteria: list[str]) -> ControlStatus:
        program, view = self.program, self.view
        collected = [r for r in program.evidence_of(control) if r.collected <= view.now]
        counted = [r for r in collected if r.id not in self.flaws]
        rejected = [r for r in collected if r.id in self.flaws]
        deviations = self.deviations(control.id)
        for record in rejected:
            reasons = tuple(f.reason for f in self.flaws[record.id] if f.disqualifies)
            path = program.source("evidence", record.id).path
            self.not_counted[record.id] = NotCounted(record.id, control.id, record.requirement, path, reasons)
        requirements: list[tuple[str, str, int | None]] = [
            (req.id, req.frequency or control.frequency, index) for index, req in enumerate(control.evidence)
        ]
        if not requirements:
            requirements = [("", control.frequency, None)]
        # Design records show how the control is built; they satisfy no window and never make it look fresh.
        operating_records = [r for r in counted if r.purpose == "operating"]
        operating_rejected = [r for r in rejected if r.purpose == "operating"]
        statuses = []
        for req_id, frequency, index in requirements:
            records = [r for r in operating_records if r.requirement == req_id] if req_id else operating_records
            bad = [r for r in operating_rejected if r.requirement == req_id] if req_id else operating_rejected
            named: dict[str, list[str]] = {}
            for deviation in deviations:
                if deviation.window is not None and deviation.requirement in (None, req_id):
                    named.setdefault(deviation.window, []).append(deviation.id)
            statuses.append(self._requirement(req_id, frequency, index, records, bad, named))
            if index is not None:
                statuses[-1].collector = control.evidence[index].collector

        problems: list[str] = []
        policy_ok = bool(control.policies)
        if not control.policies:
            problems.append("implements no policy")
        for policy_id in control.policies:
            policy = program.policies.get(policy_id)
            if policy is None:
                policy_ok = False
                problems.append(f"policy {policy_id} does not exist")
            elif policy.status != "approved":
                policy_ok = False
                problems.append(f"policy {policy_id} is {policy.status}, not approved")
            elif policy.effective > view.reference:
                policy_ok = False
                problems.append(f"policy {policy_id} takes effect on {policy.effective}, after {view.reference}")
        owner_ok = control.owner.strip().lower() not in _PLACEHOLDER_OWNERS
        if not owner_ok:
            problems.append(f"owner is '{control.owner}', not a role")
        described = _procedure_described(program, control)
        if not described:
            problems.append("its procedure is not described (the Description section is missing or empty)")
        if not control.evidence:
            problems.append("defines no evidence requirement")
        if not counted:
            problems.append(
                (
                    f"no design record or other evidence on or before {view.now}"
                    if view.type == "type1"
                    else "no evidence recorded"
                )
                + (f" that counts ({len(rejected)} failing verification)" if rejected else "")
            )
        design: dict[DesignCheck, bool] = {
            "policy_approved": policy_ok,
            "owner_set": owner_ok,
            "procedure_described": described,
            "requirement_defined": bool(control.evidence),
            "has_evidence": bool(counted),
        }
        states = {w.state for s in statuses for w in s.windows}
        operating: bool | None
        if "missing" in states:
            operating = False
        elif "satisfied" in states or "exception" in states:
            operating = True
        else:
            operating = None
        return ControlStatus(
            control=control,
            path=program.source("control", control.id).path,
            criteria=criteria,
            design=design,
            design_problems=problems,
            requirements=statuses,
            operating=operating,
            exceptions=self._exceptions(deviations, statuses),
            design_records=[r.id for r in counted if r.purpose == "design"],
        )

    def _exceptions(self, deviations: list[Deviation], statuses: list[RequirementStatus]) -> list[str]:
        """The approved deviations that apply to the view, in the log's order: those that made a window of
        it an exception, and those about a sample item alone that `_sample_in_view` keeps."""
        if not deviations:
            return []
        named = {d for status in statuses for window in status.windows for d in window.deviations}
        return [d.id for d in deviations if d.id in named or (d.window is None and self._sample_in_view(d))]

    def _sample_in_view(self, deviation: Deviation) -> bool:
        """A deviation about one sample item names no window, so its approval dates it: management
        approves the response once the item was found, so one approved on or after the period's
        start is about this period (or its aftermath, before the report). Type I tests no operation
        and so notes no exceptions."""
        if self.view.period is None or deviation.approved_on is None:
            return False
        return deviation.approved_on >= self.view.period[0]

    def _requirement(  # noqa: PLR0917 - private, called from one place with the requirement's parts
        self,
        req_id: str,
        frequency: str,
        index: int | None,
        records: list[EvidenceRecord],
        rejected: list[EvidenceRecord],
        deviations: dict[str, list[str]],
    ) -> RequirementStatus:
        view = self.view
        windows: list[WindowStatus] = []
        if view.tests_operation:
            windows = self._type2_windows(frequency, self._spans(records))
            if rejected:
                # The windows the failing records would have satisfied, so a report can say why each is short.
                would = self._type2_windows(frequency, self._spans(rejected))
                windows = [replace(w, rejected=x.records) if x.records else w for w, x in zip(windows, would, strict=True)]
            if deviations:
                windows = [
                    replace(w, state="exception", deviations=tuple(ids)) if (ids := deviations.get(w.window.label)) else w
                    for w in windows
                ]
        newest = max((r.collected for r in records), default=None)
        fresh_until = periods.stale_after(newest, frequency, view.grace) if newest is not None else None
        stale = view.tests_operation and fresh_until is not None and fresh_until < view.freshness_date
        return RequirementStatus(req_id, frequency, index, windows, len(records), newest, fresh_until, stale)

    def _spans(self, records: list[EvidenceRecord]) -> list[tuple[str, tuple[date, date]]]:
        return [(record.id, span) for record in records if (span := self._span(record)) is not None]

    def _span(self, record: EvidenceRecord) -> tuple[date, date] | None:
        first, last = (record.covers.start, record.covers.end) if record.covers else (record.collected, record.collected)
        last = min(last, self.view.now)
        return (first, last) if first <= last else None

    def _state(self, window: periods.Window, due: date, satisfied: bool) -> WindowState:
        today = self.view.today
        if satisfied:
            return "satisfied"
        if due < today:
            return "missing"
        if window.end < today:
            return "due"
        return "open" if window.start <= today else "upcoming"

    def _period_windows(self, frequency: str) -> tuple[list[periods.Window], list[date], list[WindowStatus]]:
        """The period's windows of `frequency`, their starts, and their statuses without evidence (cached;
        the statuses are frozen, so every requirement without evidence for a window shares them)."""
        cached = self._windows.get(frequency)
        if cached is None:
            assert self.view.period is not None
            windows = periods.windows(frequency, *self.view.period)
            grace = periods.effective_grace(frequency, self.view.grace)
            unsatisfied = []
            for window in windows:
                due = add_interval(window.end, grace)
                unsatisfied.append(WindowStatus(window, due, self._state(window, due, satisfied=False)))
            cached = (windows, [w.start for w in windows], unsatisfied)
            self._windows[frequency] = cached
        return cached

    def _type2_windows(self, frequency: str, spans: list[tuple[str, tuple[date, date]]]) -> list[WindowStatus]:
        windows, starts, unsatisfied = self._period_windows(frequency)
        result = list(unsatisfied)
        matched: dict[int, list[str]] = {}
        if frequency == periods.ON_EVENT:
            only = windows[0]
            ids = [rid for rid, (first, last) in spans if first <= only.end and last >= only.start]
            if ids:
                matched[0] = ids
        else:
            for record_id, span in spans:
                low = max(bisect.bisect_right(starts, span[0]) - 1, 0)
                high = bisect.bisect_right(starts, span[1])
                for i in range(low, high):
                    if periods.satisfies(span, windows[i]):
                        matched.setdefault(i, []).append(record_id)
        for i, ids in matched.items():
            result[i] = WindowStatus(windows[i], unsatisfied[i].due, "satisfied", tuple(ids))
        return result


def _gaps(
    program: Program,
    view: View,
    criteria: list[CriterionStatus],
    controls: list[ControlStatus],
    ready_ids: set[str],
    *,
    not_counted: dict[str, NotCounted],
) -> list[Gap]:
    rejected_of: dict[str, list[NotCounted]] = {}
    for record in not_counted.values():
        rejected_of.setdefault(record.control, []).append(record)
    gaps = [
        Gap("criterion", c.id, c.title, "", CONFIG_FILE, ("no in-scope control addresses it",), (c.id,))
        for c in criteria
        if c.state == "uncovered"
    ]
    policy_controls: dict[str, list[ControlStatus]] = {}
    for status in controls:
        for policy_id in status.control.policies:
            policy_controls.setdefault(policy_id, []).append(status)
    for policy_id, users in sorted(policy_controls.items()):
        policy = program.policies.get(policy_id)
        if policy is None:
            continue
        reasons = []
        if policy.status != "approved":
            reasons.append(f"status is {policy.status}: it needs approval by {policy.approver or 'its approver'}")
        elif policy.effective > view.reference:
            reasons.append(f"takes effect on {policy.effective}, after {view.reference}")
        if reasons:
            blocked = sorted({cid for s in users for cid in s.criteria if cid not in ready_ids})
            path = program.source("policy", policy.id).path
            gaps.append(Gap("policy", policy.id, policy.title, policy.owner, path, tuple(reasons), tuple(blocked)))
    for status in controls:
        reasons = list(status.design_problems)
        windows_missing = any(w.state == "missing" for r in status.requirements for w in r.windows)
        if windows_missing and not status.design["has_evidence"]:
            reasons.remove(next(p for p in reasons if p.startswith("no evidence recorded")))
        reasons.extend(n.describe() for n in sorted(rejected_of.get(status.control.id, ()), key=lambda n: n.record))
        for requirement in status.requirements:
            name = requirement.id or "evidence"
            missing = [run.label for run in runs(requirement.windows, only="missing")]
            if missing and requirement.frequency == periods.ON_EVENT:
                reasons.append(f"{name}: no record in the period")
            elif missing:
                reasons.append(f"{name}: no evidence for {_labels(missing)}")
            if requirement.stale and requirement.newest is not None:
                reasons.append(f"{name}: stale since {requirement.fresh_until} (newest {requirement.newest})")
        if reasons:
            control = status.control
            control_blocks = tuple(cid for cid in status.criteria if cid not in ready_ids)
            gaps.append(Gap("control", control.id, control.title, control.owner, status.path, tuple(reasons), control_blocks))
    gaps.sort(key=Gap.sort_key)
    return gaps


def _procedure_described(program: Program, control: Control) -> bool:
    """The control's document says how it is done: its Description section has text (the walkthrough's script)."""
    return "description" in program.source("control", control.id).filled_sections


def _labels(labels: list[str], limit: int = 6) -> str:
    if len(labels) <= limit:
        return ", ".join(labels)
    return ", ".join(labels[: limit - 1]) + f", ... ({len(labels)} windows, last {labels[-1]})"


def _iso(day: date | None) -> str | None:
    return day.isoformat() if day is not None else None
