"""SK711-SK724: the registers a SOC 2 report is built from besides the controls: subservice
organizations with their SOC reports and CSOCs, complementary user entity controls, the deviations
log, and exclusions in soc2kit.yml that are really carve-outs.

Dates are judged against the audit's reference day: the end of the Type II period or the Type I
as-of date, or today when that is earlier (a report cannot be asked to cover days still to come)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Literal

from soc2kit import periods
from soc2kit.diagnostics import Diagnostic, diagnostic
from soc2kit.documents import Document
from soc2kit.layout import CONFIG_FILE, SUBSERVICE_REGISTER
from soc2kit.models import (
    ComplementaryControl,
    Control,
    Deviation,
    DeviationRegister,
    SubserviceOrganization,
    SubserviceRegister,
    UserEntityControlRegister,
    add_interval,
    normalise_id,
)
from soc2kit.readiness import View, view_of
from soc2kit.words import WholeWords

if TYPE_CHECKING:
    from soc2kit.program import Program

REPORT_VALID_FOR = "12 months"
"""How long after the end of what it covers a subservice organization's report is still current."""

PROVIDER_WORDS = (
    "aws",
    "amazon web services",
    "azure",
    "gcp",
    "google cloud",
    "cloud provider",
    "cloud service provider",
    "hosting",
    "data center",
    "data centre",
    "datacenter",
    "colocation",
    "subservice",
    "soc 1",
    "soc 2",
    "soc report",
    "soc1",
    "soc2",
)
"""Words in an exclusion's reason that say another organization's controls cover the criterion."""

_REPORT_TYPES = {"type1": "Type 1", "type2": "Type 2"}
_SUBSERVICE = "subservice-register"
_CUEC = "cuec-register"
_DEVIATIONS = "deviation-register"


def check(program: Program) -> Iterator[Diagnostic]:
    subservice = program.registers.get(_SUBSERVICE)
    cuecs = program.registers.get(_CUEC)
    deviations = program.registers.get(_DEVIATIONS)
    yield from _duplicates(subservice, cuecs, deviations)
    if subservice is not None:
        doc, register = subservice
        assert isinstance(register, SubserviceRegister)
        view = view_of(program) if program.config_ok else None
        for index, org in enumerate(register.subservice_organizations):
            if program.subservice_organizations.get(org.id) is org:  # a duplicate is reported once, above
                yield from _organization(program, view, doc, index, org)
    if cuecs is not None:
        doc, register = cuecs
        assert isinstance(register, UserEntityControlRegister)
        for index, cuec in enumerate(register.user_entity_controls):
            yield from _complementary(program, doc, ("user_entity_controls", index), cuec, "CUEC")
    if deviations is not None and program.config_ok:
        doc, register = deviations
        assert isinstance(register, DeviationRegister)
        view = view_of(program)
        labels: dict[tuple[str, str | None], list[str]] = {}
        for index, deviation in enumerate(register.deviations):
            if program.deviations.get(deviation.id) is deviation:
                yield from _deviation(program, view, doc, index, deviation, labels=labels)
    if program.config_ok:
        yield from _exclusions(program)


# -- duplicates ------------------------------------------------------------------------------------
def _duplicates(*registers: tuple[Document, Any] | None) -> Iterator[Diagnostic]:
    """The second entry of an ID already used: organizations among themselves, CSOCs and CUECs in one
    namespace (a report lists both), deviations among themselves. IDs equal up to case count as equal."""
    organizations: list[tuple[str, Document, tuple[Any, ...]]] = []
    complementary: list[tuple[str, Document, tuple[Any, ...]]] = []
    deviations: list[tuple[str, Document, tuple[Any, ...]]] = []
    for entry in registers:
        if entry is None:
            continue
        doc, register = entry
        if isinstance(register, SubserviceRegister):
            for i, org in enumerate(register.subservice_organizations):
                organizations.append((org.id, doc, ("subservice_organizations", i, "id")))
                for j, csoc in enumerate(org.csocs):
                    complementary.append((csoc.id, doc, ("subservice_organizations", i, "csocs", j, "id")))
        elif isinstance(register, UserEntityControlRegister):
            for i, cuec in enumerate(register.user_entity_controls):
                complementary.append((cuec.id, doc, ("user_entity_controls", i, "id")))
        elif isinstance(register, DeviationRegister):
            for i, deviation in enumerate(register.deviations):
                deviations.append((deviation.id, doc, ("deviations", i, "id")))
    for what, entries in (("subservice organization", organizations), ("CSOC/CUEC", complementary), ("deviation", deviations)):
        first: dict[str, tuple[str, Document, int]] = {}
        for entry_id, doc, loc in entries:
            line = doc.line_of(*loc)
            seen = first.setdefault(normalise_id(entry_id), (entry_id, doc, line))
            if seen[1] is doc and seen[2] == line:
                continue
            same = "the same ID" if seen[0] == entry_id else f"the same ID up to case ({seen[0]!r})"
            yield diagnostic(
                "SK718",
                doc.path,
                line,
                f"{what} ID '{entry_id}' has {same} as {seen[1].path}:{seen[2]}; only the first one counts",
            )


# -- subservice organizations ----------------------------------------------------------------------
def _organization(
    program: Program, view: View | None, doc: Document, index: int, org: SubserviceOrganization
) -> Iterator[Diagnostic]:
    at = ("subservice_organizations", index)
    for j, criterion_id in enumerate(org.criteria):
        yield from _unknown_criterion(program, doc, (*at, "criteria", j), criterion_id, f"subservice organization {org.id}")
    for j, csoc in enumerate(org.csocs):
        yield from _complementary(program, doc, (*at, "csocs", j), csoc, f"CSOC of {org.id}")
    for j, control_id in enumerate(org.monitored_by):
        if control_id not in program.controls and ("control", control_id) not in program.invalid_ids:
            yield diagnostic(
                "SK719",
                doc.path,
                doc.line_of(*at, "monitored_by", j),
                f"subservice organization {org.id} is monitored by control '{control_id}', which does not exist",
                _suggest(control_id, program.controls),
            )
    if org.method != "carve-out":
        if org.report is not None and view is not None:
            yield from _report(program, view, doc, at, org)
        return
    in_scope = {c.id for c in program.criteria_in_scope()}
    mapped = {criterion_id for csoc in org.csocs for criterion_id in csoc.criteria}
    for j, criterion_id in enumerate(org.criteria):
        if criterion_id in in_scope and criterion_id not in mapped:
            yield diagnostic(
                "SK716",
                doc.path,
                doc.line_of(*at, "criteria", j),
                f"{org.name} is carved out for {criterion_id}, but none of its CSOCs is mapped to {criterion_id}",
                f"add under its `csocs:` the control we rely on {org.name} for, with `criteria: [{criterion_id}]`; "
                f"or remove {criterion_id} from its criteria if its services do not bear on it",
            )
    if not org.monitored_by:
        yield diagnostic(
            "SK723",
            doc.path,
            doc.line_of(*at, "id"),
            f"carve-out subservice organization {org.id} ({org.name}) names no control of ours that monitors it",
        )
    if org.report is None:
        yield diagnostic(
            "SK711",
            doc.path,
            doc.line_of(*at, "id"),
            f"carve-out subservice organization {org.id} ({org.name}) has no SOC report on file",
            "obtain its current SOC 2 report and record it under `report:` (type, period or as_of, opinion_date)",
        )
    elif view is not None:
        yield from _report(program, view, doc, at, org)


def _report(
    program: Program, view: View, doc: Document, at: tuple[Any, ...], org: SubserviceOrganization
) -> Iterator[Diagnostic]:
    report = org.report
    assert report is not None
    where = (*at, "report")
    covered = report.covered_until
    reference = min(view.reference, program.today)
    what = f"the {_REPORT_TYPES[report.type]} report of {org.name}"
    if report.opinion_date > program.today:
        yield diagnostic(
            "SK724",
            doc.path,
            doc.line_of(*where, "opinion_date"),
            f"{what} has its opinion dated {report.opinion_date}, after today ({program.today})",
        )
    if report.opinion_date < covered:
        yield diagnostic(
            "SK724",
            doc.path,
            doc.line_of(*where, "opinion_date"),
            f"{what} has its opinion dated {report.opinion_date}, before the end of what it covers ({covered})",
        )
    bridge = report.bridge_letter
    if bridge is not None and bridge.through <= covered:
        yield diagnostic(
            "SK724",
            doc.path,
            doc.line_of(*where, "bridge_letter", "through"),
            f"the bridge letter to {what} runs through {bridge.through}, which the report itself covers (to {covered})",
            "a bridge letter speaks for the days after the report's period: record the day it runs through",
        )
    if bridge is not None and bridge.dated is not None and bridge.dated > program.today:
        yield diagnostic(
            "SK724",
            doc.path,
            doc.line_of(*where, "bridge_letter", "dated"),
            f"the bridge letter to {what} is dated {bridge.dated}, after today ({program.today})",
        )
    status = report_status(program, view, org)
    if status.state == "expired":
        yield diagnostic(
            "SK712",
            doc.path,
            doc.line_of(*where),
            f"{what} covers up to {covered}, more than {REPORT_VALID_FOR} before {reference} ({_reference_name(view, program)})",
            f"obtain {org.name}'s current report and record it under `report:`",
        )
    elif status.state == "gap" and status.reach is not None:
        gap = f"{status.reach + timedelta(days=1)}..{reference}"
        if bridge is None:
            message = f"{what} covers up to {covered}; {gap} is covered by no bridge letter"
            line = doc.line_of(*where)
        else:
            message = f"{what} and its bridge letter cover up to {status.reach}; {gap} is not covered"
            line = doc.line_of(*where, "bridge_letter", "through")
        yield diagnostic(
            "SK713",
            doc.path,
            line,
            message,
            f"obtain a bridge letter from {org.name} through {reference} (`report.bridge_letter.through`), or its newer report",
        )


@dataclass(frozen=True, slots=True)
class ReportStatus:
    """Whether an organization's SOC report covers the audit, judged on `reference`: the end of our
    period or our as-of date, or today when that is earlier.

    current: it (with its bridge letter) reaches `reference`; gap: it ends before, and is not more
    than REPORT_VALID_FOR old; expired: its own coverage ended more than REPORT_VALID_FOR before;
    missing: no report on file."""

    state: Literal["current", "gap", "expired", "missing"]
    reference: date
    reach: date | None
    """The last day the report, or its bridge letter, speaks for."""


def report_status(program: Program, view: View, org: SubserviceOrganization) -> ReportStatus:
    reference = min(view.reference, program.today)
    report = org.report
    if report is None:
        return ReportStatus("missing", reference, None)
    covered = report.covered_until
    bridge = report.bridge_letter
    reach = max(covered, bridge.through) if bridge is not None else covered
    if add_interval(covered, REPORT_VALID_FOR) < reference:
        return ReportStatus("expired", reference, reach)  # an expired report leaves a gap too; one state says it
    return ReportStatus("gap" if reach < reference else "current", reference, reach)


def _reference_name(view: View, program: Program) -> str:
    if program.today < view.reference:
        return "today"
    return "the audit's as-of date" if view.type == "type1" else "the end of the audit period"


def _complementary(
    program: Program, doc: Document, at: tuple[Any, ...], control: ComplementaryControl, what: str
) -> Iterator[Diagnostic]:
    if not control.criteria:
        yield diagnostic(
            "SK714",
            doc.path,
            doc.line_of(*at, "id"),
            f"{what} {control.id} maps to no criterion",
            "list the criteria it supports under its `criteria:`, such as [CC6.4]",
        )
    for j, criterion_id in enumerate(control.criteria):
        yield from _unknown_criterion(program, doc, (*at, "criteria", j), criterion_id, f"{what} {control.id}")


def _unknown_criterion(
    program: Program, doc: Document, at: tuple[Any, ...], criterion_id: str, what: str
) -> Iterator[Diagnostic]:
    if program.catalog.criterion(criterion_id) is not None:
        return
    criteria = [c.id for c in program.catalog.criteria]
    close = difflib.get_close_matches(criterion_id.upper(), criteria, n=1, cutoff=0.6)
    yield diagnostic(
        "SK715",
        doc.path,
        doc.line_of(*at),
        f"{what} names '{criterion_id}', which is not in the {program.catalog.name} catalog",
        f"did you mean '{close[0]}'?" if close else "criterion IDs look like CC6.4, A1.2, P4.3",
    )


# -- deviations ------------------------------------------------------------------------------------
def _deviation(
    program: Program,
    view: View,
    doc: Document,
    index: int,
    deviation: Deviation,
    *,
    labels: dict[tuple[str, str | None], list[str]],
) -> Iterator[Diagnostic]:
    """`labels`: the window labels per (control, requirement), shared by the log's entries (a log of
    thousands of deviations of daily controls would otherwise list a year of days for each)."""
    at = ("deviations", index)
    control = program.controls.get(deviation.control)
    if control is None:
        if ("control", deviation.control) not in program.invalid_ids:
            yield diagnostic(
                "SK719",
                doc.path,
                doc.line_of(*at, "control"),
                f"deviation {deviation.id} is for control '{deviation.control}', which does not exist",
                _suggest(deviation.control, program.controls),
            )
    elif deviation.requirement is not None and control.requirement(deviation.requirement) is None:
        known = ", ".join(r.id for r in control.evidence) or "none defined"
        yield diagnostic(
            "SK719",
            doc.path,
            doc.line_of(*at, "requirement"),
            f"deviation {deviation.id}: control {control.id} has no requirement '{deviation.requirement}'",
            f"its requirements: {known}; or leave `requirement` out to mean all of them",
        )
    elif deviation.window is not None:
        key = (control.id, deviation.requirement)
        if key not in labels:
            labels[key] = window_labels(control, deviation.requirement, view)
        windows = labels[key]
        if deviation.window not in windows:
            yield diagnostic(
                "SK720",
                doc.path,
                doc.line_of(*at, "window"),
                f"deviation {deviation.id}: '{deviation.window}' is not a window of control {control.id}"
                + (f" requirement {deviation.requirement}" if deviation.requirement else "")
                + f" in the audit ({view.describe()})",
                _window_hint(deviation.window, windows),
            )
    if deviation.window is None and deviation.sample is None:
        yield diagnostic(
            "SK721",
            doc.path,
            doc.line_of(*at, "id"),
            f"deviation {deviation.id} names neither a window nor a sample item",
            "add `window:` (such as 2026-Q1, as `soc2kit status` shows it) or `sample:` (the ticket, pull request or person)",
        )
    if not deviation.approved(program.today):
        if deviation.approved_on is not None and deviation.approved_by is not None:
            message = f"deviation {deviation.id} is approved on {deviation.approved_on}, after today ({program.today})"
            line = doc.line_of(*at, "approved_on")
        else:
            missing = " and ".join(f"`{key}`" for key in ("approved_by", "approved_on") if getattr(deviation, key) is None)
            message = f"deviation {deviation.id} has no {missing}, so management has not approved its response"
            line = doc.line_of(*at, "id")
        yield diagnostic("SK722", doc.path, line, message)


def window_labels(control: Control, requirement: str | None, view: View) -> list[str]:
    """The window labels a deviation of `control` (one requirement, or all when None) may name in `view`:
    the period's windows (Type II), or those of the year up to the as-of date (Type I), in order."""
    frequencies = [r.frequency or control.frequency for r in control.evidence if requirement in (None, r.id)]
    if not frequencies:
        frequencies = [control.frequency]
    if view.type == "type2":
        assert view.period is not None
        start, end = view.period
    else:
        end = view.reference
        start = end - timedelta(days=364)
    labels: dict[str, None] = {}
    for frequency in dict.fromkeys(frequencies):
        for window in periods.windows(frequency, start, end):
            labels[window.label] = None
    return list(labels)


def _window_hint(given: str, labels: list[str]) -> str:
    close = difflib.get_close_matches(given, labels, n=1, cutoff=0.6)
    shown = ", ".join(labels[:6]) + (", ..." if len(labels) > 6 else "")
    return (f"did you mean '{close[0]}'? " if close else "") + f"its windows: {shown}"


# -- exclusions ------------------------------------------------------------------------------------
def _exclusions(program: Program) -> Iterator[Diagnostic]:
    config = program.documents[CONFIG_FILE]
    names = _provider_names(program.subservice_organizations.values())
    for index, exclusion in enumerate(program.config.scope.exclusions):
        named = _names_provider(exclusion.reason, names)
        if named is None:
            carved = [org.id for org in program.carved_out(exclusion.criterion)]
            if carved:
                # The register says a provider carries part of it, which keeps it in scope whatever the reason says.
                yield diagnostic(
                    "SK717",
                    CONFIG_FILE,
                    config.line_of("scope", "exclusions", index, "criterion"),
                    f"{exclusion.criterion} is excluded, but {SUBSERVICE_REGISTER} carves it out to {', '.join(carved)}: "
                    "a carved-out criterion stays in scope",
                    f"remove the exclusion, or take {exclusion.criterion} out of the `criteria` of {', '.join(carved)} "
                    "if its services do not bear on it",
                )
            continue
        yield diagnostic(
            "SK717",
            CONFIG_FILE,
            config.line_of("scope", "exclusions", index, "reason"),
            f"the exclusion of {exclusion.criterion} gives '{named}' as its reason: that is a carve-out, not an exclusion",
            f"remove the exclusion (the criterion stays in scope) and list the provider in {SUBSERVICE_REGISTER} "
            f"with `method: carve-out`, `criteria: [{exclusion.criterion}]` and the CSOCs we rely on it for",
        )


def _provider_names(organizations: Iterable[SubserviceOrganization]) -> list[str]:
    # A name of one or two characters (an id such as `a`) would match ordinary words of any reason.
    names = [name for org in organizations for name in (org.id, org.name) if sum(c.isalnum() for c in name) >= 3]
    return [*names, *PROVIDER_WORDS]


def _names_provider(reason: str, names: list[str]) -> str | None:
    """The first provider name or provider word the reason holds as whole words, ignoring case."""
    words = WholeWords(reason)
    return next((name for name in names if words.names(name)), None)


def _suggest(name: str, known: Iterable[str]) -> str:
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'?" if close else ""
