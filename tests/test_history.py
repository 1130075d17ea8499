from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from soc2kit import history as hist
from soc2kit.history import HistoryUnavailableError, iter_commits, load_history, pr_number
from tests.gitrepo import ALICE, BOB, CAROL, GitRepo, program_repo

POLICY_PATH = "policies/information-security.md"


@pytest.fixture(autouse=True)
def _fresh_cache():
    hist.clear_cache()
    yield
    hist.clear_cache()


def _pr_repo(root: Path) -> GitRepo:
    """main: initial program; PR #12 merged (renames a control, edits the policy); PR #13 squashed."""
    repo = program_repo(root)
    repo.branch("rename-control")
    repo.rename("controls/TC-02.md", "controls/TC-02-renamed.md")
    repo.commit("Rename TC-02", author=BOB, trailers=[("Reviewed-by", "Carol Chen <carol@example.com>")])
    repo.replace(POLICY_PATH, "Why.", "Why we do it.")
    repo.commit("Explain the purpose", author=BOB, signoff=True)
    repo.checkout("main")
    repo.merge_pr("rename-control", 12)
    repo.branch("squash-me")
    repo.replace(POLICY_PATH, 'version: "1.0"', 'version: "1.1"')
    repo.commit("Bump the version", author=CAROL)
    repo.checkout("main")
    repo.squash_pr(
        "squash-me", 13, "Bump the security policy", author=CAROL, trailers=(("Approved-by", "Bob Brown <bob@example.com>"),)
    )
    repo.write("README.md", "not part of the program\n")
    repo.commit("Add a README")
    return repo


def test_pr_number_reads_merge_commits_and_squash_subjects():
    assert pr_number("Merge pull request #12 from acme/feature") == 12
    assert pr_number("Tighten reviews (#123)") == 123
    assert pr_number("Tighten reviews (#123) ") == 123
    assert pr_number("Mention #12 in passing") is None
    assert pr_number("Merge branch 'main' into feature") is None


def test_first_parent_history_lists_main_line_changes_with_pr_numbers(tmp_path):
    repo = _pr_repo(tmp_path / "repo")
    history = load_history(repo.root)
    assert history.available
    assert history.note == ""
    assert history.branch == "main"
    subjects = [c.subject for c in history.commits]
    assert subjects == [
        "Bump the security policy (#13)",
        "Merge pull request #12 from acme/rename-control",
        "Start the SOC 2 program",
    ]
    assert [c.pr for c in history.commits] == [13, 12, None]
    merge = history.commits[1]
    assert merge.is_merge
    assert {(c.status, c.path, c.old_path) for c in merge.changes} == {
        ("renamed", "controls/TC-02-renamed.md", "controls/TC-02.md"),
        ("modified", POLICY_PATH, None),
    }


def test_revisions_follow_renames_back_to_the_commit_that_added_the_file(tmp_path):
    repo = _pr_repo(tmp_path / "repo")
    history = load_history(repo.root)
    revisions = history.revisions("controls/TC-02-renamed.md")
    assert [(r.change.status, r.path) for r in revisions] == [
        ("renamed", "controls/TC-02-renamed.md"),
        ("added", "controls/TC-02.md"),
    ]
    added = history.first_added("controls/TC-02-renamed.md")
    assert added is not None
    assert added.commit.subject == "Start the SOC 2 program"
    last = history.last_changed(POLICY_PATH)
    assert last is not None
    assert last.pr == 13


def test_full_history_includes_branch_commits_trailers_and_signoffs(tmp_path):
    repo = _pr_repo(tmp_path / "repo")
    commits = list(iter_commits(repo.root))
    by_subject = {c.subject: c for c in commits}
    assert "Rename TC-02" in by_subject
    assert "Merge pull request #12 from acme/rename-control" in by_subject
    renamed = by_subject["Rename TC-02"]
    assert renamed.author == "Bob Brown <bob@example.com>"
    assert renamed.approvers == ["Carol Chen <carol@example.com>"]
    assert renamed.pr is None
    explained = by_subject["Explain the purpose"]
    assert explained.signed_off_by == ["Bob Brown <bob@example.com>"]
    squash = by_subject["Bump the security policy (#13)"]
    assert squash.trailer("approved-by") == ["Bob Brown <bob@example.com>"]
    assert squash.author_date.isoformat() == squash.committer_date.isoformat()
    assert squash.signature == "N"
    assert "Add a README" not in by_subject


def test_since_and_until_filter_by_committer_day(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    for day in ("2026-01-01", "2026-01-02", "2026-01-03"):
        repo.write(f"policies/{day}.md", day)
        repo.commit(f"Policy of {day}", date=f"{day}T12:00:00+00:00")
    found = [c.subject for c in iter_commits(repo.root, since=date(2026, 1, 2), until=date(2026, 1, 2))]
    assert found == ["Policy of 2026-01-02"]


def test_program_in_a_subfolder_reports_paths_relative_to_the_program(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("compliance/soc2kit.yml", "organization: X\n")
    repo.write("compliance/policies/a.md", "a")
    repo.write("policies/outside.md", "not the program's")
    repo.commit("Start")
    history = load_history(repo.root / "compliance")
    assert history.paths() == ["policies/a.md", "soc2kit.yml"]


def test_good_ssh_signature_reads_as_good(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.enable_ssh_signing()
    repo.write("policies/signed.md", "signed")
    repo.commit("Signed change", sign=True)
    newest = next(iter_commits(repo.root))
    assert newest.subject == "Signed change"
    assert newest.signature == "G"


def test_shallow_clone_works_and_warns_that_history_is_cut(tmp_path):
    repo = _pr_repo(tmp_path / "repo")
    clone = repo.shallow_clone(tmp_path / "clone", depth=1)
    history = load_history(clone.root)
    assert history.available
    assert history.shallow
    assert "shallow clone" in history.note
    assert [c.subject for c in history.commits] == ["Add a README"]
    assert all(change.status == "added" for change in history.commits[0].changes)


def test_outside_git_history_is_off_with_a_clear_note(tmp_path):
    folder = tmp_path / "plain"
    folder.mkdir()
    history = load_history(folder)
    assert not history.available
    assert "not in a Git repository" in history.note
    assert history.commits == []
    assert history.revisions("policies/a.md") == []
    with pytest.raises(HistoryUnavailableError, match="not in a Git repository"):
        history.require()


def test_repository_without_commits_has_no_history(tmp_path):
    repo = GitRepo.create(tmp_path / "empty")
    history = load_history(repo.root)
    assert not history.available
    assert "no commits" in history.note


def test_history_is_cached_per_head_and_reread_after_a_new_commit(tmp_path):
    repo = program_repo(tmp_path / "repo")
    first = load_history(repo.root)
    assert load_history(repo.root) is first
    repo.write("policies/new.md", "x")
    repo.commit("Add new")
    second = load_history(repo.root)
    assert second is not first
    assert second.commits[0].subject == "Add new"


def test_paths_with_spaces_and_unicode_survive_the_stream(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("evidence/AC-01/Zugriffsprüfung Q1.pdf", b"%PDF")
    repo.commit("Evidence", author=ALICE)
    assert load_history(repo.root).paths() == ["evidence/AC-01/Zugriffsprüfung Q1.pdf"]
