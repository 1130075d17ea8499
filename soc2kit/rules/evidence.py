"""SK401-SK404: evidence files exist, match their recorded sha256, and stay inside the repository;
while the audit runs, every control has at least one record (SK403)."""

from __future__ import annotations

import os
import posixpath
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.readiness import view_of

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    inside = _InsideRepo(program.root)
    for record in program.evidence.values():
        doc = program.source("evidence", record.id)
        folder = doc.path.rpartition("/")[0]
        for index, item in enumerate(record.files):
            relpath = inside.relpath(folder, item.path)
            if relpath is None:
                yield diagnostic(
                    "SK404",
                    doc.path,
                    doc.line_of("files", index, "path"),
                    f"evidence file '{item.path}' points outside the repository",
                )
                continue
            try:
                actual = program.evidence_sha256(relpath)
            except OSError:
                yield diagnostic(
                    "SK401", doc.path, doc.line_of("files", index, "path"), f"evidence file '{relpath}' does not exist"
                )
                continue
            if actual != item.sha256:
                yield diagnostic(
                    "SK402",
                    doc.path,
                    doc.line_of("files", index, "sha256"),
                    f"evidence file '{relpath}' has sha256 {actual[:12]}..., the record says {item.sha256[:12]}...",
                )
    if program.config_ok and view_of(program).ended:
        return  # SK501 names each window a control without evidence missed; SK403 would repeat it
    for control in program.controls.values():
        if not program.evidence_by_control.get(control.id):
            doc = program.source("control", control.id)
            yield diagnostic("SK403", doc.path, doc.line_of("evidence"), f"control {control.id} has no evidence record yet")


class _InsideRepo:
    """Resolves evidence paths and refuses those that leave the repository, following symbolic links.

    Folders are resolved once each (there are few); a file is resolved only when it is a link."""

    def __init__(self, root: Path) -> None:
        self.root = os.path.realpath(root)
        self._folders: dict[str, str | None] = {}

    def relpath(self, folder: str, path: str) -> str | None:
        """The repo-relative POSIX path of `path` written in a record in `folder`, or None if it escapes."""
        if not path or path.startswith("/") or "\\" in path or PurePosixPath(path).is_absolute():
            return None
        joined = posixpath.normpath(posixpath.join(folder, path))
        if joined == ".." or joined.startswith("../"):
            return None
        parent, _, name = joined.rpartition("/")
        real_parent = self._folder(parent)
        if real_parent is None:
            return None
        candidate = os.path.join(real_parent, name)
        if os.path.islink(candidate):
            candidate = os.path.realpath(candidate)
        return self._relative(candidate)

    def _folder(self, folder: str) -> str | None:
        if folder not in self._folders:
            self._folders[folder] = os.path.realpath(os.path.join(self.root, folder)) if folder else self.root
        real = self._folders[folder]
        return real if real is not None and self._relative(real) is not None else None

    def _relative(self, real: str) -> str | None:
        if real == self.root:
            return ""
        if not real.startswith(self.root + os.sep):
            return None
        return real[len(self.root) + 1 :].replace(os.sep, "/")
