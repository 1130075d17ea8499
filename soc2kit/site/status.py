"""Where each control and criterion stands, as the pages show it: read from the readiness model
(soc2kit.readiness), computed once per build; this module only turns it into badges and tables.
The dashboard reads the readiness types themselves (soc2kit.site.pages.dashboard)."""

from __future__ import annotations

from typing import Any

from soc2kit.readiness import Readiness
from soc2kit.site import markdown as md
from soc2kit.site.portal import Portal

CRITERION_BADGES = {
    "ready": ("ready", "ok"),
    "not-ready": ("not ready", "warn"),
    "uncovered": ("no control", "bad"),
    "excluded": ("excluded", "muted"),
    "out-of-scope": ("out of scope", "muted"),
}
WINDOW_KIND = {"satisfied": "ok", "missing": "bad", "due": "warn", "open": "info", "upcoming": "future"}
WINDOW_WORD = {"satisfied": "evidence", "missing": "missing", "due": "due", "open": "open", "upcoming": "upcoming"}
DESIGN_WORDS = {
    "policy_approved": "policy approved",
    "owner_set": "owner set",
    "requirement_defined": "evidence requirement defined",
    "has_evidence": "evidence recorded",
}


class Index:
    """Readiness looked up by criterion and control ID (built once per build)."""

    def __init__(self, readiness: Readiness) -> None:
        self.readiness = readiness
        self.criteria = {c.id: c for c in readiness.criteria}
        self.controls = {c.control.id: c for c in readiness.controls}


def index(portal: Portal) -> Index:
    cached: Index | None = portal.__dict__.get("_status_index")
    if cached is None or cached.readiness is not portal.readiness:
        cached = Index(portal.readiness)
        portal.__dict__["_status_index"] = cached
    return cached


def criterion_state(portal: Portal, criterion_id: str) -> str:
    """ready | not-ready | uncovered | excluded | out-of-scope."""
    if criterion_id in portal.program.exclusions:
        return "excluded"
    found = index(portal).criteria.get(criterion_id)
    return "out-of-scope" if found is None else str(found.state)


def criterion_badge(portal: Portal, criterion_id: str) -> str:
    label, kind = CRITERION_BADGES[criterion_state(portal, criterion_id)]
    return md.badge(label, kind)


def scope_badge(portal: Portal, criterion_id: str) -> str:
    state = criterion_state(portal, criterion_id)
    if state in {"excluded", "out-of-scope"}:
        return md.badge(*CRITERION_BADGES[state])
    return md.badge("in scope", "info")


def control_state(portal: Portal, control_id: str) -> tuple[str, str]:
    """(label, badge kind) of a control: ready, evidence missing, design gaps, or out of scope."""
    found = index(portal).controls.get(control_id)
    if found is None:
        return "out of scope", "muted"
    if found.ready:
        return ("ready", "ok") if found.operating is not None else ("ready so far", "ok")
    if not found.designed:
        return "design gaps", "warn" if found.design.get("has_evidence") else "bad"
    return "evidence missing", "bad"


def control_badge(portal: Portal, control: Any) -> str:
    return md.badge(*control_state(portal, control.id))


def design_checklist(portal: Portal, control: Any) -> str:
    """The design checks of a control as a list of ticks and crosses (HTML)."""
    found = index(portal).controls.get(control.id)
    if found is None:
        return "*Every criterion of this control is out of scope or excluded; it is not assessed.*"
    items = [
        f"{md.badge('yes', 'ok') if passed else md.badge('no', 'bad')} {md.html(DESIGN_WORDS.get(check, check))}"
        for check, passed in found.design.items()
    ]
    problems = "".join(f"<br><small>{md.html(p)}</small>" for p in found.design_problems)
    return " &nbsp; ".join(items) + problems


def timeline(portal: Portal, control: Any, from_page: str) -> str:
    """Every evidence window of the control, requirement by requirement, satisfied or not."""
    del from_page
    found = index(portal).controls.get(control.id)
    if found is None:
        return "*Not assessed: every criterion of this control is out of scope or excluded.*"
    view = portal.readiness.view
    scope = f"over the period {view.period[0]} to {view.period[1]}" if view.period else f"as of {view.as_of}"
    parts = [f"Each evidence requirement owes one record per window of its frequency {scope}."]
    for requirement in found.requirements:
        name = f"`{requirement.id}`" if requirement.id else "Any evidence"
        counts = f"{requirement.count('satisfied')} of {len(requirement.windows)} windows with evidence"
        stale = f" {md.badge('stale', 'warn')}" if requirement.stale else ""
        chips = "".join(
            f'<span class="sk-window sk-window--{WINDOW_KIND[w.state]}" title="{md.html(w.window.start)} to '
            f'{md.html(w.window.end)}, due {md.html(w.due)}"><strong>{md.html(w.window.label)}</strong>'
            f"{md.html(WINDOW_WORD[w.state])}{f' ({len(w.records)})' if len(w.records) > 1 else ''}</span>"
            for w in requirement.windows
        )
        parts += [
            "",
            f"**{name}** ({md.text(requirement.frequency)}): {counts}{stale}",
            "",
            f'<div class="sk-windows">{chips}</div>' if chips else "*No window falls in the period.*",
        ]
    return "\n".join(parts)
