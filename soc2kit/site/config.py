"""The `soc2kit` plugin's options, as written under `plugins:` in `mkdocs.yml`."""

from __future__ import annotations

from mkdocs.config import base
from mkdocs.config import config_options as c


class Soc2kitConfig(base.Config):  # type: ignore[no-untyped-call]  # mkdocs is untyped here
    """Options of the `soc2kit` MkDocs plugin (see docs/portal.md)."""

    enabled = c.Type(bool, default=True)
    """Off: the plugin adds nothing and the site is built from docs/ alone."""

    program = c.Type(str, default=".")
    """The program folder (holding soc2kit.yml), relative to mkdocs.yml."""

    today = c.Optional(c.Type(str))
    """Fix "today" (YYYY-MM-DD) for reproducible builds; default: today in the audit's time zone."""

    cache = c.Type(bool, default=True)
    """Reuse the cache in the user cache folder (README: The cache), as `soc2kit check` does."""

    history = c.Type(bool, default=True)
    """Read Git history for revision tables and the Changes page (off: those sections say so)."""

    changes_limit = c.Type(int, default=100)
    """How many recent program changes the Changes page lists."""

    gaps_limit = c.Type(int, default=10)
    """How many gaps the dashboard lists (the full list is on the Criteria and Findings pages)."""

    nav = c.Type(bool, default=True)
    """Generate the navigation when mkdocs.yml has no `nav:` of its own."""
