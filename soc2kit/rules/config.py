"""SK022: values `soc2kit init` left in `soc2kit.yml` for a person to fill in (the system's name
when none was given). A warning, not an error: the program can be checked meanwhile, but a
placeholder must never pass silently for the real answer, on the portal or in an auditor's report."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.documents import LineDict, LineList
from soc2kit.layout import CONFIG_FILE
from soc2kit.rules.content import PLACEHOLDER

if TYPE_CHECKING:
    from soc2kit.program import Program


def check(program: Program) -> Iterator[Diagnostic]:
    doc = program.documents.get(CONFIG_FILE)
    if doc is None or not program.config_ok:
        return
    for where, line, text in _placeholders(doc.data, (), 1):
        yield diagnostic(
            "SK022",
            CONFIG_FILE,
            line,
            f"'{'.'.join(where)}' is still a placeholder: '{text}'",
            f"write the real value in place of the {PLACEHOLDER} text",
        )


def _placeholders(value: Any, where: tuple[str, ...], line: int) -> Iterator[tuple[tuple[str, ...], int, str]]:
    if isinstance(value, str):
        if PLACEHOLDER in value:
            yield where, line, " ".join(value.split())
    elif isinstance(value, LineDict):
        for key, item in value.items():
            yield from _placeholders(item, (*where, str(key)), value.key_lines.get(key, value.line))
    elif isinstance(value, LineList):
        for index, item in enumerate(value):
            item_line = value.item_lines[index] if index < len(value.item_lines) else value.line
            yield from _placeholders(item, (*where, str(index)), item_line)
