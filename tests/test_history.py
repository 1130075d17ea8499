from __future__ import annotations

import hashlib
import io
import subprocess
from datetime import date
from pathlib import Path

import pytest

from soc2kit import history as hist
from soc2kit.git import Blobs, command
from soc2kit.history import HistoryUnavailableError, iter_commits, load_history, pr_number
from tests.conftest import make_program
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


# -- commit text and paths cannot forge the structure of git's output -----------------------------

# Every separator and marker the log format has used, and text that looks like our own structure.
HOSTILE_TEXT = (
    "\x1e\x1fsoc2kit\x1f",  # the record marker of the old format
    "\x1esoc2kit",  # the commit marker of the current format
    "\x1e",
    "\x1f",
    "\\x00 and \\0 and %x00",  # escape text, not the byte (a commit message cannot hold NUL)
    "R100",
    "M",
    "a\u2028b\u0085c\x1cd",  # characters str.splitlines() breaks at
)


def _hostile_repo(root: Path) -> tuple[GitRepo, list[tuple[str, str, str, tuple[tuple[str, str], ...]]]]:
    """One commit per hostile text, carrying it in its subject, body, author name and a trailer value."""
    repo = program_repo(root)
    made = []
    for number, hostile in enumerate(HOSTILE_TEXT):
        repo.replace(POLICY_PATH, "Why." if number == 0 else f"Why {number - 1}.", f"Why {number}.")
        subject = f"Change {number} {hostile} end"
        author = (f"Mallory {hostile} Mole", "mallory@example.com")
        trailers = (("Reviewed-by", f"Trent {hostile} <trent@example.com>"),)
        sha = repo.commit(subject, body=f"Body {hostile}\n{hostile}", author=author, trailers=trailers)
        made.append((sha, subject, author[0], trailers))
    return repo, made


def test_commit_text_that_spells_the_log_format_s_separators_is_read_as_text(tmp_path):
    repo, made = _hostile_repo(tmp_path / "repo")
    history = load_history(repo.root)
    read = {c.sha: c for c in history.commits}
    assert len(history.commits) == len(HOSTILE_TEXT) + 1
    for sha, subject, author, trailers in made:
        commit = read[sha]
        assert commit.subject == subject
        assert commit.author_name == author
        assert commit.trailers == trailers
        assert commit.changes == (hist.Change("modified", POLICY_PATH),)
    assert len(history.revisions(POLICY_PATH)) == len(HOSTILE_TEXT) + 1


def test_a_trailer_value_cannot_add_an_approval(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY_PATH, "Why.", "Why not.")
    forged = ("Signed-off-by", "Mallory <m@example.com>\u2028Approved-by: Bob Brown <bob@example.com>")
    sha = repo.commit("Self-approved", author=("Mallory", "m@example.com"), trailers=[forged])
    commit = next(c for c in iter_commits(repo.root) if c.sha == sha)
    assert commit.approvers == []
    assert commit.trailers == (forged,)


def test_a_trailer_written_in_the_subject_or_mid_body_is_not_a_trailer(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY_PATH, "Why.", "Why not.")
    sha = repo.commit("Approved-by: Bob Brown <bob@example.com>", body="Approved-by: Carol\n\nThe last paragraph is prose.")
    commit = next(c for c in iter_commits(repo.root) if c.sha == sha)
    assert commit.approvers == []


@pytest.mark.parametrize(
    "name",
    [
        "tab\there.md",
        "new\nline.md",
        'quote".md',
        "back\\slash.md",
        "r\u00e9sum\u00e9 \u2014 \u65e5\u672c.md",
        "\x1esoc2kit.md",
        "\x1e\x1fsoc2kit\x1f.md",
        "R100",
        "M",
    ],
)
def test_file_names_with_separators_round_trip_through_renames(tmp_path, name):
    repo = program_repo(tmp_path / "repo")
    repo.write(f"evidence/TC-01/{name}", "first\n")
    repo.commit("Add a strange file")
    repo.write(f"evidence/TC-01/{name}", "first\nsecond\n")
    repo.commit("Edit it")
    repo.rename(f"evidence/TC-01/{name}", f"evidence/TC-02/{name}")
    repo.commit("Move it")
    history = load_history(repo.root)
    assert [c.subject for c in history.commits] == ["Move it", "Edit it", "Add a strange file", "Start the SOC 2 program"]
    moved = history.commits[0].changes
    assert moved == (hist.Change("renamed", f"evidence/TC-02/{name}", f"evidence/TC-01/{name}", 100),)
    assert [r.change.status for r in history.revisions(f"evidence/TC-02/{name}")] == ["renamed", "modified", "added"]


def test_evidence_rewritten_by_a_commit_whose_subject_holds_the_marker_is_still_found(tmp_path):
    from soc2kit.evidence import verify_evidence
    from soc2kit.loader import load_program

    repo = program_repo(tmp_path / "repo")
    tampered = "reviewed by mallory\n"
    repo.write("evidence/TC-01/q1-review.txt", tampered)
    old = hashlib.sha256(b"reviewed by alice\n").hexdigest()
    new = hashlib.sha256(tampered.encode()).hexdigest()
    for number in range(1, 10):
        record = f"evidence/TC-{number:02d}/q1.yaml"
        if (repo.root / record).exists():
            repo.replace(record, old, new)
    repo.commit("Tidy \x1e\x1fsoc2kit\x1f up \x1esoc2kit", author=("Mallory \x1esoc2kit", "m@example.com"))
    found = verify_evidence(load_program(repo.root, use_cache=False), load_history(repo.root))
    assert ("SK406", "evidence/TC-01/q1.yaml") in {(d.code, d.path) for d in found}


@pytest.mark.parametrize("folders", [("re\npo", ""), ("repo", "sub\nfolder/"), ("re\npo", " sub folder /")])
def test_repository_and_program_folders_with_newlines_and_spaces_are_found(tmp_path, folders):
    top, sub = folders
    repo = GitRepo.create(tmp_path / top)
    program_root = repo.root / sub if sub else repo.root
    make_program(program_root)
    repo.commit("Start")
    info = hist.repo_info(program_root)
    assert info.toplevel == repo.root.resolve()
    assert info.prefix == sub
    history = load_history(program_root)
    assert [c.subject for c in history.commits] == ["Start"]
    assert POLICY_PATH in history.paths()


def test_read_blob_keeps_the_batch_in_step_after_a_path_with_a_newline(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("policies/a\nb.md", "first\n")
    repo.write("policies/b.md", "second\n")
    repo.write("policies/c.md\r", "third\n")
    repo.write("policies/c.md", "fourth\n")
    sha = repo.commit("Awkward names")
    with Blobs(repo.root) as blobs:
        read = [blobs.read(f"{sha}:policies/{name}") for name in ("a\nb.md", "b.md", "c.md\r", "c.md", "none.md")]
    assert read == [b"first\n", b"second\n", b"third\n", b"fourth\n", None]


def test_tokens_split_across_reads_come_out_whole(tmp_path, monkeypatch):
    repo, _made = _hostile_repo(tmp_path / "repo")
    repo.write("policies/r\u00e9sum\u00e9 \u65e5\u672c.md", "x\n")
    repo.commit("Unicode \u2014 \u65e5\u672c")
    output = subprocess.run(command(hist.log_command()), cwd=repo.root, capture_output=True, check=True).stdout
    whole = list(hist._parse_log(hist.nul_tokens(io.BytesIO(output))))
    monkeypatch.setattr(hist, "_CHUNK", 3)  # every multi-byte character and token is cut somewhere
    assert list(hist._parse_log(hist.nul_tokens(io.BytesIO(output)))) == whole
    assert whole[0].subject == "Unicode \u2014 \u65e5\u672c"
    assert len(whole) == len(HOSTILE_TEXT) + 2


def test_commits_cut_across_reads_anywhere_parse_as_from_one_read(tmp_path, monkeypatch):
    """The parser takes a chunk of tokens at a time and holds back the commit a chunk ends in: wherever
    a read ends (inside a header, between a status and its paths, on a marker spelled in a subject), and
    wherever the stream itself stops, the commits are those of the whole output read at once."""
    repo, _made = _hostile_repo(tmp_path / "repo")
    repo.rename("controls/TC-02.md", "controls/TC-02-renamed.md")
    repo.commit("Rename TC-02")
    repo.write("policies/r\u00e9sum\u00e9.md", "x\n")
    repo.commit("Unicode \u2014 and a trailer\n\nReviewed-by: Bob Brown <bob@example.com>")
    output = subprocess.run(command(hist.log_command()), cwd=repo.root, capture_output=True, check=True).stdout
    whole = list(hist._parse_log(output.decode("utf-8", "replace").split("\0")[:-1]))
    assert len(whole) == len(HOSTILE_TEXT) + 3
    assert any(change.status == "renamed" for commit in whole for change in commit.changes)
    for size in (1, 5, 64, 4096):
        monkeypatch.setattr(hist, "_CHUNK", size)
        assert list(hist._parse_chunks(hist._nul_chunks(io.BytesIO(output)))) == whole
    monkeypatch.setattr(hist, "_CHUNK", 7)
    for end in range(0, len(output), max(1, len(output) // 97)):
        cut = output[:end]
        expected = list(hist._parse_log(hist.nul_tokens(io.BytesIO(cut))))
        assert list(hist._parse_chunks(hist._nul_chunks(io.BytesIO(cut)))) == expected


def test_blobs_read_many_answers_as_read_does_across_batches(tmp_path):
    """The trail asks `git cat-file --batch` for many blobs in one write: answers must stay in step with
    the questions past one batch of questions, for missing objects, trees, repeated names and names that
    cannot go through the batch (a newline or a trailing carriage return)."""
    repo = program_repo(tmp_path / "repo")
    names = [f"policies/p{n:03}-{'x' * 60}.md" for n in range(300)]  # ~20 KiB of questions: several batches
    for n, name in enumerate(names):
        repo.write(name, f"policy {n}\n")
    repo.write("policies/a\nb.md", "newline\n")
    repo.write("policies/c.md\r", "carriage return\n")
    sha = repo.commit("Many policies")
    asked = [f"{sha}:{name}" for name in names]
    asked[10:10] = [f"{sha}:policies/none.md", f"{sha}:policies", f"{sha}:policies/a\nb.md", asked[3], f"{sha}:policies/c.md\r"]
    with Blobs(repo.root) as blobs:
        one_by_one = [blobs.read(name) for name in asked]
    with Blobs(repo.root) as blobs:
        together = blobs.read_many(asked)
        after = blobs.read(f"{sha}:{names[7]}")  # the batch is still in step afterwards
    assert together == one_by_one
    assert together[10:15] == [None, None, b"newline\n", b"policy 3\n", b"carriage return\n"]
    assert together[-1] == b"policy 299\n"
    assert after == b"policy 7\n"
