"""The policy portal: a MkDocs plugin that generates the site from the Program at build time.

    plugin.Soc2kitPlugin    the `soc2kit` MkDocs plugin (entry point `mkdocs.plugins`); thin hooks
    config.Soc2kitConfig    its options
    portal.load_portal      load the Program, its readiness and its Git history once for a build
    portal.Portal           what page builders read: page paths and links (pages, Git host, mentions)
    pages.build_pages       every generated page (Markdown), one builder module per section
    navigation.navigation   the generated `nav` (tabs; controls grouped by family, criteria by series)
    status                  readiness (soc2kit.readiness) as badges, timelines and dashboard numbers
    revisions               Git revision tables (soc2kit.history)
    markdown, style         escaping and HTML snippets; the stylesheet

Nothing generated is written to the repository: pages exist only inside the MkDocs build.
"""
