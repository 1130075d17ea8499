"""Auditor population lists from Git, and reproducible samples of them (Type II testing).

Public API
    population(program, control_id, start, end) -> Population
        Every item of the control's population in `start..end` (dates in the audit's time zone):
        - a control mapped to CC8.1 (change management): every change to the program, that is
          every commit on the first-parent line of HEAD that touched `soc2kit.yml`, `policies/` or
          `controls/`, with its author, date, pull request, approvers and files;
        - any other control: its evidence records whose `covers` range (or collected day) meets the
          period, each with the commit that first added it to Git (its arrival), when there is one.
        Streams `git log` once, restricted to the paths the population needs.
    sample(items, size, seed) -> list[Item]
        The `size` items with the smallest sha256 of "<seed>:<item key>": reproducible by anyone
        with the seed and the list, independent of Python's random module and of the list's order,
        and stable when items are added (an item once sampled stays sampled unless a new item ranks
        before it).
    Population, Item, SAMPLE_METHOD
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from soc2kit.errors import UsageError

if TYPE_CHECKING:
    from soc2kit.history import Commit
    from soc2kit.models import Control
    from soc2kit.program import Program

JSON_SHAPE_VERSION = 1
CHANGE_CRITERION = "CC8.1"
CHANGE_PATHS = ("soc2kit.yml", "policies", "controls")
SAMPLE_METHOD = "the N items with the smallest sha256('<seed>:<key>')"
PopulationKind = Literal["program-changes", "evidence-arrivals"]


@dataclass(frozen=True, slots=True)
class Item:
    """One member of a population; `key` identifies it (a commit sha, or an evidence record ID)."""

    key: str
    day: date
    """The change's day, or the first day the record covers (its collected day without `covers`)."""
    title: str
    author: str = ""
    commit: str | None = None
    pr: int | None = None
    approvers: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    arrived: date | None = None
    """When the item reached the first-parent line of HEAD (committer date in the audit's time zone)."""

    def to_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "date": self.day.isoformat(),
            "title": self.title,
            "author": self.author,
            "commit": self.commit,
            "pr": self.pr,
            "approvers": list(self.approvers),
            "paths": list(self.paths),
            "arrived": self.arrived.isoformat() if self.arrived else None,
        }


@dataclass
class Population:
    control: str
    kind: PopulationKind
    start: date
    end: date
    items: list[Item]
    notes: list[str] = field(default_factory=list)

    def to_dict(self, sampled: list[Item] | None = None, seed: str | None = None) -> dict[str, Any]:
        from soc2kit import __version__

        payload: dict[str, Any] = {
            "version": JSON_SHAPE_VERSION,
            "tool": {"name": "soc2kit", "version": __version__},
            "control": self.control,
            "kind": self.kind,
            "period": {"start": self.start.isoformat(), "end": self.end.isoformat()},
            "count": len(self.items),
            "notes": self.notes,
            "items": [item.to_dict() for item in self.items],
            "sample": None,
        }
        if sampled is not None:
            payload["sample"] = {
                "size": len(sampled),
                "seed": seed,
                "method": SAMPLE_METHOD,
                "keys": [item.key for item in sampled],
            }
        return payload


def population(program: Program, control_id: str, start: date, end: date) -> Population:
    """The population of `control_id` over `start..end` (see the module docstring)."""
    control = program.controls.get(control_id) or program.controls.get(control_id.upper())
    if control is None:
        known = ", ".join(sorted(program.controls)[:5])
        raise UsageError(f"no control '{control_id}' in the program (controls look like {known}, ...)")
    if end < start:
        raise UsageError(f"the period ends ({end}) before it starts ({start})")
    zone = ZoneInfo(program.config.audit.timezone)
    if CHANGE_CRITERION in control.criteria:
        return _changes(program, control, start, end, zone)
    return _arrivals(program, control, start, end, zone)


def _history_or_note(program: Program) -> tuple[bool, str]:
    from soc2kit.history import HistoryUnavailableError, repo_info

    try:
        info = repo_info(program.root)
    except HistoryUnavailableError as exc:
        return False, exc.message
    if info.head is None:
        return False, "the Git repository has no commits yet"
    return True, ""


def _changes(program: Program, control: Control, start: date, end: date, zone: ZoneInfo) -> Population:
    from soc2kit.history import iter_commits

    available, why = _history_or_note(program)
    if not available:
        raise UsageError(f"the population of {control.id} (changes to the program, {CHANGE_CRITERION}) lives in Git, but {why}")
    items = [
        _change_item(commit, zone)
        for commit in iter_commits(program.root, first_parent=True, paths=CHANGE_PATHS, since=start, until=end, tz=zone)
        if commit.changes
    ]
    items.reverse()  # oldest first, in the order the changes landed
    notes = [
        (
            f"every commit on the first-parent line of HEAD that changed {', '.join(CHANGE_PATHS)} "
            f"between {start} and {end} (committer date, {zone.key})"
        )
    ]
    return Population(control.id, "program-changes", start, end, items, notes)


def _change_item(commit: Commit, zone: ZoneInfo) -> Item:
    return Item(
        key=commit.sha,
        day=_day(commit.committer_date, zone),
        arrived=_day(commit.committer_date, zone),
        title=commit.subject,
        author=commit.author,
        commit=commit.sha,
        pr=commit.pr,
        approvers=tuple(commit.approvers),
        paths=tuple(change.path for change in commit.changes),
    )


def _arrivals(program: Program, control: Control, start: date, end: date, zone: ZoneInfo) -> Population:
    from soc2kit.history import iter_commits

    records = []
    for record in program.evidence_of(control):
        first, last = (record.covers.start, record.covers.end) if record.covers else (record.collected, record.collected)
        if first <= end and last >= start:
            records.append(record)
    available, why = _history_or_note(program)
    arrived: dict[str, Commit] = {}
    if available:
        folders = sorted({program.source("evidence", r.id).path.rpartition("/")[0] for r in records})
        if folders:
            commits = list(iter_commits(program.root, first_parent=True, paths=folders, show_pulls=False))
            for commit in reversed(commits):  # oldest first, so renames carry the first arrival forward
                for change in commit.changes:
                    if change.status in {"added", "copied"}:
                        arrived.setdefault(change.path, commit)
                    elif change.status == "renamed" and change.old_path is not None:
                        arrived[change.path] = arrived.get(change.old_path, commit)
    items = []
    unarrived = 0
    for record in records:
        path = program.source("evidence", record.id).path
        landed = arrived.get(path)
        if landed is None:
            unarrived += 1
        items.append(
            Item(
                key=record.id,
                day=record.covers.start if record.covers else record.collected,
                title=f"{record.requirement}: "
                + (f"covers {record.covers.start}..{record.covers.end}" if record.covers else f"collected {record.collected}"),
                author=landed.author if landed else record.collector,
                commit=landed.sha if landed else None,
                pr=landed.pr if landed else None,
                approvers=tuple(landed.approvers) if landed else (),
                paths=(path,),
                arrived=_day(landed.committer_date, zone) if landed else None,
            )
        )
    items.sort(key=lambda item: (item.day, item.key))
    notes = [f"evidence records of {control.id} whose covers range (or collected day) meets {start}..{end}"]
    if not available:
        notes.append(f"no Git arrival dates: {why}")
    elif unarrived:
        notes.append(f"{unarrived} record{'s are' if unarrived != 1 else ' is'} not committed to Git yet")
    return Population(control.id, "evidence-arrivals", start, end, items, notes)


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def sample(items: list[Item], size: int, seed: str) -> list[Item]:
    """The `size` items ranking first by sha256("<seed>:<key>"), in population order."""
    if size < 1:
        raise UsageError(f"a sample needs at least one item, not {size}")
    ranked = sorted(items, key=lambda item: hashlib.sha256(f"{seed}:{item.key}".encode()).hexdigest())
    chosen = {item.key for item in ranked[:size]}
    return [item for item in items if item.key in chosen]
