"""soc2kit.authorship on real repositories merged the ways GitHub merges: merge button, squash, rebase, direct push."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from soc2kit.authorship import Authorship, MergedAuthors, authorship, github_pr, merged_authors
from soc2kit.history import Commit, HistoryUnavailableError, iter_commits
from tests.gitrepo import ALICE, BOB, CAROL, GitRepo, counting_git_path

GITHUB = ("GitHub", "noreply@github.com")
DAVE = ("Dave Diaz", "dave@example.com")


def _who(person: tuple[str, str]) -> str:
    return f"{person[0]} <{person[1]}>"


def _main_line(repo: GitRepo) -> dict[str, Commit]:
    return {commit.sha: commit for commit in iter_commits(repo.root, rev="main", first_parent=True, paths=())}


def _web_merge(repo: GitRepo, branch: str, pr: int, merger: tuple[str, str]) -> str:
    """The merge commit GitHub's merge button makes: the merger as author, GitHub as committer."""
    repo.git(
        "merge", "-q", "--no-ff", "-m", f"Merge pull request #{pr} from acme/{branch}\n\n{branch}", branch,
        author=merger, committer=GITHUB, date=repo.tick(),
    )  # fmt: skip
    return repo.head()


def _edit(repo: GitRepo, name: str, author: tuple[str, str], subject: str = "") -> str:
    repo.write(name, f"{name} by {author[0]} at {repo.clock.isoformat()}\n")
    return repo.commit(subject or f"Edit {name}", author=author)


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = GitRepo.create(tmp_path / "repo")
    _edit(repo, "README.md", CAROL, "Start")
    return repo


def _judge(repo: GitRepo, sha: str, pr: int | None = None) -> Authorship:
    merged = merged_authors(repo.root, "main")
    return authorship(_main_line(repo)[sha], merged, pr=pr)


def test_github_merge_button_authors_are_the_branch_authors_and_the_merger_is_separate(repo: GitRepo) -> None:
    repo.branch("feature")
    _edit(repo, "a.md", ALICE)
    _edit(repo, "b.md", DAVE)
    _edit(repo, "a.md", ALICE)
    repo.checkout("main")
    merge = _web_merge(repo, "feature", 12, BOB)
    found = _judge(repo, merge)
    assert found == Authorship("merge", (_who(ALICE), _who(DAVE)), _who(BOB), _who(GITHUB))


def test_main_merged_into_the_branch_does_not_make_main_line_authors_authors_of_the_pull_request(repo: GitRepo) -> None:
    repo.branch("feature")
    _edit(repo, "a.md", ALICE)
    repo.checkout("main")
    _edit(repo, "c.md", CAROL, "Direct push on main")
    repo.branch("other")
    _edit(repo, "d.md", DAVE)
    repo.checkout("main")
    first = _web_merge(repo, "other", 11, BOB)
    repo.checkout("feature")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge branch 'main' into feature", "main", author=ALICE, date=repo.tick())
    _edit(repo, "a.md", ALICE)
    repo.checkout("main")
    second = _web_merge(repo, "feature", 12, BOB)
    merged = merged_authors(repo.root, "main")
    assert merged == {first: (_who(DAVE),), second: (_who(ALICE),)}


def test_sequential_pull_requests_each_get_only_their_own_commits(repo: GitRepo) -> None:
    shas = []
    for number, person in ((1, ALICE), (2, DAVE), (3, ALICE)):
        repo.branch(f"pr{number}")
        _edit(repo, f"{number}.md", person)
        repo.checkout("main")
        shas.append(_web_merge(repo, f"pr{number}", number, BOB if person != BOB else CAROL))
    merged = merged_authors(repo.root, "main")
    assert [merged[sha] for sha in shas] == [(_who(ALICE),), (_who(DAVE),), (_who(ALICE),)]
    assert merged_authors(repo.root, "main", shas=[shas[1]]) == {shas[1]: (_who(DAVE),)}


def test_octopus_merge_collects_every_merged_branch(repo: GitRepo) -> None:
    for name, person in (("x", ALICE), ("y", DAVE)):
        repo.branch(name, "main")
        _edit(repo, f"{name}.md", person)
        repo.checkout("main")
    repo.git("merge", "-q", "--no-ff", "-m", "Octopus", "x", "y", author=BOB, date=repo.tick())
    found = _judge(repo, repo.head())
    assert found.kind == "merge"
    assert found.authors == (_who(ALICE), _who(DAVE))
    assert found.merger == _who(BOB)


def test_squash_by_github_is_a_squash_with_the_commit_author(repo: GitRepo) -> None:
    repo.branch("feature")
    _edit(repo, "a.md", ALICE)
    repo.checkout("main")
    sha = repo.squash_pr("feature", 13, "Tighten access reviews", author=ALICE, committer=GITHUB)
    assert _judge(repo, sha) == Authorship("squash", (_who(ALICE),), None, _who(GITHUB))


def test_a_pull_request_number_typed_into_a_local_commit_is_a_direct_change(repo: GitRepo) -> None:
    _edit(repo, "a.md", ALICE, "Tighten access reviews (#13)")
    repo.branch("local")
    _edit(repo, "b.md", ALICE)
    repo.checkout("main")
    repo.git("merge", "-q", "--no-ff", "-m", "Merge pull request #14 from acme/local", "local", author=ALICE, date=repo.tick())
    line = _main_line(repo)
    squash_like = next(commit for commit in line.values() if commit.subject.endswith("(#13)"))
    merge_like = line[repo.head()]
    assert github_pr(squash_like) is None
    assert github_pr(merge_like) is None
    assert _judge(repo, squash_like.sha).kind == "direct"
    # a local merge is still a merge (its authors are still the branch's), but no pull request
    assert _judge(repo, merge_like.sha).kind == "merge"


def test_rebase_merge_commits_are_direct_until_github_confirms_the_pull_request(repo: GitRepo) -> None:
    repo.branch("feature")
    _edit(repo, "a.md", DAVE)
    _edit(repo, "b.md", DAVE)
    repo.checkout("main")
    _edit(repo, "c.md", CAROL)
    repo.git("rebase", "-q", "main", "feature", committer=GITHUB, date=repo.tick())
    repo.checkout("main")
    repo.git("merge", "-q", "--ff-only", "feature")
    head = repo.head()
    line = _main_line(repo)
    assert line[head].committer_email == GITHUB[1]
    assert line[head].author_email == DAVE[1]  # rebasing keeps the author
    assert _judge(repo, head) == Authorship("direct", (_who(DAVE),), None, _who(GITHUB))
    assert _judge(repo, head, pr=15) == Authorship("squash", (_who(DAVE),), None, _who(GITHUB))


def test_direct_push_and_root(repo: GitRepo) -> None:
    sha = _edit(repo, "a.md", ALICE, "Quick fix")
    line = _main_line(repo)
    root = next(commit for commit in line.values() if not commit.parents)
    assert _judge(repo, sha) == Authorship("direct", (_who(ALICE),), None, _who(ALICE))
    assert _judge(repo, root.sha).kind == "root"


def test_merge_that_brings_nothing_new_falls_back_to_its_own_author(repo: GitRepo) -> None:
    older = repo.head()
    _edit(repo, "a.md", ALICE)
    # git merge refuses to merge an ancestor; plumbing can still make such a commit
    sha = repo.git("commit-tree", "HEAD^{tree}", "-p", "HEAD", "-p", older, "-m", "Merge nothing", author=BOB, date=repo.tick())
    repo.git("update-ref", "refs/heads/main", sha.strip())
    assert _judge(repo, sha.strip()) == Authorship("merge", (_who(BOB),), _who(BOB), _who(BOB))


def test_one_git_process_for_the_whole_history(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for number in range(1, 6):
        repo.branch(f"pr{number}")
        _edit(repo, f"{number}.md", ALICE)
        repo.checkout("main")
        _web_merge(repo, f"pr{number}", number, BOB)
    log = tmp_path / "git.log"
    monkeypatch.setenv("PATH", counting_git_path(tmp_path / "bin", log))
    merged = merged_authors(repo.root, "main")
    assert len(merged) == 5
    calls = log.read_text(encoding="utf-8").splitlines()
    assert len(calls) == 1
    assert " log " in f" {calls[0]} "


def test_shallow_clone_stops_at_the_boundary(repo: GitRepo, tmp_path: Path) -> None:
    repo.branch("feature")
    _edit(repo, "a.md", ALICE)
    repo.checkout("main")
    merge = _web_merge(repo, "feature", 1, BOB)
    clone = repo.shallow_clone(tmp_path / "clone", depth=1)
    # git shows the boundary commit without parents: it reads as a root, nothing was merged
    assert merged_authors(clone.root, "HEAD") == {}
    line = {commit.sha: commit for commit in iter_commits(clone.root, rev="HEAD", first_parent=True, paths=())}
    assert authorship(line[merge], {}).kind == "root"


def test_merged_authors_read_in_the_background_are_the_same_map(repo: GitRepo) -> None:
    """The trail starts the merged-authors git log while it reads its own: the map it gets must be the
    one merged_authors reads, and a git log that fails must fail where the map is used, as a usage error."""
    for number, person in ((1, ALICE), (2, DAVE)):
        repo.branch(f"pr{number}")
        _edit(repo, f"{number}.md", person)
        repo.checkout("main")
        _web_merge(repo, f"pr{number}", number, BOB)
    background = MergedAuthors(repo.root, "main")
    assert background.resolve() == merged_authors(repo.root, "main")
    assert dict(background) == merged_authors(repo.root, "main")
    assert len(background) == 2
    missing = MergedAuthors(repo.root, "no-such-branch")
    with pytest.raises(HistoryUnavailableError, match="git log failed"):
        missing.resolve()
    # `done` tells the trail when the map can be had without waiting; it stays true once reached.
    polled = MergedAuthors(repo.root, "main")
    deadline = time.monotonic() + 60
    while not polled.done and time.monotonic() < deadline:
        time.sleep(0.01)
    assert polled.done
    assert polled.resolve() == merged_authors(repo.root, "main")
    assert polled.done


def _pull_requests(repo: GitRepo, numbers: range, person: tuple[str, str] = ALICE) -> None:
    for number in numbers:
        repo.branch(f"pr{number}")
        _edit(repo, f"{number}.md", person)
        repo.checkout("main")
        _web_merge(repo, f"pr{number}", number, BOB)


def _remembered(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """MergedAuthors with `remember` at main's commit, and the git commands it ran."""
    log = tmp_path / f"{name}.log"
    head = repo.head()
    with monkeypatch.context() as patch:
        patch.setenv("PATH", counting_git_path(tmp_path / f"{name}-bin", log))
        found = MergedAuthors(repo.root, head, remember=True).resolve()
    return found, log.read_text(encoding="utf-8").splitlines() if log.exists() else []


def test_remembered_merged_authors_walk_only_the_commits_since(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _pull_requests(repo, range(1, 4))
    first, calls = _remembered(repo, tmp_path, monkeypatch, "first")
    assert first == merged_authors(repo.root, "main")
    assert len(first) == 3
    assert len(calls) == 1
    assert " ^" not in f" {calls[0]} "
    again, calls = _remembered(repo, tmp_path, monkeypatch, "again")
    assert (again, calls) == (first, [])
    known = repo.head()
    _pull_requests(repo, range(4, 6), DAVE)
    later, calls = _remembered(repo, tmp_path, monkeypatch, "later")
    assert later == merged_authors(repo.root, "main")
    assert len(later) == 5
    assert len(calls) == 1
    assert f" ^{known} " in f" {calls[0]} "


def test_remembered_merged_authors_of_a_rewritten_line_are_read_whole(
    repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A known commit that is not on the new head's first-parent line (a force push; a branch merged
    in later) answers nothing for it: the whole history is walked again."""
    base = repo.head()
    _pull_requests(repo, range(1, 3))
    _remembered(repo, tmp_path, monkeypatch, "old")
    repo.git("reset", "-q", "--hard", base)
    _pull_requests(repo, range(7, 9), DAVE)
    rewritten, calls = _remembered(repo, tmp_path, monkeypatch, "rewritten")
    assert rewritten == merged_authors(repo.root, "main")
    assert set(rewritten.values()) == {(_who(DAVE),)}
    assert [" ^" in f" {call} " for call in calls] == [True, False]
    side = repo.head()
    repo.checkout("main")
    repo.git("reset", "-q", "--hard", base)
    repo.branch("side-line")
    repo.git("reset", "-q", "--hard", side)
    repo.checkout("main")
    repo.git("reset", "-q", "--hard", base)
    _edit(repo, "main.md", CAROL)
    repo.git("merge", "-q", "--no-ff", "-m", "Merge the old line", "side-line", author=CAROL, date=repo.tick())
    merged_in, _ = _remembered(repo, tmp_path, monkeypatch, "merged-in")
    assert merged_in == merged_authors(repo.root, "main")


def test_a_damaged_memory_of_merged_authors_is_ignored(repo: GitRepo, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from soc2kit.authorship import _FACTS_SCOPE
    from soc2kit.cache import FactsCache

    _pull_requests(repo, range(1, 3))
    facts = FactsCache.open(f"{_FACTS_SCOPE}\0{repo.root.resolve()}")
    facts.put("head", repo.head())
    facts.put("merged", {repo.head(): "not a list"})
    facts.save()
    found, calls = _remembered(repo, tmp_path, monkeypatch, "damaged")
    assert found == merged_authors(repo.root, "main")
    assert len(calls) == 1
