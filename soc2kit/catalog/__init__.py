"""Criteria catalogs shipped as data files, one per framework version (`tsc-2017.yaml`)."""

from __future__ import annotations

from functools import cache
from importlib import resources

import yaml

from soc2kit.errors import ConfigError
from soc2kit.models import Catalog


def available() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in resources.files(__name__).iterdir() if p.name.endswith(".yaml"))


@cache
def load_catalog(catalog_id: str = "tsc-2017") -> Catalog:
    """The catalog named `catalog_id`; raises ConfigError for an unknown name."""
    if catalog_id not in available():
        raise ConfigError(f"unknown catalog '{catalog_id}'; available: {', '.join(available())}")
    text = resources.files(__name__).joinpath(f"{catalog_id}.yaml").read_text(encoding="utf-8")
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return Catalog.model_validate(yaml.load(text, Loader=loader))  # noqa: S506 - a safe loader
