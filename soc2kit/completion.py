"""What the shell completes: the IDs of a program's controls and policies, read cheaply.

    document_ids(root, kind) -> list[str]
        The IDs of the program's documents of `kind` ("control" or "policy"), sorted, read from the
        `id:` line of each file's front-matter (its first few kilobytes), without parsing YAML,
        validating or checking. `root` None: found from the current folder as commands find it.
        Never raises: no program, an unreadable file or a file without an ID adds nothing.

A shell calls this on every Tab press, so it must answer in well under a second on a program of
thousands of documents and must never print.
"""

from __future__ import annotations

import re
from pathlib import Path

from soc2kit.errors import Soc2kitError
from soc2kit.layout import FOLDERS, find_program_root, program_documents
from soc2kit.regular_files import open_regular

_HEAD_BYTES = 4096
"""How much of each file is read: front-matter puts `id:` first, and a few kilobytes hold any front-matter soc2kit writes."""
_ID_LINE = re.compile(r"^id:[ \t]*[\"']?([A-Za-z0-9][A-Za-z0-9._-]*)[\"']?[ \t]*(?:#.*)?$", re.MULTILINE)


def document_ids(root: Path | None, kind: str) -> list[str]:
    """The IDs of the program's `kind` documents (see the module doc)."""
    try:
        program = find_program_root(root, explicit=root is not None)
    except (Soc2kitError, OSError, ValueError):
        return []
    folders = {folder.name for folder in FOLDERS if folder.kind == kind}
    ids: set[str] = set()
    try:
        documents = list(program_documents(program))
    except OSError:
        return []
    for relpath, folder in documents:
        if folder.name not in folders:
            continue
        try:
            # A pipe would block a plain open until a writer came; a device or a link loop is no document.
            with open_regular(program / relpath) as (handle, _):
                head = handle.read(_HEAD_BYTES).decode("utf-8", errors="replace")
        except OSError:
            continue
        found = _ID_LINE.search(_front_matter(head))
        if found:
            ids.add(found.group(1))
    return sorted(ids)


def _front_matter(head: str) -> str:
    """The front-matter block at the top of a Markdown document (or what of it fits in `head`)."""
    lines = head.splitlines()
    if not lines or lines[0].strip() != "---":
        return ""
    for number, line in enumerate(lines[1:], start=1):
        if line.strip() in ("---", "..."):
            return "\n".join(lines[1:number])
    return "\n".join(lines[1:])
