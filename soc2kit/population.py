"""Auditor population lists from Git, and reproducible samples of them (Type II testing).

Public API
    population(program, control_id, start, end) -> Population
        Every item of the control's population in `start..end` (dates in the audit's time zone):
        - a control mapped to CC8.1 (change management): every change to the program, that is
          every commit on the first-parent line of HEAD that touched `soc2kit.yml`, `policies/` or
          `controls/`, with its authors (for a merge, the authors of the commits it merged), its
          merger (a merge commit's author), date, pull request, approvers and files;
        - any other control: its evidence records whose `covers` range (or collected day) meets the
          period, each with the commit that first added it to Git (its arrival), when there is one.
        Streams `git log` once, restricted to the paths the population needs, and once more over the
        whole history when a merge commit needs its merged authors (soc2kit.authorship).
    sample(items, size, seed) -> list[Item]
        The `size` items with the smallest sha256 of "<seed>:<item key>": reproducible by anyone
        with the seed and the list, independent of Python's random module and of the list's order,
        and stable when items are added (an item once sampled stays sampled unless a new item ranks
        before it).
    Population, Item, SAMPLE_METHOD
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo

from soc2kit.errors import UsageError
from soc2kit.layout import CONFIG_FILE, MARKDOWN_FOLDERS

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from soc2kit.authorship import Authorship
    from soc2kit.history import Commit, History
    from soc2kit.models import Control
    from soc2kit.program import Program

JSON_SHAPE_VERSION = 2
"""2: an item's `author` became `authors` (a list) and `merger`: a merge commit's Git author is who
merged it, not who wrote the change."""
CHANGE_CRITERION = "CC8.1"
CHANGE_PATHS = (CONFIG_FILE, *MARKDOWN_FOLDERS)
SAMPLE_METHOD = "the N items with the smallest sha256('<seed>:<key>')"
PopulationKind = Literal["program-changes", "evidence-arrivals", "production-changes"]


@dataclass(frozen=True, slots=True)
class Item:
    """One member of a population; `key` identifies it (a commit sha, or an evidence record ID)."""

    key: str
    day: date
    """The change's day, or the first day the record covers (its collected day without `covers`)."""
    title: str
    authors: tuple[str, ...] = ()
    """Who wrote the change: for a merge, the authors of the commits it merged; else the commit's author
    (for an evidence record not committed yet, its collector)."""
    merger: str | None = None
    """Who merged it: a merge commit's author; None for any other commit."""
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
            "authors": list(self.authors),
            "merger": self.merger,
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
    control = program.find_control(control_id)
    if end < start:
        raise UsageError(f"the period ends ({end}) before it starts ({start})")
    zone = ZoneInfo(program.config.audit.timezone)
    if CHANGE_CRITERION in control.criteria:
        # Production changes recorded by `soc2kit changes population` are the CC8.1 population when there are any.
        from soc2kit.change_population import recorded_population

        recorded = recorded_population(program, control, start, end)
        if recorded is not None:
            items = [Item(**fields) for fields in recorded.items]
            return Population(control.id, "production-changes", start, end, items, recorded.notes)
        return _changes(program, control, start, end, zone)
    return _arrivals(program, control, start, end, zone)


def _history_or_note(program: Program) -> tuple[History | None, str]:
    """The program's first-parent history, or None and why there is none."""
    from soc2kit.history import HistoryUnavailableError, load_history, repo_info

    try:
        info = repo_info(program.root)
    except HistoryUnavailableError as exc:
        return None, exc.message
    if info.head is None:
        return None, "the Git repository has no commits yet"
    return load_history(program.root, info=info), ""


def _changes(program: Program, control: Control, start: date, end: date, zone: ZoneInfo) -> Population:
    from soc2kit.history import day_of

    history, why = _history_or_note(program)
    if history is None:
        raise UsageError(f"the population of {control.id} (changes to the program, {CHANGE_CRITERION}) lives in Git, but {why}")
    found = []
    for commit in history.commits:
        changes = tuple(change for change in commit.changes if _changes_program(change.path))
        if changes and start <= day_of(commit, zone) <= end:
            found.append(replace(commit, changes=changes))
    merged = _merged_authors(history, found)
    items = [_change_item(commit, merged, zone) for commit in reversed(found)]  # oldest first, as they landed
    notes = [
        (
            f"every commit on the first-parent line of HEAD that changed {', '.join(CHANGE_PATHS)} "
            f"between {start} and {end} (committer date, {zone.key})"
        )
    ]
    return Population(control.id, "program-changes", start, end, items, notes)


def _changes_program(path: str) -> bool:
    """Whether `path` is in `CHANGE_PATHS` (the file, or under one of the folders)."""
    return any(path == part or path.startswith(part + "/") for part in CHANGE_PATHS)


def _merged_authors(history: History, commits: Iterable[Commit]) -> Mapping[str, tuple[str, ...]]:
    """The merged authors of the merge commits among `commits`: one pass over Git, and none without a merge."""
    from soc2kit.authorship import merged_authors

    merges = [commit.sha for commit in commits if commit.is_merge]
    if not merges or history.head is None:
        return {}
    return merged_authors(history.root, history.head, merges)


def _change_item(commit: Commit, merged: Mapping[str, tuple[str, ...]], zone: ZoneInfo) -> Item:
    who = _authorship(commit, merged)
    return Item(
        key=commit.sha,
        day=_day(commit.committer_date, zone),
        arrived=_day(commit.committer_date, zone),
        title=commit.subject,
        authors=who.authors,
        merger=who.merger,
        commit=commit.sha,
        pr=commit.pr,
        approvers=tuple(commit.approvers),
        paths=tuple(change.path for change in commit.changes),
    )


def _arrivals(program: Program, control: Control, start: date, end: date, zone: ZoneInfo) -> Population:
    records = []
    for record in program.evidence_of(control):
        first, last = (record.covers.start, record.covers.end) if record.covers else (record.collected, record.collected)
        if first <= end and last >= start:
            records.append(record)
    history, why = _history_or_note(program)
    arrived: dict[str, Commit] = {}
    if history is not None:
        for record in records:
            path = program.source("evidence", record.id).path
            lineage = history.lineage(path)  # newest first, across renames: the oldest is its arrival
            if lineage and lineage[-1].change.status in {"added", "copied", "renamed"}:
                arrived[path] = lineage[-1].commit
    merged = _merged_authors(history, arrived.values()) if history is not None else {}
    items = []
    unarrived = 0
    for record in records:
        path = program.source("evidence", record.id).path
        landed = arrived.get(path)
        if landed is None:
            unarrived += 1
        who = _authorship(landed, merged) if landed else None
        items.append(
            Item(
                key=record.id,
                day=record.covers.start if record.covers else record.collected,
                title=f"{record.requirement}: "
                + (f"covers {record.covers.start}..{record.covers.end}" if record.covers else f"collected {record.collected}"),
                authors=who.authors if who else (record.collector,),
                merger=who.merger if who else None,
                commit=landed.sha if landed else None,
                pr=landed.pr if landed else None,
                approvers=tuple(landed.approvers) if landed else (),
                paths=(path,),
                arrived=_day(landed.committer_date, zone) if landed else None,
            )
        )
    items.sort(key=lambda item: (item.day, item.key))
    notes = [f"evidence records of {control.id} whose covers range (or collected day) meets {start}..{end}"]
    if history is None:
        notes.append(f"no Git arrival dates: {why}")
    elif unarrived:
        notes.append(f"{unarrived} record{'s are' if unarrived != 1 else ' is'} not committed to Git yet")
    return Population(control.id, "evidence-arrivals", start, end, items, notes)


def _authorship(commit: Commit, merged: Mapping[str, tuple[str, ...]]) -> Authorship:
    from soc2kit.authorship import authorship

    return authorship(commit, merged)


def _day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


def sample(items: list[Item], size: int, seed: str) -> list[Item]:
    """The `size` items ranking first by sha256("<seed>:<key>"), in population order."""
    if size < 1:
        raise UsageError(f"--sample needs a positive number of items, not {size}: a sample holds at least one item")
    ranked = sorted(items, key=lambda item: hashlib.sha256(f"{seed}:{item.key}".encode()).hexdigest())
    chosen = {item.key for item in ranked[:size]}
    return [item for item in items if item.key in chosen]
