"""A per-repository cache that makes a repeated run on an unchanged program cheap.

Documents are keyed by path and a digest of their bytes, so an edited file is always read again;
evidence file hashes are keyed by size and modification time, as Git's index does. The cache lives
in `.soc2kit-cache/` at the program root (ignored by Git through its own `.gitignore`) and is
written atomically; a missing, stale or unreadable cache is simply rebuilt.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pickle
from dataclasses import dataclass, field
from pathlib import Path
from stat import S_ISREG
from typing import Any

from soc2kit import __version__
from soc2kit.digests import NotARegularFileError, file_sha256
from soc2kit.files import write_file

CACHE_DIR = ".soc2kit-cache"
_FILE = "program.pickle"


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


@dataclass
class Cache:
    """What was read last time: `documents[path] = (digest, entry)`, `hashes[path] = (size, mtime_ns, sha256)`."""

    path: Path | None
    documents: dict[str, tuple[bytes, Any]] = field(default_factory=dict)
    hashes: dict[str, tuple[int, int, str]] = field(default_factory=dict)
    dirty: bool = False

    @classmethod
    def disabled(cls) -> Cache:
        return cls(path=None)

    @classmethod
    def open(cls, root: Path) -> Cache:
        path = root / CACHE_DIR / _FILE
        with contextlib.suppress(Exception):  # any damage to the cache just means a cold run
            with path.open("rb") as handle:
                version, documents, hashes = pickle.load(handle)  # noqa: S301 - our own file, under the repo
            if version == __version__:
                return cls(path, documents, hashes)
        return cls(path)

    def document(self, path: str, key: bytes) -> Any | None:
        hit = self.documents.get(path)
        return hit[1] if hit is not None and hit[0] == key else None

    def put_document(self, path: str, key: bytes, entry: Any) -> None:
        self.documents[path] = (key, entry)
        self.dirty = True

    def file_sha256(self, root: Path, path: str) -> str:
        """sha256 of `root/path` (an LFS pointer's oid), reusing the last result while size and mtime are unchanged."""
        full = os.path.join(root, path)
        stat = os.stat(full)
        if not S_ISREG(stat.st_mode):  # opening a pipe would block; a folder has no digest
            raise NotARegularFileError(full)
        known = self.hashes.get(path)
        if known is not None and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
            return known[2]
        sha = file_sha256(full)
        self.hashes[path] = (stat.st_size, stat.st_mtime_ns, sha)
        self.dirty = True
        return sha

    def prune(self, live_paths: set[str]) -> None:
        for stale in self.documents.keys() - live_paths:
            del self.documents[stale]
            self.dirty = True

    def save(self) -> None:
        if self.path is None or not self.dirty:
            return
        with contextlib.suppress(OSError):  # a read-only checkout still gets a correct, uncached run
            self.path.parent.mkdir(exist_ok=True)
            ignore = self.path.parent / ".gitignore"
            if not ignore.exists():
                ignore.write_text("# Created by soc2kit.\n*\n", encoding="utf-8")
            write_file(self.path, pickle.dumps((__version__, self.documents, self.hashes), protocol=5))
            self.dirty = False
