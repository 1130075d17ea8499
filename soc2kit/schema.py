"""JSON Schemas for every file format, generated from the models into `schema/`."""

from __future__ import annotations

import json
from pathlib import Path

from pydantic import BaseModel

from soc2kit.files import write_file
from soc2kit.models import Catalog, Control, EvidenceRecord, Policy, ProgramConfig

SCHEMA_MODELS: dict[str, type[BaseModel]] = {
    "soc2kit-config": ProgramConfig,
    "policy": Policy,
    "control": Control,
    "evidence-record": EvidenceRecord,
    "catalog": Catalog,
}


def render_schemas() -> dict[str, str]:
    """File name -> JSON text, for every format."""
    rendered = {}
    for name, model in SCHEMA_MODELS.items():
        schema: dict[str, object] = {
            "$schema": "https://json-schema.org/draft/2020-12/schema",
            "$id": f"soc2kit/{name}.schema.json",
        }
        schema.update(model.model_json_schema(mode="validation"))
        rendered[f"{name}.schema.json"] = json.dumps(schema, indent=2, sort_keys=False, ensure_ascii=False) + "\n"
    return rendered


def stale_schemas(folder: Path) -> list[str]:
    """Names of schema files in `folder` that are missing or differ from the models."""
    stale = []
    for name, text in render_schemas().items():
        path = folder / name
        if not path.is_file() or path.read_text(encoding="utf-8") != text:
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
