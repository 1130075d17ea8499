"""Verify evidence: recompute every digest, find unrecorded files, and read Git history for later changes.

verify_evidence(program, history=None)
                                every digest recomputed; missing, changed and unrecorded files;
                                with Git history, evidence changed after it was committed,
                                back-dated records, evidence not committed
evidence_flaws(program, history=None) -> {record ID: (Flaw, ...)}
                                why each record does not count for readiness (the
                                error-severity findings above); file_flaws(program) the
                                part from files alone, computed once per program
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

from soc2kit.layout import EVIDENCE_DIR, FOLDERS
from soc2kit.line_endings import conversion, mismatch_hint
from soc2kit.program import MemoKey
from soc2kit.repo_paths import RepoPaths

if TYPE_CHECKING:
    from datetime import tzinfo

    from soc2kit.diagnostics import Diagnostic
    from soc2kit.documents import Document
    from soc2kit.history import Change, Commit, History
    from soc2kit.models import EvidenceRecord
    from soc2kit.program import Program

_RECORD_SUFFIXES = next(folder.suffixes for folder in FOLDERS if folder.name == EVIDENCE_DIR)
"""Names read as evidence records under `evidence/`."""
_NOT_EVIDENCE_NAMES = {"README.md", "index.md"}


def verify_evidence(program: Program, history: History | None = None) -> list[Diagnostic]:
    """Every evidence file's digest recomputed (Git LFS pointers by their oid): SK401 missing,
    SK402 changed, SK404 outside the repository, SK409 a record that lists no files, SK405 a file
    under `evidence/` in no record.

    With an available `history` (`soc2kit.history.load_history`), also: SK406 a record or file
    changed by a commit after the one that first added it, SK407 a record whose `collected` date is
    later than the day that commit was made (in the audit's time zone), SK410 one first committed
    more than the evidence grace period after its `collected` date, SK408 a record or file not
    committed yet or with uncommitted changes. History is read in one streaming pass plus one
    `git status`, whatever the number of records.

    The program's own findings about evidence records (unreadable or invalid records, unknown
    controls) are included, as are problems reading `soc2kit.yml`. The error-severity findings
    about a record are exactly `evidence_flaws`: the reasons it does not count for readiness."""
    from soc2kit.diagnostics import diagnostic
    from soc2kit.layout import CONFIG_FILE
    from soc2kit.registry import SYSTEM_FINDINGS

    # SK401, SK402, SK404 and SK409 come from the program's own evidence rule (soc2kit.rules.evidence),
    # which took them from `file_flaws` as this run loaded the program (hashing afresh with --no-cache).
    found: list[Diagnostic] = [
        d
        for d in program.diagnostics
        if (d.path == CONFIG_FILE and d.code.startswith("SK0"))  # soc2kit.yml unreadable or invalid, not scope findings
        or (d.path.startswith(f"{EVIDENCE_DIR}/") and d.code not in SYSTEM_FINDINGS)
    ]
    paths = RepoPaths(program.root)
    recorded: set[str] = set()
    tracked = _tracked(program, paths, recorded)
    recorded.update(_files_of_invalid_records(program, paths))
    found.extend(
        diagnostic("SK405", path, 1, f"'{path}' is in no evidence record", _unrecorded_hint(path))
        for path in _evidence_files(program.root)
        if path not in recorded
    )
    if history is not None and history.available:
        found.extend(flaw.finding for flaw in _history_flaws(program, history, tracked, uncommitted=True))
    return found


@dataclass(frozen=True, slots=True)
class Flaw:
    """One reason an evidence record does not count: the finding `check` or `evidence verify`
    reports about it, and the same in a few words for `soc2kit status`."""

    record: str
    """The record's ID."""
    finding: Diagnostic
    reason: str
    """For example "file evidence/AC-06/q1.csv changed on 2026-05-02, after it was committed on 2026-04-03"."""

    @property
    def disqualifies(self) -> bool:
        """Error-severity findings (by the rule table, whatever `soc2kit.yml` sets) make a record not count."""
        from soc2kit.registry import RULES, Severity

        return RULES[self.finding.code].severity is Severity.ERROR


Flaws = dict[str, tuple[Flaw, ...]]
"""Record ID -> why it does not count; a record that counts is absent."""
_FILE_FLAWS: MemoKey[Flaws] = MemoKey("evidence file flaws")


def evidence_flaws(program: Program, history: History | None = None) -> Flaws:
    """Why each evidence record does not count for readiness (the one definition of good evidence).

    Always: every file it lists is inside the repository, a regular file, and has the sha256 the
    record gives (an LFS pointer by its oid), and it lists at least one file (`file_flaws`). With an
    available `history`, also: no commit changed the record or a file after the one that first added
    it, and that commit was made neither before the `collected` date nor more than the evidence grace
    period after it. Evidence not committed yet is judged on its files alone."""
    found = dict(file_flaws(program))
    if history is None or not history.available or not program.evidence:
        return found
    later: dict[str, list[Flaw]] = {}
    for flaw in _history_flaws(program, history, _tracked(program, RepoPaths(program.root)), uncommitted=False):
        if flaw.disqualifies:
            later.setdefault(flaw.record, []).append(flaw)
    for record_id, flaws in later.items():
        found[record_id] = (*found.get(record_id, ()), *flaws)
    return found


def file_flaws(program: Program) -> Flaws:
    """The flaws found from the files alone (SK401, SK402, SK404, SK409), computed once per program:
    `check`'s evidence rule reports them, readiness and `evidence verify` reuse them."""
    known = program.memo.get(_FILE_FLAWS)
    if known is None:
        paths = RepoPaths(program.root)
        known = {}
        for record in program.evidence.values():
            if flaws := tuple(_file_flaws_of(program, paths, record)):
                known[record.id] = flaws
        program.memo.put(_FILE_FLAWS, known)
    return known


def _file_flaws_of(program: Program, paths: RepoPaths, record: EvidenceRecord) -> Iterator[Flaw]:
    from soc2kit.diagnostics import diagnostic
    from soc2kit.digests import NotARegularFileError

    doc = program.source("evidence", record.id)
    if not record.files:
        message = f"evidence record {record.id} lists no files, so it shows nothing and satisfies no window"
        yield Flaw(record.id, diagnostic("SK409", doc.path, doc.line_of("files"), message), "it lists no files")
        return
    folder = doc.path.rpartition("/")[0]
    for index, item in enumerate(record.files):
        _, relpath = paths.resolve(folder, item.path)
        # Lines are looked up only for a flaw: finding one re-reads the document, too slow for every file.
        if relpath is None:
            message = f"evidence file '{item.path}' points outside the repository"
            line = doc.line_of("files", index, "path")
            yield Flaw(record.id, diagnostic("SK404", doc.path, line, message), f"file {item.path} is outside the repository")
            continue
        try:
            actual = program.evidence_sha256(relpath)
        except NotARegularFileError:
            message = f"evidence file '{relpath}' is not a regular file"
            line = doc.line_of("files", index, "path")
            yield Flaw(record.id, diagnostic("SK401", doc.path, line, message), f"file {relpath} is not a regular file")
            continue
        except OSError:
            message = f"evidence file '{relpath}' does not exist"
            line = doc.line_of("files", index, "path")
            yield Flaw(record.id, diagnostic("SK401", doc.path, line, message), f"file {relpath} is missing")
            continue
        if actual != item.sha256:
            message = f"evidence file '{relpath}' has sha256 {actual[:12]}..., the record says {item.sha256[:12]}..."
            converted = conversion(program.root / relpath, item.sha256)
            yield Flaw(
                record.id,
                diagnostic(
                    "SK402",
                    doc.path,
                    doc.line_of("files", index, "sha256"),
                    message,
                    mismatch_hint(converted) if converted is not None else "",
                ),
                f"file {relpath} does not match its recorded sha256 (changed after it was recorded)",
            )


@dataclass(frozen=True, slots=True)
class _Tracked:
    """A record, or a file a record names, whose Git history is checked."""

    doc: Document
    loc: tuple[str | int, ...]
    path: str
    record_id: str
    record: EvidenceRecord | None = None
    """Set when `path` is the record itself."""

    @property
    def record_path(self) -> str:
        return self.doc.path

    @property
    def line(self) -> int:
        return self.doc.line_of(*self.loc)

    @property
    def what(self) -> str:
        return "evidence record" if self.record is not None else f"evidence file '{self.path}'"

    @property
    def short(self) -> str:
        return "the record" if self.record is not None else f"file {self.path}"


def _tracked(program: Program, paths: RepoPaths, recorded: set[str] | None = None) -> list[_Tracked]:
    """Every record and every file inside the repository it names; `recorded` gathers their paths."""
    tracked: list[_Tracked] = []
    for record in program.evidence.values():
        doc = program.source("evidence", record.id)
        if recorded is not None:
            recorded.add(doc.path)
        tracked.append(_Tracked(doc, ("id",), doc.path, record.id, record))
        folder = doc.path.rpartition("/")[0]
        for index, item in enumerate(record.files):
            lexical, real = paths.resolve(folder, item.path)
            if recorded is not None:
                recorded.update(path for path in (lexical, real) if path is not None)
            if real is not None:
                loc = ("files", index, "path")
                tracked.extend(_Tracked(doc, loc, path, record.id) for path in dict.fromkeys((lexical or real, real)))
    return tracked


def _history_flaws(program: Program, history: History, tracked: list[_Tracked], *, uncommitted: bool) -> Iterator[Flaw]:
    """SK406, SK407, SK410 and (with `uncommitted`, one `git status`) SK408, each as a Flaw."""
    from zoneinfo import ZoneInfo

    from soc2kit.diagnostics import diagnostic

    zone = ZoneInfo(program.config.audit.timezone)
    grace = program.config.audit.evidence_grace
    # A shallow clone's oldest commit shows every file as added on its day: it cannot date a record.
    cut = history.commits[-1].sha if history.shallow and history.commits else None
    states = _uncommitted(program.root, history) if uncommitted else {}
    for item in tracked:
        state = states.get(item.path)
        changes = [(revision.commit, revision.change) for revision in history.lineage(item.path)]
        if state == "untracked" or not changes:
            if not uncommitted:
                continue  # SK408 is a warning: it does not stop a record counting, so only verify reports it
            message = f"{item.what} is not committed yet, so Git cannot vouch for when it arrived"
            yield Flaw(
                item.record_id, diagnostic("SK408", item.record_path, item.line, message), f"{item.short} is not committed"
            )
            continue
        if state is not None:
            message = f"{item.what} has uncommitted changes"
            yield Flaw(
                item.record_id,
                diagnostic("SK408", item.record_path, item.line, message),
                f"{item.short} has uncommitted changes",
            )
        first_commit, _ = changes[-1]
        added_on = _day(first_commit, zone)
        later = [(commit, change) for commit, change in changes[:-1] if _changes_content(change)]
        if later:
            commit, change = later[0]
            more = f" (and {len(later) - 1} more)" if len(later) > 1 else ""
            message = (
                f"{item.what} was {change.status} by commit {commit.short} on {_day(commit, zone)} ({commit.author}){more}, "
                f"after commit {first_commit.short} added it on {added_on}"
            )
            yield Flaw(
                item.record_id,
                diagnostic("SK406", item.record_path, item.line, message),
                f"{item.short} was {change.status} on {_day(commit, zone)}, after it was committed on {added_on}",
            )
        record = item.record
        if record is None or first_commit.sha == cut:
            continue
        if record.collected > added_on:
            message = (
                f"collected {record.collected} is later than {added_on}, the day commit {first_commit.short} added this record"
            )
            yield Flaw(
                item.record_id,
                diagnostic("SK407", item.record_path, item.doc.line_of("collected"), message),
                f"collected {record.collected}, after the commit that added it on {added_on}",
            )
        elif (deadline := _grace_end(record.collected, grace)) is not None and added_on > deadline:
            message = (
                f"collected {record.collected}, but commit {first_commit.short} added this record only on {added_on}, "
                f"more than the evidence grace period ({grace}) later: Git cannot vouch that it existed on {record.collected}"
            )
            yield Flaw(
                item.record_id,
                diagnostic("SK410", item.record_path, item.doc.line_of("collected"), message),
                f"collected {record.collected} but first committed on {added_on}, more than {grace} later (back-dated?)",
            )


def _grace_end(collected: date, grace: str) -> date | None:
    """The last day a record collected on `collected` may arrive in Git; None past the calendar's end."""
    from soc2kit.models import add_interval

    try:
        return add_interval(collected, grace)
    except (ValueError, OverflowError):
        return None


def _day(commit: Commit, zone: tzinfo) -> date:
    from soc2kit.history import day_of

    return day_of(commit, zone)


def _changes_content(change: Change) -> bool:
    """Everything but a pure rename (a moved record folder keeps its evidence intact)."""
    return not (change.status == "renamed" and change.similarity == 100)


def _uncommitted(root: Path, history: History) -> dict[str, str]:
    """Program-relative paths under evidence/ that are untracked, or changed since HEAD (one `git status`)."""
    from soc2kit.git import GitError, run

    if history.toplevel is None:
        return {}
    try:
        out = run(["status", "--porcelain=v1", "-z", "--untracked-files=all", "--no-renames", "--", EVIDENCE_DIR], cwd=root)
    except GitError:
        return {}
    prefix = history.prefix
    states: dict[str, str] = {}
    for entry in out.decode("utf-8", "surrogateescape").split("\0"):
        if len(entry) > 3 and entry.startswith(prefix, 3):
            states[entry[3 + len(prefix) :]] = "untracked" if entry.startswith("??") else "changed"
    return states


def _unrecorded_hint(path: str) -> str:
    parts = path.split("/")
    control = parts[1] if len(parts) > 2 else "CONTROL"
    return f"record it with `soc2kit evidence add {control} {path}` and delete the original, or remove it"


def _files_of_invalid_records(program: Program, paths: RepoPaths) -> Iterator[str]:
    """Files named by records that failed validation: already reported, so not reported again as unrecorded."""
    for doc in program.documents.values():
        if doc.kind != "evidence" or (doc.entity_id is not None and doc.entity_id in program.evidence):
            continue
        yield doc.path
        data = doc.data
        files = data.get("files") if data is not None else None
        if not isinstance(files, list):
            continue
        folder = doc.path.rpartition("/")[0]
        for item in files:
            if isinstance(item, dict) and isinstance(item.get("path"), str):
                lexical, real = paths.resolve(folder, item["path"])
                yield from (p for p in (lexical, real) if p is not None)


def _evidence_files(root: Path) -> Iterator[str]:
    """Every file under evidence/ that is not a record, a README or hidden (`.` or `_`), sorted."""
    top = os.path.join(root, EVIDENCE_DIR)
    if os.path.isdir(top):
        yield from _walk_files(top, EVIDENCE_DIR)


def _walk_files(folder: str, prefix: str) -> Iterator[str]:
    with os.scandir(folder) as scan:
        entries = sorted(scan, key=lambda e: e.name)
    for entry in entries:
        name = entry.name
        if name.startswith((".", "_")) or name.endswith(_RECORD_SUFFIXES):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk_files(entry.path, f"{prefix}/{name}")
        elif name not in _NOT_EVIDENCE_NAMES:
            yield f"{prefix}/{name}"
