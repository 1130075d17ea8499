"""The navigation of the portal, generated from its pages (used when mkdocs.yml has no `nav:`).

Titles are HTML here: MkDocs themes print nav titles unescaped (a heading's title may hold markup).
Sections become Material tabs. Controls are grouped by family and criteria by series, so with
`navigation.prune` each page renders only its own group: the site stays fast with thousands of pages.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from soc2kit import escaping
from soc2kit.site.pages.system import SYSTEM
from soc2kit.site.portal import (
    CHANGES,
    CONTROLS,
    CRITERIA,
    EVIDENCE,
    FINDINGS,
    HOME,
    POLICIES,
    REFERENCE,
    GeneratedPage,
)

NavItem = str | dict[str, Any]


def navigation(
    pages: list[GeneratedPage], other_docs: list[str], *, errors: int = 0, series: dict[str, str] | None = None
) -> list[NavItem]:
    """The `nav` for `pages` (in the order given) and the site's own documents (`other_docs`, under Guides).

    `series` names the criteria groups (`CC6` -> `CC6 Logical and physical access`)."""
    by_section: dict[str, list[GeneratedPage]] = defaultdict(list)
    for page in pages:
        by_section[page.path.split("/", 1)[0] if "/" in page.path else page.path].append(page)

    def entries(section: str, index: str) -> list[NavItem]:
        return [index, *({escaping.html(page.title): page.path} for page in by_section[section] if page.path != index)]

    controls: dict[str, list[NavItem]] = defaultdict(list)
    for page in by_section["controls"]:
        if page.path != CONTROLS:
            controls[page.path.removeprefix("controls/").rsplit("-", 1)[0]].append({escaping.html(page.title): page.path})
    criteria: dict[str, list[NavItem]] = defaultdict(list)
    for page in by_section["criteria"]:
        if page.path != CRITERIA:
            criteria[page.path.removeprefix("criteria/").split(".", 1)[0]].append({escaping.html(page.title): page.path})
    registers = by_section.get("registers")
    nav: list[NavItem] = [
        {"Home": HOME},
        *([{"System description": entries("system", SYSTEM)}] if by_section.get("system") else []),
        {"Policies": entries("policies", POLICIES)},
        {"Controls": [CONTROLS, *({family: items} for family, items in controls.items())]},
        {"Criteria": [CRITERIA, *({escaping.html((series or {}).get(sid, sid)): items} for sid, items in criteria.items())]},
        {"Evidence": entries("evidence", EVIDENCE)},
        {"Changes": CHANGES},
        *([{"Registers": [{escaping.html(page.title): page.path} for page in by_section["registers"]]}] if registers else []),
        {f"Findings ({errors})" if errors else "Findings": FINDINGS},
        {"Reference": entries("reference", REFERENCE)},
    ]
    if other_docs:
        nav.append({"Guides": list(other_docs)})
    return nav
