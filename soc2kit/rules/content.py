"""SK012, SK013: the body sections a control or policy must have; SK014: placeholder text that
`soc2kit new` wrote and nobody replaced. These look at one document only, so they run when the
document is read (and their findings are cached with it)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.documents import Document, LineDict, LineList

CONTROL_SECTIONS = ("Description", "Test procedure")
POLICY_SECTIONS = ("Purpose", "Scope", "Roles and responsibilities", "Policy statements", "Exceptions", "Enforcement", "Review")
PLACEHOLDER = "TODO(soc2kit)"
"""Marks text that `soc2kit new` wrote for a person to replace. A parenthesised tool name after TODO
occurs in no real policy or control prose, so every occurrence is a placeholder left in place."""


def check_document(doc: Document, model: BaseModel) -> Iterator[Diagnostic]:
    entity_id = getattr(model, "id", "")
    if doc.kind == "control":
        sections = doc.sections()
        for title in CONTROL_SECTIONS:
            section = sections.get(title.lower())
            if section is None:
                yield diagnostic("SK012", doc.path, doc.body_line, f"control {entity_id} has no '## {title}' section")
            elif not section.text:
                yield diagnostic("SK012", doc.path, section.line, f"control {entity_id}: section '{title}' is empty")
    elif doc.kind == "policy":
        sections = doc.sections()
        missing = [title for title in POLICY_SECTIONS if title.lower() not in sections]
        if missing:
            yield diagnostic("SK013", doc.path, doc.body_line, f"policy {entity_id} lacks section(s): {', '.join(missing)}")
    yield from _placeholders(doc)


def _placeholders(doc: Document) -> Iterator[Diagnostic]:
    found = list(_placeholders_in(doc.data, 1))
    if PLACEHOLDER in doc.body:
        for offset, text in enumerate(doc.body.split("\n")):
            if PLACEHOLDER in text:
                found.append((doc.body_line + offset, text))
    for line, text in found:
        yield diagnostic(
            "SK014",
            doc.path,
            line,
            f"placeholder text is still here: '{_excerpt(text)}'",
            f"replace the {PLACEHOLDER} text with what the company really does",
        )


def _placeholders_in(value: Any, line: int) -> Iterator[tuple[int, str]]:
    """Front-matter strings that hold the placeholder marker, with the line of their key or item."""
    if isinstance(value, str):
        if PLACEHOLDER in value:
            yield line, value
    elif isinstance(value, LineDict):
        for key, item in value.items():
            yield from _placeholders_in(item, value.key_lines.get(key, value.line))
    elif isinstance(value, LineList):
        for index, item in enumerate(value):
            yield from _placeholders_in(item, value.item_lines[index] if index < len(value.item_lines) else value.line)


def _excerpt(text: str, width: int = 80) -> str:
    text = " ".join(text.split())
    start = text.find(PLACEHOLDER)
    text = text[start:] if start >= 0 else text
    return text if len(text) <= width else text[: width - 3] + "..."
