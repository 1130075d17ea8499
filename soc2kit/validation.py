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


def _diagnose(doc: Document, model: type[BaseModel], error: Any) -> Diagnostic:
    loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and "[" in part))
    where = ".".join(str(p) for p in loc) or "(top level)"
    kind = error["type"]
    line = doc.line_of(*loc)
    if kind == "extra_forbidden":
        known = field_names(model, loc[:-1])
        key = str(loc[-1])
        close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else f"known keys here: {', '.join(known)}"
        return diagnostic("SK011", doc.path, line, f"unknown key '{where}'", hint)
    if kind == "missing":
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
            f"'{where}' is {shown}; expected {error['ctx']['expected']}",
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
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _closest(value: object, expected: str) -> str:
    options = [part.strip(" '") for part in expected.replace(" or ", ", ").split(",")]
    close = difflib.get_close_matches(str(value), options, n=1, cutoff=0.5)
    return f"did you mean '{close[0]}'?" if close else f"use one of: {', '.join(options)}"
