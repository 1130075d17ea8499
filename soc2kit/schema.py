"""JSON Schemas for every file format, generated from the models, and the check that a program's
files and schema folder name the schemas of the soc2kit that reads them.

    render_schemas() -> {file name: JSON text}
    write_schemas(folder) / stale_schemas(folder)        a folder of schemas (soc2kit's own `schema/`,
                                                         or an adopter's copy for editors offline)
    check_program_schemas(root, folders) -> [SchemaFinding]   what `soc2kit schema --check` reports
    update_schema_lines(root) -> [path]                  move stale schema lines to this soc2kit's URLs

Each schema's `$id` is its stable URL (soc2kit.schema_line.schema_url), the one the schema line of
every file `init`, `new` and `evidence add` write names. Dates are `{"type": "string", "format":
"date"}`: an editor's YAML language server reads an unquoted `2026-01-15` as a string (YAML 1.2), and
that string is what the schema must accept (tests/test_schema.py validates real files read that way).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel

from soc2kit.documents import MAX_DOCUMENT_BYTES
from soc2kit.escaping import terminal
from soc2kit.files import write_file
from soc2kit.layout import CONFIG_FILE, program_documents
from soc2kit.models import (
    Catalog,
    ChangeExceptions,
    Control,
    DeviationRegister,
    EvidenceRecord,
    Policy,
    ProgramConfig,
    SubserviceRegister,
    SystemPart,
    UserEntityControlRegister,
)
from soc2kit.regular_files import read_regular
from soc2kit.schema_line import (
    REPOSITORY_RAW,
    SCHEMA_FOLDER,
    SCHEMA_NAMES,
    find_schema_line,
    schema_file_name,
    schema_line,
    schema_url,
)

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "soc2kit-config": ProgramConfig,
    "policy": Policy,
    "control": Control,
    "evidence-record": EvidenceRecord,
    "catalog": Catalog,
    "change-exceptions": ChangeExceptions,
    "system-part": SystemPart,
    "subservice-organizations": SubserviceRegister,
    "user-entity-controls": UserEntityControlRegister,
    "deviations": DeviationRegister,
}


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, for every format."""
    rendered = {}
    for name, model in SCHEMA_MODELS.items():
        schema: dict[str, object] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": schema_url(name),
        }
        schema.update(model.model_json_schema(mode="validation"))
        rendered[schema_file_name(name)] = json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    return rendered


_SCHEMA_BYTES = 1024 * 1024
"""More than any schema soc2kit writes: a larger file in a schema folder is stale, and never read whole."""


def stale_schemas(folder: Path) -> list[str]:
    """Names of schema files in `folder` that are missing or differ from the models."""
    stale = []
    for name, text in render_schemas().items():
        path = folder / name
        try:
            current = read_regular(path, limit=_SCHEMA_BYTES).decode("utf-8")
        except (OSError, UnicodeDecodeError):
            current = None  # missing, a pipe or device, too large or not text: stale
        if current != text:
            stale.append(name)
    return stale


def write_schemas(folder: Path) -> list[str]:
    """Write the schemas that changed; return their names."""
    folder.mkdir(parents=True, exist_ok=True)
    changed = stale_schemas(folder)
    rendered = render_schemas()
    for name in changed:
        write_file(folder / name, rendered[name])
    return changed


@dataclass(frozen=True, slots=True)
class SchemaFinding:
    path: Path
    line: int
    message: str


@dataclass(frozen=True)
class SchemaReport:
    findings: list[SchemaFinding]
    right: int
    """Files whose schema line names this soc2kit's schema (or a current local copy, or the user's own URL)."""
    folders: list[Path]
    """Schema folders checked: the kept one and every local folder a schema line points into."""


def program_files(root: Path) -> list[tuple[str, str]]:
    """(path relative to `root`, kind) of every file of the program that has a schema."""
    found = [(CONFIG_FILE, "config")] if (root / CONFIG_FILE).is_file() else []
    return found + [(relpath, folder.kind) for relpath, folder in program_documents(root)]


def kept_schema_folders(root: Path) -> list[Path]:
    """The program's own copy of the schemas, `schema/` beside soc2kit.yml, when it keeps one (and it
    is inside the program: a `schema` link to another folder is not the program's to rewrite)."""
    folder = root / SCHEMA_FOLDER
    return [folder] if folder.is_dir() and _inside(folder, root) else []


def _inside(path: Path, root: Path) -> bool:
    """Whether `path`, every link followed, is `root` or below it."""
    try:
        return path.resolve().is_relative_to(root.resolve())
    except (OSError, RuntimeError):  # a link loop
        return False


def check_program_schemas(root: Path, folders: list[Path]) -> SchemaReport:
    """Findings for schema lines that name another schema than this soc2kit's for the file, and for
    stale files in `folders` and in every local folder a schema line points into.

    A file without a schema line is fine (the line helps editors; `soc2kit check` is what
    validates). A schema line may point at a local copy (`$schema=../schema/policy.schema.json`)
    when that copy exists and is current; a URL outside soc2kit's repository is the user's own choice."""
    findings: list[SchemaFinding] = []
    right = 0
    local = list(folders)
    for relpath, kind in program_files(root):
        path = root / relpath
        text = _read_text(path)
        found = find_schema_line(text, kind) if text is not None else None
        if found is None:
            continue
        name = schema_file_name(SCHEMA_NAMES[kind])
        wanted = schema_url(SCHEMA_NAMES[kind])
        target = found.target
        named = terminal(target)  # the file's text, shown in findings: never raw on a terminal
        if target == wanted:
            right += 1
        elif target.startswith(f"{REPOSITORY_RAW}/"):
            findings.append(SchemaFinding(path, found.line, f"names {named}; this soc2kit's schema is {wanted}"))
        elif urlsplit(target).scheme:
            right += 1  # the user's own schema host or mirror
        elif os.path.basename(target) != name:
            findings.append(SchemaFinding(path, found.line, f"names {named}, but a {kind} file follows {name}"))
        elif os.path.isabs(target) or not _inside(path.parent / target, root):
            # Never read or written: `soc2kit schema` writes into the folders schema lines point into.
            findings.append(SchemaFinding(path, found.line, f"names {named}, which is outside the program folder"))
        elif not (path.parent / target).is_file():
            findings.append(SchemaFinding(path, found.line, f"names {named}, which does not exist"))
        else:
            right += 1
            local.append((path.parent / target).parent)
    checked: dict[Path, Path] = {}
    for folder in local:
        checked.setdefault(folder.resolve(), folder)
    for folder in checked.values():
        findings.extend(SchemaFinding(folder / name, 1, "is stale") for name in stale_schemas(folder))
    return SchemaReport(findings, right, list(checked.values()))


def update_schema_lines(root: Path) -> list[str]:
    """Rewrite every schema line that names another release's soc2kit schema (after an upgrade) to
    this soc2kit's; return the paths changed. Lines pointing elsewhere, and files without one, stay."""
    changed = []
    for relpath, kind in program_files(root):
        path = root / relpath
        text = _read_text(path)
        found = find_schema_line(text, kind) if text is not None else None
        if text is None or found is None or not found.target.startswith(f"{REPOSITORY_RAW}/") or path.is_symlink():
            continue  # a symbolic link is left alone: replacing it would turn it into a copy
        if found.target == schema_url(SCHEMA_NAMES[kind]):
            continue
        lines = text.split("\n")
        ending = "\r" if lines[found.line - 1].endswith("\r") else ""  # CRLF files keep their line endings
        lines[found.line - 1] = schema_line(kind) + ending
        write_file(path, "\n".join(lines))
        changed.append(relpath)
    return changed


def _read_text(path: Path) -> str | None:
    try:
        return read_regular(path, limit=MAX_DOCUMENT_BYTES).decode("utf-8")
    except (OSError, UnicodeDecodeError):
        return None  # `soc2kit check` reports unreadable files; there is no schema line to judge
