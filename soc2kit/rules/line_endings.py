"""SK411: in a Git repository, evidence is stored byte-for-byte, so no clone's line-ending
conversion (`core.autocrlf=true`) can change an evidence file's sha256."""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.layout import git_root
from soc2kit.line_endings import PROBE, PROTECTION_LINE, unprotected

if TYPE_CHECKING:
    from soc2kit.program import Program

_LISTED = 3


def check(program: Program) -> Iterator[Diagnostic]:
    if git_root(program.root) is None:
        return
    by_suffix = _evidence_files_by_suffix(program)
    # Git answers per path, and slowly for many (tens of microseconds each, new folders cost more), so
    # it is asked about one file per suffix: attribute lines that switch text conversion on or off
    # for evidence are written per folder (`evidence/**`) or per suffix (`*.csv`), not per file.
    samples = {files[0]: suffix for suffix, files in by_suffix.items()}
    found = unprotected(program.root, [*samples, PROBE])
    if not found:
        return
    exposed = [path for sample in found if sample in samples for path in by_suffix[samples[sample]]]
    if exposed:
        total = sum(len(files) for files in by_suffix.values())
        shown = ", ".join(exposed[:_LISTED]) + (f" and {len(exposed) - _LISTED} more" if len(exposed) > _LISTED else "")
        what = f"{len(exposed)} of {total} evidence files ({shown})"
    else:
        what = "files under evidence/"
    yield diagnostic(
        "SK411",
        ".gitattributes",
        1,
        f"Git may convert the line endings of {what}: a clone with core.autocrlf=true would change their sha256 and fail SK402",
        f"add `{PROTECTION_LINE}` to .gitattributes in the program folder (after any line that sets `text` "
        "for evidence), then commit it",
    )


def _evidence_files_by_suffix(program: Program) -> dict[str, list[str]]:
    """The files evidence records name inside the program (paths as Git sees them), grouped by suffix.

    Lexical paths, not resolved links: Git looks attributes up by the path in the tree, and resolving
    every file through the file system cost more than the rest of this rule."""
    seen: set[str] = set()
    groups: dict[str, list[str]] = {}
    for record in program.evidence.values():
        folder = program.source("evidence", record.id).path.rpartition("/")[0]
        for item in record.files:
            path = posixpath.normpath(posixpath.join(folder, item.path))
            if path in seen or path.startswith(("../", "/")) or path == "..":
                continue
            seen.add(path)
            name = path.rpartition("/")[2]
            groups.setdefault(name.rpartition(".")[2] if "." in name else "", []).append(path)
    return groups
