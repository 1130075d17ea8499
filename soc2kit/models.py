"""The validated shapes of everything in a program: config, policies, controls, evidence records,
and the criteria catalog. The JSON Schemas in `schema/` are generated from these models."""

from __future__ import annotations

import calendar
import re
import unicodedata
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, WithJsonSchema, model_validator

# Re-exported: the ID grammar is the models' to state; soc2kit.ids holds it so reading Markdown needs no pydantic.
from soc2kit.ids import CONTROL_ID as CONTROL_ID  # noqa: PLC0414
from soc2kit.ids import CONTROL_PREFIX as CONTROL_PREFIX  # noqa: PLC0414
from soc2kit.ids import ID_MENTION as ID_MENTION  # noqa: PLC0414
from soc2kit.ids import POLICY_ID as POLICY_ID  # noqa: PLC0414

EVIDENCE_ID = r"^EV-[A-Za-z0-9]+([-_.][A-Za-z0-9]+)*$"
REQUIREMENT_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
SHA256 = r"^[0-9a-f]{64}$"
INTERVAL = r"^[1-9][0-9]{0,3} (day|days|month|months|year|years)$"
VERSION = r"^[0-9]+(\.[0-9]+){0,2}$"
REPOSITORY = r"^[A-Za-z0-9][A-Za-z0-9-]{0,38}/[A-Za-z0-9._-]{1,100}$"
COLLECTOR_DATASET = r"^[a-z0-9]+(-[a-z0-9]+)*/[a-z0-9]+(-[a-z0-9]+)*$"
"""`<collector>/<dataset>`: an entry point name of the `soc2kit.collectors` group and one of its datasets."""
UTC_TIME = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$"


ID_EXAMPLES = {POLICY_ID: "POL-AC", CONTROL_ID: "AC-04", EVIDENCE_ID: "EV-AC-04-2026Q1", REQUIREMENT_ID: "access-review"}

_ISO_DATE = re.compile(r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$")
FIRST_YEAR, LAST_YEAR = 1900, 9998
"""Years a program date may have: every date soc2kit computes from one (a window's end, a review
due, a grace period) then stays inside what Python's `date` holds."""


def _strict_iso_date(value: object) -> object:
    if isinstance(value, str) and _ISO_DATE.match(value):
        try:
            value = date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"'{value}' is not a real calendar date") from exc
    if isinstance(value, date):
        if not FIRST_YEAR <= value.year <= LAST_YEAR:
            raise ValueError(f"{value.isoformat()} is out of range: the year must be {FIRST_YEAR} to {LAST_YEAR}")
        return value
    raise ValueError(f"expected an ISO date like 2026-01-31, got {value!r}")


_CONTROL_NAMES = {"\0": "NULL", "\t": "CHARACTER TABULATION", "\n": "LINE FEED", "\r": "CARRIAGE RETURN"}
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})


def describe_character(char: str) -> str:
    """`U+00A0 NO-BREAK SPACE`: a character as a reader can find it, even when it shows as nothing."""
    name = unicodedata.name(char, "") or _CONTROL_NAMES.get(char, "")
    return f"U+{ord(char):04X} {name}".rstrip()


def _hidden_character(text: str) -> str | None:
    """The first character of `text` that is whitespace, invisible, or a compatibility form of
    another character (fullwidth letters, ligatures): what makes two IDs look alike but differ."""
    if text.isascii() and text.isprintable() and " " not in text:
        return None  # the usual ID: printable ASCII is visible and its own NFKC form
    for char in text:
        if char.isspace() or unicodedata.category(char) in _INVISIBLE_CATEGORIES or unicodedata.normalize("NFKC", char) != char:
            return char
    return None


def normalise_id(text: str) -> str:
    """The form two IDs are compared in: NFKC, without whitespace or invisible characters, case-folded;
    IDs equal in this form look alike, so they are duplicates."""
    if text.isascii() and text.isprintable() and " " not in text:
        return text.casefold()  # nothing to normalise or drop in printable ASCII
    folded = unicodedata.normalize("NFKC", text)
    return "".join(c for c in folded if not c.isspace() and unicodedata.category(c) not in _INVISIBLE_CATEGORIES).casefold()


def _visible_id(value: object) -> object:
    if isinstance(value, str) and (char := _hidden_character(value)) is not None:
        raise ValueError(f"{value!r} holds {describe_character(char)}, which an ID may not contain; retype it")
    return value


def _no_control_characters(value: object) -> object:
    if isinstance(value, str) and not (value.isascii() and value.isprintable()):
        for char in value:
            if unicodedata.category(char) == "Cc":
                raise ValueError(f"{value!r} holds {describe_character(char)}, which a path may not contain")
    return value


IsoDate = Annotated[date, BeforeValidator(_strict_iso_date), WithJsonSchema({"type": "string", "format": "date"})]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
PolicyId = Annotated[str, StringConstraints(pattern=POLICY_ID), BeforeValidator(_visible_id)]
ControlId = Annotated[str, StringConstraints(pattern=CONTROL_ID), BeforeValidator(_visible_id)]
EvidenceId = Annotated[str, StringConstraints(pattern=EVIDENCE_ID), BeforeValidator(_visible_id)]
RequirementId = Annotated[str, StringConstraints(pattern=REQUIREMENT_ID), BeforeValidator(_visible_id)]
CriterionId = Annotated[Text, BeforeValidator(_visible_id)]
Interval = Annotated[str, StringConstraints(pattern=INTERVAL)]
RepositoryName = Annotated[str, StringConstraints(pattern=REPOSITORY), BeforeValidator(_visible_id)]

Frequency = Literal["continuous", "daily", "weekly", "monthly", "quarterly", "semiannual", "annual", "on-event"]
FREQUENCIES: tuple[str, ...] = Frequency.__args__  # type: ignore[attr-defined]
Category = Literal["security", "availability", "confidentiality", "processing-integrity", "privacy"]
CATEGORIES: tuple[str, ...] = Category.__args__  # type: ignore[attr-defined]


def add_interval(start: date, interval: str) -> date:
    """`start` moved forward by an interval such as `12 months` (month ends clamp: Jan 31 + 1 month = Feb 28/29).

    A result past the last day Python's `date` holds is that day: "never", for a review or a due date."""
    count_text, unit = interval.split()
    count = int(count_text)
    if unit.startswith("day"):
        return date.fromordinal(min(start.toordinal() + count, date.max.toordinal()))
    months = count * (12 if unit.startswith("year") else 1)
    year, month = divmod(start.month - 1 + months, 12)
    year += start.year
    if year > date.max.year:
        return date.max
    return date(year, month + 1, min(start.day, calendar.monthrange(year, month + 1)[1]))


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)


class Period(Model):
    """An inclusive date range."""

    start: IsoDate
    end: IsoDate

    @model_validator(mode="after")
    def _ordered(self) -> Period:
        if self.end < self.start:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start})")
        return self

    def __contains__(self, day: date) -> bool:
        return self.start <= day <= self.end


class Policy(Model):
    """What the company commits to: `policies/<name>.md` front-matter."""

    id: PolicyId
    title: Text
    owner: Text = Field(description="The role accountable for the policy.")
    approver: Text | None = Field(default=None, description="The role that approved this version.")
    status: Literal["draft", "approved", "retired"]
    version: Annotated[str, StringConstraints(pattern=VERSION)] = Field(description='Quoted, like "1.2".')
    effective: IsoDate
    last_reviewed: IsoDate | None = None
    review_every: Interval = "12 months"

    def next_review(self) -> date:
        return add_interval(self.last_reviewed or self.effective, self.review_every)


class EvidenceRequirement(Model):
    """One artifact a control must produce."""

    id: RequirementId
    description: Text
    frequency: Frequency | None = Field(default=None, description="Defaults to the control's frequency.")
    collector: Annotated[str, StringConstraints(pattern=COLLECTOR_DATASET)] | None = Field(
        default=None,
        description="The collector and dataset that feed this requirement, as `<collector>/<dataset>` "
        "(`aws/iam-credential-report`): `soc2kit collect` records it and `soc2kit check` runs the collector's checks over it.",
    )


class Control(Model):
    """What the company does: `controls/<ID>.md` front-matter; the body has Description and Test procedure."""

    id: ControlId
    title: Text
    owner: Text
    criteria: list[CriterionId] = Field(min_length=1, description="Criterion IDs from the catalog, such as CC6.1.")
    policies: list[PolicyId] = Field(default_factory=list)
    frequency: Frequency
    kind: Literal["preventive", "detective", "corrective"]
    automation: Literal["manual", "automated", "hybrid"]
    evidence: list[EvidenceRequirement] = Field(default_factory=list)
    repositories: list[RepositoryName] = Field(
        default_factory=list,
        description="Product repositories (OWNER/NAME on GitHub) whose changes this control covers; "
        "`soc2kit changes population --repo` records their population under it.",
    )

    def requirement(self, requirement_id: str) -> EvidenceRequirement | None:
        return next((r for r in self.evidence if r.id == requirement_id), None)


class EvidenceFile(Model):
    path: Annotated[Text, BeforeValidator(_no_control_characters)] = Field(
        description="Relative to the record's folder; must stay inside the repository."
    )
    sha256: Annotated[str, StringConstraints(pattern=SHA256)]


class EvidenceSource(Model):
    """Where a collector took the evidence from, so anyone can ask the system the same question again."""

    system: Text = Field(description="The system asked, such as `GitHub REST API https://api.github.com`.")
    query: Text = Field(description="The exact question asked of it.")
    tool: Text = Field(description="The collector's name and version.")
    as_of: Annotated[str, StringConstraints(pattern=UTC_TIME)] | None = Field(
        default=None, description="The latest timestamp in the collected data (UTC), not the time of collection."
    )


class EvidenceRecord(Model):
    """One piece of collected evidence: `evidence/<control>/<name>.yaml`."""

    id: EvidenceId
    control: ControlId
    requirement: RequirementId
    collected: IsoDate
    covers: Period | None = Field(default=None, description="The period of operation this evidence shows.")
    collector: Text
    files: list[EvidenceFile] = Field(default_factory=list)
    note: str | None = None
    source: EvidenceSource | None = Field(default=None, description="Set by collectors that query a system.")
    purpose: Literal["operating", "design"] = Field(
        default="operating",
        description="design: shows how the control is designed (walkthrough notes, a configuration screenshot); "
        "it counts for the design checks of Type I and Type II and satisfies no evidence window.",
    )


class SystemInfo(Model):
    name: Text
    description: str = ""


def _known_time_zone(value: object) -> object:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    if isinstance(value, str):
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a known IANA time zone (like UTC or Europe/Berlin)") from None
    return value


class Audit(Model):
    type: Literal["type1", "type2"]
    as_of: IsoDate | None = Field(default=None, description="Type I: the date the design is assessed at.")
    period: Period | None = Field(default=None, description="Type II: the observation period.")
    timezone: Annotated[str, BeforeValidator(_known_time_zone)] = Field(
        default="UTC", description="IANA time zone name (Europe/Berlin); decides what 'today' is."
    )
    evidence_grace: Interval = Field(
        default="30 days",
        description="How long after a window ends its evidence may arrive, capped at one window (docs/readiness.md).",
    )

    @model_validator(mode="after")
    def _dates_for_type(self) -> Audit:
        if self.type == "type1" and self.as_of is None:
            raise ValueError("a type1 audit needs `as_of: YYYY-MM-DD`")
        if self.type == "type2" and self.period is None:
            raise ValueError("a type2 audit needs `period: {start: YYYY-MM-DD, end: YYYY-MM-DD}`")
        return self


class Exclusion(Model):
    criterion: CriterionId
    reason: str = ""


class Scope(Model):
    categories: list[Category] = Field(
        default_factory=lambda: list[Category](["security"]), description="Security is always in scope."
    )
    exclusions: list[Exclusion] = Field(default_factory=list)

    @model_validator(mode="after")
    def _security_always(self) -> Scope:
        if "security" not in self.categories:
            self.categories.insert(0, "security")
        return self


def _off_is_not_false(value: object) -> object:
    # YAML 1.1 reads a bare `off` as false; in a rule setting it can only mean "off".
    return "off" if value is False else value


RuleSetting = Annotated[Literal["error", "warning", "info", "off"], BeforeValidator(_off_is_not_false)]


class ChangeManagement(Model):
    enforced_from: IsoDate | None = Field(
        default=None,
        description="The first day changes must come through pull requests. `soc2kit changes check` judges each "
        "commit by the settings in force before it, so this exempts only commits that come after the version "
        "setting it was merged through a passing pull request, and are dated before this day. For the history "
        "before adoption, record one decision in registers/change-exceptions.yml instead: an entry with `before` "
        "(the first commit under the gate) and `findings` (docs/change-management.md, adoption).",
    )


COMMIT_PREFIX = r"^[0-9a-f]{12,40}$"
RULE_CODE = r"^SK[0-9]{3}$"
FULL_SHA = r"^[0-9a-f]{40}$"


class ChangeException(Model):
    """One decision on past change findings, so they no longer fail `soc2kit changes check`: either one
    commit's finding (`commit` and `finding`), or, when adopting the gate on a repository with history,
    every finding of the listed codes on the main-line commits before the first commit under the gate
    (`before` and `findings`)."""

    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["commit", "finding"]}, {"required": ["before", "findings"]}]}
    )

    commit: Annotated[str, StringConstraints(pattern=COMMIT_PREFIX)] | None = Field(
        default=None, description="The commit's sha: all 40 hex digits, or a prefix of at least 12."
    )
    finding: Annotated[str, StringConstraints(pattern=RULE_CODE)] | None = Field(
        default=None, description="The rule code `changes check` reported for the commit (SK601, SK602, SK604 or SK605)."
    )
    before: Annotated[str, StringConstraints(pattern=FULL_SHA)] | None = Field(
        default=None,
        description=(
            "Adoption: the full sha of the first commit under the gate. The entry covers every main-line "
            "(first-parent) commit before it (its first-parent ancestors, not itself)."
        ),
    )
    findings: list[Annotated[str, StringConstraints(pattern=RULE_CODE)]] | None = Field(
        default=None,
        min_length=1,
        description="Adoption: the rule codes excepted on every commit before `before` (SK601, SK602, SK604, SK605).",
    )
    reason: Text = Field(description="Why the change is accepted as it is.")
    accepted_by: Text = Field(description="Who accepted it (name, email or GitHub login).")
    accepted_on: IsoDate = Field(description="The day it was accepted.")

    @model_validator(mode="after")
    def _one_form(self) -> ChangeException:
        one = self.commit is not None and self.finding is not None and self.before is None and self.findings is None
        adoption = self.before is not None and self.findings is not None and self.commit is None and self.finding is None
        if not (one or adoption):
            raise ValueError(
                "an entry names either `commit` and `finding` (one commit) or `before` and `findings` "
                "(every commit before adopting the gate), not a mix"
            )
        return self


class ChangeExceptions(Model):
    """`registers/change-exceptions.yml`: past change findings accepted as decisions. It is itself a gated
    file: an entry counts only in a version merged through a pull request that passed the gate."""

    exceptions: list[ChangeException] = Field(default_factory=list)


ORGANIZATION_ID = r"^[a-z0-9]+(-[a-z0-9]+)*$"
COMPLEMENTARY_ID = r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)+$"
DEVIATION_ID = r"^DEV-[0-9]{3,}$"
ID_EXAMPLES.update({COMPLEMENTARY_ID: "CUEC-01 or CSOC-AWS-01", DEVIATION_ID: "DEV-001"})


class BridgeLetter(Model):
    """The subservice organization's letter saying nothing material changed after its report's period."""

    through: IsoDate = Field(description="The last day the letter speaks for.")
    dated: IsoDate | None = Field(default=None, description="The day the letter was signed.")


class SubserviceReport(Model):
    """The subservice organization's own SOC report that we rely on."""

    type: Literal["type1", "type2"]
    period: Period | None = Field(default=None, description="Type 2: the period the report covers.")
    as_of: IsoDate | None = Field(default=None, description="Type 1: the date the report speaks for.")
    opinion_date: IsoDate = Field(description="The date of the service auditor's opinion.")
    bridge_letter: BridgeLetter | None = None

    @model_validator(mode="after")
    def _dates_for_type(self) -> SubserviceReport:
        if self.type == "type1" and self.as_of is None:
            raise ValueError("a type1 report needs `as_of: YYYY-MM-DD`")
        if self.type == "type2" and self.period is None:
            raise ValueError("a type2 report needs `period: {start: YYYY-MM-DD, end: YYYY-MM-DD}`")
        return self

    @property
    def covered_until(self) -> date:
        """The last day the report speaks for: its period's end (type 2) or its as-of date (type 1)."""
        if self.type == "type2" and self.period is not None:
            return self.period.end
        assert self.as_of is not None
        return self.as_of


class ComplementaryControl(Model):
    """A control someone else must operate for our controls to meet their criteria: a complementary
    subservice organization control (CSOC, listed under its organization) or a complementary user
    entity control (CUEC, what our customers must do)."""

    id: Annotated[str, StringConstraints(pattern=COMPLEMENTARY_ID), BeforeValidator(_visible_id)] = Field(
        description="CSOC-<ORG>-NN for a subservice organization's control, CUEC-NN for a user entity's."
    )
    description: Text
    criteria: list[CriterionId] = Field(default_factory=list, description="The criteria it supports, such as CC6.4.")


class SubserviceOrganization(Model):
    """A vendor whose services are part of the system (hosting, payments, email), and how the report treats it."""

    id: Annotated[str, StringConstraints(pattern=ORGANIZATION_ID), BeforeValidator(_visible_id)] = Field(
        description="A short lowercase name, such as aws."
    )
    name: Text
    services: Text = Field(description="What it does for the system.")
    method: Literal["carve-out", "inclusive"] = Field(
        description="carve-out: its controls stay outside our report and its own SOC report covers them; "
        "inclusive: our report describes and tests its controls too."
    )
    criteria: list[CriterionId] = Field(description="The criteria its services bear on.")
    monitored_by: list[ControlId] = Field(default_factory=list, description="Our controls that monitor it (vendor review).")
    report: SubserviceReport | None = None
    csocs: list[ComplementaryControl] = Field(default_factory=list, description="The controls we expect it to operate.")


class Deviation(Model):
    """One exception found in a control's operation, with its cause, effect and management's response."""

    id: Annotated[str, StringConstraints(pattern=DEVIATION_ID), BeforeValidator(_visible_id)]
    control: ControlId
    requirement: RequirementId | None = Field(default=None, description="None: every requirement of the control.")
    window: Text | None = Field(default=None, description="A window label as `soc2kit status` shows it: 2026-Q1, 2026-03.")
    sample: Text | None = Field(default=None, description="The sample item (ticket, pull request, person) it is about.")
    description: Text = Field(description="What happened.")
    cause: Text
    effect: Text
    remediation: Text
    management_response: Text
    approved_by: Text | None = None
    approved_on: IsoDate | None = None

    def approved(self, today: date) -> bool:
        """Signed off by someone on or before `today` (an approval dated later has not happened yet)."""
        return self.approved_by is not None and self.approved_on is not None and self.approved_on <= today


def _none_is_empty(value: object) -> object:
    # `deviations:` with its last entry deleted reads as null: an empty register, not a wrong type.
    return [] if value is None else value


class SubserviceRegister(Model):
    """`registers/subservice-organizations.yml`."""

    subservice_organizations: Annotated[list[SubserviceOrganization], BeforeValidator(_none_is_empty)] = Field(
        default_factory=list
    )


class UserEntityControlRegister(Model):
    """`registers/user-entity-controls.yml`: complementary user entity controls (CUECs)."""

    user_entity_controls: Annotated[list[ComplementaryControl], BeforeValidator(_none_is_empty)] = Field(default_factory=list)


class DeviationRegister(Model):
    """`registers/deviations.yml`: the deviations log (the exceptions of the report's Section IV)."""

    deviations: Annotated[list[Deviation], BeforeValidator(_none_is_empty)] = Field(default_factory=list)


class ProgramConfig(Model):
    """`soc2kit.yml`: who, what system, which audit, what is in scope."""

    organization: Text
    system: SystemInfo
    audit: Audit
    scope: Scope = Field(default_factory=Scope)
    change_management: ChangeManagement = Field(default_factory=ChangeManagement)
    catalog: Text = "tsc-2017"
    rules: dict[str, RuleSetting] = Field(default_factory=dict, description="Severity per rule code or name.")


class CatalogCategory(Model):
    id: Category
    title: Text
    summary: Text
    required: bool = False


class CatalogSeries(Model):
    id: Text
    title: Text
    category: Category


class Criterion(Model):
    id: Text
    series: Text
    title: Text
    summary: Text
    category: Category | None = Field(default=None, description="Filled from the series when loading.")


class Catalog(Model):
    """A criteria framework as data (for now the 2017 Trust Services Criteria)."""

    id: Text
    name: Text
    version: Text
    categories: list[CatalogCategory]
    series: list[CatalogSeries]
    criteria: list[Criterion]

    @model_validator(mode="after")
    def _link(self) -> Catalog:
        series = {s.id: s for s in self.series}
        for criterion in self.criteria:
            if criterion.series not in series:
                raise ValueError(f"criterion {criterion.id} names unknown series {criterion.series}")
            criterion.category = series[criterion.series].category
        return self

    def criterion(self, criterion_id: str) -> Criterion | None:
        return self._by_id().get(criterion_id)

    def _by_id(self) -> dict[str, Criterion]:
        cached: dict[str, Criterion] | None = self.__dict__.get("_index")
        if cached is None:
            cached = {c.id: c for c in self.criteria}
            self.__dict__["_index"] = cached
        return cached


SystemPartName = Literal[
    "services",
    "commitments",
    "infrastructure",
    "software",
    "people",
    "procedures",
    "data",
    "boundaries",
    "control-environment",
    "incidents",
    "changes",
]
SYSTEM_PART_NAMES: tuple[str, ...] = SystemPartName.__args__  # type: ignore[attr-defined]
"""The parts of the system description (the report's Section III), in the order the report gives them."""


class SystemPart(Model):
    """One part of the system description: `system/<name>.md` front-matter; the body is the part's text."""

    part: SystemPartName = Field(description="Which part of the description this document is.")
    title: Text
    owner: Text = Field(description="The role accountable for keeping this part true.")
    last_reviewed: IsoDate | None = Field(default=None, description="When the owner last checked it against the system.")


DOCUMENT_MODELS: dict[str, type[Model]] = {
    "config": ProgramConfig,
    "policy": Policy,
    "control": Control,
    "evidence": EvidenceRecord,
    "subservice-register": SubserviceRegister,
    "cuec-register": UserEntityControlRegister,
    "deviation-register": DeviationRegister,
    "system-part": SystemPart,
}


def field_names(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """The field names allowed at `loc` inside `model` (for "did you mean" hints)."""
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        field = current.model_fields.get(part) if isinstance(current, type) and issubclass(current, BaseModel) else None
        if field is None:
            return []
        current = _model_in(field.annotation)
        if current is None:
            return []
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
