"""The portal's Changes page and revision tables on repositories merged as GitHub merges: authors,
merger and approvers in their own columns, excepted findings shown, every value escaped."""

from __future__ import annotations

from pathlib import Path

import pytest

from soc2kit.site.pages import build_pages
from soc2kit.site.portal import load_portal
from tests.gitrepo import ALICE, BOB, CAROL, GitRepo, program_repo
from tests.test_site import HOSTILE_TEXT, _injected, _visible_text, mkdocs, with_site

GITHUB = ("GitHub", "noreply@github.com")
POLICY = "policies/information-security.md"


def _web_merge(repo: GitRepo, branch: str, pr: int, merger: tuple[str, str], trailers: str = "") -> str:
    message = f"Merge pull request #{pr} from acme/{branch}\n\n{branch}" + (f"\n\n{trailers}" if trailers else "")
    repo.git("merge", "-q", "--no-ff", "-m", message, branch, author=merger, committer=GITHUB, date=repo.tick())
    return repo.head()


def _register(commit: str, finding: str, reason: str, accepted_by: str) -> str:
    quoted = [value.replace("\\", "\\\\").replace('"', '\\"') for value in (reason, accepted_by)]
    return (
        f'exceptions:\n  - commit: {commit}\n    finding: {finding}\n    reason: "{quoted[0]}"\n'
        f'    accepted_by: "{quoted[1]}"\n    accepted_on: 2026-03-01\n'
    )


@pytest.fixture
def github_repo(tmp_path: Path) -> GitRepo:
    """Alice's branch merged by Bob with GitHub's merge button (approved by Carol in a trailer), Carol's
    change squashed by GitHub, and a direct push by Bob that the exceptions register accepts."""
    repo = program_repo(tmp_path / "repo")
    repo.branch("alice")
    repo.replace(POLICY, "Why.", "Why we do it.")
    repo.commit("Explain the purpose", author=ALICE)
    repo.checkout("main")
    _web_merge(repo, "alice", 20, BOB, "Approved-by: Carol Chen <carol@example.com>")
    repo.branch("carol")
    repo.replace("controls/TC-01.md", "The IT Manager reviews access.", "The IT Manager reviews access monthly.")
    repo.commit("Monthly reviews", author=CAROL)
    repo.checkout("main")
    repo.squash_pr("carol", 21, "Review access monthly", author=CAROL, committer=GITHUB)
    repo.replace("controls/TC-02.md", "The IT Manager reviews access.", "Reviewed.")
    pushed = repo.commit("Hotfix pushed directly", author=BOB)
    repo.write(
        "registers/change-exceptions.yml", _register(pushed[:12], "SK601", "Outage fix <b>at night</b> | urgent", "Carol Chen")
    )
    repo.commit("Accept the hotfix (#22)", author=CAROL)
    return repo


def _cells(row: str) -> list[str]:
    return [cell.strip() for cell in row.strip().strip("|").split("|")]


def test_changes_page_shows_authors_merger_and_approvers_in_their_own_columns(github_repo: GitRepo) -> None:
    pages = {p.path: p.markdown for p in build_pages(load_portal(github_repo.root, use_cache=False))}
    changes = pages["changes.md"]
    header = next(line for line in changes.splitlines() if line.startswith("| Date |"))
    columns = _cells(header)
    assert columns[:4] == ["Date", "Authors", "Merged by", "Pull request"]
    assert "Approved by" in columns
    assert "Excepted" in columns
    merge = dict(zip(columns, _cells(next(line for line in changes.splitlines() if "#20" in line)), strict=True))
    assert merge["Authors"] == "Alice Adams"
    assert merge["Merged by"] == "Bob Brown"
    assert merge["Approved by"] == "Carol Chen"
    squash = dict(
        zip(columns, _cells(next(line for line in changes.splitlines() if "Review access monthly" in line)), strict=True)
    )
    assert (squash["Authors"], squash["Merged by"]) == ("Carol Chen", "—")
    hotfix = dict(
        zip(columns, _cells(next(line for line in changes.splitlines() if "Hotfix pushed directly" in line)), strict=True)
    )
    assert (hotfix["Authors"], hotfix["Merged by"]) == ("Bob Brown", "—")
    assert "SK601 excepted" in hotfix["Excepted"]
    assert "by Carol Chen on 2026-03-01: Outage fix" in hotfix["Excepted"]
    assert "<b>" not in hotfix["Excepted"]
    assert all("Bob Brown" not in row["Authors"] for row in (merge, squash))


def test_a_policy_revision_table_never_lists_the_merger_as_author(github_repo: GitRepo) -> None:
    pages = {p.path: p.markdown for p in build_pages(load_portal(github_repo.root, use_cache=False))}
    policy = pages["policies/POL-ISP.md"]
    history = policy.split("## Revision history")[1]
    header = _cells(next(line for line in history.splitlines() if line.startswith("| Date |")))
    assert header[:4] == ["Date", "Authors", "Merged by", "Pull request"]
    merge = dict(zip(header, _cells(next(line for line in history.splitlines() if "#20" in line)), strict=True))
    assert (merge["Authors"], merge["Merged by"], merge["Approved by"]) == ("Alice Adams", "Bob Brown", "Carol Chen")
    assert "<dd>2026-01-05 by Alice Adams, merged by Bob Brown &#40;&#35;20&#41;</dd>" in policy
    control = pages["controls/TC-02.md"].split("## Revision history")[1]
    assert "SK601 excepted" in control


def test_hostile_register_values_and_names_show_as_text_in_the_built_portal(github_repo: GitRepo) -> None:
    pushed = github_repo.git("rev-parse", "HEAD~1").strip()
    github_repo.write("registers/change-exceptions.yml", _register(pushed, "SK601", HOSTILE_TEXT, HOSTILE_TEXT))
    github_repo.commit("Hostile register (#23)")
    github_repo.branch("eve")
    github_repo.replace(POLICY, "Why we do it.", "Why.")
    github_repo.commit("Eve's change", author=('Eve " onmouseover="alert(20) [e](javascript:alert(21))', "eve@example.com"))
    github_repo.checkout("main")
    _web_merge(github_repo, "eve", 24, ("Mallory <img src=x onerror=alert(22)>", "m@example.com"))
    with_site(github_repo)
    result = mkdocs(github_repo.root)
    assert result.returncode == 0, result.stderr
    site = github_repo.root / "site"
    assert {str(page.relative_to(site)): _injected(page) for page in site.rglob("*.html") if _injected(page)} == {}
    changes = _visible_text(site / "changes" / "index.html")
    assert HOSTILE_TEXT in changes
    assert 'Eve " onmouseover="alert(20) [e](javascript:alert(21))' in changes
