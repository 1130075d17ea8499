"""The one way soc2kit reaches Git: every git process it starts is started here.

Git runs as a plain subprocess with a fixed environment (C locale, no pager, no terminal prompt, no
optional index locks) and `-c` settings that pin the output formats soc2kit parses (no colour, no
quoted paths, no signature blocks in logs), whatever the user's configuration says.

Public API
    GitError(UsageError): a git command failed, or git cannot be run. `.status` (exit status, None
        when git could not start), `.detail` (the last line git wrote to stderr).
    last_line(stderr) -> str: the last non-empty line of git's stderr (what a one-line error shows).
    run(args, *, cwd, input=None) -> bytes: git's stdout; raises GitError.
    text(args, *, cwd) -> str: run(), decoded (UTF-8), one trailing newline removed.
    succeeds(args, *, cwd) -> bool: whether the command exits 0 (its output is dropped).
    stream(args, *, cwd) -> context manager yielding git's stdout as a binary stream; leaving it early
        kills git, leaving it after reading everything raises GitError when git failed.
    Background(args, *, cwd): git started and left to run, its stdout kept in a temporary file;
        .done -> bool, .output() -> bytes (once; waits; raises GitError), .close() (stops it).
    Blobs(cwd): one persistent `git cat-file --batch`; .read("<rev>:<path>") -> bytes | None,
        .exists(name) -> bool, .close() (also a context manager).
    RepoInfo: toplevel, prefix (the program folder inside the repository, "" or "sub/"), head (sha
        or None before the first commit), branch (None when detached), shallow.
    repo_info(root) -> RepoInfo: raises HistoryUnavailableError outside a repository or without git.
    HistoryUnavailableError(UsageError): Git is needed and there is none.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Self

from soc2kit.errors import UsageError

# Settings that would change what soc2kit parses; command-line `-c` wins over every config file.
_PINNED = (
    "core.quotePath=false",
    "core.pager=cat",
    "color.ui=false",
    "log.showSignature=false",
    "log.decorate=false",
    "i18n.logOutputEncoding=UTF-8",
)
_PIPE_SIZE = 1 << 20
_QUESTIONS = 8192
"""Bytes of questions written to `git cat-file --batch` before its answers are read: less than any
pipe holds (16 KiB on some systems), so git never waits on a full answer pipe while soc2kit waits on a
full question pipe."""


class GitError(UsageError):
    """A git command failed (`status` is its exit status) or git cannot be run (`status` is None)."""

    def __init__(self, detail: str, *, status: int | None = None) -> None:
        self.status = status
        self.detail = detail
        super().__init__(detail)


class HistoryUnavailableError(UsageError):
    """Git history is needed but there is none: not a Git repository, no commits, or no git."""


def last_line(stderr: str | bytes | None) -> str:
    """The last non-empty line git wrote to stderr: the reason, without the lines leading up to it."""
    text = stderr.decode("utf-8", "replace") if isinstance(stderr, bytes) else (stderr or "")
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def _environment() -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "LC_ALL": "C",
            "LANGUAGE": "C",
            "GIT_TERMINAL_PROMPT": "0",
            "GIT_PAGER": "cat",
            "PAGER": "cat",
            "GIT_OPTIONAL_LOCKS": "0",  # reading must never take the index lock a user's git needs
        }
    )
    return env


def command(args: Sequence[str]) -> list[str]:
    """The full command line for `git <args>`, with the pinned settings."""
    pinned = [part for setting in _PINNED for part in ("-c", setting)]
    return ["git", *pinned, *args]


def _start(args: Sequence[str], cwd: str | os.PathLike[str], **options: object) -> subprocess.Popen[bytes]:
    try:
        return subprocess.Popen(command(args), cwd=cwd, env=_environment(), **options)  # type: ignore[call-overload,no-any-return]
    except OSError as exc:  # no git executable, or `cwd` is gone
        raise GitError(f"git cannot be run ({exc.strerror or exc})") from None


def run(args: Sequence[str], *, cwd: str | os.PathLike[str], input: bytes | None = None) -> bytes:  # noqa: A002
    """git's stdout for `git <args>` run in `cwd`; GitError when it fails."""
    process = _start(
        args,
        cwd,
        stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    out, err = process.communicate(input)
    if process.returncode != 0:
        raise GitError(
            last_line(err) or f"git {args[0] if args else ''} exited with status {process.returncode}", status=process.returncode
        )
    return out


def text(args: Sequence[str], *, cwd: str | os.PathLike[str]) -> str:
    """`run`, decoded as UTF-8 with one trailing newline removed."""
    return run(args, cwd=cwd).decode("utf-8", "replace").removesuffix("\n")


def succeeds(args: Sequence[str], *, cwd: str | os.PathLike[str]) -> bool:
    """Whether `git <args>` exits 0 (a question git answers with its exit status)."""
    try:
        run(args, cwd=cwd)
    except GitError as exc:
        if exc.status is None:
            raise
        return False
    return True


@contextlib.contextmanager
def stream(args: Sequence[str], *, cwd: str | os.PathLike[str]) -> Iterator[IO[bytes]]:
    """git's stdout as it is written. Leaving early kills git; a failure after a full read raises GitError."""
    import tempfile

    with tempfile.TemporaryFile() as errors:  # a file, not a pipe: a chatty stderr must not block git
        process = _start(args, cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=errors)
        assert process.stdout is not None
        _widen_pipe(process.stdout)
        finished = False
        try:
            yield process.stdout
            finished = True
        finally:
            if not finished:
                process.kill()
            process.stdout.close()
            status = process.wait()
        if status != 0:
            raise _failure(errors, status)


def _failure(errors: IO[bytes], status: int) -> GitError:
    """The GitError of a git that exited with `status`, from the stderr it wrote to the file `errors`."""
    errors.seek(0)
    return GitError(last_line(errors.read()) or f"git exited with status {status}", status=status)


class Background:
    """`git <args>` started at once and left to run: its stdout goes to an unnamed temporary file, so
    no pipe has to be drained (and no thread has to hold the interpreter) while the caller works.

    `.done`: whether git has finished. `.output()` (once): waits for git, returns its stdout, raises
    GitError when it failed. `.close()`: stops git if it still runs (a caller that no longer needs the
    answer); after `output()` it does nothing.
    """

    def __init__(self, args: Sequence[str], *, cwd: str | os.PathLike[str]) -> None:
        import tempfile

        # Both live until output() or close(): no `with` can hold them.
        self._out, self._errors = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115
        try:
            self._process = _start(args, cwd, stdin=subprocess.DEVNULL, stdout=self._out, stderr=self._errors)
        except GitError:
            self._close_files()
            raise

    @property
    def done(self) -> bool:
        return self._process.poll() is not None

    def output(self) -> bytes:
        status = self._process.wait()
        try:
            if status != 0:
                raise _failure(self._errors, status)
            self._out.seek(0)
            return self._out.read()
        finally:
            self._close_files()

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.kill()
            self._process.wait()
        self._close_files()

    def _close_files(self) -> None:
        self._out.close()
        self._errors.close()


def _widen_pipe(stream: IO[bytes]) -> None:
    """Let git run up to 1 MiB ahead of the parser (Linux; elsewhere the default pipe size stays)."""
    import fcntl

    with contextlib.suppress(AttributeError, OSError, ValueError):
        fcntl.fcntl(stream.fileno(), fcntl.F_SETPIPE_SZ, _PIPE_SIZE)


class Blobs:
    """Objects read through one persistent `git cat-file --batch`, started on first use.

    The batch reads one name per line: a name holding a newline would ask a second question and shift
    every later answer by one (another file's bytes for the next path), and a trailing carriage return
    would be dropped (another file). Such names are read by a `git cat-file` of their own.
    """

    def __init__(self, cwd: str | os.PathLike[str]) -> None:
        self.cwd = cwd
        self._process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def _ask(self, name: str) -> tuple[str, bytes] | None:
        """(object type, content) of `name`, or None when there is no such object."""
        if "\n" in name or "\r" in name:
            try:
                kind = text(["cat-file", "-t", name], cwd=self.cwd).strip()
                return kind, run(["cat-file", kind, name], cwd=self.cwd)
            except GitError as exc:
                if exc.status is None:
                    raise
                return None
        return self._batch([name])[0]

    def _batch(self, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """`_ask` for names without line breaks, the questions written together before the answers are read."""
        if self._process is None:
            self._process = _start(
                ["cat-file", "--batch"], self.cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
            )
        process = self._process
        assert process.stdin is not None
        assert process.stdout is not None
        try:
            process.stdin.write(b"".join(name.encode("utf-8", "surrogateescape") + b"\n" for name in names))
            process.stdin.flush()
        except (OSError, ValueError):
            self.close()
            return [None] * len(names)
        return [self._answer(process.stdout) for _ in names]

    def _answer(self, stdout: IO[bytes]) -> tuple[str, bytes] | None:
        try:
            header = stdout.readline()
        except (OSError, ValueError):
            self.close()
            return None
        parts = header.split()
        if len(parts) != 3 or not parts[2].isdigit():  # "<name> missing" or "<name> ambiguous"
            if not header:
                self.close()
            return None
        size = int(parts[2])
        data = stdout.read(size)
        stdout.read(1)  # the newline after the content
        return parts[1].decode("ascii", "replace"), data

    def read(self, name: str) -> bytes | None:
        """The bytes of the blob `name` ("<rev>:<path>"), or None when there is no such blob."""
        found = self._ask(name)
        return found[1] if found is not None and found[0] == "blob" else None

    def read_many(self, names: Sequence[str]) -> list[bytes | None]:
        """`read` of each name, in one round trip to git per few hundred names instead of one per name."""
        answers: dict[str, tuple[str, bytes] | None] = {}
        group: list[str] = []
        size = 0
        for name in dict.fromkeys(names):
            if "\n" in name or "\r" in name:
                answers[name] = self._ask(name)
                continue
            length = len(name.encode("utf-8", "surrogateescape")) + 1
            if group and size + length > _QUESTIONS:
                answers.update(zip(group, self._batch(group), strict=True))
                group, size = [], 0
            group.append(name)
            size += length
        if group:
            answers.update(zip(group, self._batch(group), strict=True))
        found = [answers[name] for name in names]
        return [item[1] if item is not None and item[0] == "blob" else None for item in found]

    def exists(self, name: str) -> bool:
        """Whether `name` names an object (a blob or a tree)."""
        return self._ask(name) is not None

    def close(self) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        for pipe in (process.stdin, process.stdout):
            with contextlib.suppress(OSError):
                if pipe is not None:
                    pipe.close()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass(frozen=True, slots=True)
class RepoInfo:
    toplevel: Path
    prefix: str
    head: str | None
    branch: str | None
    shallow: bool


def repo_info(root: str | os.PathLike[str]) -> RepoInfo:
    """Where the repository is, where the program is inside it, and what HEAD is: one git process
    (three before the first commit). Raises HistoryUnavailableError outside a repository or without git."""
    base = Path(root).resolve()
    try:
        # The one-line answers first: a folder name may hold a newline, so the top level is all that
        # follows them, up to the "--" git echoes last.
        out = text(
            ["rev-parse", "--is-shallow-repository", "HEAD^{commit}", "--symbolic-full-name", "HEAD", "--show-toplevel", "--"],
            cwd=base,
        )
        shallow, sha, name, rest = out.split("\n", 3)
        head: str | None = sha
        branch = name.removeprefix("refs/heads/") if name.startswith("refs/heads/") else None
        toplevel = rest.removesuffix("\n--")
    except GitError as exc:
        if exc.status is None:
            raise HistoryUnavailableError(exc.detail) from None
        shallow, toplevel, head, branch = _without_commits(base)
    except ValueError:  # not the four answers asked for: read as before the first commit
        shallow, toplevel, head, branch = _without_commits(base)
    top = Path(toplevel)
    try:
        inside = base.relative_to(top).as_posix()
    except ValueError:
        inside = os.path.relpath(base, os.path.realpath(top)).replace(os.sep, "/")
    prefix = "" if inside == "." else inside + "/"
    return RepoInfo(toplevel=top, prefix=prefix, head=head, branch=branch, shallow=shallow.strip() == "true")


def _without_commits(base: Path) -> tuple[str, str, None, str | None]:
    """(shallow answer, top level, no HEAD commit, the branch the first commit will go on)."""
    try:
        answer, _, rest = text(["rev-parse", "--is-shallow-repository", "--show-toplevel"], cwd=base).partition("\n")
    except GitError as exc:
        if exc.status is None:
            raise HistoryUnavailableError(exc.detail) from None
        raise HistoryUnavailableError("is not inside a Git repository, so history features are off", path=base) from None
    try:
        branch = text(["symbolic-ref", "-q", "--short", "HEAD"], cwd=base).strip() or None
    except GitError:
        branch = None
    return answer, rest, None, branch
