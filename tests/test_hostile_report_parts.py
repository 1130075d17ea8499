"""Hostile inputs to the parts of the report (issue 13): the system description, the three registers
and the policy statements' `Tested by:` sentences. Each ends as a finding with file and line, never
as a traceback, a hang, a misleading second finding or program text that steers the output it
lands in. Small programs in temp dirs; one `soc2kit init` per test that needs the starter."""

from __future__ import annotations

import html
import itertools
import json
import os
import re
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from soc2kit.cli import main as cli
from soc2kit.loader import load_program
from soc2kit.registry import Severity
from soc2kit.starter import InitOptions, init_program
from soc2kit.statements import parse_statements
from tests.conftest import ProgramDir, make_program

TODAY = date(2026, 8, 1)
POLICY = "policies/information-security.md"
SUBSERVICE = "registers/subservice-organizations.yml"
DEVIATIONS = "registers/deviations.yml"
SERVICES = "system/services.md"

SERVICES_PART = """\
---
part: services
title: Services provided
owner: Compliance Manager
last_reviewed: 2026-07-01
---
# Services provided

Test Platform is a hosted service for invoices.
"""


def _program(tmp_path: Path) -> ProgramDir:
    return make_program(tmp_path / "p", quarters=2)


def _findings(program: ProgramDir, today: date = TODAY) -> list[tuple[str, str, int, str]]:
    loaded = load_program(program.root, use_cache=False, today=today)
    return sorted((d.code, d.path, d.line, d.message) for d in loaded.diagnostics)


def _with_statements(program: ProgramDir, items: str) -> None:
    text = program.read(POLICY)
    start = text.index("## Policy statements")
    end = text.index("\n## ", start + 1)
    program.write(POLICY, text[:start] + "## Policy statements\n" + items + text[end:])


# -- the system description --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("front", "needle"),
    [
        ("part: services\ntitle: T\nowner: O\nlast_reviewed: 2026-02-30\n", "not a real calendar date"),
        ("part: services\ntitle: T\nowner: O\nlast_reviewed: last week\n", "expected an ISO date"),
        ("part: services\ntitle: [T]\nowner: O\n", "title"),
    ],
    ids=["impossible-date", "date-as-words", "title-list"],
)
def test_an_invalid_part_is_one_finding_not_also_a_missing_part(tmp_path: Path, front: str, needle: str) -> None:
    """Before: SK701 also said soc2kit.yml's description had no 'services' part, pointing away from
    the one file that needs fixing."""
    program = _program(tmp_path)
    program.write(SERVICES, f"---\n{front}---\n# Services\n\nTest Platform invoices.\n")
    found = _findings(program)
    assert [f for f in found if f[0] == "SK010" and f[1] == SERVICES and needle in f[3]]
    assert not [f for f in found if f[0] == "SK701" and "'services'" in f[3]]
    # The other parts are still missing, and still said so.
    assert [f for f in found if f[0] == "SK701" and "'boundaries'" in f[3]]


@pytest.mark.parametrize(("value", "shown"), [("[services]", "a list"), ("{a: services}", "a mapping")])
def test_a_part_that_is_a_list_or_mapping_says_what_it_is(tmp_path: Path, value: str, shown: str) -> None:
    """Before: "'part' is ; expected ..." with nothing where the value goes."""
    program = _program(tmp_path)
    program.write(SERVICES, f"---\npart: {value}\ntitle: T\nowner: O\n---\n# T\n\nText.\n")
    messages = [m for code, path, _, m in _findings(program) if code == "SK010" and path == SERVICES]
    assert any(m.startswith(f"'part' is {shown}; expected 'services'") for m in messages), messages


def test_an_unknown_part_is_reported_with_the_close_name(tmp_path: Path) -> None:
    program = _program(tmp_path)
    program.write(SERVICES, "---\npart: servicez\ntitle: T\nowner: O\n---\n# T\n\nText.\n")
    loaded = load_program(program.root, use_cache=False, today=TODAY)
    found = [d for d in loaded.diagnostics if d.path == SERVICES]
    assert [(d.code, d.line) for d in found] == [("SK010", 2)]
    assert found[0].hint == "did you mean 'services'?"


def test_thousands_of_subservice_organizations_cost_one_pass_over_the_description(tmp_path: Path) -> None:
    """SK709 compiled and ran one pattern per organization over the whole description: 10,000
    organizations against a long description took minutes. Now the text is split into words once;
    what matches is the same (whole words, a dash joins words). The organizations are put on the
    read program directly: reading a register that large is YAML's time, not the rule's."""
    program = _program(tmp_path)
    program.write(
        SERVICES,
        SERVICES_PART + "It runs on Amazon Web Services, sends mail through mailer-eu and keeps laws.\n" + "Filler. " * 60_000,
    )
    _in_child(
        "import json\n"
        "from datetime import date\n"
        "from soc2kit.models import SubserviceOrganization\n"
        "from soc2kit.program import read_program\n"
        "from soc2kit.rules import system\n"
        f"program = read_program({str(program.root)!r}, use_cache=False, today=date(2026, 8, 1))\n"
        "named = [('aws', 'Amazon Web Services'), ('mailer-eu', 'Mailer'), ('law', 'Law'), ('mailer', 'Mailer One')]\n"
        "for oid, name in named + [(f'org{i}', f'Org {i}') for i in range(10000)]:\n"
        "    program.subservice_organizations[oid] = SubserviceOrganization(\n"
        "        id=oid, name=name, services='s', method='inclusive', criteria=[])\n"
        "found = [d.message for d in system.check(program) if d.code == 'SK709']\n"
        f"open({str(tmp_path / 'found.json')!r}, 'w').write(json.dumps(found))\n"
    )
    messages = json.loads((tmp_path / "found.json").read_text(encoding="utf-8"))
    unnamed = {re.search(r"\((\S+)\) is named nowhere", m).group(1) for m in messages}  # type: ignore[union-attr]
    assert {"aws", "mailer-eu"}.isdisjoint(unnamed)
    assert {"law", "mailer", "org0", "org9999"} <= unnamed
    assert len(unnamed) == 10_002


# -- policy statements ---------------------------------------------------------------------------------


def test_two_tested_by_sentences_say_the_first_counts_for_nothing(tmp_path: Path) -> None:
    """Before: the first sentence's controls were dropped without a word."""
    program = _program(tmp_path)
    _with_statements(program, "1. Review access quarterly. Tested by: TC-01.\n   Tested by: TC-02.\n")
    found = [f for f in _findings(program) if f[0] == "SK307"]
    assert len(found) == 1
    _code, path, line, message = found[0]
    assert (path, line) == (POLICY, program.read(POLICY).split("\n").index("1. Review access quarterly. Tested by: TC-01.") + 1)
    assert "before its closing one" in message


@pytest.mark.parametrize(
    "item",
    [
        "1. Review access quarterly. `Tested by: TC-01.` Tested by: TC-02.",
        "1. Review access quarterly. Tested by: TC-01, TC-01.",
        "1. Review access quarterly. tested BY: TC-01.",
    ],
    ids=["code-span", "repeated-id", "any-case"],
)
def test_statements_without_a_stray_sentence_have_no_stray_finding(item: str) -> None:
    (statement,) = parse_statements([(10, item)])
    assert statement.stray_tested_by_line == 0
    assert statement.controls


def test_a_line_naming_a_missing_control_many_times_is_one_finding(tmp_path: Path) -> None:
    """Before: SK107 repeated once per mention, 10,000 findings for one line."""
    program = _program(tmp_path)
    many = ", ".join(["TC-99"] * 10_000)
    _with_statements(program, f"1. Review access quarterly. Tested by: TC-01, {many}.\n")
    found = _findings(program)
    assert len([f for f in found if f[0] == "SK107"]) == 1
    assert len([f for f in found if f[0] == "SK307" and "TC-99" in f[3]]) == 1


def test_tens_of_thousands_of_statements_and_mentions_read_in_one_pass(tmp_path: Path) -> None:
    """Each mention's line was counted from the top of the body: 20,000 statements naming a control
    took half a minute to read. The findings must be those of each statement, at its own line."""
    program = _program(tmp_path)
    _with_statements(program, "".join(f"- Duty {i}. Tested by: TC-01, TC-77.\n" for i in range(20_000)))
    loaded = load_program(program.root, use_cache=False, today=TODAY)
    policy = loaded.documents[POLICY]
    mentions = [line for name, line in policy.mentions if name == "TC-77"]
    assert len(mentions) == 20_000
    assert mentions == sorted(mentions)
    assert mentions[-1] - mentions[0] == 19_999
    unknown = [d for d in loaded.diagnostics if d.code == "SK107"]
    assert [d.line for d in unknown] == mentions


def test_a_body_naming_ids_hundreds_of_thousands_of_times_reads_without_a_hang() -> None:
    """Each mention's line was counted from the top of the body: 200,000 mentions in 1.4 MB were
    hours of counting. Parsed in a child process, the whole document as reading parses it."""
    _in_child(
        "from soc2kit.documents import Document, collect_body_facts, parse_text\n"
        "doc = Document(path='policies/p.md', kind='policy')\n"
        "parse_text(doc, '---\\nid: POL-X\\n---\\n' + 'AC-01 x\\n' * 200000, markdown=True)\n"
        "collect_body_facts(doc)\n"
        "assert len(doc.mentions) == 200000, len(doc.mentions)\n"
        "assert doc.mentions[0] == ('AC-01', 4) and doc.mentions[-1] == ('AC-01', 200003), doc.mentions[-1]\n"
    )


# -- what program text does to the outputs ------------------------------------------------------------

EVIL = "\u202eevil\u202c \x1b[2J\x07 <script>alert(1)</script> [x](javascript:alert(2)) | pipe"


def test_program_text_in_a_finding_cannot_send_escapes_through_github_annotations(tmp_path: Path) -> None:
    """Before: `--format github` wrote the program's control characters as they were (the text
    format already turned them into U+FFFD); the workflow log interprets escape sequences."""
    program = _program(tmp_path)
    # No `.` or `:` in it: it must stay inside the closing `Tested by:` sentence.
    _with_statements(program, "1. Review access quarterly. Tested by: TC-01, \u202eevil\u202c \x1b[2J\x07 <b>x</b>.\n")
    result = CliRunner().invoke(cli, ["check", "--no-cache", "--format", "github", str(program.root)])
    assert result.exit_code == 1, result.output
    annotations = [line for line in result.output.split("\n") if "SK307" in line]
    assert annotations
    for line in annotations:
        assert not re.search(r"[\x00-\x1f\x7f\u202a-\u202e\u2066-\u2069]", line), repr(line)
        assert "\ufffd" in line


def test_the_status_markdown_heading_escapes_the_organization_and_system(tmp_path: Path) -> None:
    """Before: the report's `# Readiness:` heading held both names raw: HTML, links and bidi
    overrides went into a pull request comment as markup."""
    program = _program(tmp_path)
    config = program.read("soc2kit.yml")
    quoted = json.dumps(EVIL)
    program.write("soc2kit.yml", config.replace("organization: Test Co", f"organization: {quoted}"))
    report = tmp_path / "status.md"
    result = CliRunner().invoke(cli, ["status", "--no-cache", "--format", "md", "-o", str(report), str(program.root)])
    assert result.exit_code == 0, result.output
    heading = report.read_text(encoding="utf-8").split("\n", 1)[0]
    assert heading.startswith("# Readiness: ")
    for raw in ("<script>", "](javascript:", "\u202e", "\x1b", "| pipe"):
        assert raw not in heading


# -- the registers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("- a\n- b\n", "SK010", 1),
        ("just text\n", "SK010", 1),
        ("subservice_organizations: {id: aws}\n", "SK010", 1),
        ("subservice_organizations: []\nsubservice_organizations: []\n", "SK009", 2),
        ("subservice_organizations: " + "[" * 5_000 + "]" * 5_000 + "\n", "SK015", 1),
        (
            (
                "subservice_organizations:\n  - id: aws\n    name: A\n    services: S\n    method: inclusive\n"
                "    criteria: [CC6.4]\n    report: {type: type2, period: {start: 2026-05-01, end: 2025-01-01}, opinion_date: 2026-07-01}\n"
            ),
            "SK010",
            7,
        ),
        (
            "subservice_organizations:\n  - id: 123\n    name: A\n    services: S\n    method: inclusive\n    criteria: [CC6.4]\n",
            "SK010",
            2,
        ),
    ],
    ids=["list", "string", "mapping-for-list", "duplicate-key", "deep", "period-reversed", "number-id"],
)
def test_malformed_subservice_registers_are_findings_at_their_line(tmp_path: Path, text: str, code: str, line: int) -> None:
    program = _program(tmp_path)
    program.write(SUBSERVICE, text)
    assert (code, line) in [(c, n) for c, path, n, _ in _findings(program) if path == SUBSERVICE]


@pytest.mark.parametrize(
    ("make", "needle"),
    [
        (os.mkfifo, "FIFO"),
        (os.mkdir, "directory"),
        (lambda p: os.symlink(p, p), "symbolic links"),
    ],
    ids=["fifo", "folder", "link-loop"],
)
def test_a_register_that_is_not_a_file_is_a_finding_and_no_hang(tmp_path: Path, make: object, needle: str) -> None:
    program = _program(tmp_path)
    (program.root / "registers").mkdir()
    make(program.root / DEVIATIONS)  # type: ignore[operator]
    found = [(c, n, m) for c, path, n, m in _findings(program) if path == DEVIATIONS]
    assert found
    assert found[0][0] == "SK001"
    assert needle in found[0][2]


# -- the starter ------------------------------------------------------------------------------------

OPTIONAL = ("availability", "confidentiality", "processing-integrity", "privacy")


@pytest.mark.parametrize(
    "categories",
    [("security", *combo) for n in range(len(OPTIONAL) + 1) for combo in itertools.combinations(OPTIONAL, n)],
    ids="+".join,
)
def test_init_for_every_category_subset_passes_check(tmp_path: Path, categories: tuple[str, ...]) -> None:
    root = tmp_path / "p"
    init_program(
        root,
        InitOptions(
            organization="Acme",
            system="Ledger",
            categories=categories,
            audit_type="type2",
            period_start=date(2026, 1, 1),
            period_end=date(2026, 6, 30),
            git=False,
        ),
    )
    loaded = load_program(root, use_cache=False, today=date(2026, 7, 15))
    errors = [(d.code, d.path, d.line, d.message) for d in loaded.diagnostics if d.severity is Severity.ERROR]
    assert errors == []


def test_excluding_a_criterion_the_register_carves_out_is_sk717_whatever_the_reason(tmp_path: Path) -> None:
    """Before: only a reason naming a provider was caught; "we have none" beside a carve-out of the
    same criterion passed, and the criterion silently left the report's scope."""
    program = _program(tmp_path)
    config = program.read("soc2kit.yml").replace(
        "  categories: [security]\n",
        "  categories: [security, availability]\n  exclusions:\n    - {criterion: A1.2, reason: We keep no backups.}\n",
    )
    program.write("soc2kit.yml", config)
    program.write(
        SUBSERVICE,
        "subservice_organizations:\n  - {id: vault, name: Vault Co, services: Backups, method: inclusive, criteria: [A1.2]}\n"
        "  - {id: store, name: Store Co, services: Backups, method: carve-out, criteria: [A1.2, CC6.4]}\n",
    )
    found = [f for f in _findings(program) if f[0] == "SK717"]
    line = program.read("soc2kit.yml").split("\n").index("    - {criterion: A1.2, reason: We keep no backups.}") + 1
    assert found == [
        (
            "SK717",
            "soc2kit.yml",
            line,
            f"A1.2 is excluded, but {SUBSERVICE} carves it out to store: a carved-out criterion stays in scope",
        )
    ]


_HANG_GUARD = 60
"""Seconds a child process gets for work that takes a few seconds now and took minutes before: it
guards against a hang, it measures nothing."""


def _in_child(code: str) -> None:
    import subprocess
    import sys

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=_HANG_GUARD, check=False)
    assert result.returncode == 0, result.stderr[-2000:]


def test_exclusion_reasons_against_thousands_of_organizations_do_not_hang() -> None:
    """One pattern compiled per organization per exclusion: 30 reasons against 6,000 names took
    90 s, so the 100 below took minutes."""
    _in_child(
        "from soc2kit.rules.registers import PROVIDER_WORDS, _names_provider\n"
        "names = [f'org{i}' for i in range(3000)] + [f'Org Number {i}' for i in range(3000)] + list(PROVIDER_WORDS)\n"
        "for _ in range(100):\n"
        "    assert _names_provider('Nothing of this kind is processed at all.', names) is None\n"
    )
    from soc2kit.rules.registers import PROVIDER_WORDS, _names_provider

    names = ["aws", "Amazon Web Services", "Org Number 17", *PROVIDER_WORDS]
    assert _names_provider("Covered by Org Number 17, see its letter.", names) == "Org Number 17"
    assert _names_provider("The cloud provider's SOC 2 report covers it.", names) == "cloud provider"
    assert _names_provider("Our laws and the aws-prod account.", names) is None


@pytest.mark.parametrize(
    ("text", "name", "named"),
    [
        ("Runs on AWS.", "aws", True),
        ("runs under the laws", "aws", False),
        ("the aws-prod account", "aws", False),
        ("the aws-prod account", "aws-prod", True),
        ("Amazon  Web\nServices hosts it", "Amazon Web Services", True),
        ("Amazon Web Servicesx", "Amazon Web Services", False),
        ("Stripe, Inc. takes payments", "Stripe, Inc.", True),
        ("anything", "...", False),
    ],
)
def test_whole_words_match_as_the_pattern_did(text: str, name: str, named: bool) -> None:
    from soc2kit.words import WholeWords

    assert WholeWords(text).names(name) is named


# -- the portal: one strict build of an init'd program with hostile register and system text ---------

HOSTILE = "\u202eevil\u202c <script>alert(1)</script><img src=x onerror=alert(2)> [x](javascript:alert(3)) =SUM(A1) | pipe"


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import subprocess
    import sys

    root = tmp_path_factory.mktemp("portal") / "p"
    init_program(root, InitOptions(organization="Acme", system="Ledger", as_of=date(2026, 6, 30), git=False))
    quoted = json.dumps(HOSTILE)
    (root / SUBSERVICE).write_text(
        "subservice_organizations:\n"
        f"  - id: aws\n    name: {quoted}\n    services: {quoted}\n    method: carve-out\n"
        "    criteria: [CC6.4]\n    monitored_by: [VEN-03]\n"
        f"    csocs:\n      - id: CSOC-AWS-01\n        description: {quoted}\n        criteria: [CC6.4]\n",
        encoding="utf-8",
    )
    (root / "registers/user-entity-controls.yml").write_text(
        f"user_entity_controls:\n  - id: CUEC-01\n    description: {quoted}\n    criteria: [CC6.1]\n", encoding="utf-8"
    )
    fields = "".join(
        f"    {key}: {quoted}\n" for key in ("sample", "description", "cause", "effect", "remediation", "management_response")
    )
    (root / DEVIATIONS).write_text(
        f"deviations:\n  - id: DEV-001\n    control: AC-01\n{fields}    approved_by: {quoted}\n    approved_on: 2026-06-01\n",
        encoding="utf-8",
    )
    services = root / SERVICES
    services.write_text(
        services.read_text(encoding="utf-8").replace("title: ", f"title: {quoted} #", 1) + f"\n{HOSTILE}\n",
        encoding="utf-8",
    )
    site = root.parent / "site"
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-f", str(root / "mkdocs.yml"), "-d", str(site)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert built.returncode == 0, built.stderr[-3000:]
    return site


def test_the_portal_builds_strict_and_shows_hostile_register_text_as_text(hostile_site: Path) -> None:
    pages = {path.relative_to(hostile_site).as_posix(): path.read_text(encoding="utf-8") for path in hostile_site.rglob("*.html")}
    register_pages = [path for path in pages if path.startswith("registers/")]
    assert len(register_pages) >= 3
    for path, page in pages.items():
        assert "<script>alert" not in page, path
        assert not re.search(r"<img[^>]*onerror", page), path
        assert 'href="javascript:' not in page, path
    for path in register_pages:
        # Register values are one-line text: a bidi override must not reorder the table around it.
        assert "\u202e" not in pages[path], path
    # Shown, as text: the escaped page reads back as the value that was written.
    assert all("<script>alert(1)</script>" in html.unescape(pages[path]) for path in register_pages)
    system = next(page for path, page in pages.items() if path.startswith("system/services"))
    assert "Ledger" in system
