"""Management's assertion (the report's Section II), filled from the program.

Public API
    render_assertion(program, view) -> str
        Markdown from `soc2kit/templates/management-assertion.md`: the organization and system, the
        view (Type I: as of a date, design only; Type II: throughout a period, design and
        operation), the categories in scope, the subservice organizations of the register (those
        carved out, with the complementary controls expected of them, and those included), and
        the complementary user entity controls. Every program value is escaped as inline Markdown
        (`soc2kit.escaping.markdown`): one line, no markup.
    ASSERTION_TEMPLATE: the template's path (package data)
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from string import Template
from typing import TYPE_CHECKING

from soc2kit import escaping

if TYPE_CHECKING:
    from soc2kit.models import ComplementaryControl, SubserviceOrganization
    from soc2kit.program import Program
    from soc2kit.readiness import View

ASSERTION_TEMPLATE = Path(__file__).resolve().parent / "templates" / "management-assertion.md"


def render_assertion(program: Program, view: View) -> str:
    """Management's assertion for `program` under `view` (see the module doc)."""
    config = program.config
    organization = escaping.markdown(config.organization)
    system = escaping.markdown(config.system.name)
    if view.type == "type1":
        assert view.as_of is not None
        timeframe = f"as of {_day(view.as_of)}"
    else:
        assert view.period is not None
        timeframe = f"throughout the period {_day(view.period[0])} to {_day(view.period[1])}"
    organizations = sorted(program.subservice_organizations.values(), key=lambda o: o.id)
    cuecs = sorted(program.user_entity_controls.values(), key=lambda c: c.id)
    template = Template(ASSERTION_TEMPLATE.read_text(encoding="utf-8"))
    return template.substitute(
        organization=organization,
        system=system,
        timeframe=timeframe,
        categories=_categories(program),
        subservice=_subservice(organization, organizations),
        user_entity=_user_entity(cuecs),
        confirmations=_confirmations(view, system, timeframe, complementary=bool(organizations or cuecs)),
    )


def _day(day: date) -> str:
    """ISO 8601: read alike in every country, unlike 06/07/2026."""
    return day.isoformat()


def _categories(program: Program) -> str:
    titles = {category.id: category.title for category in program.catalog.categories}
    names = [escaping.markdown(titles.get(category, category)).lower() for category in program.config.scope.categories]
    if len(names) <= 1:
        return "".join(names) or "no category"
    return ", ".join(names[:-1]) + " and " + names[-1]


def _criteria(criteria: list[str]) -> str:
    return ", ".join(escaping.markdown(criterion) for criterion in criteria) or "no criterion named"


def _complementary(control: ComplementaryControl) -> str:
    return f"{escaping.markdown(control.id)}: {escaping.markdown(control.description)} (criteria: {_criteria(control.criteria)})"


def _organization(found: SubserviceOrganization) -> str:
    services = escaping.markdown(found.services).rstrip(".")
    return f"- **{escaping.markdown(found.name)}**: {services}. Criteria: {_criteria(found.criteria)}."


def _subservice(organization: str, organizations: list[SubserviceOrganization]) -> str:
    if not organizations:
        return f"The description names no subservice organization: {organization} relies on none for the applicable criteria."
    carved = [o for o in organizations if o.method == "carve-out"]
    included = [o for o in organizations if o.method != "carve-out"]
    parts = [f"{organization} uses the subservice organizations listed below."]
    if carved:
        parts.append(
            "The description leaves out the controls of the following ones (the carve-out method). It names "
            "the controls we expect each of them to have (complementary subservice organization controls), "
            "which the design of our controls assumes; the applicable trust services criteria are achieved "
            "only if those controls were suitably designed and operated effectively together with ours.\n"
        )
        for found in carved:
            parts.append(_organization(found))
            parts.extend(f"    - {_complementary(control)}" for control in found.csocs)
            if not found.csocs:
                parts.append("    - no complementary control is named")
        parts.append("")
    if included:
        parts.append(
            "The description includes the relevant controls of the following ones (the inclusive method), "
            "and this assertion covers them as it covers ours:\n"
        )
        parts.extend(_organization(found) for found in included)
    return "\n".join(parts).rstrip("\n")


def _user_entity(cuecs: list[ComplementaryControl]) -> str:
    if not cuecs:
        return "The description names no complementary user entity control."
    lines = [
        (
            "The description also names the controls each user entity is expected to have (complementary user "
            "entity controls). The design of our controls assumes them; the applicable trust services criteria "
            "are achieved only if user entities apply them together with our controls:\n"
        )
    ]
    lines.extend(f"- {_complementary(control)}" for control in cuecs)
    return "\n".join(lines)


def _confirmations(view: View, system: str, timeframe: str, *, complementary: bool) -> str:
    condition = (
        ", and if the subservice organizations and user entities applied the complementary controls assumed in "
        "the design of our controls"
        if complementary
        else ""
    )
    proviso = (
        ", provided that the subservice organizations and user entities applied the complementary controls "
        "assumed in the design of our controls"
        if complementary
        else ""
    )
    items = [
        (
            f"1. The description presents {system} as it was designed and implemented {timeframe}, in accordance "
            "with the description criteria."
        ),
        (
            f"2. The controls stated in the description were suitably designed {timeframe} to provide reasonable "
            "assurance that our service commitments and system requirements would be achieved on the basis of the "
            f"applicable trust services criteria, if those controls operated effectively{condition}."
        ),
    ]
    if view.type == "type2":
        items.append(
            "3. The controls stated in the description operated effectively throughout that period to provide "
            "reasonable assurance that our service commitments and system requirements were achieved on the basis "
            f"of the applicable trust services criteria{proviso}."
        )
    else:
        items.append(
            "\nThis assertion is about the design of the controls as of that date (Type I): it says nothing of "
            "how they operated over any period."
        )
    return "\n".join(items)
