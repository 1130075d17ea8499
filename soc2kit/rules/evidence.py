"""SK401-SK404: evidence files exist, match their recorded sha256, and stay inside the repository;
while the audit runs, every control has at least one record (SK403)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.digests import NotARegularFileError
from soc2kit.readiness import view_of
from soc2kit.repo_paths import RepoPaths

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    paths = RepoPaths(program.root)
    for record in program.evidence.values():
        doc = program.source("evidence", record.id)
        folder = doc.path.rpartition("/")[0]
        for index, item in enumerate(record.files):
            _, relpath = paths.resolve(folder, item.path)
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
            except NotARegularFileError:
                line = doc.line_of("files", index, "path")
                yield diagnostic("SK401", doc.path, line, f"evidence file '{relpath}' is not a regular file")
                continue
            except OSError:
                line = doc.line_of("files", index, "path")
                yield diagnostic("SK401", doc.path, line, f"evidence file '{relpath}' does not exist")
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
