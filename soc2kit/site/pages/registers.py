"""The register pages: subservice organizations (with the state of each one's SOC report and the
CSOCs beside each criterion they bear on), complementary user entity controls, and the deviations
log as the report's exceptions section shows it. Every value is a program value, escaped."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from soc2kit.layout import DEVIATIONS_REGISTER, REGISTERS, SUBSERVICE_REGISTER, USER_ENTITY_CONTROLS_REGISTER
from soc2kit.models import ComplementaryControl, Deviation, SubserviceOrganization, SubserviceReport
from soc2kit.readiness import View, view_of
from soc2kit.rules.registers import ReportStatus, report_status
from soc2kit.site import markdown as md
from soc2kit.site.portal import GeneratedPage, Portal

SUBSERVICE_PAGE = "registers/subservice-organizations.md"
CUEC_PAGE = "registers/user-entity-controls.md"
DEVIATIONS_PAGE = "registers/deviations.md"
REPORT_STATE = {
    "current": ("current", "ok"),
    "gap": ("gap, no bridge letter", "warn"),
    "expired": ("expired", "bad"),
    "missing": ("none on file", "bad"),
}


def build(portal: Portal) -> Iterator[GeneratedPage]:
    program = portal.program
    if not any(path in program.documents for path in REGISTERS):
        return  # a program without registers: no section (docs/registers.md says how to start them)
    view = view_of(program) if program.config_ok else None
    yield subservice_page(portal, view)
    yield cuec_page(portal)
    yield deviations_page(portal)


# -- subservice organizations ----------------------------------------------------------------------
def subservice_page(portal: Portal, view: View | None) -> GeneratedPage:
    program = portal.program
    organizations: list[SubserviceOrganization] = list(program.subservice_organizations.values())
    statuses = {org.id: report_status(program, view, org) for org in organizations} if view is not None else {}
    carve_outs = [org for org in organizations if org.method == "carve-out"]
    current = sum(1 for org in carve_outs if org.id in statuses and statuses[org.id].state == "current")
    parts = [
        "# Subservice organizations",
        "",
        (
            f"Other companies whose services are part of {md.text(program.config.system.name)}. A carved-out "
            "organization's own controls stay outside the report: its own SOC report covers them, and the "
            "complementary subservice organization controls (CSOCs) below are what the report relies on it for. "
            "A carved-out criterion stays in scope and is met by our controls together with those CSOCs."
        ),
        "",
        md.cards(
            [
                md.metric(str(len(organizations)), "Organizations", name="subservice-organizations"),
                md.metric(str(len(carve_outs)), "Carved out", name="subservice-carve-outs"),
                md.metric(
                    f"{current}/{len(carve_outs)}",
                    "Reports current",
                    name="subservice-reports-current",
                    kind="ok" if current == len(carve_outs) else "warn",
                ),
            ]
        ),
        "",
    ]
    if view is not None:
        parts += [f"Reports are judged on {md.text(_reference_day(view, program.today))}.", ""]
    rows = [
        (
            md.text(org.name),
            md.code(org.id),
            md.text(org.method),
            _criteria_links(portal, SUBSERVICE_PAGE, org.criteria),
            _report_cell(org.report),
            _status_badge(statuses.get(org.id)) if org.method == "carve-out" or org.report is not None else "—",
        )
        for org in organizations
    ]
    parts.append(
        md.table(
            ["Organization", "ID", "Method", "Criteria", "SOC report", "Report status"],
            rows,
            empty=f"*No subservice organization is recorded in `{SUBSERVICE_REGISTER}`.*",
        )
    )
    for org in organizations:
        parts += ["", *_organization_section(portal, org, statuses.get(org.id))]
    parts += ["", "## CSOCs per criterion", ""]
    parts.append(_csocs_per_criterion(portal, organizations))
    return GeneratedPage(SUBSERVICE_PAGE, "Subservice organizations", "\n".join(parts) + "\n", source=SUBSERVICE_REGISTER)


def _organization_section(portal: Portal, org: SubserviceOrganization, status: ReportStatus | None) -> list[str]:
    report = org.report
    rows: list[tuple[str, str]] = [
        ("Services", md.html(org.services)),
        ("Method", md.html(org.method)),
        ("SOC report", _report_cell(report)),
    ]
    if report is not None:
        rows.append(("Opinion dated", md.html(report.opinion_date.isoformat())))
        bridge = report.bridge_letter
        if bridge is not None:
            dated = f" (dated {bridge.dated.isoformat()})" if bridge.dated is not None else ""
            rows.append(("Bridge letter", md.html(f"through {bridge.through.isoformat()}{dated}")))
    if status is not None and (org.method == "carve-out" or report is not None):
        rows.append(("Report status", _status_badge(status)))
    csoc_rows = [_complementary_row(portal, SUBSERVICE_PAGE, csoc) for csoc in org.csocs]
    monitors = _control_links(portal, org.monitored_by) or md.badge("no control of ours", "warn")
    return [
        f"## {md.text(org.name)}",
        "",
        md.definition_card(rows),
        "",
        f"**Monitored by:** {monitors}",
        "",
        md.table(["CSOC", "What the organization does", "Criteria"], csoc_rows, empty="*No CSOC listed.*"),
    ]


def _csocs_per_criterion(portal: Portal, organizations: list[SubserviceOrganization]) -> str:
    program = portal.program
    criteria = [c for c in program.catalog.criteria if any(c.id in org.criteria for org in organizations)]
    rows = []
    for criterion in criteria:
        carved = program.carved_out(criterion.id)
        csocs = program.csocs_of(criterion.id)
        ours = program.controls_by_criterion.get(criterion.id, [])
        rows.append(
            (
                portal.criterion_link(SUBSERVICE_PAGE, criterion.id, title=True),
                ", ".join(md.text(org.name) for org in carved) or "—",
                ", ".join(md.code(csoc.id) for _, csoc in csocs) or md.badge("none", "warn" if carved else "muted"),
                ", ".join(portal.control_link(SUBSERVICE_PAGE, control.id) for control in ours) or md.badge("none", "bad"),
            )
        )
    return md.table(
        ["Criterion", "Carved out to", "CSOCs", "Our controls"],
        rows,
        empty="*No criterion is named by a subservice organization.*",
    )


def _report_cell(report: SubserviceReport | None) -> str:
    if report is None:
        return md.badge("none", "bad")
    kind = {"type1": "Type 1", "type2": "Type 2"}[report.type]
    if report.type == "type2" and report.period is not None:
        return md.html(f"{kind}, {report.period.start.isoformat()} to {report.period.end.isoformat()}")
    return md.html(f"{kind}, as of {report.as_of.isoformat() if report.as_of else '?'}")


def _status_badge(status: ReportStatus | None) -> str:
    if status is None:
        return md.badge("unknown", "muted")
    label, kind = REPORT_STATE[status.state]
    return md.badge(label, kind)


def _reference_day(view: View, today: date) -> str:
    day = min(view.reference, today)
    if day == today and today < view.reference:
        return f"{day.isoformat()} (today)"
    what = "the as-of date" if view.type == "type1" else "the end of the audit period"
    return f"{day.isoformat()} ({what})"


# -- complementary user entity controls ------------------------------------------------------------
def cuec_page(portal: Portal) -> GeneratedPage:
    program = portal.program
    cuecs: list[ComplementaryControl] = list(program.user_entity_controls.values())
    parts = [
        "# User entity controls",
        "",
        (
            f"Complementary user entity controls (CUECs): what customers of {md.text(program.config.organization)} "
            "must do themselves for the controls in this program to meet the criteria. The report lists them so "
            "each customer's auditor knows what to look for on the customer's side."
        ),
        "",
        md.table(
            ["CUEC", "What the customer does", "Criteria"],
            [_complementary_row(portal, CUEC_PAGE, cuec) for cuec in cuecs],
            empty=f"*No user entity control is recorded in `{USER_ENTITY_CONTROLS_REGISTER}`.*",
        ),
    ]
    return GeneratedPage(CUEC_PAGE, "User entity controls", "\n".join(parts) + "\n", source=USER_ENTITY_CONTROLS_REGISTER)


def _complementary_row(portal: Portal, page: str, control: ComplementaryControl) -> tuple[str, str, str]:
    criteria = _criteria_links(portal, page, control.criteria) or md.badge("no criterion", "bad")
    return (md.code(control.id), md.text(control.description), criteria)


# -- deviations ------------------------------------------------------------------------------------
def deviations_page(portal: Portal) -> GeneratedPage:
    program = portal.program
    deviations: list[Deviation] = list(program.deviations.values())
    approved = sum(1 for d in deviations if d.approved(program.today))
    parts = [
        "# Deviations",
        "",
        (
            "Each time a control did not operate as described: what happened, why, what it affected, what was "
            'done about it, and management\'s response. An approved deviation marks its window "exception noted"; '
            "one still awaiting approval changes nothing until it is approved."
        ),
        "",
        md.cards(
            [
                md.metric(str(len(deviations)), "Deviations", name="deviations"),
                md.metric(str(approved), "Approved", name="deviations-approved"),
                md.metric(
                    str(len(deviations) - approved),
                    "Awaiting approval",
                    name="deviations-awaiting",
                    kind="warn" if approved < len(deviations) else "",
                ),
            ]
        ),
        "",
        md.table(
            ["Deviation", "Control", "Window", "Sample", "Approval"],
            [
                (
                    md.code(d.id),
                    portal.control_link(DEVIATIONS_PAGE, d.control),
                    md.text(d.window or "—"),
                    md.text(d.sample or "—"),
                    _approval(d, program.today),
                )
                for d in deviations
            ],
            empty=f"*No deviation is recorded in `{DEVIATIONS_REGISTER}`.*",
        ),
    ]
    for deviation in deviations:
        parts += ["", *_deviation_section(portal, deviation, program.today)]
    return GeneratedPage(DEVIATIONS_PAGE, "Deviations", "\n".join(parts) + "\n", source=DEVIATIONS_REGISTER)


def _deviation_section(portal: Portal, deviation: Deviation, today: date) -> list[str]:
    rows: list[tuple[str, str]] = []
    if deviation.requirement is not None:
        rows.append(("Requirement", md.code(deviation.requirement)))
    if deviation.window is not None:
        rows.append(("Window", md.html(deviation.window)))
    if deviation.sample is not None:
        rows.append(("Sample", md.html(deviation.sample)))
    rows.append(("Approval", _approval(deviation, today)))
    lines = [
        f"## {md.text(deviation.id)}",
        "",
        f"**Control:** {portal.control_link(DEVIATIONS_PAGE, deviation.control, title=True)}",
        "",
        md.definition_card(rows),
        "",
    ]
    for label, value in (
        ("What happened", deviation.description),
        ("Cause", deviation.cause),
        ("Effect", deviation.effect),
        ("Remediation", deviation.remediation),
        ("Management's response", deviation.management_response),
    ):
        lines += [f"**{label}.** {md.text(value)}", ""]
    return lines


def _approval(deviation: Deviation, today: date) -> str:
    if deviation.approved(today):
        assert deviation.approved_on is not None
        return md.badge("approved", "ok") + " " + md.html(f"by {deviation.approved_by} on {deviation.approved_on.isoformat()}")
    return md.badge("awaiting approval", "warn")


# -- links -----------------------------------------------------------------------------------------
def _criteria_links(portal: Portal, page: str, criteria: list[str]) -> str:
    return ", ".join(portal.criterion_link(page, criterion_id) for criterion_id in dict.fromkeys(criteria))


def _control_links(portal: Portal, controls: list[str]) -> str:
    return ", ".join(portal.control_link(SUBSERVICE_PAGE, control_id) for control_id in dict.fromkeys(controls))
