"""The `soc2kit` MkDocs plugin: adapts MkDocs to the library. Each hook hands the work to
`soc2kit.site` (the Program is loaded once per build, in on_config) and returns early when disabled.

State that outlives one build lives on the plugin instance, which MkDocs keeps for a whole
`mkdocs serve` session because the plugin has an `on_startup` hook: the Git history read for one
build serves every rebuild until HEAD moves (editing a policy rebuilds; it does not move HEAD)."""

from __future__ import annotations

import logging
import os
import posixpath
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mkdocs.config.defaults import MkDocsConfig
from mkdocs.exceptions import PluginError
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from soc2kit import escaping
from soc2kit.errors import UsageError
from soc2kit.layout import PROGRAM_PATHS
from soc2kit.periods import parse_date
from soc2kit.site.config import Soc2kitConfig

if TYPE_CHECKING:
    from soc2kit.history import History

log = logging.getLogger("mkdocs.plugins.soc2kit")

REQUIRED_EXTENSIONS = ("tables", "attr_list", "md_in_html", "admonition", "pymdownx.details", "toc")
WATCHED = PROGRAM_PATHS
MAX_LISTED_ERRORS = 50


class Soc2kitPlugin(BasePlugin[Soc2kitConfig]):  # type: ignore[no-untyped-call]  # mkdocs is untyped here
    """Generates the policy portal from the soc2kit program next to mkdocs.yml (see docs/portal.md)."""

    def __init__(self) -> None:
        self.portal: Any = None
        self.root: Path | None = None
        self._nav: list[Any] | None = None
        self._titles: dict[str, str] = {}
        self.history: History | None = None
        """The Git history of the last build, kept across `mkdocs serve` rebuilds while HEAD stays."""

    def on_startup(self, *, command: str, dirty: bool) -> None:  # noqa: ARG002 - MkDocs passes hook arguments by name
        # Having this hook is what makes MkDocs keep one plugin instance across rebuilds; a new
        # session starts without the previous session's history.
        self.history = None

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        self.portal = None
        if not self.config.enabled:
            return config
        from soc2kit.errors import Soc2kitError
        from soc2kit.site.portal import load_portal
        from soc2kit.site.style import CSS_PATH

        base = Path(config.config_file_path).parent if config.config_file_path else Path.cwd()
        self.root = (base / self.config.program).resolve()
        git_history = self._git_history(self.root) if self.config.history and self.root.is_dir() else None
        try:
            self.portal = load_portal(
                self.root,
                today=_iso_date(self.config.today),
                use_cache=self.config.cache,
                history=self.config.history,
                repo_url=config.repo_url,
                gaps_limit=self.config.gaps_limit,
                changes_limit=self.config.changes_limit,
                git_history=git_history,
            )
        except Soc2kitError as exc:
            raise PluginError(f"soc2kit: {exc}") from None
        for name in REQUIRED_EXTENSIONS:
            if name not in config.markdown_extensions:
                config.markdown_extensions.append(name)
        if CSS_PATH not in config.extra_css:
            config.extra_css.append(CSS_PATH)
        return config

    def _git_history(self, root: Path) -> History:
        """The History of `root`: the one kept from the previous build while HEAD has not moved."""
        from soc2kit.history import HistoryUnavailableError, load_history, repo_info

        try:
            info = repo_info(root)
        except HistoryUnavailableError:
            return load_history(root)  # unavailable, with the note that says why
        kept = self.history
        if kept is None or not kept.available or kept.root != root or kept.head != info.head:
            kept = load_history(root, info=info)
        self.history = kept
        return kept

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files | None:
        if not self.config.enabled or self.portal is None:
            return files
        from soc2kit.site.navigation import navigation
        from soc2kit.site.pages import build_pages
        from soc2kit.site.style import CSS, CSS_PATH

        pages = build_pages(self.portal)
        self._titles = {page.path: page.title for page in pages}
        own_docs = [f.src_uri for f in files.documentation_pages()]
        clashes = sorted({p.path for p in pages} & set(own_docs))
        if clashes:
            raise PluginError(
                f"soc2kit: {', '.join(clashes)} in {config.docs_dir} would be replaced by generated pages; "
                "rename or move them (the portal generates its pages, see docs/portal.md)"
            )
        docs_dir = Path(config.docs_dir).resolve()
        for page in pages:
            file = File.generated(config, page.path, content=page.markdown)
            if page.source is not None and self.root is not None:
                source = posixpath.normpath(Path(os.path.relpath(self.root / page.source, docs_dir)).as_posix())
                # MkDocs and the theme put this into an href as it is: a file name is a URL path here.
                file.edit_uri = escaping.url_path(source)
            else:
                file.edit_uri = None
            files.append(file)
        files.append(File.generated(config, CSS_PATH, content=CSS))
        if self.config.nav and (config.nav is None or config.nav is self._nav):
            catalog = self.portal.program.catalog
            series = {s.id: f"{s.id} {s.title}" for s in catalog.series}
            self._nav = navigation(pages, own_docs, errors=len(self.portal.errors), series=series)
            config.nav = self._nav
        return files

    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:  # noqa: ARG002 - MkDocs passes hook arguments by name
        if not self.config.enabled or self.portal is None:
            return markdown
        from soc2kit.site.portal import FINDINGS, Portal

        if not page.file.generated_by:
            markdown = self.portal.outside_links(page.file.src_uri, markdown, Path(config.docs_dir))
        elif page.file.src_uri in self._titles:
            from soc2kit import escaping

            # Themes print a page's title as HTML (Material's <title> even unescapes it first, unless
            # the title comes from meta): the title of a policy or control is text, so it goes in escaped.
            page.meta["title"] = escaping.html(self._titles[page.file.src_uri])
        errors = len(self.portal.errors)
        if not errors or page.file.src_uri == FINDINGS:
            return markdown
        link = Portal.rel(page.file.src_uri, FINDINGS)
        banner = (
            f'!!! danger "This program has {errors} error{"s" if errors != 1 else ""}"\n\n'
            f"    `soc2kit check` fails; the pages below may be incomplete. See [Findings]({link}).\n\n"
        )
        return banner + markdown

    def on_page_content(self, html: str, /, *, page: Page, config: MkDocsConfig, files: Files) -> str | None:  # noqa: ARG002 - MkDocs passes hook arguments by name
        if not self.config.enabled or self.portal is None or not page.file.generated_by:
            return html
        from soc2kit.site.sanitize import sanitize

        # Generated pages carry policy and control bodies: Markdown from the repository, whose raw
        # HTML must not run in a reader's browser.
        return sanitize(html)

    def on_serve(self, server: LiveReloadServer, /, *, config: MkDocsConfig, builder: Any) -> LiveReloadServer | None:  # noqa: ARG002 - MkDocs passes hook arguments by name
        if not self.config.enabled or self.root is None:
            return server
        for name in WATCHED:
            path = self.root / name
            if path.exists():
                server.watch(str(path))
        return server

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        if not self.config.enabled or self.portal is None:
            return
        message = self.portal.error_report(limit=MAX_LISTED_ERRORS)
        if message is None:
            return
        if config.strict:
            raise PluginError(message)
        log.warning(message)


def _iso_date(value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return parse_date(value)
    except UsageError as exc:
        raise PluginError(f"soc2kit: plugin option 'today': {exc.message}") from None
