"""A cache that makes a repeated run on an unchanged program cheap, and that nothing in the
repository can reach.

It lives in the user's cache folder (`cache_home()`), one file per program named by a digest of
the program root's real path, never in the working tree: a commit cannot plant or forge it. The
file is JSON of plain data (nothing in it can run), starts with a header naming the soc2kit
version, the format, the program root and the sha256 of the rest, and is written atomically.
Anything unexpected on read (not a regular file, too big, truncated, damaged, another version or
another program) means a cold run, silently.

Documents are keyed by path and a digest of their bytes, so an edited file is always read again;
the header also holds a digest of soc2kit's own code, so findings cached by other code (an upgrade
that keeps the version number, a development checkout) are never reused.
Documents and evidence file hashes are also kept with the file's size, mtime, ctime, inode and
device, as Git's index does: a file whose values are all unchanged is not read again (a user can
restore a size and an mtime, but not a ctime). Those values are kept only for a file last changed
more than a second before the run (Git's "racy" case), since a change in the same clock tick could
leave every one of them as it was; such a file is read and hashed again next time.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISDIR, S_ISREG
from typing import Any

from soc2kit import __version__
from soc2kit.digests import NotARegularFileError, file_sha256
from soc2kit.files import write_file

CACHE_DIR_VARIABLE = "SOC2KIT_CACHE_DIR"
FORMAT = 2
"""Bumped whenever the shape of the cache file changes."""
MAX_BYTES = 1 << 30
"""A cache file larger than this is neither read nor written (10,000 documents take 6.5 MB)."""
_MAGIC = b"soc2kit-cache\n"
_SECOND = 1_000_000_000
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)

Stat = tuple[int, int, int, int, int]
"""(size, mtime_ns, ctime_ns, inode, device) of an evidence file when it was hashed."""


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


def cache_home() -> Path:
    """The folder holding soc2kit's cache files: `$SOC2KIT_CACHE_DIR` if set, else the platform's
    user cache folder (`$XDG_CACHE_HOME/soc2kit` or `~/.cache/soc2kit`; `~/Library/Caches/soc2kit`
    on macOS; `%LOCALAPPDATA%\\soc2kit\\Cache` on Windows)."""
    chosen = os.environ.get(CACHE_DIR_VARIABLE)
    if chosen:
        return Path(os.path.abspath(chosen))
    if sys.platform == "win32":
        local = os.environ.get("LOCALAPPDATA")
        return (Path(local) if local else Path.home() / "AppData" / "Local") / "soc2kit" / "Cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "soc2kit"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg and os.path.isabs(xdg) else Path.home() / ".cache"  # the XDG spec ignores relative paths
    return base / "soc2kit"


def cache_file(root: str | os.PathLike[str]) -> Path:
    """The cache file of the program at `root` (which need not exist)."""
    real = os.path.realpath(root)
    return cache_home() / f"{hashlib.sha256(os.fsencode(real)).hexdigest()[:32]}.json"


@dataclass
class Cache:
    """What was read last time.

    `documents[path] = [key hex, document as plain data, model fields or None, Stat or None]`;
    `hashes[path] = [size, mtime_ns, ctime_ns, inode, device, sha256]`."""

    path: Path | None
    root: str = ""
    code: str = ""
    documents: dict[str, list[Any]] = field(default_factory=dict)
    hashes: dict[str, list[Any]] = field(default_factory=dict)
    dirty: bool = False
    settled_before_ns: int = 0
    """Files changed at or after this time are hashed, but their hash is not kept (see the module doc)."""
    _fresh_hashes: dict[str, tuple[Stat, str]] = field(default_factory=dict)
    """Hashes of files too recently changed to keep: reused within this run only."""

    @classmethod
    def disabled(cls) -> Cache:
        return cls(path=None)

    @classmethod
    def open(cls, root: Path) -> Cache:
        real = os.path.realpath(root)
        try:
            path = cache_file(real)
        except (OSError, RuntimeError):  # no home folder to put a cache in: run uncached
            return cls.disabled()
        # One second of margin below the start of the run, because file times come from a coarse clock.
        cache = cls(path, real, settled_before_ns=(time.time_ns() // _SECOND - 1) * _SECOND, code=code_digest())
        with contextlib.suppress(Exception):  # any damage to the cache just means a cold run
            loaded = _load(path, real, cache.code) if _is_private(path.parent) else None
            if loaded is not None:
                cache.documents, cache.hashes = loaded
        return cache

    def document(self, path: str, key: bytes) -> list[Any] | None:
        """The cached entry of `path` if it was read from exactly these bytes."""
        hit = self.documents.get(path)
        return hit if hit is not None and hit[0] == key.hex() else None

    def unchanged_document(self, path: str, stat: Stat) -> list[Any] | None:
        """The cached entry of `path` if the file was settled when read and `stat` is still its stat."""
        hit = self.documents.get(path)
        return hit if hit is not None and hit[3] is not None and tuple(hit[3]) == stat else None

    def put_document(self, path: str, key: bytes, document: list[Any], fields: dict[str, Any], stat: Stat | None) -> None:
        """Keep what reading `path` gave; `stat` is the file's, taken before it was read (so a change
        made while reading shows as another ctime next time), None when unknown."""
        if self.path is None:
            return
        settled = stat is not None and max(stat[1], stat[2]) < self.settled_before_ns
        entry = [key.hex(), document, fields, list(stat) if settled and stat is not None else None]
        if self.documents.get(path) != entry:
            self.documents[path] = entry
            self.dirty = True

    def add_to_document(self, path: str, index: int, value: Any) -> None:
        """Fill the item at `index` of `path`'s cached plain document when it is still None: a fact
        about the file found after it was read (see `reading.keep_found_limits`)."""
        entry = self.documents.get(path)
        if entry is not None and entry[1][index] is None:
            entry[1][index] = value
            self.dirty = True

    def file_sha256(self, root: Path, path: str) -> str:
        """sha256 of `root/path` (an LFS pointer's oid), reusing the last result while the file is unchanged."""
        full = os.path.join(root, path)
        info = os.stat(full)
        if not S_ISREG(info.st_mode):  # opening a pipe would block; a folder has no digest
            raise NotARegularFileError(full)
        stat = _stat(info)
        known = self.hashes.get(path)
        if known is not None and tuple(known[:5]) == stat:
            return str(known[5])
        fresh = self._fresh_hashes.get(path)
        if fresh is not None and fresh[0] == stat:
            return fresh[1]
        sha = file_sha256(full)
        if self.path is None or max(info.st_mtime_ns, info.st_ctime_ns) >= self.settled_before_ns:
            self._fresh_hashes[path] = (stat, sha)
            if self.hashes.pop(path, None) is not None:
                self.dirty = True
        else:
            self.hashes[path] = [*stat, sha]
            self.dirty = True
        return sha

    def prune(self, live_paths: set[str]) -> None:
        for stale in self.documents.keys() - live_paths:
            del self.documents[stale]
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        payload = json.dumps({"documents": self.documents, "hashes": self.hashes}, separators=(",", ":")).encode()
        header = _header(self.root, self.code, hashlib.sha256(payload).hexdigest())
        data = _MAGIC + json.dumps(header).encode() + b"\n" + payload
        if len(data) > MAX_BYTES:
            return
        # A read-only or full disk still gets a correct, uncached run; UsageError is a folder at the file's place.
        with contextlib.suppress(Exception):
            _make_private_folder(self.path.parent)
            write_file(self.path, data, durable=False)  # checked on read: see atomic_writer
            self.dirty = False


def regular_file_stat(full_path: str) -> Stat | None:
    """The Stat of a regular file at `full_path` (not following a symlink); None for anything else."""
    try:
        info = os.lstat(full_path)
    except OSError:
        return None
    return _stat(info) if S_ISREG(info.st_mode) else None


def _stat(info: os.stat_result) -> Stat:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


def code_digest() -> str:
    """A digest of soc2kit's Python source: what decides the findings and models a cache holds."""
    package = os.path.dirname(os.path.abspath(__file__))
    combined = hashlib.sha256()
    for folder, subfolders, names in os.walk(package):
        subfolders.sort()
        for name in sorted(names):
            if name.endswith(".py"):
                with open(os.path.join(folder, name), "rb") as handle:
                    source = handle.read()
                combined.update(f"{os.path.relpath(os.path.join(folder, name), package)}\0{len(source)}\0".encode())
                combined.update(source)
    return combined.hexdigest()


def _header(root: str, code: str, sha256: str) -> dict[str, Any]:
    return {"format": FORMAT, "soc2kit": __version__, "code": code, "root": root, "sha256": sha256}


def _verified_payload(data: bytes | None, magic: bytes, expected: Callable[[Any], dict[str, Any]]) -> memoryview | None:
    """The payload after `magic` and a JSON header line, when the header is `expected(header's sha256)`
    and the payload's sha256 is that one; else None (a damaged or foreign file)."""
    if data is None or not data.startswith(magic):
        return None
    header_end = data.find(b"\n", len(magic))
    if header_end < 0:
        return None
    header = json.loads(data[len(magic) : header_end])
    if not isinstance(header, dict) or header != expected(header.get("sha256")):
        return None
    payload = memoryview(data)[header_end + 1 :]
    if hashlib.sha256(payload).hexdigest() != header["sha256"]:
        return None
    return payload


def _load(path: Path, root: str, code: str) -> tuple[dict[str, list[Any]], dict[str, list[Any]]] | None:
    """The documents and hashes in the cache file at `path`, or None unless it is a whole, intact
    cache of this program written by this code."""
    data = _read_regular_file(path)
    payload = _verified_payload(data, _MAGIC, lambda sha256: _header(root, code, sha256))
    if payload is None:
        return None
    text = str(payload, "utf-8")  # decoded in place: a cache can be large, so no copy of the bytes first
    payload.release()
    del data
    body = json.loads(text)
    documents, hashes = body["documents"], body["hashes"]
    if not isinstance(documents, dict) or not isinstance(hashes, dict):
        return None
    for entry in documents.values():
        if not (isinstance(entry, list) and len(entry) == 4 and isinstance(entry[0], str)):
            return None
        stat = entry[3]
        if stat is not None and not (isinstance(stat, list) and len(stat) == 5 and all(type(n) is int for n in stat)):
            return None
    for known in hashes.values():
        if not (isinstance(known, list) and len(known) == 6 and all(type(n) is int for n in known[:5])):
            return None
    return documents, hashes


def _read_regular_file(path: Path) -> bytes | None:
    """The bytes of `path` if it is a regular file (not a symlink, pipe, device or folder) of at
    most MAX_BYTES; never blocks."""
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError:
        return None
    try:
        info = os.fstat(fd)
        if not S_ISREG(info.st_mode) or info.st_size > MAX_BYTES or not _owned(info):
            return None
        chunks = []
        total = 0
        while chunk := os.read(fd, min(1 << 24, MAX_BYTES + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > MAX_BYTES:
                return None
        return b"".join(chunks)
    finally:
        os.close(fd)


def _make_private_folder(folder: Path) -> None:
    """Create `folder` and its missing parents, for the user only; refuse a folder others can write to."""
    missing = []
    for level in (folder, *folder.parents):
        if os.path.isdir(level):
            break
        missing.append(level)
    for level in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(level, 0o700)
    if not _is_private(folder):
        raise PermissionError(f"{folder} is not a private folder")


def _is_private(folder: Path) -> bool:
    """A folder of ours that no other user can write to (they could plant or swap a cache file)."""
    info = os.stat(folder)
    return S_ISDIR(info.st_mode) and not info.st_mode & 0o002 and _owned(info)


def _owned(info: os.stat_result) -> bool:
    return not hasattr(os, "getuid") or info.st_uid == os.getuid()


# -- facts that never change: kept across runs so a remote API is asked about each only once ------------

FACTS_FORMAT = 1
_FACTS_MAGIC = b"soc2kit-facts\n"


@dataclass
class FactsCache:
    """Facts that cannot change once true (a merged pull request's reviews before the merge, its authors
    and merge commit), for one `scope` (an API URL and a repository: never a token). Same guarantees as
    the program cache: one private JSON file in `cache_home()`, a header with the soc2kit version, a
    digest of soc2kit's code, the scope and the sha256 of the rest, written atomically; anything
    unexpected on read is an empty cache, so the facts are fetched again. Callers check each value's
    shape when they use it."""

    path: Path | None
    scope: str = ""
    code: str = ""
    entries: dict[str, Any] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def open(cls, scope: str) -> FactsCache:
        try:
            path = cache_home() / f"facts-{hashlib.sha256(scope.encode()).hexdigest()[:32]}.json"
        except (OSError, RuntimeError):
            return cls(path=None, scope=scope)
        facts = cls(path, scope, code_digest())
        with contextlib.suppress(Exception):  # a damaged file only means asking again
            if _is_private(path.parent):
                facts.entries = _load_facts(path, scope, facts.code) or {}
        return facts

    def get(self, key: str) -> Any:
        return self.entries.get(key)

    def put(self, key: str, value: Any) -> None:
        if self.path is not None and self.entries.get(key) != value:
            self.entries[key] = value
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        payload = json.dumps(self.entries, separators=(",", ":"), sort_keys=True).encode()
        header = _facts_header(self.scope, self.code, hashlib.sha256(payload).hexdigest())
        data = _FACTS_MAGIC + json.dumps(header).encode() + b"\n" + payload
        if len(data) > MAX_BYTES:
            return
        with contextlib.suppress(Exception):  # an unwritable cache leaves the run correct, only slower next time
            _make_private_folder(self.path.parent)
            write_file(self.path, data, durable=False)  # checked on read: see atomic_writer
            self.dirty = False


def _facts_header(scope: str, code: str, sha256: str) -> dict[str, Any]:
    return {"format": FACTS_FORMAT, "soc2kit": __version__, "code": code, "scope": scope, "sha256": sha256}


def _load_facts(path: Path, scope: str, code: str) -> dict[str, Any] | None:
    payload = _verified_payload(_read_regular_file(path), _FACTS_MAGIC, lambda sha256: _facts_header(scope, code, sha256))
    if payload is None:
        return None
    entries = json.loads(bytes(payload))
    return entries if isinstance(entries, dict) else None
