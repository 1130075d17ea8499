"""The audit trail: every commit that touched the program.

Deterministic: the same repository gives the same bytes, whatever the time or the folder it is run
in. Built from Git objects (HEAD and the revisions it names), never from uncommitted files. The
auditor's bundle, which holds a trail, is soc2kit.bundle.

Public API
    export_trail(root, out, *, output_format="jsonl", since=None, until=None, rev="HEAD",
                 first_parent=False) -> TrailMeta
        Streams the trail to the binary stream `out` (constant memory in the number of commits)
        and returns what it wrote, with its sha256. Formats: jsonl (a header line, then one line
        per commit), csv (one row per file change, header row; the metadata goes to a sidecar), md.
    write_trail(root, output, **options) -> TrailMeta
        To `output` atomically, with the sidecar `<output>.meta.json`; or to stdout when None.
    TRAIL_FORMATS = ("jsonl", "csv", "md"); TRAIL_PATHS: soc2kit.yml and the program's folders.
    Each commit names its people apart (soc2kit.authorship): `authors` (for a merge, the authors of
    the commits it merged, from one extra `git log` pass remembered in the user cache), `merger`
    (a merge commit's author),
    `approvers` (trailers); and `excepted`: the register's entries (at the trail's head) naming it,
    as soc2kit.change_exceptions reads and matches them (Excepted: finding, reason, accepted_by,
    accepted_on; an adoption entry names every main-line commit before its `before` commit).
Raises UsageError (exit 2) for: no Git repository, no commits, an inverted range, an output that is
a folder or in a missing folder. Nothing is written then.
"""

from __future__ import annotations

import collections
import contextlib
import csv
import hashlib
import io
import itertools
import json
import posixpath
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import date
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from soc2kit import __version__
from soc2kit.authorship import Authorship, MergedAuthors, authorship
from soc2kit.change_exceptions import Excepted, ExceptionIndex, register_at
from soc2kit.cycle_collection import cycle_collection_paused
from soc2kit.errors import UsageError
from soc2kit.files import atomic_writer
from soc2kit.git import Blobs, GitError, RepoInfo, repo_info, text
from soc2kit.history import Change, Commit, committed_within, iter_commits
from soc2kit.layout import CHANGE_EXCEPTIONS, CONFIG_FILE, EVIDENCE_DIR, PROGRAM_PATHSPEC, folder_of, is_skipped_name

if TYPE_CHECKING:
    from soc2kit.documents import Document

TRAIL_FORMATS = ("jsonl", "csv", "md")
TRAIL_PATHS = PROGRAM_PATHSPEC
"""What the trail follows: the program, its registers folder with the register of accepted change findings."""
SHAPE_VERSION = 2
"""2: the change's `authors`, `merger` and `approvers` apart (a merge's Git author is its merger, not
its author), `change_kind`, `excepted`; Git's author field is `git_author`. docs/trail.md."""
CSV_COLUMNS = (
    "commit",
    "parents",
    "committer_date",
    "change_kind",
    "authors",
    "merger",
    "approvers",
    "excepted",
    "git_author_name",
    "git_author_email",
    "git_author_date",
    "committer_name",
    "committer_email",
    "signature",
    "pr",
    "merge",
    "signed_off_by",
    "subject",
    "change",
    "path",
    "old_path",
    "kind",
    "entity",
)
_BATCH = 256
_AHEAD = 4096
"""Commits read ahead while the merged authors are worked out: a bound on what waits in memory."""


@dataclass
class TrailMeta:
    """What an export wrote: the header of jsonl and md, the sidecar of every format."""

    soc2kit: str
    format: str
    rev: str
    head: str
    since: str | None
    until: str | None
    timezone: str
    first_parent: bool
    signatures: bool = True
    commits: int = 0
    sha256: str = ""

    def header(self) -> dict[str, Any]:
        data = asdict(self)
        del data["commits"], data["sha256"]
        return {"record": "header", "version": SHAPE_VERSION, **data}


class _HashingWriter:
    def __init__(self, out: IO[bytes]) -> None:
        self.out = out
        self.digest = hashlib.sha256()

    def write(self, data: bytes) -> None:
        self.digest.update(data)
        self.out.write(data)


# -- entities -------------------------------------------------------------------------------------


def _kind(path: str) -> str:
    if path == CONFIG_FILE:
        return "config"
    if path == CHANGE_EXCEPTIONS:
        return "change-exceptions"
    folder = folder_of(path)
    if folder is not None:
        return folder.kind
    top, _, rest = path.partition("/")
    if top == EVIDENCE_DIR and rest and not is_skipped_name(posixpath.basename(path)):
        return "evidence-file"
    return "other"


class _Entities:
    """Which policy, control or evidence record a path belongs to, read from Git objects lazily.

    A policy, control or evidence record is the `id` in the newest version of its file the trail
    meets (read through one persistent `git cat-file --batch`, once per path). An evidence file
    belongs to the record that lists it: a record met earlier in the trail, or the records of its
    folder at HEAD (one `git ls-tree` for all folders). `at_head`: the documents of the program at
    HEAD when the caller has read them already; HEAD's records are then not read again.
    """

    def __init__(self, root: Path, prefix: str, head: str, blobs: Blobs, at_head: dict[str, Document] | None = None) -> None:
        self.root = root
        self.blobs = blobs
        self.at_head = at_head or {}
        self.prefix = prefix
        self.head = head
        self.ids: dict[str, str | None] = {}
        self.resolved: dict[str, tuple[str, str | None]] = {}
        self._folders: dict[str, list[str]] | None = None
        self._fetched: dict[str, bytes | None] = {}
        self._kinds: dict[str, str] = {}
        """`_kind` of each path met: the same paths recur from commit to commit."""

    def kind(self, path: str) -> str:
        found = self._kinds.get(path)
        if found is None:
            found = self._kinds[path] = _kind(path)
        return found

    def prefetch(self, commits: Sequence[Commit]) -> None:
        """Read together the blobs that `resolve` is about to read one by one for `commits` (in order).

        Walks the changes as `resolve` will and asks git in one round trip for each path it will meet
        first; a guess that turns out unused (an evidence record naming the path first) is dropped at
        the next prefetch. Only the time changes: `resolve` reads the same blobs, in the same order."""
        self._fetched = {}
        wanted: list[str] = []
        planned: set[str] = set()
        for commit in commits:
            for change in commit.changes:
                path = change.path
                kind = self.kind(path)
                if kind not in {"other", "config"} and path not in self.ids and path not in planned:
                    planned.add(path)
                    if kind == "evidence-file":  # its folder's records at HEAD, once the listing is read
                        records = self._folders.get(posixpath.dirname(path), ()) if self._folders else ()
                        wanted.extend(self._name(self.head, record) for record in records if record not in self.ids)
                    else:
                        where = commit.parents[0] if change.status == "deleted" and commit.parents else commit.sha
                        wanted.append(self._name(where, path))
                if change.old_path is not None:
                    planned.add(change.old_path)
        wanted = [name for name in dict.fromkeys(wanted) if name]
        if len(wanted) > 1:
            self._fetched = dict(zip(wanted, self.blobs.read_many(wanted), strict=True))

    def _name(self, rev: str, path: str) -> str:
        """The blob `_parse` reads for `path` at `rev`; "" when the document at HEAD is at hand."""
        return "" if rev == self.head and path in self.at_head else f"{rev}:{self.prefix}{path}"

    def resolve(self, commit: Commit, change: Change) -> tuple[str, str | None]:
        path = change.path
        known = self.resolved.get(path)
        if known is not None and change.old_path is None:
            return known
        kind = self.kind(path)
        if kind in {"other", "config"}:
            self.resolved[path] = (kind, None)
            return kind, None
        if path not in self.ids:
            if kind == "evidence-file":
                self._load_folder(posixpath.dirname(path))
            else:
                where = commit.parents[0] if change.status == "deleted" and commit.parents else commit.sha
                self.ids[path] = self._read(where, path, kind)
        entity = self.ids.get(path)
        if change.old_path is not None and change.old_path not in self.ids:
            self.ids[change.old_path] = entity
        if entity is not None or kind != "evidence-file":
            self.resolved[path] = (kind, entity)
        return kind, entity

    def _read(self, rev: str, path: str, kind: str) -> str | None:
        doc = self.at_head.get(path) if rev == self.head else None
        if doc is None:
            doc = self._parse(rev, path, kind)
        if doc is None:
            return None
        if kind == "evidence" and doc.entity_id is not None and doc.data is not None:
            files = doc.data.get("files")
            folder = posixpath.dirname(path)
            for item in files if isinstance(files, list) else ():
                listed = item.get("path") if isinstance(item, dict) else None
                if isinstance(listed, str):
                    self.ids.setdefault(posixpath.normpath(posixpath.join(folder, listed)), doc.entity_id)
        return doc.entity_id

    def _parse(self, rev: str, path: str, kind: str) -> Document | None:
        name = f"{rev}:{self.prefix}{path}"
        raw = self._fetched.pop(name) if name in self._fetched else self.blobs.read(name)
        if raw is None:
            return None
        from soc2kit.documents import Document, decode, parse_text

        doc = Document(path=path, kind=kind)
        content = decode(raw, path, doc.diagnostics)
        if content is None:
            return None
        parse_text(doc, content, markdown=kind != "evidence")
        return doc

    def _load_folder(self, folder: str) -> None:
        if self._folders is None:
            self._folders = {}
            try:
                listing = text(["ls-tree", "-r", "-z", "--name-only", self.head, "--", EVIDENCE_DIR], cwd=self.root)
            except GitError:
                listing = ""
            for path in listing.split("\0"):
                if _kind(path) == "evidence":
                    self._folders.setdefault(posixpath.dirname(path), []).append(path)
        for record in self._folders.pop(folder, []):
            if record not in self.ids:
                self.ids[record] = self._read(self.head, record, "evidence")


# -- trail ----------------------------------------------------------------------------------------


_FileRow = tuple[str, str, str | None, str, str | None]
"""(change, path, old_path, kind, entity) of one file in one commit."""
_FILE_KEYS = ("change", "path", "old_path", "kind", "entity")
_encode: Callable[[str], str] = json.encoder.encode_basestring


def _record(commit: Commit, who: Authorship, excepted: Sequence[Excepted], files: list[_FileRow]) -> dict[str, Any]:
    """One commit of the trail as data: the shape of a jsonl line (see docs/trail.md)."""
    return {
        "record": "commit",
        "commit": commit.sha,
        "parents": list(commit.parents),
        "change_kind": who.kind,
        "authors": list(who.authors),
        "merger": who.merger,
        "approvers": commit.approvers,
        "excepted": [item.to_dict() for item in excepted],
        "git_author": {"name": commit.author_name, "email": commit.author_email, "date": commit.author_iso},
        "committer": {"name": commit.committer_name, "email": commit.committer_email, "date": commit.committer_iso},
        "signature": commit.signature,
        "signer": commit.signer,
        "subject": commit.subject,
        "pr": commit.pr,
        "merge": commit.is_merge,
        "signed_off_by": commit.signed_off_by,
        "trailers": [[key, value] for key, value in commit.trailers],
        "files": [dict(zip(_FILE_KEYS, row, strict=True)) for row in files],
    }


def _strings(items: Iterable[str]) -> str:
    return "[" + ",".join(map(_encode, items)) + "]"


def _optional(value: str | None) -> str:
    return "null" if value is None else _encode(value)


def _excepted_json(item: Excepted) -> str:
    return (
        f'{{"finding":{_encode(item.finding)},"reason":{_encode(item.reason)},'
        f'"accepted_by":{_encode(item.accepted_by)},"accepted_on":{_encode(item.accepted_on)}}}'
    )


class _Encoded(dict[str, str]):
    """JSON string literals of the values that repeat from commit to commit (names, emails, kinds).

    Bounded by the people and paths of the program, not by the number of commits."""

    def __missing__(self, value: str) -> str:
        encoded = self[value] = _encode(value)
        return encoded


class _FileRows(dict[_FileRow, str]):
    """The JSON object of a file row: the same path, kind and entity recur across commits."""

    def __missing__(self, row: _FileRow) -> str:
        change, path, old, kind, entity = row
        encoded = self[row] = (
            f'{{"change":{_encode(change)},"path":{_encode(path)},"old_path":{_optional(old)},'
            f'"kind":{_encode(kind)},"entity":{_optional(entity)}}}'
        )
        return encoded


def _record_line(
    commit: Commit,
    who: Authorship,
    excepted: Sequence[Excepted],
    files: list[_FileRow],
    *,
    known: _Encoded | None = None,
    rows: _FileRows | None = None,
) -> str:
    """`json.dumps(_record(...), ensure_ascii=False, separators=(",", ":"))` and a newline, built
    directly: the trail's hot path (tests hold the two equal). `known` and `rows`: caches one export
    shares across its commits."""
    known = _Encoded() if known is None else known
    rows = _FileRows() if rows is None else rows
    pr = commit.pr
    merger = who.merger
    if commit.trailers:
        approvers, signed_off_by = _strings(commit.approvers), _strings(commit.signed_off_by)
        trailers = ",".join([f"[{_encode(key)},{_encode(value)}]" for key, value in commit.trailers])
    else:  # most commits: the three trailer columns are empty
        approvers = signed_off_by = "[]"
        trailers = ""
    return (
        f'{{"record":"commit","commit":{_encode(commit.sha)},"parents":{_strings(commit.parents)}'
        f',"change_kind":{known[who.kind]},"authors":[{",".join([known[author] for author in who.authors])}]'
        f',"merger":{"null" if merger is None else known[merger]},"approvers":{approvers}'
        f',"excepted":[{",".join(map(_excepted_json, excepted)) if excepted else ""}]'
        f',"git_author":{{"name":{known[commit.author_name]},"email":{known[commit.author_email]}'
        f',"date":{_encode(commit.author_iso)}}}'
        f',"committer":{{"name":{known[commit.committer_name]},"email":{known[commit.committer_email]}'
        f',"date":{_encode(commit.committer_iso)}}}'
        f',"signature":{known[commit.signature]},"signer":{known[commit.signer]}'
        f',"subject":{_encode(commit.subject)},"pr":{"null" if pr is None else pr}'
        f',"merge":{"true" if len(commit.parents) > 1 else "false"},"signed_off_by":{signed_off_by}'
        f',"trailers":[{trailers}],"files":[{",".join([rows[row] for row in files])}]}}\n'
    )


_Row = tuple[Commit, list["_FileRow"], Authorship, Sequence[Excepted]]
"""A commit of the trail, its files, who wrote and merged its change, and its excepted findings."""


def _rows(
    commits: Iterator[Commit], entities: _Entities, merged: MergedAuthors, register: ExceptionIndex | None
) -> Iterator[_Row]:
    """The trail's commits in order, each with its files, people and excepted findings.

    Taken `_BATCH` commits at a time: the blobs their files need are read from Git in one round trip.
    Until the merged authors are known (their `git log` runs in the background), commits are read and
    their files resolved ahead, up to `_AHEAD` of them, so that this work overlaps that git log instead of
    waiting for it. Files are resolved in commit order, as before."""
    none: tuple[Excepted, ...] = ()
    authors: Mapping[str, tuple[str, ...]] | None = None
    ahead: collections.deque[tuple[Commit, list[_FileRow]]] = collections.deque()
    while True:
        batch = list(itertools.islice(commits, _BATCH))
        if batch:
            entities.prefetch(batch)
            ahead.extend((commit, _files(entities, commit)) for commit in batch)
            if authors is None and not merged.done and len(ahead) < _AHEAD:
                continue
        if authors is None:  # also with no commit in the range: the merged-authors git log must still succeed
            authors = merged.resolve()
        while ahead:
            commit, files = ahead.popleft()
            yield commit, files, authorship(commit, authors), none if register is None else register.of(commit.sha)
        if not batch:
            return


def _files(entities: _Entities, commit: Commit) -> list[_FileRow]:
    changes = commit.changes
    if len(changes) > 1:
        changes = tuple(sorted(changes, key=lambda c: (c.path, c.old_path or "")))
    rows: list[_FileRow] = []
    for change in changes:
        kind, entity = entities.resolve(commit, change)
        rows.append((change.status, change.path, change.old_path, kind, entity))
    return rows


def _md_cell(value: object) -> str:
    from soc2kit.escaping import markdown

    return markdown(value if value is not None else "")


def _check_range(since: date | None, until: date | None) -> None:
    if since is not None and until is not None and until < since:
        raise UsageError(f"the range ends ({until}) before it starts ({since}); give --since on or before --until")


@dataclass
class _Context:
    root: Path
    prefix: str
    head: str
    shallow: bool


def _context(root: str | Path, rev: str, *, info: RepoInfo | None = None) -> _Context:
    """The repository and the commit `rev` names. `info`: the `repo_info` of `root` when the caller has it."""
    base = Path(root).resolve()
    if not base.is_dir():
        raise UsageError("is not a folder", path=base)
    info = info or repo_info(base)
    if info.head is None:
        raise UsageError("the Git repository has no commits yet: there is no trail to export", path=info.toplevel)
    if rev in {"HEAD", info.head}:
        head = info.head
    else:
        from soc2kit.revision import resolve_revision  # it imports the models: only for another revision

        head = resolve_revision(base, rev, info=info)[0]
    return _Context(root=base, prefix=info.prefix, head=head, shallow=info.shallow)


def _timezone_at(blobs: Blobs, prefix: str, rev: str) -> str:
    """`audit.timezone` of soc2kit.yml at `rev` (UTC when missing or invalid), read without the models."""
    from soc2kit.audit_zone import DEFAULT_ZONE, audit_timezone

    raw = blobs.read(f"{rev}:{prefix}{CONFIG_FILE}")
    return audit_timezone(raw) if raw is not None else DEFAULT_ZONE


def export_trail(
    root: str | Path,
    out: IO[bytes],
    *,
    output_format: str = "jsonl",
    since: date | None = None,
    until: date | None = None,
    rev: str = "HEAD",
    first_parent: bool = False,
    signatures: bool = True,
    info: RepoInfo | None = None,
    timezone: str | None = None,
    blobs: Blobs | None = None,
    at_head: dict[str, Document] | None = None,
) -> TrailMeta:
    """Stream the trail into `out` (see the module doc). `signatures=False`: no signature checks.

    For a caller that has read the repository already (the bundle): `info` its `repo_info`,
    `timezone` the audit time zone, `blobs` an open object reader to share, `at_head` the documents
    of the program at `rev` (their entities are not read from Git again)."""
    if output_format not in TRAIL_FORMATS:
        raise UsageError(f"unknown trail format '{output_format}'; use one of {', '.join(TRAIL_FORMATS)}")
    _check_range(since, until)
    with contextlib.ExitStack() as stack:
        stack.enter_context(cycle_collection_paused())
        if blobs is None:
            base = Path(root).resolve()
            blobs = stack.enter_context(Blobs(base if base.is_dir() else Path.cwd()))
        return _export(
            root,
            out,
            output_format=output_format,
            since=since,
            until=until,
            rev=rev,
            first_parent=first_parent,
            signatures=signatures,
            info=info,
            timezone=timezone,
            blobs=blobs,
            at_head=at_head or {},
        )


def _export(
    root: str | Path,
    out: IO[bytes],
    *,
    output_format: str,
    since: date | None,
    until: date | None,
    rev: str,
    first_parent: bool,
    signatures: bool,
    info: RepoInfo | None,
    timezone: str | None,
    blobs: Blobs,
    at_head: dict[str, Document],
) -> TrailMeta:
    ctx = _context(root, rev, info=info)
    # The trail's `git log` is the longest step: it starts first, and the rest of the set-up (the time
    # zone, the merged-authors `git log` left to run in the background, the register) runs while it works.
    log = iter_commits(ctx.root, rev=ctx.head, first_parent=first_parent, paths=TRAIL_PATHS, signatures=signatures)
    first = next(log, None)
    merged: MergedAuthors | None = None
    try:
        zone = timezone or _timezone_at(blobs, ctx.prefix, ctx.head)
        merged = MergedAuthors(ctx.root, ctx.head, remember=not ctx.shallow)
        entries = register_at(blobs, ctx.prefix, ctx.head).entries
        commits: Iterator[Commit] = log if first is None else itertools.chain((first,), log)
        if since is not None or until is not None:
            commits = committed_within(commits, since, until, ZoneInfo(zone))
        meta = TrailMeta(
            soc2kit=__version__,
            format=output_format,
            rev=rev,
            head=ctx.head,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            timezone=zone,
            first_parent=first_parent,
            signatures=signatures,
        )
        writer = _HashingWriter(out)
        entities = _Entities(ctx.root, ctx.prefix, ctx.head, blobs, at_head)
        # The usual register is empty or absent: no lookup per commit then.
        rows = _rows(commits, entities, merged, ExceptionIndex(entries, ctx.root, ctx.head) if entries else None)
        meta.commits = _WRITERS[output_format](rows, writer, meta)
    finally:  # after a failure, stop the git logs still running; after success, nothing is left
        getattr(log, "close", lambda: None)()
        if merged is not None:
            merged.close()
    meta.sha256 = writer.digest.hexdigest()
    return meta


def _write_jsonl(rows: Iterator[_Row], out: _HashingWriter, meta: TrailMeta) -> int:
    out.write((json.dumps(meta.header(), ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8"))
    count = 0
    batch: list[str] = []
    known, file_rows = _Encoded(), _FileRows()
    for commit, files, who, excepted in rows:
        batch.append(_record_line(commit, who, excepted, files, known=known, rows=file_rows))
        count += 1
        if len(batch) == _BATCH:
            out.write("".join(batch).encode("utf-8"))
            batch.clear()
    out.write("".join(batch).encode("utf-8"))
    return count


def _write_csv(rows: Iterator[_Row], out: _HashingWriter, meta: TrailMeta) -> int:
    del meta
    buffer = io.StringIO()
    table = csv.writer(buffer, lineterminator="\n")

    def flush() -> None:
        out.write(buffer.getvalue().encode("utf-8"))
        buffer.seek(0)
        buffer.truncate()

    table.writerow(CSV_COLUMNS)
    count = 0
    for commit, files, who, excepted in rows:
        count += 1
        head = [
            commit.sha,
            " ".join(commit.parents),
            commit.committer_iso,
            who.kind,
            "; ".join(who.authors),
            who.merger or "",
            "; ".join(commit.approvers),
            "; ".join(item.describe() for item in excepted),
            commit.author_name,
            commit.author_email,
            commit.author_iso,
            commit.committer_name,
            commit.committer_email,
            commit.signature,
            commit.pr if commit.pr is not None else "",
            "yes" if commit.is_merge else "no",
            "; ".join(commit.signed_off_by),
            commit.subject,
        ]
        for change, path, old, kind, entity in files or [("", "", None, "", None)]:
            table.writerow([*head, change, path, old or "", kind, entity or ""])
        if count % _BATCH == 0:
            flush()
    flush()
    return count


def _write_md(rows: Iterator[_Row], out: _HashingWriter, meta: TrailMeta) -> int:
    since, until = meta.since or "the first commit", meta.until or "HEAD"
    out.write(
        (
            "# Audit trail\n\n"
            f"- Repository HEAD: `{meta.head}`\n"
            f"- Range: {since} to {until} (committer dates, {meta.timezone})"
            f"{', first-parent line only' if meta.first_parent else ''}\n"
            f"- soc2kit {meta.soc2kit}\n\n"
            "| Date | Commit | Kind | Authors | Merger | PR | Approvers | Excepted | Signature | Change | Path | Entity "
            "| Subject |\n"
            "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n"
        ).encode()
    )
    count = 0
    for commit, files, who, excepted in rows:
        count += 1
        lines = []
        for n, (change, new_path, old, _kind_name, entity) in enumerate(files or [("", "", None, "", None)]):
            path = f"{old} → {new_path}" if old else new_path
            first = n == 0
            cells = [
                commit.committer_iso if first else "",
                commit.short if first else "",
                who.kind if first else "",
                "; ".join(who.authors) if first else "",
                (who.merger or "") if first else "",
                f"#{commit.pr}" if first and commit.pr is not None else "",
                "; ".join(commit.approvers) if first else "",
                "; ".join(item.describe() for item in excepted) if first else "",
                commit.signature if first else "",
                change,
                path,
                entity,
                commit.subject if first else "",
            ]
            lines.append("| " + " | ".join(_md_cell(c) for c in cells) + " |\n")
        out.write("".join(lines).encode("utf-8"))
    out.write(f"\n{count} commit{'' if count == 1 else 's'}.\n".encode())
    return count


_WRITERS: dict[str, Callable[[Iterator[_Row], _HashingWriter, TrailMeta], int]] = {
    "jsonl": _write_jsonl,
    "csv": _write_csv,
    "md": _write_md,
}


def write_trail(root: str | Path, output: Path | None, **options: Any) -> TrailMeta:
    """Export to `output` (atomically, plus `<output>.meta.json`) or to stdout when None."""
    if output is None:
        import sys

        return export_trail(root, sys.stdout.buffer, **options)
    sidecar = output.with_name(output.name + ".meta.json")
    with atomic_writer(output) as handle:
        meta = export_trail(root, handle, **options)
    with atomic_writer(sidecar) as handle:
        handle.write((json.dumps(asdict(meta), indent=2) + "\n").encode("utf-8"))
    return meta
