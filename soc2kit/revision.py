"""The program as it stood at a commit, tag, branch or date, read straight from Git objects.

No checkout: `git archive` streams the program files of that commit (soc2kit.yml, policies/,
controls/, evidence/) into a temporary folder, and `load_program` reads it like any other. The
folder lives as long as the returned Program does.

Public API
    resolve_revision(root, rev, *, tz=None) -> (sha, committer datetime)
        `rev` is anything `git rev-parse` knows (sha, tag, branch, HEAD~2) or a strict ISO date
        (YYYY-MM-DD, or a `datetime.date`): the last commit on HEAD's first-parent line made at or
        before the end of that day in `tz` (default UTC). Raises UsageError naming what to do.
    load_program_at(root, rev, *, tz=None, today=None, info=None, check=True, blobs=None,
                    resolved=None) -> ProgramAt
        ProgramAt: program (a Program whose root is the temporary folder; document paths are the
        same as in the work tree), commit (sha), rev (as given), date (committer date).
        `info`: the `repo_info` the caller has (no second look at the repository); `check=False`
        reads the program without running the rules, for outputs that report no findings.
Git is reached through soc2kit.git: two processes per revision (one `git log -1`, one `git archive`)
and one `cat-file --batch` to see which program parts the commit holds.
"""

from __future__ import annotations

import contextlib
import re
import tarfile
import tempfile
import weakref
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING

from soc2kit.documents import MAX_DOCUMENT_BYTES
from soc2kit.errors import UsageError
from soc2kit.git import Blobs, GitError, RepoInfo, repo_info, stream, text
from soc2kit.layout import DOCUMENT_SUFFIXES, PROGRAM_PATHS

if TYPE_CHECKING:
    from soc2kit.program import Program

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")


@dataclass(frozen=True)
class ProgramAt:
    """A Program loaded from one commit."""

    program: Program
    commit: str
    rev: str
    date: datetime


def _as_date(rev: str | date) -> date | None:
    if isinstance(rev, date):
        return rev
    if _ISO_DATE.match(rev):
        try:
            return date.fromisoformat(rev)
        except ValueError:
            raise UsageError(f"'{rev}' is not a real calendar date") from None
    return None


def resolve_revision(
    root: str | Path, rev: str | date, *, tz: tzinfo | None = None, info: RepoInfo | None = None
) -> tuple[str, datetime]:
    """The commit `rev` names, and its committer date (see the module doc): one git process. `info`:
    a `repo_info` the caller already has."""
    info = info or repo_info(root)
    if info.head is None:
        raise UsageError("the Git repository has no commits yet, so there is no revision to read", path=info.toplevel)
    day = _as_date(rev)
    label = str(rev)
    if day is not None:
        end = datetime.combine(day, time(23, 59, 59), tzinfo=tz or UTC)
        asked = ["log", "-1", "--first-parent", f"--before={end.isoformat()}", "--format=%H %cI", "HEAD", "--"]
    else:
        if not label or label.startswith("-"):
            raise UsageError(f"'{label}' is not a revision; give a commit, tag, branch or ISO date")
        asked = ["log", "-1", "--no-walk", "--format=%H %cI", "--end-of-options", f"{label}^{{commit}}", "--"]
    try:
        found = text(asked, cwd=Path(root).resolve()).strip()
    except GitError:
        found = ""
        if day is None:
            raise UsageError(
                f"'{label}' is not a commit, tag or branch in this repository (nor an ISO date like 2026-06-30)"
            ) from None
    sha, _, stamp = found.partition(" ")
    if not sha:
        raise UsageError(f"no commit on HEAD's first-parent line is dated {day.isoformat() if day else label} or earlier")
    return sha, datetime.fromisoformat(stamp)


def load_program_at(
    root: str | Path,
    rev: str | date,
    *,
    tz: tzinfo | None = None,
    today: date | None = None,
    info: RepoInfo | None = None,
    check: bool = True,
    blobs: Blobs | None = None,
    resolved: tuple[str, datetime] | None = None,
) -> ProgramAt:
    """Load the program at `root` as it stood at `rev` (see the module doc). `blobs`: an open object
    reader of the repository to share (else one is opened for this call); `resolved`: what
    `resolve_revision` answered for `rev`, when the caller has asked it already."""
    base = Path(root).resolve()
    info = info or repo_info(base)
    sha, when = resolved or resolve_revision(base, rev, tz=tz, info=info)
    top = info.toplevel
    tree = f"{sha}:{info.prefix}" if info.prefix else f"{sha}^{{tree}}"
    with contextlib.ExitStack() as stack:
        objects = blobs or stack.enter_context(Blobs(top))
        wanted = [path for path in PROGRAM_PATHS if objects.exists(f"{sha}:{info.prefix}{path}")]
    folder = tempfile.TemporaryDirectory(prefix="soc2kit-rev-")
    target = Path(folder.name)
    if wanted:
        # Run from the top level: pathspecs are relative to the working directory, but to `tree` here.
        try:
            with stream(["archive", "--format=tar", tree, "--", *wanted], cwd=top) as output:
                with tarfile.open(fileobj=output, mode="r|") as archive:
                    archive.extractall(target, filter=_bounded)  # noqa: S202 (the "data" filter, wrapped)
                output.read()  # the tar's padding: git ends cleanly, so a failure is git's own
        except (GitError, tarfile.TarError) as exc:
            folder.cleanup()
            raise UsageError(f"cannot read the program at {label_of(rev)} from Git: {exc}") from None
    program = _read(target, today=today, check=check)
    weakref.finalize(program, folder.cleanup)
    return ProgramAt(program=program, commit=sha, rev=label_of(rev), date=when)


def _read(folder: Path, *, today: date | None, check: bool) -> Program:
    """The program in `folder`: checked (`load_program`), or only read (`read_program`)."""
    from soc2kit.loader import load_program
    from soc2kit.program import read_program

    if check:
        return load_program(folder, today=today, use_cache=False)
    return read_program(folder, today=today, use_cache=False)


def _inside_only(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """tarfile's "data" filter, but a symbolic link leading out of the folder is left out instead of
    stopping the whole read: a committed link to /etc/passwd must not make the program unreadable
    (it reads as a missing file, which `check` reports), nor be followed."""
    try:
        return tarfile.data_filter(member, dest)
    except (tarfile.AbsoluteLinkError, tarfile.LinkOutsideDestinationError):
        return None


def _bounded(member: tarfile.TarInfo, dest: str) -> tarfile.TarInfo | None:
    """`_inside_only`, and a program document larger than soc2kit reads is not written out: a sparse
    file one byte over the limit stands in for it, so reading it reports SK015 as the work tree would,
    without a blob of gigabytes landing on disk."""
    kept = _inside_only(member, dest)
    if kept is None or not kept.isfile() or kept.size <= MAX_DOCUMENT_BYTES or not kept.name.endswith(DOCUMENT_SUFFIXES):
        return kept
    stand_in = Path(dest, kept.name)
    stand_in.parent.mkdir(parents=True, exist_ok=True)
    with stand_in.open("xb") as handle:
        handle.truncate(MAX_DOCUMENT_BYTES + 1)
    return None


def label_of(rev: str | date) -> str:
    return rev.isoformat() if isinstance(rev, date) else rev
