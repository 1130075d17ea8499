"""The schema line: `# yaml-language-server: $schema=<url>`, the comment that tells VS Code and other
YAML-language-server editors which JSON Schema a file follows, so they complete and validate its keys.

    schema_url(name) -> str                 the stable URL (also the schema's `$id`) of one file format
    schema_line(kind) -> str                the comment line for a document kind (config, policy, control, evidence)
    with_schema_line(text, kind) -> str     `text` starting with that line (YAML) or with it first inside
                                            the front-matter (Markdown); an old schema line is replaced
    find_schema_line(text, kind) -> SchemaLine | None

Every file `init`, `new` and `evidence add` write goes through `with_schema_line`. The line is a YAML
comment, so the loader reads past it like any comment and every key keeps its real line number.

The URL names the release line, not the exact release: `v0.1` for every 0.1.x, `v1` for every 1.x
(docs/versioning.md). Within a line the formats only grow, so a patch release leaves every file's
schema line as it was; a release that breaks a format starts a new line and a new URL, and files
written before it keep validating against the schema they were written for until
`soc2kit schema` moves them on. The URL is the schema file in soc2kit's repository at the line's
moving tag (the tag the GitHub Action is used by, `uses: soc2kit/soc2kit@v1`): it needs no host of
its own and serves exactly the schema that was released (docs/editors.md).

This module imports nothing of soc2kit but its version, so every writer can use it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from soc2kit import __version__

SCHEMA_LINE_PREFIX = "# yaml-language-server: $schema="
REPOSITORY_RAW = "https://raw.githubusercontent.com/soc2kit/soc2kit"
SCHEMA_FOLDER = "schema"
"""Where the schemas live in soc2kit's repository (and where `soc2kit schema` keeps a program's copy)."""
SCHEMA_NAMES = {"config": "soc2kit-config", "policy": "policy", "control": "control", "evidence": "evidence-record"}
SCHEMA_NAMES["system-part"] = "system-part"
SCHEMA_NAMES.update(
    {
        "subservice-register": "subservice-organizations",
        "cuec-register": "user-entity-controls",
        "deviation-register": "deviations",
    }
)
"""The schema each kind of program file follows (`catalog` has a schema too, but no file of a program)."""
MARKDOWN_KINDS = frozenset({"policy", "control", "system-part"})

_SCHEMA_COMMENT = re.compile(r"^#\s*yaml-language-server\s*:\s*\$schema=(\S*)\s*$")
_VERSION = re.compile(r"^(\d+)\.(\d+)")


def release_line(version: str = __version__) -> str:
    """`v0.1` for 0.1.x (before 1.0 a minor release may break a format), `v2` for 2.x."""
    match = _VERSION.match(version)
    if match is None:
        raise ValueError(f"not a release version: {version!r}")
    major, minor = int(match.group(1)), int(match.group(2))
    return f"v0.{minor}" if major == 0 else f"v{major}"


def schema_file_name(name: str) -> str:
    return f"{name}.schema.json"


def schema_url(name: str, *, version: str = __version__) -> str:
    """The `$id` of schema `name` (`policy`, `evidence-record`, ...): where editors fetch it."""
    return f"{REPOSITORY_RAW}/{release_line(version)}/{SCHEMA_FOLDER}/{schema_file_name(name)}"


def schema_line(kind: str) -> str:
    """The comment line (no newline) naming the schema of a document `kind`."""
    return SCHEMA_LINE_PREFIX + schema_url(SCHEMA_NAMES[kind])


@dataclass(frozen=True, slots=True)
class SchemaLine:
    line: int
    """1-based line number in the file."""
    target: str
    """What follows `$schema=`: a URL, or a path relative to the file."""


def find_schema_line(text: str, kind: str) -> SchemaLine | None:
    """The first schema comment among the file's YAML (the front-matter of a Markdown file)."""
    lines = text.split("\n")
    start, stop = 0, len(lines)
    if kind in MARKDOWN_KINDS:
        if not lines or lines[0].rstrip() != "---":
            return None
        start = 1
        stop = next((i for i in range(1, len(lines)) if lines[i].rstrip() in {"---", "..."}), len(lines))
    for index in range(start, stop):
        match = _SCHEMA_COMMENT.match(lines[index])
        if match is not None:
            return SchemaLine(index + 1, match.group(1))
    return None


def with_schema_line(text: str, kind: str) -> str:
    """`text` with this soc2kit's schema line first in its YAML, replacing a schema line already there.

    A Markdown document gets it as the first line inside its front-matter (the `---` stays the
    file's first line, as the loader requires); a YAML file gets it as its first line."""
    line = schema_line(kind)
    if kind in MARKDOWN_KINDS:
        if not text.startswith("---\n"):
            raise ValueError("a Markdown document must start with its front-matter (`---`)")
        head, rest = "---\n", text[4:]
    else:
        head, rest = "", text
    first, newline, after = rest.partition("\n")
    if _SCHEMA_COMMENT.match(first):
        rest = after if newline else ""
    return f"{head}{line}\n{rest}"
