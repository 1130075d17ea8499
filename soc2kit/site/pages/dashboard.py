"""Home: the readiness dashboard (overall score, coverage per category and series, top gaps,
stale evidence, and for Type II the evidence windows of the period)."""

from __future__ import annotations

from collections.abc import Iterator

from soc2kit.readiness import Gap, Readiness
from soc2kit.site import markdown as md
from soc2kit.site import status
from soc2kit.site.portal import CONTROLS, CRITERIA, FINDINGS, HOME, GeneratedPage, Portal, criterion_page


def build(portal: Portal) -> Iterator[GeneratedPage]:
    yield page(portal)


def score_text(score: float) -> str:
    return f"{score:g}%"


def hero(portal: Portal, score: float) -> str:
    program = portal.program
    audit = program.config.audit
    if audit.type == "type2" and audit.period is not None:
        kind, when = "Type II", f"Period {audit.period.start} to {audit.period.end}"
    else:
        kind, when = "Type I", f"As of {audit.as_of}"
    categories = len(program.config.scope.categories)
    facts = [when, f"{categories} categor{'y' if categories == 1 else 'ies'} in scope", f"Today {program.today}"]
    color = {"good": "var(--sk-good)", "fair": "var(--sk-fair)", "poor": "var(--sk-poor)"}[md.tone(score)]
    return (
        '<div class="sk-hero">'
        f'<div class="sk-hero__score" style="--sk-score: {score:.1f}; --sk-score-color: {color}">'
        f'<span><span data-metric="score">{score_text(score)}</span><small>ready</small></span></div>'
        '<div class="sk-hero__text">'
        f'<p class="sk-hero__org">{md.html(program.config.organization)}</p>'
        f'<p class="sk-hero__title">{md.html(program.config.system.name)}: SOC 2 {kind} readiness</p>'
        f'<p class="sk-hero__facts">{"".join(f"<span>{md.html(f)}</span>" for f in facts)}</p>'
        "</div></div>"
    )


def page(portal: Portal) -> GeneratedPage:
    program = portal.program
    readiness: Readiness = portal.readiness
    summary = readiness.summary()
    score = readiness.score
    windows = dict(summary["windows"]) if readiness.view.type == "type2" else None
    policies = list(program.policies.values())
    approved = sum(1 for p in policies if p.status == "approved")
    controls = summary["controls"]
    errors = len(portal.errors)
    cards = [
        md.metric(
            f"{score.ready}/{score.total}",
            "Criteria ready",
            name="criteria-ready",
            kind="ok" if score.ready == score.total else "bad",
        ),
        md.metric(
            f"{controls['ready']}/{controls['in_scope']}",
            "Controls ready",
            name="controls-ready",
            kind="ok" if controls["ready"] == controls["in_scope"] else "warn",
        ),
        md.metric(
            f"{approved}/{len(policies)}",
            "Policies approved",
            name="policies-approved",
            kind="ok" if approved == len(policies) else "warn",
        ),
    ]
    if windows is not None:
        cards.append(
            md.metric(
                f"{windows['satisfied']}/{windows['expected']}",
                "Evidence windows met",
                name="windows",
                kind="ok" if windows["satisfied"] == windows["expected"] else "warn",
            )
        )
    cards.append(
        md.metric(
            str(errors),
            "Errors",
            name="errors",
            kind="bad" if errors else "ok",
            note=f'<a href="{portal.rel(HOME, FINDINGS).removesuffix(".md")}/">see Findings</a>' if errors else "",
        )
    )
    parts = [*md.hide_navigation(), "# SOC 2 readiness", "", hero(portal, score.value), "", md.cards(cards), ""]
    for note in readiness.notes:
        parts += ['!!! note "About this view"', "", f"    {md.text(note[:1].upper() + note[1:])}", ""]
    category_rows = [(md.text(t.title), md.bar(t.ready, t.total, name=f"category-{t.id}")) for t in readiness.categories]
    series_rows = [
        (f"{md.text(t.id)} {md.text(t.title)}", md.bar(t.ready, t.total, name=f"series-{t.id}")) for t in readiness.series
    ]
    parts += [
        '<div class="sk-columns" markdown>',
        "<div markdown>",
        "",
        "## By category",
        "",
        md.table(["Category", "Criteria ready"], category_rows, empty="*No category in scope.*"),
        "",
        "</div>",
        "<div markdown>",
        "",
        "## By series",
        "",
        md.table(["Series", "Criteria ready"], series_rows, empty="*No criteria in scope.*"),
        "",
        "</div>",
        "</div>",
        "",
        status.design_and_operation(portal, HOME),
        "",
        "## Top gaps",
        "",
        "What holds the audit back most: the gaps that block the most criteria come first.",
        "",
    ]
    gap_rows = [
        (
            str(n),
            _gap_link(portal, gap),
            md.text("; ".join(gap.missing)),
            md.text(gap.owner) or "—",
            ", ".join(portal.criterion_link(HOME, cid) for cid in gap.blocks) or "—",
        )
        for n, gap in enumerate(readiness.gaps[: portal.gaps_limit], start=1)
    ]
    parts.append(md.table(["#", "What", "Missing", "Owner", "Blocks"], gap_rows, empty="*Nothing blocks the audit.*"))
    if len(readiness.gaps) > portal.gaps_limit:
        parts += [
            "",
            (
                f"{len(readiness.gaps) - portal.gaps_limit} more gaps: see the [criteria]({portal.rel(HOME, CRITERIA)}) and "
                f"the [controls]({portal.rel(HOME, CONTROLS)})."
            ),
        ]
    parts += ["", "## Stale evidence", "", "Evidence older than its frequency window plus the grace period.", ""]
    stale = readiness.stale()
    stale_rows = [
        (
            portal.control_link(HOME, s.control, title=True),
            f"`{s.requirement}`" if s.requirement else "—",
            s.newest.isoformat() if s.newest else "never",
            s.fresh_until.isoformat() if s.fresh_until else "—",
        )
        for s in stale[: portal.gaps_limit]
    ]
    parts.append(md.table(["Control", "Requirement", "Newest evidence", "Fresh until"], stale_rows, empty="*No stale evidence.*"))
    if len(stale) > portal.gaps_limit:
        parts += ["", f"{len(stale) - portal.gaps_limit} more stale requirements."]
    parts += ["", "## Evidence not counted", "", "Records that fail verification satisfy no window.", ""]
    rejected_rows = [
        (md.text(n.record), portal.control_link(HOME, n.control), md.text("; ".join(n.reasons)))
        for n in readiness.not_counted[: portal.gaps_limit]
    ]
    parts.append(md.table(["Record", "Control", "Why"], rejected_rows, empty="*Every record passes verification.*"))
    if len(readiness.not_counted) > portal.gaps_limit:
        parts += ["", f"{len(readiness.not_counted) - portal.gaps_limit} more records not counted."]
    if windows is not None:
        states = ", ".join(f"{windows[state]} {state}" for state in ("missing", "due", "open", "upcoming") if windows[state])
        parts += [
            "",
            "## Period coverage",
            "",
            (
                "Each control owes evidence for every window of its frequency in the audit period (a quarterly control, "
                "one record per quarter). Missing windows are listed on each control's page."
            ),
            "",
            md.table(
                ["Evidence windows", "With evidence", "Without"],
                [
                    (
                        str(windows["expected"]),
                        md.bar(windows["satisfied"], windows["expected"], name="windows", kind=_windows_tone(windows)),
                        states or "—",
                    )
                ],
            ),
        ]
    parts += [
        "",
        '??? info "How the score is computed"',
        "",
        (
            f"    Score = {md.text(score.formula)} = {score.ready} / {score.total}. A criterion is ready when at least one "
            "in-scope control mapped to it is ready; a control is ready when it is designed (its policies approved, an "
            "owner, its procedure described, an evidence requirement and a design record) and, in a Type II, no evidence window of "
            "the period is missing."
        ),
        "",
    ]
    return GeneratedPage(HOME, "Home", "\n".join(parts) + "\n", source="soc2kit.yml")


def _gap_link(portal: Portal, gap: Gap) -> str:
    if gap.kind == "criterion":
        return portal.criterion_link(HOME, gap.id, title=True)
    if gap.kind == "control":
        return portal.control_link(HOME, gap.id, title=True)
    if gap.kind == "policy":
        return portal.policy_link(HOME, gap.id, title=True)
    return md.text(gap.id)


__all__ = ["build", "criterion_page"]


def _windows_tone(windows: dict[str, int]) -> str:
    """Open and upcoming windows are not failures: the colour says how many are missing."""
    if not windows["missing"]:
        return "good"
    return "fair" if windows["missing"] <= windows["expected"] // 10 else "poor"
