"""Add and verify evidence: copy files into `evidence/`, record their sha256, and check them later.

Adding
    add_evidence(root, request)     validate everything, then write one record folder atomically
    AddRequest, AddResult           what to add; what was written (and committed)
Verifying
    verify_evidence(program, history=None)
                                    every digest recomputed; missing, changed and unrecorded files;
                                    with Git history, evidence changed after it was committed,
                                    back-dated records, evidence not committed
    evidence_flaws(program, history=None) -> {record ID: (Flaw, ...)}
                                    why each record does not count for readiness (the
                                    error-severity findings above); file_flaws(program) the
                                    part from files alone, computed once per program
Content
    file_sha256, lfs_pointer_oid    from soc2kit.digests
    find_secrets(path)              private keys, cloud keys and tokens that look real

`add_evidence` writes nothing until every input is valid. It then builds the record folder
(`evidence/<CONTROL>/<collected>-<requirement>/`, the record and copies of the files) inside a
staging folder under `evidence/` and renames it into place in one step: a failure, or a kill, leaves
either the whole record or none of it. The staging folder's name starts with a dot and it ignores
itself in Git, so a process killed part way leaves nothing that `soc2kit check` or `git status` sees;
the next `add` removes it.
"""

from __future__ import annotations

import contextlib
import difflib
import hashlib
import json
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from soc2kit.digests import CHUNK as _CHUNK
from soc2kit.digests import LFS_POINTER_MAX, lfs_pointer_oid
from soc2kit.errors import UsageError
from soc2kit.layout import EVIDENCE_DIR, RECORD_NAME
from soc2kit.line_endings import conversion, mismatch_hint
from soc2kit.repo_paths import RepoPaths, within

if TYPE_CHECKING:
    from datetime import tzinfo

    from soc2kit.diagnostics import Diagnostic
    from soc2kit.documents import Document
    from soc2kit.history import Change, Commit, History
    from soc2kit.models import Control, EvidenceRecord
    from soc2kit.program import Program

STAGING_PREFIX = ".soc2kit-add-"
_DOCUMENT_SUFFIXES = (".yaml", ".yml")
_NOT_EVIDENCE_NAMES = {"README.md", "index.md"}


# -- content ---------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Secret:
    """Something in a file that looks like a credential: what kind, and where (never the value)."""

    kind: str
    line: int | None
    """1-based line in a text file; None in a binary file (see `offset`)."""
    offset: int

    def where(self) -> str:
        return f"line {self.line}" if self.line is not None else f"byte {self.offset}"


# Each pattern starts with a literal, so the regex engine skips ahead with a fast substring search:
# scanning runs at hundreds of MB/s instead of the ~15 MB/s of one alternation of every pattern.
_SECRET_PATTERNS: tuple[tuple[str, re.Pattern[bytes]], ...] = tuple(
    (kind, re.compile(pattern))
    for kind, pattern in (
        ("a private key", rb"-----BEGIN [A-Z0-9 ]{0,24}PRIVATE KEY(?: BLOCK)?-----"),
        ("an AWS access key ID", rb"AKIA[0-9A-Z]{16}(?![0-9A-Za-z])"),
        ("an AWS access key ID", rb"ASIA[0-9A-Z]{16}(?![0-9A-Za-z])"),
        ("an AWS secret access key", rb"aws_secret_access_key[\"']?\s{0,4}[=:]\s{0,4}[\"']?[A-Za-z0-9/+]{40}"),
        ("an AWS secret access key", rb"AWS_SECRET_ACCESS_KEY[\"']?\s{0,4}[=:]\s{0,4}[\"']?[A-Za-z0-9/+]{40}"),
        ("a GitHub token", rb"gh[pousr]_[A-Za-z0-9]{36}"),
        ("a GitHub token", rb"github_pat_[A-Za-z0-9_]{22,}"),
        ("a GitLab token", rb"glpat-[A-Za-z0-9_-]{20}"),
        ("a Slack token", rb"xox[abposr]-[A-Za-z0-9-]{10,}"),
        ("a Slack webhook URL", rb"hooks\.slack\.com/services/T[A-Za-z0-9_]+/"),
        ("a Google API key", rb"AIza[0-9A-Za-z_-]{35}"),
        ("a Stripe secret key", rb"sk_live_[0-9A-Za-z]{20,}"),
        ("a Stripe secret key", rb"rk_live_[0-9A-Za-z]{20,}"),
        ("an npm token", rb"npm_[A-Za-z0-9]{36}"),
        ("a PyPI token", rb"pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,}"),
        ("a password in a URL", rb"://[A-Za-z0-9._%+-]{1,64}:[^\s/@:'\"<>]{3,128}@[A-Za-z0-9.-]"),
    )
)
_OVERLAP = 256  # longer than any match worth reporting, so a secret split across two reads is still found


def find_secrets(path: str | os.PathLike[str]) -> list[Secret]:
    """Credentials that appear in a file, the first of each kind, in one streaming pass."""
    found: dict[str, Secret] = {}
    with open(path, "rb") as handle:
        _scan(handle, found)
    return sorted(found.values(), key=lambda s: s.offset)


def _scan(handle: BinaryIO, found: dict[str, Secret], digest: hashlib._Hash | None = None) -> None:
    """Record the first match of each kind of secret in `found`; feed every byte read to `digest`."""
    tail = b""
    consumed = 0  # bytes before `tail`
    newlines = 0  # newlines before `tail`
    binary: bool | None = None
    while chunk := handle.read(_CHUNK):
        if digest is not None:
            digest.update(chunk)
        if binary is None:
            binary = b"\0" in chunk[:8192]
        window = tail + chunk
        for kind, pattern in _SECRET_PATTERNS:
            if kind in found:
                continue
            match = pattern.search(window)
            if match is not None:
                offset = consumed + match.start()
                line = None if binary else newlines + window.count(b"\n", 0, match.start()) + 1
                found[kind] = Secret(kind, line, offset)
        keep = window[-_OVERLAP:]
        newlines += window.count(b"\n") - keep.count(b"\n")
        consumed += len(window) - len(keep)
        tail = keep


# -- adding ----------------------------------------------------------------------------------------


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
    control = _find_control(program, request.control)
    requirement = _requirement(control, request.requirement)
    collected = request.collected or program.today
    if collected > program.today:
        raise UsageError(f"the collected date {collected} is in the future (today is {program.today})")
    if not request.files:
        raise UsageError("give at least one evidence file")
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
    _check_record(plan, collector, request.note)
    return plan


def _find_control(program: Program, wanted: str) -> Control:
    control = program.controls.get(wanted) or next((c for i, c in program.controls.items() if i.upper() == wanted.upper()), None)
    if control is not None:
        return control
    if any(kind == "control" and i.upper() == wanted.upper() for kind, i in program.invalid_ids):
        raise UsageError(f"control {wanted} is invalid; fix it first (`soc2kit check` says how)")
    close = difflib.get_close_matches(wanted.upper(), list(program.controls), n=3)
    hint = f"; did you mean {' or '.join(close)}?" if close else "; `soc2kit check` lists the program's controls"
    raise UsageError(f"unknown control '{wanted}'{hint}")


def _requirement(control: Control, wanted: str | None) -> str:
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
    if name == RECORD_NAME or name.endswith(_DOCUMENT_SUFFIXES):
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
    return "\n".join(lines) + "\n"


def _check_record(plan: _Plan, collector: str, note: str | None) -> None:
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


# -- writing ---------------------------------------------------------------------------------------


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


# -- committing ------------------------------------------------------------------------------------


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


# -- verifying -------------------------------------------------------------------------------------


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

    # SK401, SK402, SK404 and SK409 come from the program's own evidence rule (soc2kit.rules.evidence),
    # which took them from `file_flaws` as this run loaded the program (hashing afresh with --no-cache).
    found: list[Diagnostic] = [
        d
        for d in program.diagnostics
        if (d.path == CONFIG_FILE and d.code.startswith("SK0"))  # soc2kit.yml unreadable or invalid, not scope findings
        or d.path.startswith(f"{EVIDENCE_DIR}/")
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
_FILE_FLAWS = "evidence file flaws"  # the key of `file_flaws` in `Program.assessments`


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
    known: Flaws | None = program.assessments.get(_FILE_FLAWS)
    if known is None:
        paths = RepoPaths(program.root)
        known = {}
        for record in program.evidence.values():
            if flaws := tuple(_file_flaws_of(program, paths, record)):
                known[record.id] = flaws
        program.assessments[_FILE_FLAWS] = known
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
        if name.startswith((".", "_")) or name.endswith(_DOCUMENT_SUFFIXES):
            continue
        if entry.is_dir(follow_symlinks=False):
            yield from _walk_files(entry.path, f"{prefix}/{name}")
        elif name not in _NOT_EVIDENCE_NAMES:
            yield f"{prefix}/{name}"
