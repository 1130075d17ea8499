"""Policy statements as data (soc2kit.statements) and the rules over them (SK306-SK309)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from soc2kit.documents import Document, collect_body_facts, read_document
from soc2kit.loader import load_program
from soc2kit.site.pages import build_pages
from soc2kit.site.portal import load_portal
from soc2kit.statements import (
    Limit,
    disagreements,
    keep_tested_by,
    parse_statements,
    stated_limits,
)
from tests.conftest import POLICY, ProgramDir

STATEMENT_RULES = ("SK306", "SK307", "SK308", "SK309")


def lines_of(text: str, first: int = 10) -> list[tuple[int, str]]:
    return list(enumerate(textwrap.dedent(text).strip("\n").split("\n"), start=first))


def kinds(limits: tuple[Limit, ...] | list[Limit]) -> list[tuple[str, int]]:
    return [(limit.kind, limit.value) for limit in limits]


def test_wrapped_items_are_one_statement_each_with_the_line_it_starts_on() -> None:
    statements = parse_statements(
        lines_of(
            """
            1. Every person must use a unique named account; shared accounts are
               prohibited. Tested by: AC-01, AC-03.
            2. Access must be removed within 5
               business days of a role change.
               Tested by: AC-06.
            10. Ten and more: a wider marker, its wrapped lines indented four
                columns. Tested by: AC-07.
            """
        )
    )
    assert [(s.number, s.line, s.controls) for s in statements] == [
        (1, 10, ("AC-01", "AC-03")),
        (2, 12, ("AC-06",)),
        (3, 15, ("AC-07",)),
    ]
    assert statements[0].text == (
        "Every person must use a unique named account; shared accounts are prohibited. Tested by: AC-01, AC-03."
    )
    assert kinds(statements[1].limits) == [("business days", 5)]
    assert statements[1].limits[0].line == 12  # "5" is on the item's first line, "business days" wraps
    assert statements[1].tested_by_line == 14
    assert statements[1].control_line("AC-06") == 14


def test_nested_lists_belong_to_their_statement_and_bullets_count_too() -> None:
    statements = parse_statements(
        lines_of(
            """
            Intro paragraph that is not a statement, with 30 days in it.

            - The retention schedule must include at least:
              - security logs: at least 12 months;
              - support tickets: 3 years after closure.
              Tested by: CNF-05.
            - Backups are kept for 35 days. Tested by: BAK-01.

            A closing paragraph after the list, 7 days, is no statement either.
            """
        )
    )
    assert [(s.number, s.controls) for s in statements] == [(1, ("CNF-05",)), (2, ("BAK-01",))]
    assert "support tickets: 3 years after closure." in statements[0].text
    assert "- " not in statements[0].text
    assert kinds(statements[0].limits) == [("months", 12), ("months", 36)]
    assert kinds(statements[1].limits) == [("days", 35)]


def test_code_spans_and_fenced_code_are_not_prose() -> None:
    statements = parse_statements(
        lines_of(
            """
            1. The header `Strict-Transport-Security: max-age=31536000; 30 days` must be sent;
               write `Tested by: AC-01.` to name a control.
            2. The configuration below must be applied within 2 hours:

               ```yaml
               retention: 90 days
               ```

               Tested by: NET-01.
            3. An unclosed ``run, then `5 days` in code, then 7 days. Tested by: NET-02.
            """
        )
    )
    assert [s.number for s in statements] == [1, 2, 3]
    assert statements[0].controls == ()
    assert statements[0].tested_by is None
    assert statements[0].limits == ()
    assert statements[1].controls == ("NET-01",)
    assert kinds(statements[1].limits) == [("hours", 2)]
    assert statements[2].controls == ("NET-02",)
    assert kinds(statements[2].limits) == [("days", 7)]


def test_tested_by_must_close_the_statement_and_name_control_ids() -> None:
    [closing_not, odd, repeated] = parse_statements(
        lines_of(
            """
            1. Tested by: AC-01. Then more text follows the sentence.
            2. Something. Tested by: AC-01, the IT Manager, POL-AC.
            3. Something else. tested by: AC-02, AC-02,AC-03
            """
        )
    )
    assert closing_not.controls == ()
    assert closing_not.tested_by is None
    assert odd.controls == ("AC-01",)
    assert odd.unreadable == ("the IT Manager", "POL-AC")
    assert repeated.controls == ("AC-02", "AC-03")  # no final period, any case, duplicates once


def test_limits_of_every_kind_with_number_words_and_hyphens() -> None:
    limits = stated_limits(
        lines_of(
            """
            Within five business days, or 1 working day for leavers; a 90-day window and 2 weeks;
            8 hours, 72 h and 48h; 15 minutes; 12 months and 7 years. Reviewed twice-yearly, annually,
            every 6 months, each quarter, every 90 days and monthly. Select 25 tickets, a sample of
            forty-five, at least 1 approving review and no more than 6 standing administrators.
            AC-06 and TLS 1.2, 99.9% and USD 250 are no limits.
            """
        )
    )
    assert kinds(limits) == [
        ("business days", 5),
        ("business days", 1),
        ("days", 90),
        ("days", 14),
        ("hours", 8),
        ("hours", 72),
        ("minutes", 15),
        ("months", 12),
        ("months", 84),
        ("frequency", 182),
        ("frequency", 365),
        ("frequency", 182),
        ("frequency", 91),
        ("frequency", 90),
        ("frequency", 30),
        ("sample", 25),
        ("sample", 45),
        ("approvals", 1),
        ("people", 6),
        ("hours", 48),
    ]
    assert [limit.line for limit in limits][:2] == [10, 10]
    assert limits[-3].line == 13


def test_disagreement_needs_a_shared_kind_and_no_shared_value() -> None:
    def limit(kind: str, value: int) -> Limit:
        return Limit(kind, value, f"{value} {kind}", 1)

    assert disagreements([limit("business days", 5)], [limit("business days", 10)])[0].kind == "business days"
    # The control restates one of the statement's values: the rest are other duties or other steps.
    assert disagreements([limit("days", 30), limit("days", 7)], [limit("days", 30), limit("days", 90)]) == []
    # Different kinds are never compared; a kind only one side states is no disagreement.
    assert disagreements([limit("hours", 72)], [limit("days", 3)]) == []
    assert disagreements([limit("hours", 72)], []) == []


def write_policy(root: Path, body: str) -> Document:
    path = root / "policies" / "p.md"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("---\nid: POL-X\n---\n" + textwrap.dedent(body).lstrip("\n"), encoding="utf-8")
    doc = read_document(root, "policies/p.md", "policy", markdown=True)
    collect_body_facts(doc)
    return doc


def test_statements_are_read_from_the_policy_statements_section_only(tmp_path: Path) -> None:
    doc = write_policy(
        tmp_path,
        """
        # Policy

        ## Purpose
        1. Not a statement: within 5 days.

        ## Policy statements

        1. First, within 5 business days. Tested by: AC-01.
        2. Second.

        ## Exceptions
        1. Not a statement either.
        """,
    )
    statements = doc.statements
    assert [(s.number, s.line, s.text) for s in statements] == [
        (1, 11, "First, within 5 business days. Tested by: AC-01."),
        (2, 12, "Second."),
    ]
    assert write_policy(tmp_path, "# No statements section\n").statements == ()


def test_control_limits_come_from_description_and_test_procedure(tmp_path: Path) -> None:
    path = tmp_path / "controls" / "AC-06.md"
    path.parent.mkdir(parents=True)
    path.write_text(
        "---\nid: AC-06\n---\n# Review\n\n## Description\n\nRemovals within 10 business\ndays of sign-off.\n\n"
        "## Notes\n\nWithin 3 days.\n\n## Test procedure\n\n1. Select 25 changes.\n",
        encoding="utf-8",
    )
    doc = read_document(tmp_path, "controls/AC-06.md", "control", markdown=True)
    collect_body_facts(doc)
    assert [(limit.kind, limit.value, limit.line) for limit in doc.limits] == [
        ("business days", 10, 8),
        ("sample", 25, 17),
    ]


@pytest.fixture
def program(clean_program_dir: ProgramDir) -> ProgramDir:
    """The clean program with a second policy whose statements name controls; TC-01 carries it out."""
    clean_program_dir.replace(
        "policies/information-security.md",
        "1. Access must be reviewed quarterly.",
        "1. Access must be reviewed quarterly. Tested by: TC-02.",
    )
    clean_program_dir.write("policies/access-control.md", POLICY.format(id="POL-AC", title="Access Control Policy"))
    clean_program_dir.replace("controls/TC-01.md", "policies: [POL-ISP]", "policies: [POL-ISP, POL-AC]")
    clean_program_dir.replace(
        "controls/TC-01.md", "The IT Manager reviews access.", "The IT Manager reviews access; removals within 5 business days."
    )
    set_statements(
        clean_program_dir,
        """
        1. Access must be reviewed each quarter and removals made within 5
           business days. Tested by: TC-01.
        2. Reviewers must not review their own access. Tested by: TC-01.
        """,
    )
    return clean_program_dir


def set_statements(program: ProgramDir, statements: str) -> None:
    text = program.read("policies/access-control.md")
    start = text.index("## Policy statements\n") + len("## Policy statements\n")
    end = text.index("\n## Exceptions")
    program.write("policies/access-control.md", text[:start] + textwrap.dedent(statements).strip("\n") + "\n" + text[end:])


def statement_findings(program: ProgramDir) -> list[tuple[str, str, int, str]]:
    loaded = load_program(program.root, use_cache=False)
    return [(d.code, d.path, d.line, d.message) for d in loaded.diagnostics if d.code in STATEMENT_RULES]


def test_statements_naming_agreeing_controls_give_no_finding(program: ProgramDir) -> None:
    assert statement_findings(program) == []


def test_a_program_that_never_names_controls_is_not_told_per_policy(clean_program_dir: ProgramDir) -> None:
    assert statement_findings(clean_program_dir) == []


def test_untested_statement_warns_once_the_program_names_controls(program: ProgramDir) -> None:
    set_statements(
        program,
        """
        1. Access must be reviewed each quarter. Tested by: TC-01.
        2. Reviewers must not review their own access.
        3. Tested by: TC-01. Is not the closing sentence here.
        """,
    )
    found = statement_findings(program)
    assert [(code, line) for code, _, line, _ in found] == [("SK306", 25), ("SK306", 26)]
    assert "statement 2: it names no control" in found[0][3]
    assert "is not its closing sentence" in found[1][3]
    # The information security policy names no control in any statement: one finding for all of it.
    program.replace(
        "policies/information-security.md", "1. Access must be reviewed quarterly. Tested by: TC-02.", "1. One.\n2. Two."
    )
    messages = [message for code, path, _, message in statement_findings(program) if path.endswith("information-security.md")]
    assert messages == ["policy POL-ISP: none of its 2 statements names a control that tests it"]


def test_unknown_control_and_control_not_carrying_out_the_policy_are_errors(program: ProgramDir) -> None:
    set_statements(
        program,
        """
        1. Access must be reviewed each quarter.
           Tested by: TC-01, TC-99,
           TC-02, Security team.
        """,
    )
    loaded = load_program(program.root, use_cache=False)
    found = sorted((d.code, d.line, d.message) for d in loaded.diagnostics if d.code in STATEMENT_RULES)
    assert [(code, line) for code, line, _ in found] == [("SK307", 25), ("SK307", 25), ("SK308", 26)]
    assert any("policy POL-AC statement 1 is tested by control TC-99, which does not exist" in m for _, _, m in found)
    assert any("names 'Security team', which is not a control ID" in m for _, _, m in found)
    assert "control TC-02, which does not list POL-AC under `policies` (controls/TC-02.md:6)" in found[2][2]
    assert all(d.path == "policies/access-control.md" for d in loaded.diagnostics if d.code in STATEMENT_RULES)
    assert program.check().returncode == 1


def test_control_with_a_different_limit_of_the_same_kind_warns_naming_both(program: ProgramDir) -> None:
    program.replace("controls/TC-01.md", "removals within 5 business days", "removals within 10 business days")
    [(code, path, line, message)] = statement_findings(program)
    assert (code, path, line) == ("SK309", "policies/access-control.md", 24)
    assert message == (
        "policy POL-AC statement 1 says '5 business days' (policies/access-control.md:24), but control TC-01, "
        "which tests it, says '10 business days' (controls/TC-01.md:17)"
    )
    # A second control of the statement that restates the policy's number makes the statement agree.
    program.replace("controls/TC-02.md", "policies: [POL-ISP]", "policies: [POL-ISP, POL-AC]")
    program.replace("controls/TC-02.md", "The IT Manager reviews access.", "Removals within 5 business days.")
    program.replace("policies/access-control.md", "Tested by: TC-01.\n2.", "Tested by: TC-01, TC-02.\n2.")
    assert statement_findings(program) == []


def test_retired_policies_are_not_checked(program: ProgramDir) -> None:
    program.replace("policies/access-control.md", "status: approved", "status: retired")
    program.replace("policies/access-control.md", "Tested by: TC-01.\n2.", "Tested by: TC-99.\n2.")
    assert statement_findings(program) == []


def test_policy_page_links_the_controls_a_statement_names(program: ProgramDir) -> None:
    program.replace("policies/access-control.md", "Tested by: TC-01.\n2.", "Tested by: TC-01, TC-02, NO-99, `TC-03`.\n2.")
    portal = load_portal(program.root, use_cache=False, history=False)
    page = next(p for p in build_pages(portal) if p.path == "policies/POL-AC.md")
    assert "Tested by: [TC-01](../controls/TC-01.md), [TC-02](../controls/TC-02.md), NO-99, `TC-03`." in page.markdown


def test_control_page_lists_the_statements_that_name_it(program: ProgramDir) -> None:
    portal = load_portal(program.root, use_cache=False, history=False)
    pages = {p.path: p.markdown for p in build_pages(portal)}
    assert "| Policy | Title | Status | Statements it tests |" in pages["controls/TC-01.md"]
    assert "| Access Control Policy | approved | 1, 2 |" in pages["controls/TC-01.md"]
    assert "| Information Security Policy | approved |  |" in pages["controls/TC-01.md"]
    assert "| Information Security Policy | approved | 1 |" in pages["controls/TC-02.md"]


def test_keep_tested_by_names_only_kept_controls_and_leaves_the_rest_alone() -> None:
    policy = textwrap.dedent(
        """\
        ---
        id: POL-X
        ---
        # Policy

        ## Purpose

        Write `Tested by: AC-02.` at the end. Tested by: AC-02.

        ## Policy statements

        1. Wrapped list. Tested by: AC-01,
           AC-02, AC-03.
        2. Only dropped controls, on a line of their own.
           Tested by: AC-02.
        3. Only dropped, at the end of the text. Tested by: AC-02.
        4. Nothing dropped. Tested by: AC-03.

        ## Review
        Yearly. Tested by: AC-02.
        """
    )
    kept = keep_tested_by(policy, {"AC-01", "AC-03"})
    assert kept == policy.replace("Tested by: AC-01,\n   AC-02, AC-03.\n", "Tested by: AC-01, AC-03.\n").replace(
        "own.\n   Tested by: AC-02.\n", "own.\n"
    ).replace("the text. Tested by: AC-02.\n", "the text.\n")
    assert [s.controls for s in parse_statements(list(enumerate(kept.split("\n"), start=1))[11:])] == [
        ("AC-01", "AC-03"),
        (),
        (),
        ("AC-03",),
    ]
    assert keep_tested_by(policy, {"AC-01", "AC-02", "AC-03"}) == policy
