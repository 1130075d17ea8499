"""The readiness overview and population lists as text: a table for terminals, Markdown for
reports, JSON for tools (the shape is documented in docs/readiness.md). `soc2kit status` prints
these; they read a `Readiness` or a `Population` and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from soc2kit.population import Item, Population
    from soc2kit.readiness import (
        ControlStatus,
        CriterionStatus,
        ExceptionNoted,
        Gap,
        MissingWindows,
        NotCounted,
        Readiness,
        RequirementStatus,
        StaleEvidence,
        Tally,
    )

STATUS_FORMATS = ("table", "json", "md")
BAR_WIDTH = 20


def readiness_text(readiness: Readiness, output_format: str, *, limit: int, color: bool) -> str:
    if output_format == "json":
        import json

        return json.dumps(readiness.to_dict(), indent=2, ensure_ascii=False) + "\n"
    if output_format == "md":
        return format_markdown(readiness, limit=limit)
    return format_table(readiness, limit=limit, color=color)


def _bar(ready: int, total: int, width: int = BAR_WIDTH) -> str:
    filled = round(width * ready / total) if total else 0
    return "█" * filled + "░" * (width - filled)


def _pct(ready: int, total: int) -> str:
    return f"{100 * ready / total:5.1f}%" if total else "    -"


def _limited(rows: list[Any], limit: int) -> list[Any]:
    return rows if limit == 0 else rows[:limit]


def _more(shown: int, total: int, what: str) -> str | None:
    if shown >= total:
        return None
    return f"... {total - shown} more {what}: --limit 0 shows all, --format json lists every one"


def format_table(readiness: Readiness, *, limit: int = 20, color: bool = False) -> str:
    """The overview for a terminal: plain text with bars; color only when asked. Every program value
    goes through `escaping.terminal`, so none can send an escape sequence or start a line of its own."""
    from soc2kit.escaping import terminal as v

    def style(text: str, **kwargs: Any) -> str:
        return click.style(text, **kwargs) if color else text

    r = readiness
    summary = r.summary()
    out = [
        style(f"{v(r.organization)} · {v(r.system)}", bold=True),
        f"{r.view.describe()} · today {r.view.today} ({r.view.timezone}) · evidence grace {r.view.grace}",
        "",
        style(f"Readiness {r.score.value:.1f}%", bold=True)
        + f"  {r.score.ready} of {r.score.total} criteria ready  ({r.score.formula})",
    ]
    out.extend([design_line(summary), operation_line(r, summary)])
    out.append(f"Evidence records not counted: {len(r.not_counted)} ({_checks(r)})")
    out.extend(style(f"! {note}", fg="yellow") for note in r.notes)

    def bars(title: str, tallies: list[Tally], label: Callable[[Tally], str]) -> None:
        out.extend(["", style(title, bold=True)])
        width = max((len(label(t)) for t in tallies), default=0)
        for t in tallies:
            done = t.ready == t.total and t.total > 0
            bar = style(_bar(t.ready, t.total), fg="green" if done else ("yellow" if t.ready else "red"))
            out.append(f"  {label(t):<{width}}  {bar} {t.ready:>3}/{t.total:<3} {_pct(t.ready, t.total)}")

    bars("Categories (criteria ready / in scope)", r.categories, lambda t: v(t.title))
    bars("Series", r.series, lambda t: f"{v(t.id)} {v(t.title)}")

    if r.exclusions:
        out.extend(["", style("Excluded", bold=True)])
        out.extend(f"  {v(cid):<7} {v(title)}: {v(reason) or '(no reason given)'}" for cid, title, reason in r.exclusions)

    def gap_lines(number: int, gap: Gap) -> list[str]:
        blocks = f"blocks {len(gap.blocks)}" if gap.blocks else "blocks 0"
        owner = v(gap.owner) or "no owner"
        head = f"  {number:>3}. {gap.kind} {style(v(gap.id), bold=True)} ({owner}; {blocks}) {v(gap.title)}"
        return [head, *(f"         - {v(item)}" for item in gap.missing)]

    automatic = {(c.control.id, q.id): q.collector for c, q in collected_requirements(r)}

    def missing_lines(_number: int, m: MissingWindows) -> list[str]:
        requirement = m.requirement or "(evidence)"
        head = f"  {m.run.label:<22} {m.control:<10} {requirement:<28} {v(m.owner):<22} due {m.run.last.due}"
        if collector := automatic.get((m.control, m.requirement)):
            head += f"  automatic: {v(collector)}"
        return [head, *(f"      {style(v(n.describe()), fg='red')}" for n in m.not_counted)]

    def stale_lines(_number: int, s: StaleEvidence) -> list[str]:
        requirement = s.requirement or "(evidence)"
        return [
            f"  {s.control:<10} {requirement:<28} {s.frequency:<10} newest {s.newest}, fresh until {s.fresh_until}  {v(s.owner)}"
        ]

    def rejected_lines(_number: int, n: NotCounted) -> list[str]:
        return [f"  {v(n.record):<28} {n.control:<10} {v(n.path)}", *(f"      - {v(reason)}" for reason in n.reasons)]

    def exception_lines(_number: int, e: ExceptionNoted) -> list[str]:
        requirement = e.requirement or "(every requirement)"
        return [
            f"  {e.control:<10} {v(e.deviation):<10} {requirement:<28} {v(e.subject)}",
            f"      {v(e.description)} (approved by {v(e.approved_by)} on {e.approved_on})",
        ]

    def collected_lines(_number: int, row: tuple[ControlStatus, RequirementStatus]) -> list[str]:
        control, requirement = row
        newest = f"newest {requirement.newest}" if requirement.newest else "no record yet"
        stale = ", stale" if requirement.stale else ""
        return [f"  {control.control.id:<10} {requirement.id:<28} automatic: {v(requirement.collector)}  {newest}{stale}"]

    def subservice_lines(_number: int, c: CriterionStatus) -> list[str]:
        parts = [
            f"carved out: {v(', '.join(c.carved_out))}" if c.carved_out else "",
            f"CSOCs: {v(', '.join(c.csocs))}" if c.csocs else "",
        ]
        return [f"  {c.id:<7} {' · '.join(p for p in parts if p)}  (ours: {len(c.ready_controls)}/{len(c.controls)} ready)"]

    missing = r.missing_windows()
    windows = sum(len(m.run.windows) for m in missing)
    stale = r.stale()
    subservice = subservice_criteria(r)
    collected = collected_requirements(r)
    sections: list[tuple[str, list[Any], str, Callable[[int, Any], list[str]]]] = [
        (f"Gaps ({len(r.gaps)}), what blocks the audit most first", r.gaps, "gaps", gap_lines),
        (f"Windows missing evidence ({windows} in {len(missing)} runs)", missing, "windows", missing_lines),
        (f"Exceptions noted ({len(r.exceptions)}), approved deviations by control", r.exceptions, "exceptions", exception_lines),
        (f"Stale evidence ({len(stale)})", stale, "stale requirements", stale_lines),
        (
            f"Evidence not counted ({len(r.not_counted)}), failing verification",
            r.not_counted,
            "records not counted",
            rejected_lines,
        ),
        (
            f"Collected evidence ({len(collected)}), requirements a collector feeds (`soc2kit collect`)",
            collected,
            "collected requirements",
            collected_lines,
        ),
        (
            f"Criteria resting on subservice organizations ({len(subservice)}): ready only through our controls",
            subservice,
            "criteria",
            subservice_lines,
        ),
    ]
    for title, rows, noun, render in sections:
        out.extend(["", style(title, bold=True)])
        shown = _limited(rows, limit)
        for number, row in enumerate(shown, start=1):
            out.extend(render(number, row))
        if not rows:
            out.append("  none")
        if more := _more(len(shown), len(rows), noun):
            out.append(f"  {more}")
    return "\n".join(out) + "\n"


def design_line(summary: dict[str, Any]) -> str:
    """Design, as both Type I and Type II test it, from `Readiness.summary()`: how many in-scope controls are designed."""
    controls = summary["controls"]
    out_of_scope = f" ({controls['out_of_scope']} out of scope)" if controls["out_of_scope"] else ""
    return (
        f"Design: {controls['designed']} of {controls['in_scope']} controls designed "
        f"(policy, owner, procedure, design record), {controls['ready']} ready{out_of_scope}"
    )


def operation_line(readiness: Readiness, summary: dict[str, Any]) -> str:
    """Operation over the period (Type II), or why it is not tested (Type I); `summary` is `readiness.summary()`."""
    view, controls, windows = readiness.view, summary["controls"], summary["windows"]
    if not view.tests_operation:
        return f"Operation: not tested; a Type I examines design as of {view.as_of} and demands no evidence window"
    return (
        f"Operation: {controls['operating']} of {controls['in_scope']} controls operating, "
        f"{controls['with_exceptions']} with exceptions noted · evidence windows: {windows['satisfied']} of "
        f"{windows['expected']} satisfied, {windows['exception']} exception noted, {windows['missing']} missing, "
        f"{windows['due'] + windows['open'] + windows['upcoming']} not due yet · {summary['stale']} stale"
    )


def collected_requirements(readiness: Readiness) -> list[tuple[ControlStatus, RequirementStatus]]:
    """The evidence requirements a collector feeds (`RequirementStatus.collector`), by control and then the control's order."""
    return [(c, q) for c in readiness.controls for q in c.requirements if q.collector]


def subservice_criteria(readiness: Readiness) -> list[CriterionStatus]:
    """In-scope criteria that a carve-out subservice organization bears on, or that CSOCs are mapped to."""
    return [c for c in readiness.criteria if c.carved_out or c.csocs]


def _checks(readiness: Readiness) -> str:
    if readiness.history_checked:
        return "verified against their files and Git history"
    return "verified against their files only; Git history was not read"


def _cell(text: str) -> str:
    from soc2kit.escaping import markdown

    return markdown(text)


def _code(text: object) -> str:
    from soc2kit.escaping import code

    return code(text)


def _target(path: str) -> str:
    from soc2kit.escaping import url

    return url(path)


def format_markdown(readiness: Readiness, *, limit: int = 20) -> str:
    """The overview as a Markdown report (for a pull request comment or a wiki page)."""
    r = readiness
    summary = r.summary()
    out = [
        f"# Readiness: {_cell(r.organization)}, {_cell(r.system)}",
        "",
        f"{r.view.describe()}; today {r.view.today} ({r.view.timezone}); evidence grace {r.view.grace}.",
        "",
        f"**Readiness {r.score.value:.1f}%**: {r.score.ready} of {r.score.total} criteria ready ({r.score.formula}).",
        "",
        f"- {design_line(summary)}",
        f"- {operation_line(r, summary)}",
        f"- Evidence records not counted: {len(r.not_counted)} ({_checks(r)})",
    ]
    out.extend(f"- **Note:** {note}" for note in r.notes)
    for title, tallies in (("Category", r.categories), ("Series", r.series)):
        heading = "Categories" if title == "Category" else "Series"
        out.extend(["", f"## {heading}", "", f"| {title} | Ready | Criteria | % |", "| --- | --- | ---: | ---: |"])
        out.extend(
            f"| {_cell(f'{t.id} {t.title}' if title == 'Series' else t.title)} "
            f"| `{_bar(t.ready, t.total)}` | {t.ready}/{t.total} | {_pct(t.ready, t.total).strip()} |"
            for t in tallies
        )
    if r.exclusions:
        out.extend(["", "## Excluded", "", "| Criterion | Title | Reason |", "| --- | --- | --- |"])
        out.extend(f"| {cid} | {_cell(title)} | {_cell(reason or '(no reason given)')} |" for cid, title, reason in r.exclusions)
    out.extend(["", f"## Gaps ({len(r.gaps)})", "", "What blocks the audit most comes first.", ""])
    if r.gaps:
        out.extend(["| # | Kind | ID | Owner | Blocks | Missing |", "| ---: | --- | --- | --- | ---: | --- |"])
        for number, gap in enumerate(_limited(r.gaps, limit), start=1):
            out.append(
                f"| {number} | {gap.kind} | [{_cell(gap.id)}]({_target(gap.path)}) | {_cell(gap.owner or '-')} | {len(gap.blocks)} "
                f"| {_cell('; '.join(gap.missing))} |"
            )
    if more := _more(len(_limited(r.gaps, limit)), len(r.gaps), "gaps"):
        out.extend(["", more])
    missing = r.missing_windows()
    count = sum(len(m.run.windows) for m in missing)
    out.extend(["", f"## Windows missing evidence ({count} in {len(missing)} runs)", ""])
    if missing:
        out.extend(["| Windows | Control | Requirement | Owner | Due | Not counted |", "| --- | --- | --- | --- | --- | --- |"])
        out.extend(
            f"| {m.run.label} | {m.control} | {m.requirement or '-'} | {_cell(m.owner)} | {m.run.last.due} "
            f"| {_cell('; '.join(n.describe() for n in m.not_counted) or '-')} |"
            for m in _limited(missing, limit)
        )
    if more := _more(len(_limited(missing, limit)), len(missing), "windows"):
        out.extend(["", more])
    out.extend(["", f"## Exceptions noted ({len(r.exceptions)})", "", "Approved deviations, by control.", ""])
    if r.exceptions:
        out.extend(
            [
                "| Control | Deviation | Requirement | Window or sample | What happened | Management's response | Approved |",
                "| --- | --- | --- | --- | --- | --- | --- |",
            ]
        )
        out.extend(
            f"| {e.control} | {_cell(e.deviation)} | {_cell(e.requirement or 'every requirement')} | {_cell(e.subject)} "
            f"| {_cell(e.description)} | {_cell(e.management_response)} | {_cell(e.approved_by)}, {e.approved_on} |"
            for e in _limited(r.exceptions, limit)
        )
    if more := _more(len(_limited(r.exceptions, limit)), len(r.exceptions), "exceptions"):
        out.extend(["", more])
    stale = r.stale()
    out.extend(["", f"## Stale evidence ({len(stale)})", ""])
    if stale:
        out.extend(
            ["| Control | Requirement | Frequency | Newest | Fresh until | Owner |", "| --- | --- | --- | --- | --- | --- |"]
        )
        out.extend(
            f"| {s.control} | {s.requirement or '-'} | {s.frequency} | {s.newest} | {s.fresh_until} | {_cell(s.owner)} |"
            for s in _limited(stale, limit)
        )
    if more := _more(len(_limited(stale, limit)), len(stale), "stale requirements"):
        out.extend(["", more])
    out.extend(
        ["", f"## Evidence not counted ({len(r.not_counted)})", "", "Records that fail verification satisfy no window.", ""]
    )
    if r.not_counted:
        out.extend(["| Record | Control | Path | Why |", "| --- | --- | --- | --- |"])
        out.extend(
            f"| {_cell(n.record)} | {n.control} | {_cell(n.path)} | {_cell('; '.join(n.reasons))} |"
            for n in _limited(r.not_counted, limit)
        )
    if more := _more(len(_limited(r.not_counted, limit)), len(r.not_counted), "records not counted"):
        out.extend(["", more])
    collected = collected_requirements(r)
    out.extend(
        [
            "",
            f"## Collected evidence ({len(collected)})",
            "",
            "Evidence requirements a collector feeds (`soc2kit collect`): their windows are automatic.",
            "",
        ]
    )
    if collected:
        out.extend(["| Control | Requirement | Collected | Newest | Stale |", "| --- | --- | --- | --- | --- |"])
        out.extend(
            f"| {c.control.id} | {_cell(q.id)} | automatic: {_code(q.collector)} | {q.newest or 'no record yet'} "
            f"| {'yes' if q.stale else 'no'} |"
            for c, q in _limited(collected, limit)
        )
    if more := _more(len(_limited(collected, limit)), len(collected), "collected requirements"):
        out.extend(["", more])
    subservice = subservice_criteria(r)
    out.extend(
        [
            "",
            f"## Criteria resting on subservice organizations ({len(subservice)})",
            "",
            "A carved-out criterion stays in scope and is ready only through our controls; CSOCs are listed, never counted.",
            "",
        ]
    )
    if subservice:
        out.extend(["| Criterion | Carved out | CSOCs | Our controls ready |", "| --- | --- | --- | --- |"])
        out.extend(
            f"| {c.id} | {_cell(', '.join(c.carved_out) or '-')} | {_cell(', '.join(c.csocs) or '-')} "
            f"| {len(c.ready_controls)}/{len(c.controls)} |"
            for c in subservice
        )
    return "\n".join(out) + "\n"


def population_text(found: Population, sampled: list[Item] | None, seed: str | None, output_format: str) -> str:
    if output_format == "json":
        import json

        return json.dumps(found.to_dict(sampled, seed), indent=2, ensure_ascii=False) + "\n"
    rows = sampled if sampled is not None else found.items
    kind = {"program-changes": "changes to the program", "production-changes": "production changes"}.get(
        found.kind, "evidence records"
    )
    head = f"Population of {found.control}: {len(found.items)} {kind}, {found.start}..{found.end}"
    if sampled is not None:
        from soc2kit.population import SAMPLE_METHOD

        head += f"\nSample: {len(sampled)} of {len(found.items)}, seed '{seed}' ({SAMPLE_METHOD})"
    if output_format == "md":
        out = [f"# {head.splitlines()[0]}", "", *[f"- {line}" for line in head.splitlines()[1:] + found.notes], ""]
        out += [
            "| Date | Item | Authors | Merger | PR | Approvers | Title |",
            "| --- | --- | --- | --- | --- | --- | --- |",
        ]
        out += [
            f"| {i.day} | {_cell(i.key[:12] if i.commit == i.key else i.key)} | {_cell(', '.join(i.authors) or '-')} "
            f"| {_cell(i.merger or '-')} | {f'#{i.pr}' if i.pr else '-'} "
            f"| {_cell(', '.join(i.approvers) or '-')} | {_cell(i.title)} |"
            for i in rows
        ]
        return "\n".join(out) + "\n"
    out = [head, *[f"  ({note})" for note in found.notes], ""]
    for i in rows:
        key = i.key[:12] if i.commit == i.key else i.key
        pr = f"#{i.pr}" if i.pr else "-"
        merger = f"  merged by {i.merger}" if i.merger else ""
        approvers = f"  approved by {', '.join(i.approvers)}" if i.approvers else ""
        out.append(f"  {i.day}  {key:<28} {pr:<6} {', '.join(i.authors)}  {i.title}{merger}{approvers}")
    if not rows:
        out.append("  (no items in the period)")
    return "\n".join(out) + "\n"
