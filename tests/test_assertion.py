"""Management's assertion: filled from the program for Type I and Type II, carve-outs and CUECs
named, every program value inert Markdown."""

from __future__ import annotations

import html
import re
from datetime import date
from pathlib import Path

import markdown

from soc2kit.assertion import render_assertion
from soc2kit.program import read_program
from soc2kit.readiness import view_of
from tests.conftest import make_program, run_cli

REGISTER = """\
subservice_organizations:
  - id: cloudco
    name: CloudCo Hosting
    services: Hosts the platform.
    method: carve-out
    criteria: [CC6.4, CC6.5]
    csocs:
      - id: CSOC-CLOUDCO-01
        description: Only authorized staff enter the data centers.
        criteria: [CC6.4]
  - id: payco
    name: PayCo
    services: Takes card payments.
    method: inclusive
    criteria: [CC6.1]
"""

CUECS = """\
user_entity_controls:
  - id: CUEC-01
    description: Customers remove their leavers' accounts.
    criteria: [CC6.2]
  - id: CUEC-02
    description: Customers keep their API keys secret.
    criteria: [CC6.1]
"""


def _program(root: Path, *, registers: bool = True, config: str | None = None) -> Path:
    make_program(root)
    if config is not None:
        (root / "soc2kit.yml").write_text(config, encoding="utf-8")
    if registers:
        (root / "registers").mkdir()
        (root / "registers" / "subservice-organizations.yml").write_text(REGISTER, encoding="utf-8")
        (root / "registers" / "user-entity-controls.yml").write_text(CUECS, encoding="utf-8")
    return root


def _render(root: Path, **view: object) -> str:
    program = read_program(root, today=date(2026, 9, 1), use_cache=False)
    return render_assertion(program, view_of(program, **view))  # type: ignore[arg-type]


def test_type_2_asserts_design_and_operation_throughout_the_period(tmp_path):
    text = _render(_program(tmp_path / "p"))
    assert text.startswith("# Management's assertion\n")
    assert "We, the management of Test Co, are responsible" in text
    assert "of Test Platform (the description) throughout the period 2026-01-01 to 2026-06-30" in text
    assert "relevant to security (the applicable" in text
    assert "2. The controls stated in the description were suitably designed throughout the period" in text
    assert "3. The controls stated in the description operated effectively throughout that period" in text
    assert "and if the subservice organizations and user entities applied the complementary controls" in text


def test_carve_outs_and_their_complementary_controls_and_the_cuecs_are_named(tmp_path):
    text = _render(_program(tmp_path / "p"))
    carve_out, inclusive = text.split("(the carve-out method)")[1].split("(the inclusive method)")
    assert "- **CloudCo Hosting**: Hosts the platform. Criteria: CC6.4, CC6.5." in carve_out
    assert "    - CSOC-CLOUDCO-01: Only authorized staff enter the data centers. (criteria: CC6.4)" in carve_out
    assert "PayCo" not in carve_out
    assert "- **PayCo**: Takes card payments. Criteria: CC6.1." in inclusive
    assert "- CUEC-01: Customers remove their leavers&#39; accounts. (criteria: CC6.2)" in text
    assert "- CUEC-02: Customers keep their API keys secret. (criteria: CC6.1)" in text


def test_type_1_asserts_design_as_of_a_date_only(tmp_path):
    text = _render(_program(tmp_path / "p"), as_of=date(2026, 3, 31))
    assert "(the description) as of 2026-03-31" in text
    assert "suitably designed as of 2026-03-31" in text
    assert "operated effectively throughout" not in text
    assert "\n\nThis assertion is about the design of the controls as of that date (Type I)" in text


def test_without_registers_it_says_none_is_named(tmp_path):
    text = _render(_program(tmp_path / "p", registers=False))
    assert "The description names no subservice organization" in text
    assert "The description names no complementary user entity control." in text
    assert "complementary controls assumed" not in text
    assert "${" not in text


def test_program_values_cannot_add_markup(tmp_path):
    config = (
        "organization: '<script>alert(1)</script> [x](javascript:alert(1)) **Co**'\n"
        "system:\n  name: '# Heading | pipe'\n"
        "audit:\n  type: type2\n  period: {start: 2026-01-01, end: 2026-06-30}\n"
        "scope:\n  categories: [security]\n"
    )
    text = _render(_program(tmp_path / "p", registers=False, config=config))
    page = markdown.markdown(text, extensions=["tables"])
    assert "<script>" not in page
    assert "<a " not in page
    assert "<strong>Co</strong>" not in page
    assert "<h1>Heading" not in page
    shown = html.unescape(re.sub(r"<[^>]+>", "", page))
    assert "management of <script>alert(1)</script> [x](javascript:alert(1)) **Co**, are responsible" in shown
    assert "of # Heading | pipe (the description)" in shown


def test_the_command_prints_it_and_takes_a_view(tmp_path):
    root = _program(tmp_path / "p")
    result = run_cli("assertion", "--root", str(root))
    assert result.returncode == 0, result.stderr
    assert "throughout the period 2026-01-01 to 2026-06-30" in result.stdout
    as_of = run_cli("assertion", "--root", str(root), "--as-of", "2026-05-01")
    assert "as of 2026-05-01" in as_of.stdout
    bad = run_cli("assertion", "--root", str(root), "--as-of", "2026-13-01")
    assert bad.returncode == 2
    assert "Traceback" not in bad.stderr
