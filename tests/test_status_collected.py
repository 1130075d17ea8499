"""Evidence requirements a collector feeds are shown to people as automatic: in `status` (table,
Markdown, JSON) and on the portal's control page, next to the requirements filled by hand."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import run_cli
from tests.gitrepo import GitRepo
from tests.test_readiness import quarterly_repo

AUTOMATIC = "automatic: aws/iam-credential-report"


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    """The 2025 Type II program of tests/test_readiness.py (TC-03 misses 2025-Q3), TC-03's review fed by a collector."""
    repo = quarterly_repo(tmp_path / "repo")
    repo.replace(
        "controls/TC-03.md",
        "    description: Signed review\n",
        "    description: Signed review\n    collector: aws/iam-credential-report\n",
    )
    return repo


def test_status_json_table_and_markdown_show_the_collector(repo: GitRepo) -> None:
    report = json.loads(run_cli("status", str(repo.root), "--format", "json", "--no-cache").stdout)
    collectors = {(c["id"], r["id"]): r["collector"] for c in report["controls"] for r in c["requirements"]}
    assert collectors[("TC-03", "review")] == "aws/iam-credential-report"
    assert {v for k, v in collectors.items() if k[0] != "TC-03"} == {None}

    table = run_cli("status", str(repo.root), "--no-cache").stdout
    assert "Collected evidence (1), requirements a collector feeds (`soc2kit collect`)" in table
    assert f"  TC-03      review                       {AUTOMATIC}  newest 2026-01-05" in table
    missing = next(line for line in table.splitlines() if line.startswith("  2025-Q3"))
    assert missing.endswith(f"due 2025-10-30  {AUTOMATIC}")  # a missing automatic window: the collector did not run

    markdown = run_cli("status", str(repo.root), "--format", "md", "--no-cache").stdout
    assert "## Collected evidence (1)" in markdown
    assert "| TC-03 | review | automatic: <code>aws/iam-credential-report</code> | 2026-01-05 | no |" in markdown


def test_status_says_none_without_collectors(tmp_path: Path) -> None:
    plain = quarterly_repo(tmp_path / "plain")
    table = run_cli("status", str(plain.root), "--no-cache").stdout
    assert "Collected evidence (0), requirements a collector feeds (`soc2kit collect`)\n  none" in table
    assert "automatic:" not in table


def test_the_control_page_shows_the_collector_of_each_requirement(repo: GitRepo) -> None:
    from soc2kit.site.pages import controls
    from soc2kit.site.portal import load_portal

    portal = load_portal(repo.root, use_cache=False)
    tc03 = controls.page(portal, portal.program.controls["TC-03"]).markdown
    assert "| Requirement | What | Frequency | Records | Collected |" in tc03
    row = next(line for line in tc03.splitlines() if line.startswith("| <code>review</code>"))
    assert row.endswith("| automatic: <code>aws/iam-credential-report</code> |")
    tc04 = controls.page(portal, portal.program.controls["TC-04"]).markdown
    assert next(line for line in tc04.splitlines() if line.startswith("| <code>")).endswith("| by hand |")


def test_a_real_portal_build_shows_the_collector_on_the_control_page(repo: GitRepo) -> None:
    from tests.test_site import html, mkdocs, text_of, with_site

    with_site(repo)
    result = mkdocs(repo.root, "--strict")
    assert result.returncode == 0, result.stderr
    page = html(repo, "controls/TC-03")
    assert "<code>aws/iam-credential-report</code>" in page
    assert AUTOMATIC in text_of(page)
    assert "by hand" in text_of(html(repo, "controls/TC-04"))
