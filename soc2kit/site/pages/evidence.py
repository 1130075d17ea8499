"""The evidence index: by control and by month. Never one page per record (a program may hold
100,000 records): the index is two summary tables, and each month has one page listing its records."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

from soc2kit.site import markdown as md
from soc2kit.site.pages.controls import records_table
from soc2kit.site.portal import EVIDENCE, GeneratedPage, Portal, month_page


def months(program: Any) -> dict[str, list[Any]]:
    """YYYY-MM -> the records collected that month, newest month first."""
    by_month: dict[str, list[Any]] = defaultdict(list)
    for record in program.evidence.values():
        by_month[record.collected.strftime("%Y-%m")].append(record)
    return dict(sorted(by_month.items(), reverse=True))


def build(portal: Portal) -> Iterator[GeneratedPage]:
    by_month = months(portal.program)
    yield index(portal, by_month)
    for month, records in by_month.items():
        yield month_listing(portal, month, records)


def index(portal: Portal, by_month: dict[str, list[Any]]) -> GeneratedPage:
    program = portal.program
    controls = sorted(program.controls.values(), key=lambda c: c.id)
    with_evidence = sum(1 for c in controls if program.evidence_of(c))
    parts = [
        "# Evidence",
        "",
        (
            "Evidence records kept in the repository, each with the sha256 of its files. Browse them by control or by the "
            "month they were collected."
        ),
        "",
        md.cards(
            [
                md.metric(f"{len(program.evidence):,}", "Records", name="evidence-records"),
                md.metric(
                    f"{with_evidence}/{len(controls)}",
                    "Controls with evidence",
                    name="evidence-controls",
                    kind="ok" if controls and with_evidence == len(controls) else "warn",
                ),
                md.metric(str(len(by_month)), "Months", name="evidence-months"),
            ]
        ),
        "",
        "## By month",
        "",
    ]
    month_rows = []
    for month, records in by_month.items():
        count_controls = len({r.control for r in records})
        month_rows.append((md.link(month, portal.rel(EVIDENCE, month_page(month))), f"{len(records):,}", str(count_controls)))
    parts.append(md.table(["Month collected", "Records", "Controls"], month_rows, empty="*No evidence recorded yet.*"))
    parts += ["", "## By control", ""]
    control_rows = []
    for control in controls:
        records = program.evidence_of(control)
        per_requirement = Counter(r.requirement for r in records)
        latest = max((r.collected for r in records), default=None)
        requirements = len(control.evidence)
        met = sum(1 for req in control.evidence if per_requirement[req.id])
        control_rows.append(
            (
                portal.control_link(EVIDENCE, control.id),
                md.text(control.title),
                f"{len(records):,}" if records else md.badge("none", "warn"),
                latest.isoformat() if latest else "—",
                md.bar(met, requirements) if requirements else "—",
            )
        )
    parts.append(
        md.table(
            ["Control", "Title", "Records", "Latest", "Requirements with a record"], control_rows, empty="*No controls yet.*"
        )
    )
    return GeneratedPage(EVIDENCE, "Evidence", "\n".join(parts) + "\n")


def month_listing(portal: Portal, month: str, records: list[Any]) -> GeneratedPage:
    path = month_page(month)
    parts = [
        f"# Evidence collected in {month}",
        "",
        f"{len(records):,} records for {len({r.control for r in records})} controls.",
        "",
        records_table(portal, path, records, with_control=True),
    ]
    return GeneratedPage(path, month, "\n".join(parts) + "\n")
