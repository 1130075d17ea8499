"""soc2kit.git: the one place soc2kit starts git, with a fixed environment and pinned output formats."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from soc2kit.git import Background, Blobs, GitError, HistoryUnavailableError, last_line, repo_info, run, text
from soc2kit.history import iter_commits, load_history
from tests.gitrepo import GitRepo, counting_git_path, program_repo

PACKAGE = Path(__file__).resolve().parent.parent / "soc2kit"


def test_no_module_but_soc2kit_git_starts_a_process_or_opens_a_repository():
    spawning = re.compile(r"\bsubprocess\b|\bPopen\b|\bos\.system\b|\bimport git\b|\bfrom git\b|git\.Repo|\[\"git\"")
    offenders = [
        f"{path.relative_to(PACKAGE.parent)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        if path.name != "git.py" or path.parent != PACKAGE
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if spawning.search(line)
    ]
    assert offenders == []


def test_git_error_names_the_last_line_git_wrote_and_the_exit_status(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    with pytest.raises(GitError) as raised:
        run(["rev-parse", "--verify", "no-such-branch^{commit}"], cwd=repo.root)
    assert raised.value.status == 128
    assert raised.value.detail == "fatal: Needed a single revision"
    assert last_line("warning: first\n\n  fatal: the reason  \n\n") == "fatal: the reason"
    assert last_line(b"") == ""


def test_git_left_to_run_in_the_background_answers_as_run_does_and_can_be_stopped(tmp_path):
    repo = program_repo(tmp_path / "repo")
    job = Background(["rev-parse", "HEAD"], cwd=repo.root)
    assert job.output() == run(["rev-parse", "HEAD"], cwd=repo.root)
    assert job.done
    failing = Background(["rev-parse", "--verify", "no-such-branch^{commit}"], cwd=repo.root)
    with pytest.raises(GitError) as raised:
        failing.output()
    assert (raised.value.status, raised.value.detail) == (128, "fatal: Needed a single revision")
    waiting = Background(["-c", "alias.wait=!sleep 5", "wait"], cwd=repo.root)
    assert not waiting.done
    waiting.close()
    assert waiting.done


def test_without_git_every_call_is_one_clear_error(tmp_path, monkeypatch):
    repo = program_repo(tmp_path / "repo")
    empty = tmp_path / "no-git-here"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))
    with pytest.raises(GitError) as raised:
        run(["status"], cwd=repo.root)
    assert raised.value.status is None
    assert "git cannot be run" in raised.value.detail
    with pytest.raises(HistoryUnavailableError, match="git cannot be run"):
        repo_info(repo.root)
    with pytest.raises(GitError, match="git cannot be run"):
        Background(["log"], cwd=repo.root)
    assert not load_history(repo.root).available


def test_user_settings_do_not_change_what_soc2kit_parses(tmp_path):
    repo = program_repo(tmp_path / "repo")
    name = "policies/r\u00e9sum\u00e9.md"
    repo.write(name, "---\nid: POL-R\n---\n# R\n")
    repo.commit("Add a policy with an accented name")
    for key, value in (
        ("core.quotePath", "true"),
        ("color.ui", "always"),
        ("log.showSignature", "true"),
        ("log.decorate", "full"),
        ("core.pager", "false"),
    ):
        repo.git("config", key, value)
    newest = next(iter_commits(repo.root))
    assert [change.path for change in newest.changes] == [name]
    assert newest.subject == "Add a policy with an accented name"
    assert text(["log", "-1", "--format=%s"], cwd=repo.root) == "Add a policy with an accented name"


def test_repository_facts_take_one_process_and_survive_a_file_named_head(tmp_path, monkeypatch):
    repo = program_repo(tmp_path / "repo")
    repo.write("HEAD", "a file, not a revision\n")
    sha = repo.commit("A file named HEAD")
    log = tmp_path / "git.log"
    monkeypatch.setenv("PATH", counting_git_path(tmp_path / "bin", log))
    info = repo_info(repo.root)
    assert (info.head, info.branch, info.prefix, info.shallow) == (sha, "main", "", False)
    assert info.toplevel == repo.root.resolve()
    assert len(log.read_text(encoding="utf-8").splitlines()) == 1


def test_repository_facts_before_the_first_commit_and_on_a_detached_head(tmp_path):
    repo = GitRepo.create(tmp_path / "repo", branch="trunk")
    (repo.root / "sub").mkdir()
    info = repo_info(repo.root / "sub")
    assert (info.head, info.branch, info.prefix) == (None, "trunk", "sub/")
    repo.write("sub/x.txt", "x\n")
    sha = repo.commit("First")
    repo.detach()
    info = repo_info(repo.root / "sub")
    assert (info.head, info.branch, info.prefix) == (sha, None, "sub/")
    with pytest.raises(HistoryUnavailableError, match="not inside a Git repository"):
        repo_info(tmp_path)


def test_blobs_answer_missing_objects_and_trees_and_stay_in_step(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/one.md", "one\n")
    repo.write("policies/two.md", "two\n")
    sha = repo.commit("Two policies")
    with Blobs(repo.root) as blobs:
        assert blobs.read(f"{sha}:policies/none.md") is None
        assert blobs.read(f"{sha}:policies") is None  # a tree is not a blob
        assert blobs.exists(f"{sha}:policies")
        assert not blobs.exists(f"{sha}:nothing")
        assert blobs.read(f"{sha}:policies/one.md") == b"one\n"
        assert blobs.read("not a revision at all:x") is None
        assert blobs.read(f"{sha}:policies/two.md") == b"two\n"


def test_lineage_sees_a_file_deleted_and_added_again_where_revisions_stop(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("evidence/TC-01/log.txt", "first\n")
    first = repo.commit("Add the log")
    repo.remove("evidence/TC-01/log.txt")
    repo.commit("Remove the log")
    repo.write("evidence/TC-01/log.txt", "second\n")
    repo.commit("Add the log again")
    repo.rename("evidence/TC-01/log.txt", "evidence/TC-01/moved.txt")
    repo.commit("Move the log")
    history = load_history(repo.root)
    lineage = history.lineage("evidence/TC-01/moved.txt")
    assert [r.change.status for r in lineage] == ["renamed", "added", "deleted", "added"]
    assert lineage[-1].sha == first
    assert [r.change.status for r in history.revisions("evidence/TC-01/moved.txt")] == ["renamed", "added"]
