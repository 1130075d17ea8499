"""The registers: subservice organizations with their SOC reports and CSOCs, complementary user
entity controls and the deviations log. Real program folders in temp dirs, read and checked as
`soc2kit check` does; each rule (SK711-SK724) firing and not firing, at the entry's line."""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ProgramDir, make_program, mkdocs, run_cli

from soc2kit.errors import UsageError
from soc2kit.layout import REGISTERS
from soc2kit.loader import load_program
from soc2kit.program import Program
from soc2kit.revision import load_program_at
from soc2kit.schema import render_schemas, stale_schemas
from soc2kit.schema_line import SCHEMA_NAMES, schema_line
from soc2kit.starter import InitOptions, init_program
from tests.gitrepo import GitRepo

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 8, 1)
"""After the fixture's Type II period (2026-01-01..2026-06-30): the reference day is the period's end."""
SUBSERVICE = "registers/subservice-organizations.yml"
CUECS = "registers/user-entity-controls.yml"
DEVIATIONS = "registers/deviations.yml"

AWS = """\
subservice_organizations:
  - id: aws
    name: Amazon Web Services
    services: Hosting
    method: carve-out
    criteria: [CC6.4, CC6.5]
    monitored_by: [TC-01]
    report:
      type: type2
      period: {start: 2025-04-01, end: 2026-03-31}
      opinion_date: 2026-05-08
      bridge_letter: {through: 2026-06-30, dated: 2026-07-10}
    csocs:
      - id: CSOC-AWS-01
        description: Data center entry is restricted.
        criteria: [CC6.4]
      - id: CSOC-AWS-02
        description: Media is destroyed.
        criteria: [CC6.5]
"""

CUEC_TEXT = """\
user_entity_controls:
  - id: CUEC-01
    description: Customers manage their own users.
    criteria: [CC6.2]
  - id: CUEC-02
    description: Customers report suspected misuse.
    criteria: [CC7.3]
"""

DEVIATION = """\
  - id: {id}
    control: {control}
    {place}
    description: A review was late.
    cause: The reviewer was away.
    effect: None found.
    remediation: A deputy reviewer was named.
    management_response: Accepted.
{approval}"""
APPROVED = "    approved_by: CTO\n    approved_on: 2026-07-15\n"


def deviation(
    id: str = "DEV-001",  # noqa: A002
    control: str = "TC-01",
    place: str = "window: 2026-Q1",
    approval: str = APPROVED,
) -> str:
    return DEVIATION.format(id=id, control=control, place=place, approval=approval)


def registers_program(tmp_path: Path, *, subservice: str = AWS, cuecs: str = CUEC_TEXT, deviations: str = "") -> ProgramDir:
    program = make_program(tmp_path / "p", quarters=2)
    program.write(SUBSERVICE, subservice)
    program.write(CUECS, cuecs)
    program.write(DEVIATIONS, "deviations:\n" + deviations if deviations else "deviations: []\n")
    return program


def load(program: ProgramDir, today: date = TODAY, *, use_cache: bool = False) -> Program:
    return load_program(program.root, use_cache=use_cache, today=today)


def findings(program: ProgramDir, today: date = TODAY) -> list[tuple[str, str, int, str]]:
    """What the registers rules (SK7xx) and reading say about the register files, sorted."""
    loaded = load(program, today)
    return sorted(
        (d.code, d.path, d.line, d.message)
        for d in loaded.diagnostics
        if d.code.startswith(("SK71", "SK72")) or d.path.startswith("registers/")
    )


def codes(program: ProgramDir, today: date = TODAY) -> list[str]:
    return [code for code, *_ in findings(program, today)]


def line_of(program: ProgramDir, relpath: str, text: str, occurrence: int = 1) -> int:
    """The line number of the `occurrence`-th line of `relpath` holding `text`."""
    lines = [number for number, line in enumerate(program.read(relpath).split("\n"), start=1) if text in line]
    return lines[occurrence - 1]


# -- the complete case and the Program fields ---------------------------------------------------------
def test_complete_registers_have_no_finding_and_fill_the_program(tmp_path: Path) -> None:
    program = registers_program(tmp_path, deviations=deviation())
    assert findings(program) == []
    loaded = load(program)
    assert list(loaded.subservice_organizations) == ["aws"]
    assert list(loaded.user_entity_controls) == ["CUEC-01", "CUEC-02"]
    assert list(loaded.deviations) == ["DEV-001"]
    assert [d.id for d in loaded.deviations_of("TC-01")] == ["DEV-001"]
    assert loaded.deviations_of("TC-02") == []
    assert loaded.deviations["DEV-001"].approved(TODAY)
    assert not loaded.deviations["DEV-001"].approved(date(2026, 7, 14))  # approved on the 15th, not before
    assert [(org.id, csoc.id) for org, csoc in loaded.csocs_of("CC6.4")] == [("aws", "CSOC-AWS-01")]
    assert [org.id for org in loaded.carved_out("CC6.5")] == ["aws"]
    assert loaded.carved_out("CC6.1") == []
    assert loaded.csocs_of("CC6.1") == []


def test_a_program_without_registers_reads_as_before(tmp_path: Path) -> None:
    program = make_program(tmp_path / "p", quarters=2)
    loaded = load(program)
    assert (loaded.subservice_organizations, loaded.user_entity_controls, loaded.deviations) == ({}, {}, {})
    assert [d for d in loaded.diagnostics if d.code.startswith(("SK71", "SK72"))] == []


def test_a_register_key_left_empty_is_an_empty_register(tmp_path: Path) -> None:
    program = registers_program(tmp_path)
    program.write(DEVIATIONS, "# every deviation so far was closed\ndeviations:\n")
    assert findings(program) == []
    assert load(program).deviations == {}


def test_registers_read_from_the_cache_are_the_same(tmp_path: Path) -> None:
    program = registers_program(tmp_path, deviations=deviation())
    first = load(program, use_cache=True)
    again = load(program, use_cache=True)  # rebuilt from the cache's dumps, not validated again
    assert again.subservice_organizations == first.subservice_organizations
    assert again.deviations == first.deviations
    assert again.subservice_organizations["aws"].report is not None
    assert again.subservice_organizations["aws"].report.covered_until == date(2026, 3, 31)
    assert again.deviations["DEV-001"].approved(TODAY)


def test_a_program_read_at_a_commit_holds_its_registers_as_they_were(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "p")
    program = registers_program(tmp_path, deviations=deviation())
    first = repo.commit("Log DEV-001")
    program.write(DEVIATIONS, "deviations: []\n")
    repo.commit("Close the log")
    then = load_program_at(program.root, first, today=TODAY)
    assert list(then.program.deviations) == ["DEV-001"]
    assert list(then.program.subservice_organizations) == ["aws"]
    assert load(program).deviations == {}


# -- subservice reports -------------------------------------------------------------------------------
def test_a_carve_out_without_a_report_is_sk711(tmp_path: Path) -> None:
    text = re.sub(r"    report:\n(      .*\n)+", "", AWS)
    program = registers_program(tmp_path, subservice=text)
    [(code, path, line, message)] = findings(program)
    assert (code, path, line) == ("SK711", SUBSERVICE, line_of(program, SUBSERVICE, "- id: aws"))
    assert "aws (Amazon Web Services) has no SOC report on file" in message


def test_an_inclusive_organization_needs_no_report_or_csoc(tmp_path: Path) -> None:
    text = re.sub(r"    report:\n(      .*\n)+", "", AWS).replace("method: carve-out", "method: inclusive")
    text = text.split("    csocs:")[0].replace("    monitored_by: [TC-01]\n", "")
    program = registers_program(tmp_path, subservice=text)
    assert findings(program) == []


def test_an_expired_report_is_sk712_and_not_also_a_gap(tmp_path: Path) -> None:
    text = AWS.replace("{start: 2025-04-01, end: 2026-03-31}", "{start: 2024-04-01, end: 2025-03-31}")
    text = text.replace("opinion_date: 2026-05-08", "opinion_date: 2025-05-08")
    text = text.replace("{through: 2026-06-30, dated: 2026-07-10}", "{through: 2025-06-30}")
    program = registers_program(tmp_path, subservice=text)
    [(code, _, line, message)] = findings(program)
    assert code == "SK712"
    assert line == line_of(program, SUBSERVICE, "report:")
    assert "covers up to 2025-03-31, more than 12 months before 2026-06-30 (the end of the audit period)" in message


def test_a_report_ending_exactly_12_months_before_is_not_expired(tmp_path: Path) -> None:
    text = AWS.replace("{start: 2025-04-01, end: 2026-03-31}", "{start: 2024-07-01, end: 2025-06-30}")
    text = text.replace("opinion_date: 2026-05-08", "opinion_date: 2025-08-08")
    program = registers_program(tmp_path, subservice=text)
    assert codes(program) == []  # the bridge letter reaches 2026-06-30


def test_a_gap_without_a_bridge_letter_is_sk713_and_a_covering_letter_closes_it(tmp_path: Path) -> None:
    without = AWS.replace("      bridge_letter: {through: 2026-06-30, dated: 2026-07-10}\n", "")
    program = registers_program(tmp_path, subservice=without)
    [(code, _, line, message)] = findings(program)
    assert (code, line) == ("SK713", line_of(program, SUBSERVICE, "report:"))
    assert message.endswith("covers up to 2026-03-31; 2026-04-01..2026-06-30 is covered by no bridge letter")

    short = AWS.replace("through: 2026-06-30", "through: 2026-05-31")
    program.write(SUBSERVICE, short)
    [(code, _, line, message)] = findings(program)
    assert (code, line) == ("SK713", line_of(program, SUBSERVICE, "bridge_letter"))
    assert "its bridge letter cover up to 2026-05-31; 2026-06-01..2026-06-30 is not covered" in message

    program.write(SUBSERVICE, AWS)
    assert findings(program) == []


def test_the_reference_day_is_today_while_the_period_runs(tmp_path: Path) -> None:
    text = AWS.replace("{start: 2025-04-01, end: 2026-03-31}", "{start: 2025-03-01, end: 2026-02-28}")
    text = text.replace("opinion_date: 2026-05-08", "opinion_date: 2026-03-20")
    text = text.replace("{through: 2026-06-30, dated: 2026-07-10}", "{through: 2026-04-30, dated: 2026-03-22}")
    program = registers_program(tmp_path, subservice=text)
    assert codes(program, date(2026, 3, 25)) == []  # the bridge letter covers up to today
    [(code, _, _, message)] = findings(program, date(2026, 5, 10))
    assert code == "SK713"
    assert "cover up to 2026-04-30; 2026-05-01..2026-05-10 is not covered" in message


def test_type1_audits_and_type1_reports_use_their_as_of_dates(tmp_path: Path) -> None:
    program = registers_program(tmp_path)
    program.replace(
        "soc2kit.yml", "  type: type2\n  period: {start: 2026-01-01, end: 2026-06-30}\n", "  type: type1\n  as_of: 2026-03-15\n"
    )
    type1 = AWS.replace("type: type2\n      period: {start: 2025-04-01, end: 2026-03-31}", "type: type1\n      as_of: 2026-02-01")
    type1 = type1.replace("opinion_date: 2026-05-08", "opinion_date: 2026-03-01").replace(
        "{through: 2026-06-30, dated: 2026-07-10}", "{through: 2026-03-31}"
    )
    program.write(SUBSERVICE, type1)
    assert codes(program) == []
    program.write(
        DEVIATIONS, "deviations:\n" + deviation(place="window: 2025-Q4") + deviation(id="DEV-002", place="window: 2026-Q2")
    )
    [(code, _, _, message)] = findings(program)
    assert code == "SK720"
    assert message.startswith(
        "deviation DEV-002: '2026-Q2' is not a window of control TC-01 in the audit (Type I as of 2026-03-15)"
    )
    program.write(DEVIATIONS, "deviations: []\n")
    program.write(SUBSERVICE, type1.replace("      bridge_letter: {through: 2026-03-31}\n", ""))
    [(code, _, _, message)] = findings(program)
    assert code == "SK713"
    assert "the Type 1 report of Amazon Web Services covers up to 2026-02-01; 2026-02-02..2026-03-15" in message


def test_a_type2_report_without_its_period_is_a_reading_error(tmp_path: Path) -> None:
    program = registers_program(tmp_path, subservice=AWS.replace("      period: {start: 2025-04-01, end: 2026-03-31}\n", ""))
    [(code, path, line, message)] = findings(program)
    assert (code, path) == ("SK010", SUBSERVICE)
    assert line == line_of(program, SUBSERVICE, "report:")
    assert "a type2 report needs `period:" in message


def test_contradicting_report_dates_are_sk724(tmp_path: Path) -> None:
    text = AWS.replace("opinion_date: 2026-05-08", "opinion_date: 2026-03-01").replace(
        "{through: 2026-06-30, dated: 2026-07-10}", "{through: 2026-03-31, dated: 2026-09-01}"
    )
    program = registers_program(tmp_path, subservice=text)
    assert [message for code, _, _, message in findings(program) if code == "SK724"] == [
        "the Type 2 report of Amazon Web Services has its opinion dated 2026-03-01, before the end of what it covers (2026-03-31)",
        "the bridge letter to the Type 2 report of Amazon Web Services is dated 2026-09-01, after today (2026-08-01)",
        (
            "the bridge letter to the Type 2 report of Amazon Web Services runs through 2026-03-31, "
            "which the report itself covers (to 2026-03-31)"
        ),
    ]
    future = AWS.replace("opinion_date: 2026-05-08", "opinion_date: 2026-09-30")
    program.write(SUBSERVICE, future)
    assert [m for c, _, _, m in findings(program) if c == "SK724"] == [
        "the Type 2 report of Amazon Web Services has its opinion dated 2026-09-30, after today (2026-08-01)"
    ]


# -- CSOCs, CUECs, criteria, monitoring -----------------------------------------------------------------
def test_csocs_and_cuecs_without_a_criterion_are_sk714(tmp_path: Path) -> None:
    subservice = AWS + "      - id: CSOC-AWS-03\n        description: Spare.\n        criteria: []\n"
    cuecs = CUEC_TEXT + "  - id: CUEC-03\n    description: Customers keep contacts current.\n"
    program = registers_program(tmp_path, subservice=subservice, cuecs=cuecs)
    assert [(c, p, n) for c, p, n, _ in findings(program)] == [
        ("SK714", SUBSERVICE, line_of(program, SUBSERVICE, "CSOC-AWS-03")),
        ("SK714", CUECS, line_of(program, CUECS, "CUEC-03")),
    ]


def test_unknown_criteria_are_sk715_with_the_close_id(tmp_path: Path) -> None:
    subservice = AWS.replace("criteria: [CC6.4, CC6.5]", "criteria: [CC6.4, CC6.5, CC6.55]")
    cuecs = CUEC_TEXT.replace("criteria: [CC6.2]", "criteria: [cc6.2]")
    program = registers_program(tmp_path, subservice=subservice, cuecs=cuecs)
    loaded = load(program)
    found = sorted((d.code, d.path, d.line, d.hint) for d in loaded.diagnostics if d.code == "SK715")
    assert found == [
        ("SK715", SUBSERVICE, line_of(program, SUBSERVICE, "CC6.55"), "did you mean 'CC6.5'?"),
        ("SK715", CUECS, line_of(program, CUECS, "cc6.2"), "did you mean 'CC6.2'?"),
    ]


def test_a_carved_out_criterion_without_a_csoc_is_sk716_only_while_in_scope(tmp_path: Path) -> None:
    subservice = AWS.replace("criteria: [CC6.4, CC6.5]", "criteria: [CC6.4, CC6.5, A1.2]")
    program = registers_program(tmp_path, subservice=subservice)
    assert codes(program) == []  # availability is not in the fixture's scope
    program.replace("soc2kit.yml", "categories: [security]", "categories: [security, availability]")
    [(_, _, line, message)] = [f for f in findings(program) if f[0] == "SK716"]
    assert line == line_of(program, SUBSERVICE, "criteria: [CC6.4, CC6.5, A1.2]")
    assert message == "Amazon Web Services is carved out for A1.2, but none of its CSOCs is mapped to A1.2"


def test_a_carve_out_no_control_monitors_is_sk723(tmp_path: Path) -> None:
    program = registers_program(tmp_path, subservice=AWS.replace("    monitored_by: [TC-01]\n", ""))
    assert codes(program) == ["SK723"]


def test_unknown_controls_are_sk719(tmp_path: Path) -> None:
    subservice = AWS.replace("monitored_by: [TC-01]", "monitored_by: [TC-99]")
    bad = deviation(control="TC-10") + deviation(id="DEV-002", place="requirement: reviews\n    window: 2026-Q1")
    program = registers_program(tmp_path, subservice=subservice, deviations=bad)
    loaded = load(program)
    found = sorted((d.path, d.line, d.message, d.hint) for d in loaded.diagnostics if d.code == "SK719")
    assert found == [
        (
            DEVIATIONS,
            line_of(program, DEVIATIONS, "control: TC-10"),
            "deviation DEV-001 is for control 'TC-10', which does not exist",
            "did you mean 'TC-09'?",
        ),
        (
            DEVIATIONS,
            line_of(program, DEVIATIONS, "requirement: reviews"),
            "deviation DEV-002: control TC-01 has no requirement 'reviews'",
            "its requirements: review; or leave `requirement` out to mean all of them",
        ),
        (
            SUBSERVICE,
            line_of(program, SUBSERVICE, "monitored_by"),
            "subservice organization aws is monitored by control 'TC-99', which does not exist",
            "did you mean 'TC-09'?",
        ),
    ]


# -- deviations -----------------------------------------------------------------------------------------
def test_a_window_that_is_not_the_controls_is_sk720_with_its_windows(tmp_path: Path) -> None:
    bad = deviation(place="window: 2026-03") + deviation(id="DEV-002", place="window: 2026-Q3")
    good = deviation(id="DEV-003", place="requirement: review\n    window: 2026-Q2")
    program = registers_program(tmp_path, deviations=bad + good)
    loaded = load(program)
    found = [(d.line, d.message, d.hint) for d in loaded.diagnostics if d.code == "SK720"]
    assert found == [
        (
            line_of(program, DEVIATIONS, "window: 2026-03"),
            (
                "deviation DEV-001: '2026-03' is not a window of control TC-01 in the audit "
                "(Type II over 2026-01-01..2026-06-30 (ended))"
            ),
            "did you mean '2026-Q2'? its windows: 2026-Q1, 2026-Q2",
        ),
        (
            line_of(program, DEVIATIONS, "window: 2026-Q3"),
            (
                "deviation DEV-002: '2026-Q3' is not a window of control TC-01 in the audit "
                "(Type II over 2026-01-01..2026-06-30 (ended))"
            ),
            "did you mean '2026-Q2'? its windows: 2026-Q1, 2026-Q2",
        ),
    ]


def test_a_requirement_with_its_own_frequency_has_its_own_windows(tmp_path: Path) -> None:
    program = registers_program(tmp_path, deviations=deviation(place="requirement: review\n    window: 2026-03"))
    program.replace(
        "controls/TC-01.md", "    description: Signed review\n", "    description: Signed review\n    frequency: monthly\n"
    )
    assert codes(program) == []


def test_a_deviation_needs_a_window_or_a_sample_sk721(tmp_path: Path) -> None:
    program = registers_program(tmp_path, deviations=deviation(place="sample: PR-1234"))
    assert codes(program) == []
    program.write(DEVIATIONS, "deviations:\n" + deviation(place="requirement: review"))
    [(code, _, line, message)] = findings(program)
    assert (code, line) == ("SK721", line_of(program, DEVIATIONS, "DEV-001"))
    assert message == "deviation DEV-001 names neither a window nor a sample item"


def test_an_unapproved_deviation_is_sk722(tmp_path: Path) -> None:
    program = registers_program(tmp_path, deviations=deviation(approval=""))
    [(code, _, line, message)] = findings(program)
    assert (code, line) == ("SK722", line_of(program, DEVIATIONS, "DEV-001"))
    assert message == "deviation DEV-001 has no `approved_by` and `approved_on`, so management has not approved its response"
    assert not load(program).deviations["DEV-001"].approved(TODAY)
    program.write(DEVIATIONS, "deviations:\n" + deviation(approval="    approved_by: CTO\n    approved_on: 2026-09-01\n"))
    [(code, _, line, message)] = findings(program)
    assert (code, line) == ("SK722", line_of(program, DEVIATIONS, "approved_on"))
    assert message == "deviation DEV-001 is approved on 2026-09-01, after today (2026-08-01)"


def test_duplicate_ids_are_sk718_at_the_second_entry_and_the_first_counts(tmp_path: Path) -> None:
    subservice = AWS + AWS.split("\n", 1)[1].replace("name: Amazon Web Services", "name: Second")
    cuecs = CUEC_TEXT + "  - id: CSOC-AWS-01\n    description: Clash with a CSOC.\n    criteria: [CC6.1]\n"
    deviations = deviation() + deviation(id="DEV-001", place="sample: PR-9")
    program = registers_program(tmp_path, subservice=subservice, cuecs=cuecs, deviations=deviations)
    loaded = load(program)
    found = sorted((d.path, d.line, d.message) for d in loaded.diagnostics if d.code == "SK718")
    assert found == [
        (
            DEVIATIONS,
            line_of(program, DEVIATIONS, "DEV-001", 2),
            (
                f"deviation ID 'DEV-001' has the same ID as {DEVIATIONS}:{line_of(program, DEVIATIONS, 'DEV-001')}; "
                "only the first one counts"
            ),
        ),
        (
            SUBSERVICE,
            line_of(program, SUBSERVICE, "- id: aws", 2),
            (
                f"subservice organization ID 'aws' has the same ID as {SUBSERVICE}:{line_of(program, SUBSERVICE, '- id: aws')}; "
                "only the first one counts"
            ),
        ),
        (
            SUBSERVICE,
            line_of(program, SUBSERVICE, "CSOC-AWS-01", 2),
            (
                f"CSOC/CUEC ID 'CSOC-AWS-01' has the same ID as {SUBSERVICE}:{line_of(program, SUBSERVICE, 'CSOC-AWS-01')}; "
                "only the first one counts"
            ),
        ),
        (
            SUBSERVICE,
            line_of(program, SUBSERVICE, "CSOC-AWS-02", 2),
            (
                f"CSOC/CUEC ID 'CSOC-AWS-02' has the same ID as {SUBSERVICE}:{line_of(program, SUBSERVICE, 'CSOC-AWS-02')}; "
                "only the first one counts"
            ),
        ),
        (
            CUECS,
            line_of(program, CUECS, "CSOC-AWS-01"),
            (
                f"CSOC/CUEC ID 'CSOC-AWS-01' has the same ID as {SUBSERVICE}:{line_of(program, SUBSERVICE, 'CSOC-AWS-01')}; "
                "only the first one counts"
            ),
        ),
    ]
    assert loaded.subservice_organizations["aws"].name == "Amazon Web Services"
    assert loaded.deviations["DEV-001"].window == "2026-Q1"


# -- exclusions that are carve-outs ---------------------------------------------------------------------
@pytest.mark.parametrize(
    "reason",
    [
        "The cloud provider's SOC 2 report covers physical access.",
        "Covered by AWS",
        "hosted in a third-party data center",
        "Initech Hosting runs the servers",  # a register organization's name
    ],
)
def test_an_exclusion_naming_a_provider_is_sk717(tmp_path: Path, reason: str) -> None:
    program = registers_program(tmp_path, subservice=AWS.replace("Amazon Web Services", "Initech Hosting"))
    program.replace(
        "soc2kit.yml",
        "  categories: [security]\n",
        f"  categories: [security]\n  exclusions:\n    - criterion: CC6.4\n      reason: {json.dumps(reason)}\n",
    )
    [(path, line, message, hint)] = [(d.path, d.line, d.message, d.hint) for d in load(program).diagnostics if d.code == "SK717"]
    assert (path, line) == ("soc2kit.yml", line_of(program, "soc2kit.yml", "reason:"))
    assert message.startswith("the exclusion of CC6.4 gives '")
    assert message.endswith("that is a carve-out, not an exclusion")
    assert SUBSERVICE in hint
    assert "criteria: [CC6.4]" in hint


def test_an_exclusion_for_another_reason_is_no_carve_out(tmp_path: Path) -> None:
    # An organization whose name is a short word ("On") is not found in every reason that says "on".
    short = '  - id: on-status\n    name: "On"\n    services: Status pages\n    method: inclusive\n    criteria: [CC2.3]\n'
    program = registers_program(tmp_path, subservice=AWS + short)
    program.replace(
        "soc2kit.yml",
        "  categories: [security]\n",
        # CC6.7, not a criterion the register carves out: excluding one of those is SK717 whatever the reason.
        "  categories: [security]\n  exclusions:\n    - criterion: CC6.7\n      reason: We have no offices; staff work on laptops (SOCKS proxies aside).\n",
    )
    loaded = load(program)
    assert "on-status" in loaded.subservice_organizations
    assert [d for d in loaded.diagnostics if d.code == "SK717"] == []


# -- bad input: diagnostics, never a traceback ------------------------------------------------------------
def test_anchors_and_aliases_read_like_plain_yaml(tmp_path: Path) -> None:
    text = AWS.replace("criteria: [CC6.4, CC6.5]", "criteria: &both [CC6.4, CC6.5]").replace(
        "        criteria: [CC6.4]\n", "        criteria: *both\n", 1
    )
    program = registers_program(tmp_path, subservice=text)
    assert codes(program) == []
    assert load(program).subservice_organizations["aws"].csocs[0].criteria == ["CC6.4", "CC6.5"]


@pytest.mark.parametrize(
    ("relpath", "text", "code", "needle"),
    [
        (SUBSERVICE, "subservice_organizations: {aws: 1}\n", "SK010", "'subservice_organizations'"),
        (SUBSERVICE, "- id: aws\n", "SK010", "must be a YAML mapping"),
        (SUBSERVICE, AWS.replace("csocs:", "csoc:"), "SK011", "unknown key 'subservice_organizations.0.csoc'"),
        (SUBSERVICE, AWS.replace("method: carve-out", "method: carveout"), "SK010", "expected 'carve-out' or 'inclusive'"),
        (SUBSERVICE, AWS.replace("id: aws", "id: AWS"), "SK010", "has the wrong form"),
        (SUBSERVICE, AWS.replace("opinion_date: 2026-05-08", "opinion_date: 2026-02-30"), "SK010", "not a real calendar date"),
        (CUECS, "user_entity_controls: [CUEC-01]\n", "SK010", "'user_entity_controls.0'"),
        (DEVIATIONS, "deviations:\n" + deviation(place="window: 2026"), "SK010", "quote it"),
        (DEVIATIONS, "deviations:\n" + deviation(id="DEV-1"), "SK010", "write it like 'DEV-001'"),
        (DEVIATIONS, "deviations: none\n", "SK010", "'deviations'"),
        (DEVIATIONS, "deviations: [\n", "SK007", "YAML"),
        (DEVIATIONS, "deviations: !!python/object:os.system []\n", "SK008", "!!python/object"),
        (DEVIATIONS, "", "SK005", "empty"),
    ],
)
def test_bad_registers_are_diagnostics(tmp_path: Path, relpath: str, text: str, code: str, needle: str) -> None:
    program = registers_program(tmp_path)
    program.write(relpath, text)
    found = [(d.code, f"{d.message} | {d.hint}") for d in load(program).diagnostics if d.path == relpath]
    assert any(c == code and needle in m for c, m in found), found
    result = program.check("--format", "json")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert any(d["code"] == code and d["path"] == relpath for d in json.loads(result.stdout)["diagnostics"])


def test_a_folder_or_a_dangling_link_where_a_register_goes_is_a_finding(tmp_path: Path) -> None:
    program = registers_program(tmp_path)
    (program.root / DEVIATIONS).unlink()
    (program.root / DEVIATIONS).mkdir()
    (program.root / CUECS).unlink()
    (program.root / CUECS).symlink_to(program.root / "nowhere.yml")
    result = program.check("--format", "json")
    assert "Traceback" not in result.stderr
    assert result.returncode == 1
    found = {(d["code"], d["path"]) for d in json.loads(result.stdout)["diagnostics"]}
    assert ("SK001", DEVIATIONS) in found
    assert ("SK001", CUECS) in found


# -- the starter and init ---------------------------------------------------------------------------------
def test_the_starter_registers_have_no_finding() -> None:
    starter = load_program(REPO, use_cache=False)
    assert [d for d in starter.diagnostics if d.code.startswith(("SK71", "SK72")) or d.path.startswith("registers/")] == []
    assert [org.id for org in starter.carved_out("CC6.4")] == ["aws"]
    aws = starter.subservice_organizations["aws"]
    assert aws.report is not None
    assert aws.report.bridge_letter is not None
    assert {c for csoc in aws.csocs for c in csoc.criteria} >= {"CC6.4", "CC6.5", "A1.2"}
    assert len(starter.user_entity_controls) >= 5
    assert all(cuec.criteria for cuec in starter.user_entity_controls.values())
    assert starter.deviations == {}


def test_the_starter_links_the_three_registers_and_nothing_else() -> None:
    folder = REPO / "soc2kit" / "starter_program" / "registers"
    assert sorted(p.name for p in folder.iterdir()) == sorted(path.split("/")[-1] for path in REGISTERS)
    for path in REGISTERS:
        assert (REPO / "soc2kit" / "starter_program" / path).read_bytes() == (REPO / path).read_bytes()


def test_init_writes_the_registers_with_their_schema_lines(tmp_path: Path) -> None:
    target = tmp_path / "p"
    init_program(target, InitOptions(organization="Globex: Corp # 1", git=False), today=date(2026, 11, 22))
    for path, folder in REGISTERS.items():
        assert (target / path).read_text(encoding="utf-8").split("\n", 1)[0] == schema_line(folder.kind)
    program = load_program(target, use_cache=False, today=date(2026, 11, 22))
    assert [d for d in program.errors if d.path.startswith("registers/")] == []
    assert "Globex: Corp # 1 processes personal data" in program.user_entity_controls["CUEC-07"].description
    assert "Acme" not in (target / CUECS).read_text(encoding="utf-8")


def test_init_puts_the_registers_beside_an_existing_change_exceptions_register(tmp_path: Path) -> None:
    target = tmp_path / "p"
    (target / "registers").mkdir(parents=True)
    (target / "registers" / "change-exceptions.yml").write_text("exceptions: []\n", encoding="utf-8")
    init_program(target, InitOptions(git=False, force=True), today=date(2026, 11, 22))
    assert sorted(p.name for p in (target / "registers").iterdir()) == [
        "change-exceptions.yml",
        "deviations.yml",
        "subservice-organizations.yml",
        "user-entity-controls.yml",
    ]
    assert (target / "registers" / "change-exceptions.yml").read_text(encoding="utf-8") == "exceptions: []\n"


@pytest.mark.parametrize("kind", ["file", "register"])
def test_init_refuses_what_it_would_overwrite_in_registers(tmp_path: Path, kind: str) -> None:
    target = tmp_path / "p"
    target.mkdir()
    if kind == "file":
        (target / "registers").write_text("not a folder\n", encoding="utf-8")
    else:
        (target / "registers").mkdir()
        (target / DEVIATIONS).write_text("deviations: []\n", encoding="utf-8")
    with pytest.raises(UsageError, match=r"already has .*registers"):
        init_program(target, InitOptions(git=False, force=True), today=date(2026, 11, 22))
    assert not (target / "soc2kit.yml").exists()


# -- schemas ------------------------------------------------------------------------------------------------
def test_the_register_schemas_are_current_and_accept_the_starter() -> None:
    ours = {f"{SCHEMA_NAMES[folder.kind]}.schema.json" for folder in REGISTERS.values()}
    assert ours <= set(render_schemas())
    assert ours.isdisjoint(stale_schemas(REPO / "schema"))
    schemas = {name: json.loads(text) for name, text in render_schemas().items()}
    for path, folder in REGISTERS.items():
        schema = schemas[f"{SCHEMA_NAMES[folder.kind]}.schema.json"]
        validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        data = yaml.load((REPO / path).read_text(encoding="utf-8"), Loader=_DatesAsText)
        assert list(validator.iter_errors(data)) == [], path
    deviations = schemas["deviations.schema.json"]
    validator = jsonschema.Draft202012Validator(deviations)
    assert list(validator.iter_errors({"deviations": [{"id": "DEV-1", "control": "AC-01"}]}))


class _DatesAsText(yaml.SafeLoader):
    """Reads dates as text, as an editor's YAML language server does."""


_DatesAsText.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


# -- the portal ---------------------------------------------------------------------------------------------
MKDOCS_YML = """\
site_name: Test portal
theme:
  name: material
  features: [navigation.tabs, navigation.indexes, navigation.prune]
plugins:
  - search
  - soc2kit:
      today: "2026-08-01"
"""


def build_site(program: ProgramDir, *, strict: bool = True) -> subprocess.CompletedProcess[str]:
    program.write("mkdocs.yml", MKDOCS_YML)
    (program.root / "docs").mkdir(exist_ok=True)
    return mkdocs(program.root, *(["--strict"] if strict else []))


def page_text(program: ProgramDir, page: str) -> tuple[str, str]:
    markup = (program.root / "site" / page / "index.html").read_text(encoding="utf-8")
    main = markup[markup.index("<article") : markup.index("</article>")]
    return main, re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def test_the_portal_shows_the_registers_escaped(tmp_path: Path) -> None:
    hostile = "<script>alert(1)</script> | *bold* [x](javascript:alert(1))"
    subservice = AWS.replace("name: Amazon Web Services", f"name: {json.dumps(hostile)}")
    cuecs = CUEC_TEXT.replace("Customers manage their own users.", json.dumps(hostile))
    deviations = deviation().replace("cause: The reviewer was away.", f"cause: {json.dumps(hostile)}")
    deviations += deviation(id="DEV-002", place="sample: PR-77", approval="")
    program = registers_program(tmp_path, subservice=subservice, cuecs=cuecs, deviations=deviations)
    built = build_site(program)
    assert "Traceback" not in built.stderr
    for page in ("registers/subservice-organizations", "registers/user-entity-controls", "registers/deviations"):
        markup, text = page_text(program, page)
        assert "<script>" not in markup, page
        assert 'href="javascript:' not in markup, page
        assert hostile in html.unescape(text), page  # shown as written
    markup, text = page_text(program, "registers/subservice-organizations")
    assert "Type 2, 2025-04-01 to 2026-03-31" in text
    assert "current" in text
    assert "CSOC-AWS-01" in text
    assert 'href="../../controls/TC-01/"' in markup
    _, text = page_text(program, "registers/user-entity-controls")
    assert "CUEC-02 Customers report suspected misuse." in text
    _, text = page_text(program, "registers/deviations")
    for expected in (
        "DEV-001",
        "What happened. A review was late.",
        "Remediation. A deputy reviewer was named.",
        "awaiting approval",
    ):
        assert expected in text, expected
    assert "approved by CTO on 2026-07-15" in text
    assert built.returncode == 0, built.stderr  # an unapproved deviation is a warning, which a strict build allows


def test_the_portal_reports_an_expired_report_and_a_strict_build_fails_on_it(tmp_path: Path) -> None:
    text = AWS.replace("{start: 2025-04-01, end: 2026-03-31}", "{start: 2024-01-01, end: 2024-12-31}").replace(
        "opinion_date: 2026-05-08", "opinion_date: 2025-02-01"
    )
    program = registers_program(
        tmp_path, subservice=text.replace("{through: 2026-06-30, dated: 2026-07-10}", "{through: 2025-03-31}")
    )
    # Relying on an expired report is an error (SK712): the strict build (the publish gate) stops on it,
    # and a plain build shows it.
    strict = build_site(program)
    assert strict.returncode != 0
    assert "SK712" in strict.stdout + strict.stderr
    built = build_site(program, strict=False)
    assert built.returncode == 0, built.stderr
    markup, page = page_text(program, "registers/subservice-organizations")
    assert "sk-badge--bad" in markup
    assert "expired" in page
    nav = (program.root / "site" / "index.html").read_text(encoding="utf-8")
    assert "Registers" in nav


def test_a_program_without_registers_has_no_register_pages(tmp_path: Path) -> None:
    program = make_program(tmp_path / "p", quarters=2)
    built = build_site(program)
    assert built.returncode == 0, built.stderr
    assert not (program.root / "site" / "registers").exists()


def test_check_prints_register_findings_with_their_file(tmp_path: Path) -> None:
    program = registers_program(tmp_path, deviations=deviation(approval=""))
    result = run_cli("check", str(program.root), "--no-cache")
    assert "registers/deviations.yml" in result.stdout
    assert "SK722" in result.stdout
