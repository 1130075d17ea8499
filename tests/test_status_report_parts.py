"""What `status` and the portal show of the report's other parts: criteria resting on subservice
organizations (carve-outs and their CSOCs), and the dashboard's design, operation and exceptions."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from soc2kit.loader import load_program
from soc2kit.readiness import assess
from tests.conftest import make_program, run_cli
from tests.test_readiness import quarterly_repo
from tests.test_readiness_exceptions import deviation, log

SUBSERVICE = """\
subservice_organizations:
  - id: aws
    name: Amazon Web Services
    services: Hosting of the platform.
    method: carve-out
    criteria: [CC6.4]
    csocs:
      - id: CSOC-AWS-01
        description: Only authorized staff enter the data centers.
        criteria: [CC6.4]
"""


def test_carved_out_criteria_list_their_organizations_and_csocs_and_count_only_our_controls(tmp_path: Path) -> None:
    program = make_program(tmp_path / "p", quarters=2)
    program.write("registers/subservice-organizations.yml", SUBSERVICE)
    readiness = assess(load_program(program.root, use_cache=False, today=date(2026, 8, 15)))
    criteria = {c.id: c for c in readiness.criteria}
    cc64 = criteria["CC6.4"]
    assert (cc64.carved_out, cc64.csocs, cc64.state) == (["aws"], ["CSOC-AWS-01"], "ready")
    assert "CSOC-AWS-01" not in cc64.controls
    assert all(c.controls == c.ready_controls for c in readiness.criteria)  # only our TC-nn controls
    assert (criteria["CC6.1"].carved_out, criteria["CC6.1"].csocs) == ([], [])

    report = json.loads(run_cli("status", str(program.root), "--format", "json", "--no-cache").stdout)
    entry = next(c for c in report["criteria"] if c["id"] == "CC6.4")
    assert (entry["carved_out"], entry["csocs"]) == (["aws"], ["CSOC-AWS-01"])
    table = run_cli("status", str(program.root), "--no-cache").stdout
    assert "Criteria resting on subservice organizations (1): ready only through our controls" in table
    assert "  CC6.4   carved out: aws · CSOCs: CSOC-AWS-01  (ours: 1/1 ready)" in table
    markdown = run_cli("status", str(program.root), "--format", "md", "--no-cache").stdout
    assert "| CC6.4 | aws | CSOC\\-AWS\\-01 | 1/1 |" in markdown or "| CC6.4 | aws | CSOC-AWS-01 | 1/1 |" in markdown


def test_the_dashboard_shows_design_operation_and_exceptions_separately(tmp_path: Path) -> None:
    from soc2kit.site.pages import controls, dashboard
    from soc2kit.site.portal import load_portal

    repo = quarterly_repo(tmp_path / "repo")
    log(repo, deviation(1, "TC-03", window="2025-Q3"))
    portal = load_portal(repo.root, use_cache=False)
    page = dashboard.page(portal).markdown
    assert "## Design and operation" in page
    assert 'data-metric="controls-designed">9/9<' in page
    assert 'data-metric="controls-operating">9/9<' in page
    assert 'data-metric="windows-satisfied">35<' in page
    assert 'data-metric="windows-exception">1<' in page
    assert 'data-metric="windows-missing">0<' in page
    assert "### Exceptions noted" in page
    assert "The quarterly access review was not performed." in page
    tc03 = controls.page(portal, portal.program.controls["TC-03"]).markdown
    assert "exception noted" in tc03
    assert "DEV-001" in tc03 or "DEV\\-001" in tc03


def test_the_type1_dashboard_says_no_window_is_demanded(tmp_path: Path) -> None:
    from soc2kit.site.pages import controls, dashboard
    from soc2kit.site.portal import load_portal

    repo = quarterly_repo(tmp_path / "repo")
    repo.replace(
        "soc2kit.yml", "  type: type2\n  period: {start: 2025-01-01, end: 2025-12-31}", "  type: type1\n  as_of: 2025-11-15"
    )
    portal = load_portal(repo.root, use_cache=False)
    page = dashboard.page(portal).markdown
    assert 'data-metric="controls-designed">9/9<' in page
    assert 'data-metric="controls-operating"' not in page
    assert "A Type I examines design as of 2025-11-15" in page
    tc03 = controls.page(portal, portal.program.controls["TC-03"]).markdown
    assert "A Type I examines design as of 2025-11-15: no evidence window is demanded." in tc03


def test_a_real_portal_build_shows_the_exception_on_the_dashboard_and_the_control(tmp_path: Path) -> None:
    from tests.test_site import html, mkdocs, text_of, with_site

    repo = quarterly_repo(tmp_path / "repo")
    log(repo, deviation(1, "TC-03", window="2025-Q3"))
    with_site(repo)
    result = mkdocs(repo.root, "--strict")
    assert result.returncode == 0, result.stderr
    home = html(repo, "")
    assert 'data-metric="windows-exception">1<' in home
    assert 'data-metric="windows-missing">0<' in home
    assert "The quarterly access review was not performed." in text_of(home)
    control = text_of(html(repo, "controls/TC-03"))
    assert "2025-Q3 exception noted" in control
    assert "DEV-001 (2025-Q3): The quarterly access review was not performed." in control
