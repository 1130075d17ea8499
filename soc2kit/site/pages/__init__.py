"""Page builders, one module per section of the portal; each yields `GeneratedPage`s from a `Portal`."""

from __future__ import annotations

from soc2kit.site.pages import changes, controls, criteria, dashboard, evidence, findings, policies, reference, registers, system
from soc2kit.site.portal import GeneratedPage, Portal

BUILDERS = (dashboard, system, policies, controls, criteria, evidence, changes, registers, findings, reference)


def build_pages(portal: Portal) -> list[GeneratedPage]:
    """Every generated page of the portal, in navigation order."""
    return [page for builder in BUILDERS for page in builder.build(portal)]
