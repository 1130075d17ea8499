"""Git history of the program: who changed which file when, through which pull request.

Read in one streaming pass over `git log` (never one git call per file or per commit), lazily, and
cached per run. Paths are relative to the program root (the folder holding `soc2kit.yml`), POSIX,
exactly as `Program.documents` keys them, even when the program lives in a subfolder of the repo.

Public API
    load_history(root, *, rev="HEAD", first_parent=True) -> History
        Never raises for a missing repository: outside Git, in a repo with no commits, or without a
        git executable, `history.available` is False and `history.note` says why (one sentence a
        page or a command can show). In a shallow clone it works and `history.shallow` is True,
        with `history.note` warning that history is cut. Cached per (folder, HEAD, rev, first_parent)
        for the life of the process; `clear_cache()` forgets.
    History
        .available, .note, .shallow, .root (program root), .toplevel (repo), .prefix (the program
        folder inside the repository, "" or "sub/"), .head (sha or None),
        .branch (current branch name, None when detached)
        .commits            every commit that touched the program, newest first (read on first use)
        .revisions(path)    list[Revision] of one program path, newest first, following renames
        .lineage(path)      the same, without stopping at the newest "added" (tamper checks)
        .first_added(path)  the Revision that first added the path (under any earlier name), or None
        .last_changed(path) the newest Revision, or None
        .require()          raise HistoryUnavailableError (a UsageError, exit 2) when not available
    iter_commits(root, *, rev="HEAD", first_parent=False, paths=PROGRAM_PATHSPEC, since=None, until=None, tz=None,
                 show_pulls=True, signatures=True, reverse=False) -> Iterator[Commit]
        The streaming primitive: yields commits as `git log` prints them, constant memory
        (`reverse`: oldest first).
        `since`/`until` are inclusive dates compared with the committer date in `tz` (default UTC).
        With first_parent=False, pull-request merge commits that brought program changes are
        included too (`--show-pulls`), with their changes against the first parent.
    repo_info(root) -> RepoInfo
        toplevel, prefix (program root inside the repo, "" or "sub/"), head, branch, shallow.
        Raises HistoryUnavailableError. `load_history(root, info=...)` takes one the caller has.
    Commit (frozen): sha, short, parents, is_merge, author_name, author_email, author_date,
        committer_name, committer_email, committer_date (aware datetimes, parsed on access from
        author_iso / committer_iso, git's strict ISO 8601 text), subject, trailers
        ((key, value) pairs as written), signature (%G? letter: G good, B bad, U unknown validity,
        X/Y expired, R revoked, E cannot check, N none; "" when not checked), signer, changes (tuple[Change]), pr (int |
        None, from "Merge pull request #12 from ..." or a squash subject ending "(#123)"),
        trailer(key) -> list[str] (case-insensitive key), approvers -> list[str] (Approved-by and
        Reviewed-by values), signed_off_by -> list[str], author -> "Name <email>".
    Change (frozen): status ("added" | "modified" | "deleted" | "renamed" | "copied" |
        "type-changed" | "unmerged" | "unknown"), path, old_path (renames and copies), similarity.
    Revision (frozen): commit, change; .path, .sha, .date (committer date), .pr.
    HistoryUnavailableError(UsageError)
    PROGRAM_PATHSPEC: soc2kit.yml and the program's folders (soc2kit.layout).
    pr_number(subject) -> int | None
    day_of(commit, tz) -> date: a commit's committer day in the audit's time zone.
    committed_within(commits, since, until, tz) -> Iterator[Commit]: those committed on a day in the range.
    nul_tokens(stream) -> Iterator[str]: the NUL-terminated fields of a git output stream, one chunk in memory.
Git itself is reached only through soc2kit.git (repo_info, RepoInfo and HistoryUnavailableError are
re-exported from there).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, tzinfo
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, Literal

from soc2kit.git import GitError, HistoryUnavailableError, RepoInfo, repo_info, stream
from soc2kit.layout import PROGRAM_PATHSPEC

__all__ = ["HistoryUnavailableError", "RepoInfo", "repo_info"]  # re-exported: callers read Git facts here


ChangeStatus = Literal["added", "modified", "deleted", "renamed", "copied", "type-changed", "unmerged", "unknown"]
_STATUS: dict[str, ChangeStatus] = {
    "A": "added",
    "M": "modified",
    "D": "deleted",
    "R": "renamed",
    "C": "copied",
    "T": "type-changed",
    "U": "unmerged",
    "X": "unknown",
    "B": "modified",
}
_FIELDS = ("%H", "%P", "%an", "%ae", "%aI", "%cn", "%ce", "%cI", "%G?", "%GS", "%s", "%(trailers:only,unfold)")
# Every commit's output opens with this token. Fields and paths are NUL-terminated and no commit text
# or path can hold a NUL, so the parser counts tokens and never searches the text for the marker:
# a subject, name, trailer or path that spells the marker is just a field.
_MARK = "\x1esoc2kit"
_FORMAT = "%x1esoc2kit%x00" + "%x00".join(_FIELDS) + "%x00"
_FORMAT_UNSIGNED = _FORMAT.replace("%G?", "").replace("%GS", "")
_FIELD_COUNT = len(_FIELDS)
_TRAILER = re.compile(r"([A-Za-z0-9-]+)\s*:(.*)")
_MERGE_PR = re.compile(r"^Merge pull request #([0-9]+) from ")
_SQUASH_PR = re.compile(r"\(#([0-9]+)\)\s*$")
_APPROVAL_KEYS = ("approved-by", "reviewed-by")
_CHUNK = 1 << 18


def pr_number(subject: str) -> int | None:
    """The pull request a subject names: a GitHub merge commit or a squash subject ending "(#123)"."""
    match = _MERGE_PR.match(subject) or _SQUASH_PR.search(subject)
    return int(match.group(1)) if match else None


@dataclass(frozen=True, slots=True)
class Change:
    """One file's change in one commit."""

    status: ChangeStatus
    path: str
    old_path: str | None = None
    similarity: int | None = None


@dataclass(frozen=True, slots=True)
class Commit:
    """One commit that touched the program, with the program files it changed."""

    sha: str
    parents: tuple[str, ...]
    author_name: str
    author_email: str
    author_iso: str
    committer_name: str
    committer_email: str
    committer_iso: str
    signature: str
    signer: str
    subject: str
    trailers: tuple[tuple[str, str], ...] = ()
    changes: tuple[Change, ...] = ()

    @property
    def author_date(self) -> datetime:
        return datetime.fromisoformat(self.author_iso)

    @property
    def committer_date(self) -> datetime:
        return datetime.fromisoformat(self.committer_iso)

    @property
    def short(self) -> str:
        return self.sha[:12]

    @property
    def is_merge(self) -> bool:
        return len(self.parents) > 1

    @property
    def pr(self) -> int | None:
        return pr_number(self.subject)

    @property
    def author(self) -> str:
        return f"{self.author_name} <{self.author_email}>"

    @property
    def committer(self) -> str:
        return f"{self.committer_name} <{self.committer_email}>"

    def trailer(self, key: str) -> list[str]:
        """Values of one trailer (`Reviewed-by`), compared without case, in the order written."""
        wanted = key.lower()
        return [value for name, value in self.trailers if name.lower() == wanted]

    @property
    def approvers(self) -> list[str]:
        """Everyone named in `Approved-by:` or `Reviewed-by:` trailers."""
        return [value for name, value in self.trailers if name.lower() in _APPROVAL_KEYS]

    @property
    def signed_off_by(self) -> list[str]:
        return self.trailer("Signed-off-by")


@dataclass(frozen=True, slots=True)
class Revision:
    """A program path as changed by one commit."""

    commit: Commit
    change: Change

    @property
    def path(self) -> str:
        return self.change.path

    @property
    def sha(self) -> str:
        return self.commit.sha

    @property
    def date(self) -> datetime:
        return self.commit.committer_date

    @property
    def pr(self) -> int | None:
        return self.commit.pr


@lru_cache(maxsize=4096)  # the same sign-offs and reviewers recur from commit to commit
def _parse_trailers(text: str) -> tuple[tuple[str, str], ...]:
    """`Key: value` pairs from `%(trailers:only,unfold)`: one trailer per line.

    Split at "\\n" only: `str.splitlines` also breaks at \\x1e, \\x85 or U+2028, which a trailer value can hold,
    and would turn the rest of the value into a trailer of its own.
    """
    found = []
    for line in text.split("\n"):
        match = _TRAILER.fullmatch(line)
        if match:
            found.append((match.group(1), match.group(2).strip()))
    return tuple(found)


def nul_tokens(stream: Any) -> Iterator[str]:
    """The NUL-terminated tokens of git's output, one at a time, without holding more than one chunk."""
    for tokens in _nul_chunks(stream):
        yield from tokens


def _nul_chunks(stream: Any) -> Iterator[list[str]]:
    """The NUL-terminated tokens of git's output, a list per chunk read (the last one: what follows the final NUL)."""
    rest = b""
    read = getattr(stream, "read1", stream.read)  # what is there now, not a full chunk: parse while git works
    while True:
        chunk = read(_CHUNK)
        if not chunk:
            break
        data = rest + chunk if rest else chunk
        cut = data.rfind(b"\0") + 1
        rest = data[cut:]
        if cut:  # one decode per chunk: a NUL is never inside a UTF-8 sequence, so cutting there is safe
            tokens = data[:cut].decode("utf-8", "replace").split("\0")
            tokens.pop()
            yield tokens
    if rest:
        yield [rest.decode("utf-8", "replace")]


def _parse_log(tokens: Iterable[str]) -> Iterator[Commit]:
    """Commits from the tokens of `git log -z --name-status --format=_FORMAT` (see `_parse_chunks`)."""
    return _parse_chunks([list(tokens)])


def _parse_chunks(chunks: Iterable[list[str]]) -> Iterator[Commit]:
    """Commits from the tokens of `git log -z --name-status --format=_FORMAT`, read a chunk of tokens at a time.

    A commit is the marker token, exactly `_FIELD_COUNT` field tokens, then its changes: a status
    token (`M`, `R100`, possibly empty or with a leading newline) followed by one path, or two for
    renames and copies. Fields and paths are taken by position, so whatever text they hold (the
    marker, a status letter, a newline) cannot end a commit or start another; the next commit begins
    at the first token in status position that is the marker. A commit is parsed once the token
    after it (the next marker) has been read; what a chunk ends in waits for the next chunk, and
    what the stream ends in is parsed as if missing tokens were empty.
    """
    carried: list[str] = []
    for chunk in chunks:
        tokens = carried + chunk if carried else chunk
        commits, consumed = _parse_tokens(tokens, final=False)
        yield from commits
        carried = tokens[consumed:]
    if carried:
        yield from _parse_tokens(carried, final=True)[0]


_Code = tuple[ChangeStatus, bool, int | None]
"""A status token read: the status, whether two paths follow (renames, copies), the similarity."""


def _status_of(token: str) -> _Code | None:
    """What a token in status position says, None when it is not a status."""
    code = token.lstrip("\n")
    status = _STATUS.get(code[:1]) if code[1:].isdigit() or len(code) == 1 else None
    if status is None:
        return None
    paired = code[0] in "RC"
    return status, paired, (int(code[1:]) if code[1:] else None) if paired else None


class _StatusCodes(dict[str, _Code | None]):
    """Status tokens already read: a handful of codes (`M`, `A`, `R100`) recur on every commit."""

    def __missing__(self, token: str) -> _Code | None:
        found = _status_of(token)
        # Codes are few and short (a letter, a similarity, maybe a newline): a hostile stream cannot grow this.
        if len(token) <= 8 and len(self) < 4096:
            self[token] = found
        return found


_CODES = _StatusCodes()


def _parse_tokens(tokens: list[str], *, final: bool) -> tuple[list[Commit], int]:
    """The commits `tokens` hold complete, and the index where the first incomplete one starts.

    With `final`, nothing follows: the last commit is complete, its missing tokens read as empty."""
    commits: list[Commit] = []
    count = len(tokens)
    codes = _CODES
    index = 0
    while True:
        while index < count and tokens[index] != _MARK:  # not a commit's start: only on output we do not understand
            index += 1
        if index >= count:
            return commits, count
        start = index
        index += 1 + _FIELD_COUNT
        if index > count and not final:
            return commits, start
        header = tokens[start + 1 : index]
        if len(header) < _FIELD_COUNT:
            header.extend([""] * (_FIELD_COUNT - len(header)))
        changes: list[Change] = []
        while index < count:
            token = tokens[index]
            if token == _MARK:
                break
            found = codes[token]
            if found is None:
                index += 1
                continue
            status, paired, similarity = found
            if paired:
                if index + 2 >= count and not final:
                    return commits, start
                old_path = tokens[index + 1] if index + 1 < count else ""
                path = tokens[index + 2] if index + 2 < count else ""
                changes.append(Change(status, path, old_path, similarity))
                index += 3
            else:
                if index + 1 >= count and not final:
                    return commits, start
                changes.append(Change(status, tokens[index + 1] if index + 1 < count else ""))
                index += 2
        else:
            if not final:  # the next marker is not read yet: the commit may have more changes
                return commits, start
        commits.append(_commit(header, changes))


def _commit(header: list[str], changes: list[Change]) -> Commit:
    sha, parents, an, ae, ad, cn, ce, cd, sig, signer, subject, trailers = header
    # Positional, in field order: this runs once per commit of the history.
    return Commit(
        sha,
        tuple(parents.split()),
        an,
        ae,
        ad,
        cn,
        ce,
        cd,
        sig.strip(),
        signer,
        subject,
        _parse_trailers(trailers) if trailers else (),
        tuple(changes),
    )


def log_command(
    *,
    rev: str = "HEAD",
    first_parent: bool = False,
    paths: Iterable[str] = PROGRAM_PATHSPEC,
    show_pulls: bool = True,
    signatures: bool = True,
    reverse: bool = False,
) -> list[str]:
    """The `git log` arguments the stream reads (`soc2kit.git.command` makes the full command line)."""
    command = [
        "log",
        "--no-color",
        "--no-ext-diff",
        "--relative",
        "--name-status",
        "-z",
        "-M",
        "--encoding=UTF-8",
        f"--format={_FORMAT if signatures else _FORMAT_UNSIGNED}",
        "--diff-merges=first-parent",
    ]
    if first_parent:
        command.append("--first-parent")
    elif show_pulls:
        command.append("--show-pulls")
    if reverse:  # oldest first: git orders the list, the stream stays one commit at a time here
        command.append("--reverse")
    command.extend(["--end-of-options", rev, "--", *paths])
    return command


def iter_commits(
    root: str | Path,
    *,
    rev: str = "HEAD",
    first_parent: bool = False,
    paths: Iterable[str] = PROGRAM_PATHSPEC,
    since: date | None = None,
    until: date | None = None,
    tz: tzinfo | None = None,
    show_pulls: bool = True,
    signatures: bool = True,
    reverse: bool = False,
) -> Iterator[Commit]:
    """Stream the commits that touched `paths` (relative to `root`), newest first. See the module doc.

    `signatures=False` skips signature checks (git runs gpg or ssh-keygen once per signed commit),
    leaving `signature` and `signer` empty.
    """
    base = Path(root).resolve()
    arguments = log_command(
        rev=rev, first_parent=first_parent, paths=paths, show_pulls=show_pulls, signatures=signatures, reverse=reverse
    )
    try:
        with stream(arguments, cwd=base) as output:
            commits = _parse_chunks(_nul_chunks(output))
            if since is not None or until is not None:
                commits = committed_within(commits, since, until, tz or UTC)
            yield from commits
    except GitError as exc:
        raise HistoryUnavailableError(f"git log failed: {exc.detail}") from None


def committed_within(commits: Iterable[Commit], since: date | None, until: date | None, zone: tzinfo) -> Iterator[Commit]:
    """The `commits` committed on a day from `since` to `until` (either open when None) in the time zone `zone`."""
    for commit in commits:
        day = day_of(commit, zone)
        if (until is None or day <= until) and (since is None or day >= since):
            yield commit


def day_of(commit: Commit, zone: tzinfo) -> date:
    """The day `commit` was committed, in the audit's time zone `zone`."""
    return commit.committer_date.astimezone(zone).date()


@dataclass
class History:
    """The program's Git history, read lazily on first use. Build it with `load_history`."""

    root: Path
    available: bool
    note: str = ""
    shallow: bool = False
    toplevel: Path | None = None
    prefix: str = ""
    """The program folder inside the repository: "" or "sub/"."""
    head: str | None = None
    branch: str | None = None
    rev: str = "HEAD"
    first_parent: bool = True
    _by_path: dict[str, list[tuple[int, Change]]] = field(default_factory=dict, repr=False)

    def require(self) -> History:
        """This history, or HistoryUnavailableError naming why there is none."""
        if not self.available:
            raise HistoryUnavailableError(self.note)
        return self

    @cached_property
    def commits(self) -> list[Commit]:
        """Every commit that touched the program, newest first (empty when unavailable)."""
        if not self.available:
            return []
        found = list(iter_commits(self.root, rev=self.rev, first_parent=self.first_parent))
        by_path: dict[str, list[tuple[int, Change]]] = {}
        for index, commit in enumerate(found):
            for change in commit.changes:
                by_path.setdefault(change.path, []).append((index, change))
        self._by_path = by_path
        return found

    def revisions(self, path: str) -> list[Revision]:
        """Revisions of `path`, newest first; before a rename, those of its earlier name."""
        return self._follow(path, stop_at_added=True)

    def lineage(self, path: str) -> list[Revision]:
        """Every change to `path`, newest first, following renames to its earlier names. Unlike
        `revisions` it does not stop at the newest "added": a file deleted and added again is exactly
        what a tamper check must see."""
        return self._follow(path, stop_at_added=False)

    def _follow(self, path: str, *, stop_at_added: bool) -> list[Revision]:
        commits = self.commits
        result: list[Revision] = []
        current, newer_than = path, -1
        seen: set[str] = set()
        while current not in seen:
            seen.add(current)
            renamed_from: str | None = None
            for index, change in self._by_path.get(current, ()):
                if index <= newer_than:
                    continue
                result.append(Revision(commits[index], change))
                if change.status == "renamed" and change.old_path:
                    renamed_from, newer_than = change.old_path, index
                    break
                if stop_at_added and change.status == "added":
                    break
            if renamed_from is None:
                break
            current = renamed_from
        return result

    def first_added(self, path: str) -> Revision | None:
        """The revision that first added `path` (under its first name), or None without history."""
        revisions = self.revisions(path)
        if not revisions:
            return None
        oldest = revisions[-1]
        return oldest if oldest.change.status in {"added", "copied"} else None

    def last_changed(self, path: str) -> Revision | None:
        revisions = self.revisions(path)
        return revisions[0] if revisions else None

    def paths(self) -> list[str]:
        """Every path any commit touched, sorted."""
        _ = self.commits
        return sorted(self._by_path)


_CACHE: dict[tuple[str, str | None, str, bool], History] = {}


def clear_cache() -> None:
    _CACHE.clear()


def load_history(
    root: str | Path = ".", *, rev: str = "HEAD", first_parent: bool = True, info: RepoInfo | None = None
) -> History:
    """The history of the program at `root` (see the module doc). Never raises for missing Git.
    `info`: the `repo_info` of `root` when the caller has read it already."""
    base = Path(root).resolve()
    try:
        info = info or repo_info(base)
    except HistoryUnavailableError as exc:
        return History(root=base, available=False, note=_unavailable_note(exc), rev=rev, first_parent=first_parent)
    if info.head is None:
        return History(
            root=base,
            available=False,
            note="The Git repository has no commits yet, so there is no history to show.",
            toplevel=info.toplevel,
            prefix=info.prefix,
            branch=info.branch,
            rev=rev,
            first_parent=first_parent,
        )
    key = (str(base), info.head, rev, first_parent)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    note = ""
    if info.shallow:
        note = (
            "This is a shallow clone: Git history is cut at the oldest fetched commit, so older changes are "
            "missing and the oldest commit appears to add every file (run `git fetch --unshallow`)."
        )
    history = History(
        root=base,
        available=True,
        note=note,
        shallow=info.shallow,
        toplevel=info.toplevel,
        prefix=info.prefix,
        head=info.head,
        branch=info.branch,
        rev=rev,
        first_parent=first_parent,
    )
    _CACHE[key] = history
    return history


def _unavailable_note(exc: HistoryUnavailableError) -> str:
    if "not inside a Git repository" in exc.message:
        return "This folder is not in a Git repository, so Git history (revisions, pull requests, approvals) is off."
    return f"Git history is off: {exc.message}."
