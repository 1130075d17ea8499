"""The auditor's bundle: one deterministic zip for an audit period, built from Git objects.

Public API
    build_bundle(root, start, end, output, *, include_failed_evidence=False) -> BundleResult
        The auditor's zip (see docs/bundle.md and docs/auditors.md): the trail from the period start
        to HEAD (commits after the period end listed in bundle.json), the evidence records of the
        period and their files (as committed at HEAD), every version of every policy in force during
        the period, the program as it stood at the period end (its controls describe the matrix),
        FINDINGS.json (the records that fail
        verification), CHANGES.json and CHANGES.csv (the change-management verdicts of
        `soc2kit.changes.check_changes` from the period start, excepted findings marked), the
        report's parts (read at HEAD, where they are finished after the period: management's
        assertion, the system description, the subservice organizations, the user entity controls,
        the deviations log as the readiness model notes it; and the control matrix of
        `soc2kit.matrix` as two CSV files and a workbook), bundle.json and MANIFEST.sha256
        (`sha256sum -c` format) over every other entry. Written atomically, deterministically: the
        windows are judged on the day of the newest commit, not the clock's. With GITHUB_TOKEN set,
        the verdicts include the pull requests' GitHub reviews.

        When evidence of the period fails verification (`soc2kit.evidence.evidence_flaws`: a file
        missing, changed or outside the repository, a record edited after its commit or back-dated;
        or an evidence document that may belong to the period and is not a valid record), nothing is
        written and `BundleResult.written` is False, unless `include_failed_evidence`.
    BundleResult, FailedRecord
Raises UsageError (exit 2) for: no Git repository, no commits, an inverted period, a period that
ends before the first commit, an output that is a folder or in a missing folder. Nothing is
written then.

Nothing outside the program folder enters the zip: evidence paths are confined with
`soc2kit.repo_paths.RepoPaths`, only regular files are opened, and every entry name is checked in
one place (`_entry_name`) right before it is written.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import stat
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from soc2kit import __version__
from soc2kit.changes import ChangesReport, check_changes
from soc2kit.errors import UsageError
from soc2kit.files import atomic_writer
from soc2kit.git import Blobs, repo_info
from soc2kit.layout import CONFIG_FILE, MARKDOWN_FOLDERS, folder_of
from soc2kit.repo_paths import RepoPaths
from soc2kit.tables import Table, csv_bytes
from soc2kit.trail import SHAPE_VERSION, _check_range, export_trail

if TYPE_CHECKING:
    import zipfile

    from soc2kit.diagnostics import Diagnostic
    from soc2kit.git import RepoInfo
    from soc2kit.github import Approval
    from soc2kit.history import History
    from soc2kit.models import EvidenceRecord
    from soc2kit.program import Program
    from soc2kit.readiness import Readiness, View

FINDINGS_FILE = "FINDINGS.json"
CHANGES_FILE = "CHANGES.json"
CHANGES_TABLE = "CHANGES.csv"
ASSERTION_FILE = "MANAGEMENT-ASSERTION.md"
SUBSERVICE_FILE = "SUBSERVICE-ORGANIZATIONS.json"
USER_ENTITY_FILE = "USER-ENTITY-CONTROLS"
DEVIATIONS_FILE = "DEVIATIONS"
BUNDLE_VERSION = 3
"""2: CHANGES.json and CHANGES.csv (the change-management verdicts); the trail inside is trail shape 2.
3: the report's parts: MANAGEMENT-ASSERTION.md, system-description/, SUBSERVICE-ORGANIZATIONS.json,
USER-ENTITY-CONTROLS.json/.csv, DEVIATIONS.json/.csv, control-windows.csv and control-matrix.xlsx; the
control matrix gains description, test procedure, kind, automation and policies; CSV cells that a
spreadsheet would run as formulas start with an apostrophe."""
REGISTERS_VERSION = 1
DEVIATION_COLUMNS = (
    "id",
    "control",
    "requirement",
    "window",
    "sample",
    "description",
    "cause",
    "effect",
    "remediation",
    "management_response",
    "approved_by",
    "approved_on",
)
USER_ENTITY_COLUMNS = ("id", "description", "criteria")
CHANGES_VERSION = 1
CHANGES_COLUMNS = (
    "commit",
    "day",
    "change_kind",
    "pr",
    "authors",
    "merger",
    "approvers",
    "findings",
    "excepted",
    "exempt",
    "subject",
)
_ZIP_TIME = (1980, 1, 1, 0, 0, 0)
_POLICY_VERSIONS = "policy-versions"


@dataclass(frozen=True)
class FailedRecord:
    """An evidence record of the period that fails verification, and every reason why."""

    record: str
    path: str
    control: str
    findings: tuple[Diagnostic, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "path": self.path,
            "control": self.control,
            "findings": [
                {"code": d.code, "rule": d.rule.name, "line": d.line, "message": d.message, "hint": d.hint} for d in self.findings
            ],
        }


@dataclass
class BundleResult:
    """What `build_bundle` did. `written` is False when failing evidence stopped it (see `failed`)."""

    path: Path
    written: bool
    head: str
    period_end_commit: str
    sha256: str = ""
    entries: int = 0
    failed: list[FailedRecord] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    """Evidence files of the period absent at HEAD (or not regular files)."""
    outside: list[str] = field(default_factory=list)
    """Evidence paths of the period that leave the repository, as the records give them; never read."""


def _in_period(record: EvidenceRecord, start: date, end: date) -> bool:
    if record.covers is not None:
        return record.covers.start <= end and record.covers.end >= start
    return start <= record.collected <= end


def _read_regular(path: str) -> bytes | None:
    """The bytes of the regular file at `path`, or None for anything else (missing, link, pipe,
    device, folder). The pipe is never waited on: O_NONBLOCK, then fstat before reading."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except OSError:
        return None
    try:
        regular = stat.S_ISREG(os.fstat(fd).st_mode)
    except OSError:
        regular = False
    if not regular:
        os.close(fd)
        return None
    with os.fdopen(fd, "rb") as handle:
        return handle.read()


class _Files:
    """Reads files of one program folder by repository path; nothing that resolves outside it."""

    def __init__(self, root: Path) -> None:
        self.paths = RepoPaths(root)

    def read(self, folder: str, path: str) -> tuple[str | None, bytes | None]:
        """(the path's name inside the repository or None if it leaves it, its bytes or None)."""
        lexical, real = self.paths.resolve(folder, path)
        if lexical is None or real is None:
            return None, None
        return lexical, _read_regular(os.path.join(self.paths.root, real))


def _entry_name(name: str) -> str:
    """`name` when it is a safe zip entry name: relative, `/`-separated, no `.` or `..` part, no
    backslash, drive letter or control character. The one check before anything is written."""
    parts = name.split("/")
    if (
        not name
        or name.startswith("/")
        or "\\" in name
        or ":" in parts[0]
        or any(part in {"", ".", ".."} for part in parts)
        or any(ord(char) < 0x20 or ord(char) == 0x7F for char in name)
    ):
        raise UsageError(f"refusing to write the zip entry {name!r}: not a plain relative path; rename that file")
    return name


def _zip_info(name: str) -> zipfile.ZipInfo:
    import zipfile

    info = zipfile.ZipInfo(_entry_name(name), date_time=_ZIP_TIME)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.create_system = 3
    info.external_attr = (0o100644 & 0xFFFF) << 16
    return info


def _failed_records(program: Program, history: History, records: list[EvidenceRecord]) -> list[FailedRecord]:
    """The records of `records` that fail verification, with the reasons (error-severity findings)."""
    from soc2kit.evidence import evidence_flaws

    flaws = evidence_flaws(program, history)
    failed = []
    for record in records:
        found = tuple(flaw.finding for flaw in flaws.get(record.id, ()) if flaw.disqualifies)
        if found:
            path = program.source("evidence", record.id).path
            failed.append(FailedRecord(record.id, path, record.control, tuple(sorted(found, key=lambda d: d.sort_key()))))
    return failed


def _unreadable_records(program: Program, start: date, end: date) -> list[FailedRecord]:
    """Evidence documents that are not valid records (so not in the bundle) with error findings,
    unless the dates they hold put them outside the period: dropping them silently would hide them."""
    from soc2kit.registry import RULES, Severity

    errors: dict[str, list[Diagnostic]] = {}
    for finding in program.diagnostics:
        if RULES[finding.code].severity is Severity.ERROR:
            errors.setdefault(finding.path, []).append(finding)
    failed = []
    for doc in sorted(program.documents.values(), key=lambda d: d.path):
        if doc.kind != "evidence" or doc.entity_id in program.evidence or doc.path not in errors:
            continue
        data = doc.data if isinstance(doc.data, dict) else {}
        if not _may_fall_in(data, start, end):
            continue
        control = data.get("control")
        found = tuple(sorted(errors[doc.path], key=lambda d: d.sort_key()))
        failed.append(FailedRecord(doc.entity_id or doc.path, doc.path, control if isinstance(control, str) else "", found))
    return failed


def _may_fall_in(data: dict[str, Any], start: date, end: date) -> bool:
    """Whether the raw `covers` or `collected` of an invalid record may overlap the period (True when unreadable)."""

    def day(value: object) -> date | None:
        try:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        except ValueError:
            return None

    covers = data.get("covers")
    if isinstance(covers, dict):
        first, last = day(covers.get("start")), day(covers.get("end"))
        return first is None or last is None or (first <= end and last >= start)
    collected = day(data.get("collected"))
    return collected is None or start <= collected <= end


_REGISTERS = "registers"


def _view(program: Program, start: date, end: date) -> View:
    """What the bundle assesses: Type II over the period, or for a Type I program, as of the period end."""
    from soc2kit.readiness import view_of

    return view_of(program, as_of=end) if program.config.audit.type == "type1" else view_of(program, period=(start, end))


def _report_parts(end_program: Program, head_program: Program, readiness: Readiness, history: History) -> dict[str, bytes]:
    """The parts of the SOC 2 report the bundle carries beside the trail and the evidence (see
    docs/bundle.md, "Period end or HEAD"). The controls in the matrix are read as at the period end:
    they are what operated during it. Management's write-up of the period is read at HEAD, where it
    is finished after the period closes: the assertion (Section II, signed on the report's date), the
    system description (Section III: its incidents and changes parts are reviewed after the end,
    SK706), the registers of subservice organizations (their reports and bridge letters arrive
    after the end) and user entity controls, and the deviations log (Section IV) with the evidence
    and windows it is about."""
    from soc2kit.assertion import render_assertion
    from soc2kit.matrix import build_matrix
    from soc2kit.system_description import bundle_entries

    view = readiness.view
    parts = bundle_entries(head_program, view.period if view.type == "type2" else view.as_of)
    built = build_matrix(end_program, readiness, evidence=head_program, history=history)
    parts.update(built.csv_files())
    parts["control-matrix.xlsx"] = built.xlsx()
    parts[ASSERTION_FILE] = render_assertion(head_program, readiness.view).encode("utf-8")
    organizations = sorted(head_program.subservice_organizations.values(), key=lambda o: o.id)
    parts[SUBSERVICE_FILE] = _json(
        {"version": REGISTERS_VERSION, "subservice_organizations": [o.model_dump(mode="json") for o in organizations]}
    )
    cuecs = sorted(head_program.user_entity_controls.values(), key=lambda c: c.id)
    parts[f"{USER_ENTITY_FILE}.json"] = _json(
        {"version": REGISTERS_VERSION, "user_entity_controls": [c.model_dump(mode="json") for c in cuecs]}
    )
    table = Table(USER_ENTITY_FILE, USER_ENTITY_COLUMNS)
    for cuec in cuecs:
        table.add((cuec.id, cuec.description, cuec.criteria))
    parts[f"{USER_ENTITY_FILE}.csv"] = csv_bytes(table)
    # Which deviations are exceptions of this view is the readiness model's answer (one source with
    # `status`, the portal and the matrix); the register only supplies what each one says.
    deviations = [head_program.deviations[noted.deviation] for noted in readiness.exceptions]
    deviations.sort(key=lambda d: d.id)
    parts[f"{DEVIATIONS_FILE}.json"] = _json(
        {"version": REGISTERS_VERSION, "deviations": [d.model_dump(mode="json") for d in deviations]}
    )
    table = Table(DEVIATIONS_FILE, DEVIATION_COLUMNS)
    for deviation in deviations:
        table.add(
            (
                deviation.id,
                deviation.control,
                deviation.requirement,
                deviation.window,
                deviation.sample,
                deviation.description,
                deviation.cause,
                deviation.effect,
                deviation.remediation,
                deviation.management_response,
                deviation.approved_by,
                deviation.approved_on.isoformat() if deviation.approved_on else None,
            )
        )
    parts[f"{DEVIATIONS_FILE}.csv"] = csv_bytes(table)
    return parts


def _json(data: dict[str, Any]) -> bytes:
    return (json.dumps(data, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


@dataclass
class _PolicyVersion:
    path: str
    commit: str
    since: datetime
    until: datetime | None = None

    def entry(self, tz: ZoneInfo) -> str:
        stem = self.path.removesuffix(".md")
        return f"{_POLICY_VERSIONS}/{stem}/{self.since.astimezone(tz).date().isoformat()}-{self.commit[:12]}.md"


def _is_policy(path: str) -> bool:
    folder = folder_of(path)
    return folder is not None and folder.kind == "policy"


def _policy_versions(history: History, start: date, end: date, tz: ZoneInfo) -> list[_PolicyVersion]:
    """Every version of every policy file in force at some time during the period, oldest first.

    Replays HEAD's first-parent history (as `evidence verify` reads it): each commit that adds,
    changes or renames a policy starts a version and ends the one it replaces. A version counts
    when it started on or before the end day and was not replaced before the start day."""
    current: dict[str, _PolicyVersion] = {}
    versions: list[_PolicyVersion] = []
    for commit in reversed(history.commits):
        when = commit.committer_date
        for change in commit.changes:
            replaced = (change.path, change.old_path) if change.status == "renamed" else (change.path,)
            for gone in replaced:
                if gone is not None and gone in current:
                    current.pop(gone).until = when
            if change.status != "deleted" and _is_policy(change.path):
                version = current[change.path] = _PolicyVersion(change.path, commit.sha, when)
                versions.append(version)
    return [
        v
        for v in versions
        if v.since.astimezone(tz).date() <= end and (v.until is None or v.until.astimezone(tz).date() >= start)
    ]


def _policy_entries(
    blobs: Blobs, prefix: str, versions: list[_PolicyVersion], tz: ZoneInfo
) -> tuple[dict[str, bytes], list[dict[str, Any]]]:
    """The bytes of each version (through the bundle's one `git cat-file --batch`) and their index for bundle.json."""
    entries: dict[str, bytes] = {}
    index: list[dict[str, Any]] = []
    for version in versions:
        data = blobs.read(f"{version.commit}:{prefix}{version.path}")
        if data is None:
            continue
        name = version.entry(tz)
        entries[name] = data
        index.append(
            {
                "path": version.path,
                "commit": version.commit,
                "in_force_from": version.since.isoformat(),
                "in_force_until": version.until.isoformat() if version.until else None,
                "entry": name,
            }
        )
    index.sort(key=lambda item: (item["path"], item["in_force_from"], item["commit"]))
    return entries, index


def _after_period(trail: bytes, end: date, tz: ZoneInfo) -> list[dict[str, Any]]:
    """The commits of a jsonl trail made after the period end day: what changed once it closed."""
    found = []
    for line in trail.decode("utf-8").splitlines():
        record = json.loads(line)
        if record.get("record") != "commit":
            continue
        when = datetime.fromisoformat(record["committer"]["date"])
        if when.astimezone(tz).date() > end:
            found.append(
                {
                    "commit": record["commit"],
                    "date": record["committer"]["date"],
                    "subject": record["subject"],
                    "files": [item["path"] for item in record["files"]],
                }
            )
    return found


def build_bundle(
    root: str | Path, start: date, end: date, output: Path, *, include_failed_evidence: bool = False
) -> BundleResult:
    """Write the auditor's zip for the period `start`..`end` (see the module doc).

    Git is read a fixed number of times, whatever the size of the repository: the repository facts
    once, the program once at HEAD and once at the period end (once in all when they are one
    commit), one history pass, one trail pass (and one for its merged authors), one `ls-tree`, one
    `cat-file --batch` for every blob, and the change-management gate's own fixed few. Neither
    program is checked: the bundle reports only evidence verification, reading and the gate."""
    _check_range(start, end)
    if output.is_dir():
        raise UsageError("is a folder; give a file name like bundle.zip", path=output)
    base = Path(root).resolve()
    if not base.is_dir():
        raise UsageError("is not a folder", path=base)
    info = repo_info(base)
    if info.head is None:
        raise UsageError("the Git repository has no commits yet: there is no trail to export", path=info.toplevel)
    with Blobs(info.toplevel) as blobs:
        return _build(base, info, blobs, start=start, end=end, output=output, include_failed_evidence=include_failed_evidence)


def _build(
    base: Path, info: RepoInfo, blobs: Blobs, *, start: date, end: date, output: Path, include_failed_evidence: bool
) -> BundleResult:
    from soc2kit.digests import lfs_pointer_oid
    from soc2kit.history import load_history
    from soc2kit.readiness import assess
    from soc2kit.revision import ProgramAt, load_program_at, resolve_revision

    head = load_program_at(base, info.head or "HEAD", info=info, blobs=blobs, check=False)
    head_program = head.program
    timezone = head_program.config.audit.timezone
    tz = ZoneInfo(timezone)
    resolved = resolve_revision(base, end, tz=tz, info=info)
    if resolved[0] == head.commit:
        at_end = ProgramAt(program=head_program, commit=resolved[0], rev=end.isoformat(), date=resolved[1])
    else:
        at_end = load_program_at(base, end, info=info, blobs=blobs, check=False, resolved=resolved)
    history = load_history(base, rev=head.commit, info=info)
    # The windows and the deviations' approvals are judged on the day of the newest commit the bundle is
    # built from (HEAD, or a program commit dated later: commit dates need not grow along history), not
    # on the clock's: the same repository gives the same bytes on any day.
    newest = max((commit.committer_date for commit in history.commits), default=head.date)
    head_program.today = max(newest, head.date).astimezone(tz).date()
    ctx_head, prefix = head.commit, info.prefix

    records = sorted((r for r in head_program.evidence.values() if _in_period(r, start, end)), key=lambda r: r.id)
    failed = sorted(
        _failed_records(head_program, history, records) + _unreadable_records(head_program, start, end),
        key=lambda f: (f.path, f.record),
    )
    if failed and not include_failed_evidence:
        return BundleResult(path=output, written=False, head=ctx_head, period_end_commit=at_end.commit, failed=failed)

    entries: dict[str, bytes] = {}
    trail = io.BytesIO()
    trail_meta = export_trail(
        base, trail, since=start, rev=ctx_head, info=info, timezone=timezone, blobs=blobs, at_head=head_program.documents
    )
    entries["trail.jsonl"] = trail.getvalue()

    files = _Files(head_program.root)
    missing: list[str] = []
    outside: list[str] = []
    lfs: list[str] = []
    for record in records:
        record_path, data = files.read("", head_program.source("evidence", record.id).path)
        if record_path is not None and data is not None:
            entries[record_path] = data
        folder = head_program.source("evidence", record.id).path.rpartition("/")[0]
        for item in record.files:
            path, data = files.read(folder, item.path)
            if path is None:
                outside.append(item.path)
            elif data is None:
                missing.append(path)
            else:
                entries[path] = data
                if lfs_pointer_oid(data) is not None:
                    lfs.append(path)
    view = _view(head_program, start, end)
    readiness = assess(head_program, view, history=history)
    entries.update(_report_parts(at_end.program, head_program, readiness, history))
    end_files = _Files(at_end.program.root)
    for path in sorted(at_end.program.documents):
        if path == CONFIG_FILE or path.split("/", 1)[0] in (*MARKDOWN_FOLDERS, _REGISTERS):
            name, data = end_files.read("", path)
            if name is not None and data is not None:
                entries[f"period-end/{name}"] = data
    policy_entries, policy_index = _policy_entries(blobs, prefix, _policy_versions(history, start, end, tz), tz)
    entries.update(policy_entries)
    findings = [f.to_dict() for f in failed]
    entries[FINDINGS_FILE] = (json.dumps({"version": BUNDLE_VERSION, "failed_evidence": findings}, indent=2) + "\n").encode()
    changes = check_changes(base, branch=info.branch or ctx_head, since=start)
    entries[CHANGES_FILE] = _changes_json(changes)
    entries[CHANGES_TABLE] = _changes_csv(changes)
    meta = {
        "version": BUNDLE_VERSION,
        "soc2kit": __version__,
        "head": ctx_head,
        "period": {"start": start.isoformat(), "end": end.isoformat(), "timezone": timezone},
        "period_end_commit": at_end.commit,
        "period_end_commit_date": at_end.date.isoformat(),
        "trail": {
            "since": start.isoformat(),
            "until": "HEAD",
            "commits": trail_meta.commits,
            "sha256": trail_meta.sha256,
            "after_period_commits": _after_period(entries["trail.jsonl"], end, tz),
            "shape": SHAPE_VERSION,
        },
        "changes": _changes_summary(changes),
        "evidence_records": len(records),
        "failed_evidence": findings,
        "include_failed_evidence": include_failed_evidence,
        "missing_evidence_files": sorted(set(missing)),
        "evidence_paths_outside_repository": sorted(set(outside)),
        "lfs_pointer_files": sorted(set(lfs)),
        "policy_versions": policy_index,
        "assessed": view.to_dict(),
    }
    entries["bundle.json"] = _json(meta)
    entries["README.md"] = _readme(meta).encode("utf-8")
    manifest = "".join(f"{hashlib.sha256(entries[name]).hexdigest()}  {name}\n" for name in sorted(entries))
    entries["MANIFEST.sha256"] = manifest.encode("utf-8")
    return BundleResult(
        path=output,
        written=True,
        head=ctx_head,
        period_end_commit=at_end.commit,
        sha256=_write_zip(output, entries),
        entries=len(entries),
        failed=failed,
        missing=sorted(set(missing)),
        outside=sorted(set(outside)),
    )


def _approval(approval: Approval) -> dict[str, Any]:
    return {
        "reviewer": approval.reviewer,
        "source": approval.source,
        "submitted_at": approval.submitted_at.isoformat() if approval.submitted_at else None,
        "commit": approval.commit,
        "stale": approval.stale,
    }


def _finding(found: Diagnostic) -> dict[str, Any]:
    return {
        "code": found.code,
        "rule": found.rule.name,
        "severity": found.severity.value,
        "message": found.message,
        "hint": found.hint,
    }


def _changes_json(report: ChangesReport) -> bytes:
    """Every change the gate examined from the period start to HEAD, oldest first, with its verdict:
    findings that count, and findings the exceptions register closed (severity "excepted")."""
    in_changes = {id(found) for record in report.changes for found in (*record.findings, *record.excepted)}
    data = {
        "version": CHANGES_VERSION,
        "branch": report.branch,
        "head": report.head,
        "since": report.since.isoformat() if report.since else None,
        "github": report.github,
        "note": report.note,
        "changes": [
            {
                "commit": record.sha,
                "parents": list(record.parents),
                "day": record.day.isoformat(),
                "change_kind": record.kind,
                "pr": record.pr,
                "authors": list(record.authors),
                "merger": record.merger,
                "committer": record.committer,
                "approvals": [_approval(approval) for approval in record.approvals],
                "findings": [_finding(found) for found in record.findings],
                "excepted": [_finding(found) for found in record.excepted],
                "exempt": record.exempt,
                "subject": record.subject,
            }
            for record in report.changes
        ],
        "other_findings": [found.to_dict() for found in report.diagnostics if id(found) not in in_changes],
    }
    return _json(data)


def _changes_csv(report: ChangesReport) -> bytes:
    table = Table("CHANGES", CHANGES_COLUMNS)
    for record in report.changes:
        table.add(
            (
                record.sha,
                record.day.isoformat(),
                record.kind,
                record.pr,
                record.authors,
                record.merger,
                [f"{approval.reviewer} ({approval.source})" for approval in record.approvals],
                [f"{found.code} {found.severity.value}: {found.message}" for found in record.findings],
                [f"{found.code} excepted: {found.hint}" for found in record.excepted],
                record.exempt,
                record.subject,
            )
        )
    return csv_bytes(table)


def _changes_summary(report: ChangesReport) -> dict[str, Any]:
    return {
        "branch": report.branch,
        "examined": len(report.changes),
        "with_findings": sum(1 for record in report.changes if record.findings),
        "excepted_findings": sum(len(record.excepted) for record in report.changes),
        "github": report.github,
    }


def _write_zip(output: Path, entries: dict[str, bytes]) -> str:
    """Write `entries` sorted by name, deterministically and atomically; the zip's sha256."""
    import zipfile

    with atomic_writer(output) as handle, zipfile.ZipFile(handle, "w") as archive:
        for name in sorted(entries):
            archive.writestr(_zip_info(name), entries[name], compresslevel=6)
    digest = hashlib.sha256()
    with output.open("rb") as written:
        for chunk in iter(lambda: written.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _readme(meta: dict[str, Any]) -> str:
    period = meta["period"]
    failed = meta["failed_evidence"]
    warning = (
        f"**{len(failed)} evidence record{'s' if len(failed) != 1 else ''} of the period failed verification** and "
        f"{'are' if len(failed) != 1 else 'is'} included only because the bundle was built with "
        f"`--include-failed-evidence`: see `{FINDINGS_FILE}`.\n\n"
        if failed
        else ""
    )
    after = len(meta["trail"]["after_period_commits"])
    changes = meta["changes"]
    return (
        f"# SOC 2 audit bundle, {period['start']} to {period['end']}\n\n"
        f"Built by soc2kit {meta['soc2kit']} from commit {meta['head']}.\n\n"
        f"{warning}"
        "- `MANIFEST.sha256`: the sha256 of every other entry; check with `sha256sum -c MANIFEST.sha256`.\n"
        "- `bundle.json`: what this bundle was built from (commits, period, counts, policy versions, and\n"
        "  `assessed`: the view the windows were judged in, on the day of the newest commit it was built from).\n"
        f"- `{FINDINGS_FILE}`: every evidence record of the period that fails verification, and why.\n"
        "- `trail.jsonl`: every commit from the period start to the commit the bundle was built from that\n"
        "  touched the program, with its authors (for a merge, the authors of the commits it merged), its\n"
        "  merger, committer, parents, pull request, approvers, signature status, the findings the change\n"
        "  exceptions register excepts on it, and each file's change. "
        f"{after} of them came after the period end:\n"
        "  `bundle.json` lists them under `trail.after_period_commits`.\n"
        f"- `{CHANGES_FILE}` and `{CHANGES_TABLE}`: the change-management verdict (`soc2kit changes check`) on\n"
        "  every change to the program, its workflows and code owners on the main line from the period\n"
        "  start: authors, merger, approvals and their source, findings, and findings the exceptions\n"
        f"  register accepted, shown with severity `excepted` ({changes['excepted_findings']} here; "
        f"{changes['with_findings']} change{'s' if changes['with_findings'] != 1 else ''} with open findings).\n"
        f"- `{ASSERTION_FILE}`: management's assertion (the report's Section II), filled from the program;\n"
        "  management signs it, soc2kit does not; read at HEAD.\n"
        "- `SYSTEM-DESCRIPTION.md` and `system-description/`: the description of the system (Section III),\n"
        "  one file per part, as at HEAD (finished after the period; `period-end/system/` holds the version\n"
        "  of the period end); a part still missing or a placeholder says so.\n"
        f"- `{SUBSERVICE_FILE}` (at HEAD): the subservice organizations (carve-out or inclusive), their services, the\n"
        "  criteria they bear on, their own SOC reports and the complementary controls expected of them.\n"
        f"- `{USER_ENTITY_FILE}.json` and `.csv`: the complementary user entity controls and their criteria.\n"
        "- `control-matrix.csv`: each criterion in scope and each control addressing it (as at the period\n"
        "  end): description, test procedure, kind, automation, owner, frequency, policies, complementary\n"
        "  subservice organization controls, the evidence records that count and those that do not.\n"
        "- `control-windows.csv`: per control, evidence requirement and run of windows of the period: the\n"
        "  state, the records that satisfy it with their collectors and the commits that added them, or the\n"
        '  deviation ("exception noted"). `control-matrix.xlsx` holds both tables as sheets, cell for cell.\n'
        f"- `{DEVIATIONS_FILE}.json` and `.csv`: the deviations log (Section IV's exceptions): the approved\n"
        "  deviations noted in the period, for each the control, window or sample item, what happened,\n"
        "  its cause and effect, the remediation, management's response and its approval.\n"
        "- `evidence/`: the evidence records of the period and the files they list, as committed at HEAD.\n"
        "  Files stored with Git LFS are included as their pointer files (listed in `bundle.json`); the\n"
        "  pointer's sha256 oid is the digest the record names.\n"
        f"- `{_POLICY_VERSIONS}/`: every version of every policy in force during the period, named by the\n"
        "  day and commit it took effect; `bundle.json` gives each one's dates under `policy_versions`.\n"
        f"- `period-end/`: soc2kit.yml, the policies, controls, system description and registers as they stood\n"
        "  at the period end (commit\n"
        f"  {meta['period_end_commit']}, {meta['period_end_commit_date']}).\n"
    )
