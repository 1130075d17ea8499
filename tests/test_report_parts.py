"""Issue 13's end-to-end scenario: a program made by `soc2kit init` from the starter, with a carved-out
cloud provider, two complementary user entity controls, one approved deviation and one subservice
organization whose report has expired, seen the same way by `check`, `status --format json`, the
portal and the auditor's bundle."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import mkdocs, run_cli
from tests.gitrepo import GitRepo

PERIOD = "2026-01-01..2026-06-30"

SUBSERVICE = """\
subservice_organizations:
  - id: aws
    name: Amazon Web Services
    services: Hosts the platform's servers, storage and network.
    method: carve-out
    criteria: [CC6.4, A1.2]
    monitored_by: [VEN-03]
    report:
      type: type2
      period: {start: 2025-07-01, end: 2026-06-30}
      opinion_date: 2026-08-15
    csocs:
      - id: CSOC-AWS-01
        description: Only approved staff enter the data centers, and entry is logged.
        criteria: [CC6.4]
      - id: CSOC-AWS-02
        description: Data centers have backup power and cooling that are tested.
        criteria: [A1.2]
  - id: mailco
    name: MailCo
    services: Sends the platform's notification e-mail.
    method: carve-out
    criteria: [CC2.3]
    monitored_by: [VEN-03]
    report:
      type: type2
      period: {start: 2024-01-01, end: 2024-12-31}
      opinion_date: 2025-02-20
    csocs:
      - id: CSOC-MAILCO-01
        description: Messages are delivered only to the addresses they are sent to.
        criteria: [CC2.3]
"""

CUECS = """\
user_entity_controls:
  - id: CUEC-01
    description: Customers remove their users' accounts when the users leave.
    criteria: [CC6.2]
  - id: CUEC-02
    description: Customers keep their security contact current.
    criteria: [CC2.3]
"""

DEVIATIONS = """\
deviations:
  - id: DEV-001
    control: AC-06
    requirement: access-review-package
    window: 2026-Q1
    description: The Q1 access review of the CI pipeline was signed off 12 days after the quarter's deadline.
    cause: The system owner was on leave and no delegate was named.
    effect: Access to the CI pipeline went unreviewed for 12 more days; no inappropriate access was found.
    remediation: Each system owner now names a delegate in the review ticket.
    management_response: Management accepts the finding; delegates are named from Q2 on.
    approved_by: Head of Security
    approved_on: 2026-04-30
"""


@pytest.fixture(scope="module")
def program(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("report-parts") / "acme"
    made = run_cli(
        "init", str(root), "--org", "Acme Inc.", "--system", "Acme Platform", "--categories", "security,availability",
        "--type", "type2", "--period-start", "2026-01-01", "--period-end", "2026-06-30",
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    (root / "registers" / "subservice-organizations.yml").write_text(SUBSERVICE, encoding="utf-8")
    (root / "registers" / "user-entity-controls.yml").write_text(CUECS, encoding="utf-8")
    (root / "registers" / "deviations.yml").write_text(DEVIATIONS, encoding="utf-8")
    repo = GitRepo(root)
    repo.commit("Record the subservice organizations, CUECs and the Q1 deviation")
    return root


def _findings(root: Path) -> list[dict]:
    result = run_cli("check", str(root), "--no-cache", "--format", "json")
    assert result.returncode in (0, 1), result.stderr
    return json.loads(result.stdout)["diagnostics"]


def test_check_reports_the_expired_report_and_nothing_about_the_rest_of_the_registers(program: Path) -> None:
    register = [f for f in _findings(program) if f["path"].startswith("registers/")]
    assert [(f["code"], f["severity"]) for f in register] == [("SK712", "error")]
    assert "MailCo" in register[0]["message"] or "mailco" in register[0]["message"]
    line = SUBSERVICE.splitlines()[register[0]["line"] - 1]
    assert line.strip().startswith(("- id: mailco", "report:", "period:", "opinion_date:")), line


def test_status_json_shows_the_exception_the_carve_out_and_its_csocs(program: Path) -> None:
    result = run_cli("status", str(program), "--no-cache", "--format", "json")
    assert result.returncode == 0, result.stderr
    status = json.loads(result.stdout)
    control = next(c for c in status["controls"] if c["id"] == "AC-06")
    assert control["exceptions"] == ["DEV-001"]
    requirement = next(r for r in control["requirements"] if r["id"] == "access-review-package")
    q1 = next(run for run in requirement["windows"] if run["first"] == "2026-Q1")
    assert q1["state"] == "exception"
    assert q1["deviations"] == ["DEV-001"]
    q2 = next(run for run in requirement["windows"] if run["first"] == "2026-Q2")
    assert q2["state"] == "missing"
    cc64 = next(c for c in status["criteria"] if c["id"] == "CC6.4")
    assert cc64["carved_out"] == ["aws"]
    assert cc64["csocs"] == ["CSOC-AWS-01"]
    assert "CC6.4" not in [e["criterion"] for e in status["exclusions"]]


def test_portal_lists_the_registers_and_the_deviation(program: Path) -> None:
    built = mkdocs(program)
    assert built.returncode == 0, built.stderr
    pages = {path: path.read_text(encoding="utf-8") for path in (program / "site").rglob("*.html")}
    text = "\n".join(pages.values())
    for needle in ("DEV-001", "CUEC-01", "CUEC-02", "CSOC-AWS-01", "MailCo", "exception noted"):
        assert needle in text, needle
    deviation_pages = [page for page in pages.values() if "The system owner was on leave" in page]
    assert deviation_pages, "the deviation's cause is on a page"


def test_bundle_carries_section_iii_and_iv_parts(program: Path, tmp_path: Path) -> None:
    target = tmp_path / "bundle.zip"
    built = run_cli("bundle", "--root", str(program), "--period", PERIOD, "-o", str(target))
    assert built.returncode == 0, built.stderr
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        deviations = json.loads(archive.read("DEVIATIONS.json"))
        cuecs = json.loads(archive.read("USER-ENTITY-CONTROLS.json"))
        organizations = json.loads(archive.read("SUBSERVICE-ORGANIZATIONS.json"))
        assertion = archive.read("MANAGEMENT-ASSERTION.md").decode("utf-8")
        windows = list(csv.DictReader(io.StringIO(archive.read("control-windows.csv").decode("utf-8"))))
    assert any(name.startswith("system-description/") for name in names)
    assert [d["id"] for d in _entries(deviations)] == ["DEV-001"]
    assert [c["id"] for c in _entries(cuecs)] == ["CUEC-01", "CUEC-02"]
    assert {o["id"] for o in _entries(organizations)} == {"aws", "mailco"}
    assert "Amazon Web Services" in assertion
    assert "carve" in assertion.lower()
    assert "2026-01-01" in assertion
    assert "2026-06-30" in assertion
    q1 = [
        row
        for row in windows
        if row["control"] == "AC-06" and row["requirement"] == "access-review-package" and "2026-Q1" in row["windows"]
    ]
    assert q1
    assert all("DEV-001" in row["deviations"] for row in q1)


def _entries(document: object) -> list[dict]:
    """The list inside a bundle JSON file, whether it is the top level or under one key."""
    if isinstance(document, list):
        return document
    assert isinstance(document, dict)
    lists = [value for value in document.values() if isinstance(value, list)]
    assert len(lists) == 1, document.keys()
    return lists[0]
