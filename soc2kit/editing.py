"""Edit YAML (a whole file or a Markdown document's front-matter) with ruamel.yaml's round-trip
mode, so comments, key order and quoting that the user wrote survive the edit.

Everything written is plain YAML: no anchors (`&id001`) and no aliases (`*id001`). ruamel.yaml
would otherwise anchor any object that appears twice (one date object set as both `effective` and
`last_reviewed`), and a later edit of one value would silently change the other."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

from soc2kit.errors import Soc2kitError


def plain_yaml() -> Any:
    """A round-trip ruamel.yaml instance that never writes an anchor or an alias."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.indent(mapping=2, sequence=4, offset=2)
    yaml.width = 4096
    yaml.representer.ignore_aliases = _never_alias
    return yaml


def _never_alias(_data: object) -> bool:
    return True


def edit_front_matter(text: str, change: Callable[[Any], None], *, path: str = "<text>") -> str:
    """`text` (a Markdown document) with its front-matter mapping passed through `change`."""
    if not text.startswith("---\n"):
        raise Soc2kitError("has no front-matter to edit", path=path)
    end = text.find("\n---\n", 3)
    if end < 0:
        raise Soc2kitError("front-matter is not closed", path=path)
    yaml = plain_yaml()
    data = yaml.load(text[4 : end + 1])
    change(data)
    out = io.StringIO()
    yaml.dump(data, out)
    return "---\n" + out.getvalue() + text[end + 1 :]


def edit_yaml(text: str, change: Callable[[Any], None]) -> str:
    """`text` (a YAML mapping) passed through `change`."""
    yaml = plain_yaml()
    data = yaml.load(text)
    change(data)
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()
