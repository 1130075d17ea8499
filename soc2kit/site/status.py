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
WINDOW_KIND = {"satisfied": "ok", "exception": "warn", "missing": "bad", "due": "warn", "open": "info", "upcoming": "future"}
WINDOW_WORD = {
    "satisfied": "evidence",
    "exception": "exception noted",
    "missing": "missing",
    "due": "due",
    "open": "open",
    "upcoming": "upcoming",
}
DESIGN_WORDS = {
    "policy_approved": "policy approved",
    "owner_set": "owner set",
    "procedure_described": "procedure described",
    "requirement_defined": "evidence requirement defined",
    "has_evidence": "design record",
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
    if found.ready and not portal.readiness.view.tests_operation:
        return "designed", "ok"
    if found.ready:
        if found.exceptions:
            return "ready, exceptions noted", "warn"
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
    if not view.tests_operation:
        parts = [f"A Type I examines design as of {view.as_of}: no evidence window is demanded."]
    else:
        assert view.period is not None
        parts = [
            f"Each evidence requirement owes one record per window of its frequency over the period {view.period[0]} to {view.period[1]}."
        ]
    if found.exceptions:
        parts += ["", exceptions_list(portal, found.exceptions)]
    if not view.tests_operation:
        return "\n".join(parts)
    for requirement in found.requirements:
        name = f"`{requirement.id}`" if requirement.id else "Any evidence"
        counts = f"{requirement.count('satisfied')} of {len(requirement.windows)} windows with evidence"
        if excepted := requirement.count("exception"):
            counts += f", {excepted} exception noted"
        stale = f" {md.badge('stale', 'warn')}" if requirement.stale else ""
        chips = "".join(
            f'<span class="sk-window sk-window--{WINDOW_KIND[w.state]}" title="{md.html(w.window.start)} to '
            f'{md.html(w.window.end)}, due {md.html(w.due)}{md.html(_deviations_note(w.deviations))}">'
            f"<strong>{md.html(w.window.label)}</strong>"
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


def _deviations_note(deviations: tuple[str, ...]) -> str:
    return f"; exception noted: {', '.join(deviations)}" if deviations else ""


def exceptions_list(portal: Portal, deviation_ids: list[str]) -> str:
    """The approved deviations of a control, one line each: ID, window or sample, what happened, who approved it."""
    lines = ["**Exceptions noted** (approved deviations):", ""]
    for deviation_id in deviation_ids:
        deviation = portal.program.deviations[deviation_id]
        subject = ", ".join(
            part for part in (deviation.window, f"sample {deviation.sample}" if deviation.sample else None) if part
        )
        lines.append(
            f"- {md.badge('exception noted', 'warn')} **{md.text(deviation.id)}** ({md.text(subject or 'the control')}): "
            f"{md.text(deviation.description)} Approved by {md.text(deviation.approved_by or '')} on {deviation.approved_on}."
        )
    return "\n".join(lines)


def design_and_operation(portal: Portal, from_page: str) -> str:
    """The dashboard's "Design and operation" section: designed controls, operation over the period
    (Type II) and every exception noted, each shown separately."""
    readiness = portal.readiness
    summary = readiness.summary()
    controls, windows = summary["controls"], summary["windows"]
    total = controls["in_scope"]
    cards = [
        md.metric(
            f"{controls['designed']}/{total}",
            "Controls designed",
            name="controls-designed",
            kind="ok" if controls["designed"] == total else "warn",
        )
    ]
    if readiness.view.tests_operation:
        cards += [
            md.metric(
                f"{controls['operating']}/{total}",
                "Controls operating",
                name="controls-operating",
                kind="ok" if controls["operating"] == total else "warn",
            ),
            md.metric(str(windows["satisfied"]), "Windows satisfied", name="windows-satisfied", kind="ok"),
            md.metric(
                str(windows["exception"]),
                "Windows with exception noted",
                name="windows-exception",
                kind="warn" if windows["exception"] else "ok",
            ),
            md.metric(
                str(windows["missing"]), "Windows missing", name="windows-missing", kind="bad" if windows["missing"] else "ok"
            ),
        ]
        operation = (
            "Operation is tested over the period: a window is satisfied by a record, *exception noted* when an approved "
            "deviation names it, and missing when neither arrived by its due date."
        )
    else:
        operation = (
            f"A Type I examines design as of {md.text(str(readiness.view.as_of))}: a control is designed when its "
            "policies are approved and in effect, it has an owner, its procedure is described and a design record "
            "exists. No evidence window is demanded."
        )
    rows = [
        (
            portal.control_link(from_page, e.control),
            md.text(e.deviation),
            md.text(e.subject or "the control"),
            md.text(e.description),
            f"{md.text(e.approved_by)}, {e.approved_on}",
        )
        for e in readiness.exceptions[: portal.gaps_limit]
    ]
    parts = [
        "## Design and operation",
        "",
        md.cards(cards),
        "",
        operation,
        "",
        "### Exceptions noted",
        "",
        md.table(
            ["Control", "Deviation", "Window or sample", "What happened", "Approved"],
            rows,
            empty="*No approved deviation.*",
        ),
    ]
    if len(readiness.exceptions) > portal.gaps_limit:
        parts += ["", f"{len(readiness.exceptions) - portal.gaps_limit} more exceptions noted."]
    return "\n".join(parts)
