"""SK401-SK404: evidence files exist, match their recorded sha256, and stay inside the repository."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    for record in program.evidence.values():
        doc = program.source("evidence", record.id)
        folder = PurePosixPath(doc.path).parent
        for index, item in enumerate(record.files):
            line = doc.line_of("files", index, "path")
            relpath = resolve_inside(program, folder, item.path)
            if relpath is None:
                yield diagnostic("SK404", doc.path, line, f"evidence file '{item.path}' points outside the repository")
                continue
            target = program.root / relpath
            if not target.is_file():
                yield diagnostic("SK401", doc.path, line, f"evidence file '{relpath}' does not exist")
                continue
            actual = program.evidence_sha256(relpath)
            if actual != item.sha256:
                yield diagnostic(
                    "SK402",
                    doc.path,
                    doc.line_of("files", index, "sha256"),
                    f"evidence file '{relpath}' has sha256 {actual[:12]}..., the record says {item.sha256[:12]}...",
                )
    for control in program.controls.values():
        if not program.evidence_by_control.get(control.id):
            doc = program.source("control", control.id)
            yield diagnostic("SK403", doc.path, doc.line_of("evidence"), f"control {control.id} has no evidence record yet")


def resolve_inside(program: Program, folder: PurePosixPath, path: str) -> str | None:
    """The repo-relative POSIX path of `path` (relative to `folder`), or None if it leaves the repo.

    Symbolic links are followed, so a link inside `evidence/` that points elsewhere is caught."""
    written = PurePosixPath(path)
    if written.is_absolute() or "\\" in path:
        return None
    candidate = (program.root / folder / written).resolve()
    try:
        return candidate.relative_to(program.root).as_posix()
    except ValueError:
        return None
