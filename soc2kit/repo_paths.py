"""Paths that evidence records name, confined to the repository.

A record names its files relative to its own folder. `RepoPaths.resolve` gives each one's
repository-relative path as written (lexical) and with symbolic links followed (real), or None for
either when it leaves the repository (absolute, `..` past the root, or a link pointing outside) or
cannot be a path at all (a NUL byte).
Both `check` (SK404) and `evidence verify` use it, so they agree on what escapes."""

from __future__ import annotations

import os
import re
from pathlib import Path

_DRIVE = re.compile(r"[A-Za-z]:")
_NORMAL = re.compile(r"(?!\.\.?(?:/|$))[^/]+(?:/(?!\.\.?(?:/|$))[^/]+)*")
"""A relative POSIX folder path that normpath leaves as it is: no empty, `.` or `..` part."""


def within(path: str, root: str) -> bool:
    """Whether the absolute `path` is `root` or below it."""
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


class RepoPaths:
    """Repository-relative paths of the files records name: lexical (as written) and real (links followed).

    Folders are resolved once each (records share few folders); a file only when it is a link."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._folders: dict[str, str] = {}

    def resolve(self, folder: str, path: str) -> tuple[str | None, str | None]:
        """(lexical path or None if it leaves the repository, real path or None if it does)."""
        if not path or path.startswith("/") or "\\" in path or "\0" in path or _DRIVE.match(path):
            return None, None
        if "/" not in path and path not in {".", ".."} and folder and _NORMAL.fullmatch(folder):
            # The usual record: a file beside it. Nothing for normpath to fold; the folder is resolved already.
            lexical, parent, name = f"{folder}/{path}", folder, path
        else:
            lexical = os.path.normpath(os.path.join(folder, path)).replace(os.sep, "/")
            if lexical in {".", ".."} or lexical.startswith("../"):
                return None, None
            parent, _, name = lexical.rpartition("/")
        real = self._real(self._folder(parent), name)
        if not within(real, self.root) or real == self.root:
            return lexical, None
        return lexical, real[len(self.root) + 1 :].replace(os.sep, "/")

    def _folder(self, folder: str) -> str:
        """The real path of a repository folder, one lstat per folder level thanks to the cache."""
        if not folder:
            return self.root
        real = self._folders.get(folder)
        if real is None:
            parent, _, name = folder.rpartition("/")
            real = self._folders[folder] = self._real(self._folder(parent), name)
        return real

    @staticmethod
    def _real(real_parent: str, name: str) -> str:
        candidate = os.path.join(real_parent, name)
        return os.path.realpath(candidate) if os.path.islink(candidate) else candidate
