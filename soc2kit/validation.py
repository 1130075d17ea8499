"""Turn a document's data into its model, and every validation error into a diagnostic that
names the line of the offending key and says what to write instead."""

from __future__ import annotations

import difflib
from typing import Any

from pydantic import BaseModel, ValidationError

from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.documents import Document
from soc2kit.models import ID_EXAMPLES, field_names


def validate(doc: Document, model: type[BaseModel]) -> BaseModel | None:
    """The validated model, or None with the errors appended to `doc.diagnostics`."""
    if doc.data is None:
        return None
    try:
        return model.model_validate(doc.data)
    except ValidationError as exc:
        doc.diagnostics.extend(_diagnose(doc, model, error) for error in exc.errors(include_url=False))
        return None


def _data_loc(data: object, loc: tuple[Any, ...], kind: str) -> tuple[Any, ...]:
    """pydantic's `loc` without the labels it adds for its own schemas (`function-after[...]`,
    `literal[...]`): a part stays when it is a key or index of the data there, or the missing key
    itself. Telling them apart by the data, not by their text, keeps a key such as `a[0]` named."""
    kept: list[Any] = []
    node: Any = data
    for index, part in enumerate(loc):
        in_data = (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and type(part) is int and 0 <= part < len(node)
        )
        if in_data:
            node = node[part]
        elif not (kind == "missing" and index == len(loc) - 1):
            continue
        kept.append(part)
    return tuple(kept)


def _diagnose(doc: Document, model: type[BaseModel], error: Any) -> Diagnostic:
    kind = error["type"]
    loc = _data_loc(doc.data, tuple(error["loc"]), kind)
    where = ".".join(str(p) for p in loc) or "(top level)"
    line = doc.line_of(*loc)
    if kind == "extra_forbidden" and loc:
        known = field_names(model, loc[:-1])
        key = str(loc[-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys here: {', '.join(known)}"
        return diagnostic("SK011", doc.path, line, f"unknown key '{where}'", hint)
    if kind == "missing" and loc:
        return diagnostic("SK010", doc.path, line, f"required key '{where}' is missing", f"add `{loc[-1]}:` here")
    value = error.get("input")
    shown = _show(value)
    if kind == "string_pattern_mismatch":
        pattern = error["ctx"]["pattern"]
        example = ID_EXAMPLES.get(pattern)
        hint = f"write it like '{example}'" if example else f"it must match {pattern}"
        return diagnostic("SK010", doc.path, line, f"'{where}' has the wrong form: {shown}", hint)
    if kind == "literal_error":
        return diagnostic(
            "SK010",
            doc.path,
            line,
            f"'{where}' is {shown or _kind_of(value)}; expected {error['ctx']['expected']}",
            _closest(value, error["ctx"]["expected"]),
        )
    if kind == "string_type" and isinstance(value, (int, float, bool)):
        return diagnostic(
            "SK010",
            doc.path,
            line,
            f"'{where}' must be text, but YAML read {shown} as a {type(value).__name__}",
            f'quote it: "{value}"',
        )
    message = error["msg"].removeprefix("Value error, ")
    return diagnostic("SK010", doc.path, line, f"'{where}': {message} (got {shown})" if shown else f"'{where}': {message}")


def _show(value: object) -> str:
    if isinstance(value, (dict, list)):
        return ""
    try:
        text = repr(value)
    except ValueError:  # an integer with more digits than Python converts to text
        return "a very long number"
    return text if len(text) <= 60 else text[:57] + "..."


def _kind_of(value: object) -> str:
    # `_show` leaves a list or a mapping out of a message; where the value is the sentence's subject, say what it was.
    return "a list" if isinstance(value, list) else "a mapping"


def _closest(value: object, expected: str) -> str:
    options = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",")]
    close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(options)}"
