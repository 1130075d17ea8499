"""SK012, SK013: the body sections a control or policy must have. These look at one document only,
so they run when the document is read (and their findings are cached with it)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.documents import Document

CONTROL_SECTIONS = ("Description", "Test procedure")
POLICY_SECTIONS = ("Purpose", "Scope", "Roles and responsibilities", "Policy statements", "Exceptions", "Enforcement", "Review")


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
