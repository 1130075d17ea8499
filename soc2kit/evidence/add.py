"""Add evidence: copy files into `evidence/`, record their sha256, and optionally commit them.

    add_evidence(root, request)     validate everything, then write one record folder atomically
    AddRequest, AddResult           what to add; what was written (and committed)

`add_evidence` writes nothing until every input is valid. It then builds the record folder
(`evidence/<CONTROL>/<collected>-<requirement>/`, the record and copies of the files) inside a
staging folder under `evidence/` and renames it into place in one step: a failure, or a kill, leaves
either the whole record or none of it. The staging folder's name starts with a dot and it ignores
itself in Git, so a process killed part way leaves nothing that `soc2kit check` or `git status` sees;
the next `add` removes it.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import stat
import tempfile
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from soc2kit.digests import CHUNK as _CHUNK
from soc2kit.digests import LFS_POINTER_MAX, lfs_pointer_oid
from soc2kit.errors import UsageError
from soc2kit.evidence.secrets import Secret, _scan
from soc2kit.layout import EVIDENCE_DIR, FOLDERS, RECORD_NAME
from soc2kit.repo_paths import within
from soc2kit.schema_line import with_schema_line

if TYPE_CHECKING:
    from soc2kit.models import Control, EvidenceSource
    from soc2kit.program import Program

STAGING_PREFIX = ".soc2kit-add-"
_RECORD_SUFFIXES = next(folder.suffixes for folder in FOLDERS if folder.name == EVIDENCE_DIR)
"""Names read as evidence records under `evidence/`."""


@dataclass(frozen=True)
class AddRequest:
    """What `soc2kit evidence add` was asked to do. Paths in `files` are relative to `cwd`."""

    control: str
    files: tuple[Path, ...]
    requirement: str | None = None
    collected: date | None = None
    """Default: today in the audit's time zone."""
    covers: tuple[date, date] | None = None
    note: str | None = None
    collector: str | None = None
    """Default: Git's user.email, else the login name."""
    commit: bool = False
    allow_secrets: bool = False
    """With `commit`: commit even when a file looks like it holds a secret."""
    cwd: Path | None = None
    source: EvidenceSource | None = None
    """For a collector: the system and query the files came from (`soc2kit changes population`)."""
    purpose: Literal["operating", "design"] = "operating"
    """design: the files show how the control is built (walkthrough notes, a configuration
    screenshot); such a record counts for the design checks and satisfies no evidence window."""


@dataclass(frozen=True, slots=True)
class AddedFile:
    source: str
    """The file as given on the command line."""
    path: str
    """Where the copy is, relative to the program root (POSIX)."""
    sha256: str
    lfs: bool
    """A Git LFS pointer: `sha256` is the oid it names."""
    secrets: tuple[Secret, ...] = ()


@dataclass(frozen=True)
class AddResult:
    record_id: str
    record_path: str
    """The record, relative to the program root (POSIX)."""
    files: tuple[AddedFile, ...]
    commit: str | None = None
    notes: tuple[str, ...] = ()
    """Things the user should know (a file renamed on copy, an original left in `evidence/`)."""

    @property
    def secrets(self) -> list[tuple[AddedFile, Secret]]:
        return [(f, s) for f in self.files for s in f.secrets]


@dataclass
class _Source:
    given: str
    real: Path
    name: str
    """The name of the copy inside the record folder."""
    sha256: str = ""
    lfs: bool = False
    secrets: tuple[Secret, ...] = ()


@dataclass
class _Plan:
    root: Path
    control: Control
    requirement: str
    collected: date
    record_id: str
    folder: str
    text: str = ""
    sources: list[_Source] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def add_evidence(root: str | os.PathLike[str], request: AddRequest, *, today: date | None = None) -> AddResult:
    """Copy `request.files` into a new record folder under `evidence/<CONTROL>/` with their sha256.

    Raises `UsageError` (and writes nothing) for an unknown control or requirement, a bad date or
    range, a file that is missing, unreadable or not a regular file (it may be outside the program
    folder: the copy is what the record names), and, with
    `commit`, for anything that stops a clean commit (no Git, no commits, a detached HEAD, a dirty
    work tree). A failure while writing removes everything written; with `commit`, a failed commit
    removes the record again.
    """
    from soc2kit.layout import CONFIG_FILE
    from soc2kit.program import read_program

    base = Path(root)
    if not (base / CONFIG_FILE).is_file():
        raise UsageError(f"no {CONFIG_FILE} here, so this is not a soc2kit program folder; pass --root", path=base)
    program = read_program(base, today=today)
    plan = _plan(program, request)
    committer = _GitCommit.prepare(program.root, plan) if request.commit else None
    if committer is not None and not request.allow_secrets:
        _refuse_secrets(plan)
    written = _write(plan)
    commit = None
    if committer is not None:
        try:
            commit = committer.commit(written, plan)
        except BaseException:
            _remove_written(written)
            raise
    files = tuple(AddedFile(s.given, f"{written.relpath}/{s.name}", s.sha256, s.lfs, s.secrets) for s in plan.sources)
    return AddResult(plan.record_id, f"{written.relpath}/{RECORD_NAME}", files, commit, tuple(plan.notes))


def _plan(program: Program, request: AddRequest) -> _Plan:
    control = program.find_control(request.control)
    requirement = requirement_for(control, request.requirement)
    collected = request.collected or program.today
    if collected > program.today:
        raise UsageError(f"the collected date {collected} is in the future (today is {program.today})")
    if not request.files:
        raise UsageError("give at least one evidence file")
    if request.purpose not in {"operating", "design"}:
        raise UsageError(f"unknown purpose '{request.purpose}'; use operating or design")
    if request.purpose == "design" and request.covers is not None:
        # A design record shows the control as built on the day it was collected; a range would
        # read as operation over it, which design records never show.
        raise UsageError(
            "a design record shows the control as built on its collected day: drop --covers, or record operating evidence"
        )
    root = program.root
    evidence = root / EVIDENCE_DIR
    if evidence.exists() and not evidence.is_dir():
        raise UsageError("is not a folder; evidence needs an evidence/ folder", path=EVIDENCE_DIR)
    from soc2kit.new import free_record_name

    record_id, folder = free_record_name(program, control.id, requirement, collected)
    plan = _Plan(root, control, requirement, collected, record_id, folder)
    cwd = request.cwd or Path.cwd()
    seen: dict[Path, str] = {}
    names: dict[str, str] = {}
    for given in request.files:
        source = _source(cwd, given)
        if source.real in seen:
            raise UsageError(f"'{given}' names the same file as '{seen[source.real]}'; give each file once")
        seen[source.real] = source.given
        source.name = _stored_name(source, plan.notes)
        if source.name in names:
            raise UsageError(
                f"'{names[source.name]}' and '{given}' would both be stored as '{source.name}'; rename one of them first"
            )
        names[source.name] = source.given
        plan.sources.append(source)
        if not within(str(source.real), os.path.realpath(root)):
            continue  # from outside the program (a download, an export): nothing there to tidy up
        inside = source.real.relative_to(os.path.realpath(root)).as_posix()
        if inside.startswith(f"{EVIDENCE_DIR}/"):
            plan.notes.append(
                f"{inside} is copied, not moved: delete the original, or `evidence verify` reports it as unrecorded"
            )
    for source in plan.sources:  # read only once every path is known to be good
        _read(source)
    collector = _collector(root, request.collector)
    plan.text = _record_text(plan, request, collector)
    _check_record(plan, collector, request.note, request.source, request.purpose)
    return plan


def requirement_for(control: Control, wanted: str | None) -> str:
    """The requirement a new record of `control` is for: `wanted`, else its only one; UsageError otherwise."""
    known = [r.id for r in control.evidence]
    if wanted is not None:
        if control.requirement(wanted) is None:
            listed = ", ".join(known) if known else "none"
            raise UsageError(f"control {control.id} has no evidence requirement '{wanted}'; it has: {listed}")
        return wanted
    if not known:
        raise UsageError(f"control {control.id} defines no evidence requirement; add one under `evidence:` first")
    if len(known) > 1:
        raise UsageError(
            f"control {control.id} has several evidence requirements; choose one with --requirement: {', '.join(known)}"
        )
    return known[0]


def _source(cwd: Path, given: Path) -> _Source:
    """The real path of an evidence file to copy, refused unless it is a readable regular file.

    It may live anywhere (a download folder, a tool's export folder): the user named it, and only
    its copy under `evidence/<CONTROL>/` is what the record points at."""
    text = str(given)
    absolute = os.path.normpath(os.path.join(cwd, given))
    if not os.path.lexists(absolute):
        raise UsageError(f"'{text}' does not exist")
    real = os.path.realpath(absolute)
    try:
        mode = os.stat(real).st_mode
    except OSError:
        raise UsageError(f"'{text}' is a broken symbolic link") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"'{text}' is a directory; give the files inside it")
    if not stat.S_ISREG(mode):
        raise UsageError(f"'{text}' is not a regular file")
    if not os.access(real, os.R_OK):
        raise UsageError(f"'{text}' cannot be read (permission denied)")
    return _Source(text, Path(real), os.path.basename(absolute))


def _stored_name(source: _Source, notes: list[str]) -> str:
    name = source.name
    if name == RECORD_NAME or name.endswith(_RECORD_SUFFIXES):
        # Under evidence/, a YAML file is read as an evidence record; a leading '_' keeps it a plain file.
        stored = f"_{name}"
        notes.append(f"'{source.given}' is stored as '{stored}': YAML files under evidence/ would be read as records")
        return stored
    return name


def _read(source: _Source) -> None:
    """Hash and scan a source file once, before anything is written."""
    with source.real.open("rb") as handle:
        head = handle.read(LFS_POINTER_MAX)
        oid = lfs_pointer_oid(head) if len(head) < LFS_POINTER_MAX else None
        if oid is not None:
            source.sha256, source.lfs = oid, True
            return
        handle.seek(0)
        found: dict[str, Secret] = {}
        digest = hashlib.sha256()
        _scan(handle, found, digest)
    source.sha256 = digest.hexdigest()
    source.secrets = tuple(sorted(found.values(), key=lambda s: s.offset))


def _collector(root: Path, given: str | None) -> str:
    if given is not None and given.strip():
        return given.strip()
    with contextlib.suppress(Exception):  # no Git, no repository, no identity: fall back to the login
        from soc2kit.git import text

        _git_repo(root)  # only the identity of the repository holding the program, as before
        email = text(["config", "user.email"], cwd=root)
        if email.strip():
            return email.strip()
    import getpass

    with contextlib.suppress(Exception):
        return getpass.getuser()
    return "unknown"


def _yaml_scalar(value: str) -> str:
    """`value` as a YAML scalar: plain when YAML reads it back as the same text, else double-quoted."""
    import yaml

    if value and value == value.strip() and "\n" not in value:
        try:
            if yaml.safe_load(value) == value and not value.startswith(("#", "'", '"')):
                return value
        except yaml.YAMLError:
            pass
    # A JSON string is a YAML double-quoted scalar; characters YAML would refuse or fold as line
    # breaks (DEL, NEL, U+2028, a BOM, ...) are escaped as well.
    quoted = json.dumps(value, ensure_ascii=False)
    return "".join(c if c.isprintable() else f"\\u{ord(c):04x}" if ord(c) < 0x10000 else f"\\U{ord(c):08x}" for c in quoted)


def _record_text(plan: _Plan, request: AddRequest, collector: str) -> str:
    lines = [
        "# Written by `soc2kit evidence add`; `soc2kit evidence verify` checks every sha256.",
        f"id: {plan.record_id}",
        f"control: {plan.control.id}",
        f"requirement: {plan.requirement}",
        f"collected: {plan.collected.isoformat()}",
    ]
    if request.covers is not None:
        start, end = request.covers
        lines.append(f"covers: {{start: {start.isoformat()}, end: {end.isoformat()}}}")
    lines.append(f"collector: {_yaml_scalar(collector)}")
    lines.append("files:")
    for source in plan.sources:
        lines.append(f"  - path: {_yaml_scalar(source.name)}")
        lines.append(f"    sha256: {source.sha256}" + ("  # the Git LFS object's oid" if source.lfs else ""))
    if request.note is not None and request.note.strip():
        lines.append(f"note: {_yaml_scalar(request.note.strip())}")
    if request.purpose != "operating":  # operating is the default: such records read as they always did
        lines.append(f"purpose: {request.purpose}")
    if request.source is not None:
        lines.append("source:")
        for key, value in request.source.model_dump(exclude_none=True).items():
            lines.append(f"  {key}: {_yaml_scalar(value)}")
    return with_schema_line("\n".join(lines) + "\n", "evidence")


def _check_record(
    plan: _Plan, collector: str, note: str | None, source: EvidenceSource | None = None, purpose: str = "operating"
) -> None:
    """The record must read back as exactly what was meant; a bug here would write a broken record."""
    from soc2kit.documents import Document, parse_text
    from soc2kit.models import EvidenceRecord
    from soc2kit.validation import validate

    doc = Document(path=RECORD_NAME, kind="evidence", markdown=False)
    parse_text(doc, plan.text, markdown=False)
    record = validate(doc, EvidenceRecord)
    if not isinstance(record, EvidenceRecord):
        raise UsageError("cannot write a valid record: " + "; ".join(d.message for d in doc.diagnostics))
    wanted_note = note.strip() if note is not None and note.strip() else None
    if (
        [(f.path, f.sha256) for f in record.files] != [(s.name, s.sha256) for s in plan.sources]
        or record.collector != collector
        or record.note != wanted_note
        or record.source != source
        or record.purpose != purpose
    ):
        raise UsageError("cannot write a record that reads back as given; simplify the file names, collector or note")


def _refuse_secrets(plan: _Plan) -> None:
    found = [f"{s.given} ({secret.where()}: {secret.kind})" for s in plan.sources for secret in s.secrets]
    if found:
        raise UsageError(
            "refusing to commit evidence that looks like it holds secrets: "
            + "; ".join(found)
            + ". Redact the files, or pass --allow-secrets if they are not real credentials"
        )


@dataclass(frozen=True)
class _Written:
    folder: Path
    relpath: str
    made: tuple[Path, ...]
    """Folders this run created around the record folder (evidence/, evidence/<CONTROL>/), innermost first."""


def _write(plan: _Plan) -> _Written:
    evidence = plan.root / EVIDENCE_DIR
    made: list[Path] = []
    if not evidence.is_dir():
        evidence.mkdir()
        made.append(evidence)
    _remove_stale_staging(evidence)
    staging = Path(tempfile.mkdtemp(prefix=f"{STAGING_PREFIX}{os.getpid()}-", dir=evidence))
    try:
        (staging / ".gitignore").write_text("# soc2kit evidence add: staging, removed when done\n*\n", encoding="utf-8")
        control_dir = staging / plan.control.id
        built = control_dir / plan.folder
        built.mkdir(parents=True)
        for source in plan.sources:
            _copy(source, built / source.name)
        _write_new(built / RECORD_NAME, plan.text.encode("utf-8"))
        _fsync_dir(built)
        target = evidence / plan.control.id
        final = target / plan.folder
        if _place(control_dir, built, target, final):
            made.insert(0, target)
        _fsync_dir(target)
        _fsync_dir(evidence)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        for folder in made:
            with contextlib.suppress(OSError):
                folder.rmdir()
        raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return _Written(final, final.relative_to(plan.root).as_posix(), tuple(made))


def _place(control_dir: Path, built: Path, target: Path, final: Path) -> bool:
    """Move the built record folder into place in one rename; True if that created `target` too."""
    if not target.exists() and _rename_new(control_dir, target):
        return True
    if not _rename_new(built, final):
        raise UsageError(f"{final} appeared while writing; nothing was written")
    return False


def _copy(source: _Source, dest: Path) -> None:
    digest = hashlib.sha256()
    with source.real.open("rb") as src, open(dest, "xb") as out:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        out.flush()
        os.fsync(out.fileno())
    written = digest.hexdigest()
    if source.lfs:
        written = lfs_pointer_oid(dest.read_bytes()) or written
    if written != source.sha256:
        raise UsageError(f"'{source.given}' changed while it was being added; nothing was written")


def _write_new(path: Path, data: bytes) -> None:
    with open(path, "xb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())


def _rename_new(src: Path, dest: Path) -> bool:
    """Rename `src` to `dest` unless `dest` exists (a non-empty folder is never replaced); False if it did."""
    if os.path.lexists(dest):
        return False
    try:
        os.rename(src, dest)
    except OSError as exc:
        if os.path.lexists(dest):
            return False
        raise UsageError(f"cannot move the new record into place: {exc.strerror or exc}", path=dest) from None
    return True


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):  # not every file system lets a folder be fsynced
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _remove_written(written: _Written) -> None:
    shutil.rmtree(written.folder, ignore_errors=True)
    for folder in written.made:
        with contextlib.suppress(OSError):
            folder.rmdir()


def _remove_stale_staging(evidence: Path) -> list[Path]:
    """Remove staging folders left by `evidence add` runs that were killed (their process is gone)."""
    removed = []
    with contextlib.suppress(OSError), os.scandir(evidence) as entries:
        for entry in entries:
            if not entry.name.startswith(STAGING_PREFIX) or not entry.is_dir(follow_symlinks=False):
                continue
            pid_text = entry.name[len(STAGING_PREFIX) :].partition("-")[0]
            if pid_text.isdigit() and not _alive(int(pid_text)):
                shutil.rmtree(entry.path, ignore_errors=True)
                removed.append(Path(entry.path))
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists, but belongs to someone else
        return True
    return True


def _git_repo(root: Path) -> Path | None:
    """The top folder of the work tree of the repository holding `root`; None in a bare repository.
    Raises UsageError without git or outside a repository."""
    from soc2kit.git import GitError, text

    try:
        if text(["rev-parse", "--is-bare-repository"], cwd=root).strip() == "true":
            return None
        return Path(text(["rev-parse", "--show-toplevel"], cwd=root))
    except GitError as exc:
        if exc.status is None:
            raise UsageError(f"--commit needs Git, and no git command was found ({exc.detail})") from None
        raise UsageError("is not inside a Git repository; run `git init`, or add without --commit", path=root) from None


@dataclass
class _GitCommit:
    top: Path
    """The work tree's top folder, where every git command of the commit runs."""

    @classmethod
    def prepare(cls, root: Path, plan: _Plan) -> _GitCommit:
        """Refuse, before anything is written, every state in which a clean evidence commit is impossible."""
        from soc2kit.git import GitError, run, succeeds

        top = _git_repo(root)
        if top is None:
            raise UsageError("is a bare Git repository; add evidence in a clone", path=root)
        if not succeeds(["rev-parse", "-q", "--verify", "HEAD^{commit}"], cwd=top):
            raise UsageError("the Git repository has no commits yet; make a first commit, then add evidence with --commit")
        if not succeeds(["symbolic-ref", "-q", "HEAD"], cwd=top):
            raise UsageError("HEAD is detached; check out a branch first, then add evidence with --commit")
        status = run(["status", "--porcelain=v1", "-z", "--untracked-files=no", "--no-renames"], cwd=top)
        changed = sorted({entry[3:].decode("utf-8", "replace") for entry in status.split(b"\0") if len(entry) > 3})
        if changed:
            shown = ", ".join(changed[:5]) + (" ..." if len(changed) > 5 else "")
            raise UsageError(
                f"the work tree has uncommitted changes ({shown}); commit or stash them first, so the "
                "evidence commit holds only the evidence"
            )
        if not succeeds(["var", "GIT_COMMITTER_IDENT"], cwd=top):
            raise UsageError("Git has no identity to commit with; set user.name and user.email")
        probe = (plan.root / EVIDENCE_DIR / plan.control.id / plan.folder / RECORD_NAME).as_posix()
        try:
            run(["check-ignore", "-q", "--no-index", probe], cwd=top)
        except GitError as exc:
            if exc.status == 1:  # not ignored
                return cls(top)
            raise UsageError(f"git check-ignore failed: {exc.detail}") from None
        raise UsageError(f"Git ignores {probe}; evidence must be committed, so un-ignore evidence/ first")

    def commit(self, written: _Written, plan: _Plan) -> str:
        from soc2kit.git import GitError, run, text

        path = str(written.folder)
        subject = f"Evidence for {plan.control.id}: {plan.requirement}, collected {plan.collected.isoformat()}"
        message = f"{subject}\n\nEvidence-For: {plan.control.id}\nEvidence-Id: {plan.record_id}\n"
        try:
            run(["add", "--", path], cwd=self.top)
            run(["commit", "-q", "-m", message, "--", path], cwd=self.top)
        except GitError as exc:
            with contextlib.suppress(GitError):
                run(["reset", "-q", "--", path], cwd=self.top)
            raise UsageError(f"git commit failed ({exc.detail}); the record was removed again") from None
        return text(["rev-parse", "HEAD"], cwd=self.top).strip()
