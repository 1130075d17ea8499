from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
from datetime import date
from pathlib import Path

import pytest

from soc2kit import __version__
from soc2kit.authorship import Authorship, authorship
from soc2kit.errors import UsageError
from soc2kit.git import Blobs
from soc2kit.history import iter_commits
from soc2kit.trail import CSV_COLUMNS, Excepted, _Encoded, _Entities, _FileRows, _files, _record, _record_line, export_trail
from tests.conftest import CONFIG, run_cli
from tests.gitrepo import ALICE, BOB, CAROL, GitRepo, counting_git_path, program_repo

POLICY = "policies/information-security.md"


def _history_repo(root: Path) -> GitRepo:
    """PR #12 (merge: rename a control, edit the policy), PR #13 (squash with approval), LFS evidence,
    a deleted policy, and a commit outside the program."""
    repo = program_repo(root)
    repo.write("policies/retired.md", "---\nid: POL-OLD\ntitle: Old\n---\n# Old\n")
    repo.commit("Add an old policy (#3)")
    repo.branch("rename-control")
    repo.rename("controls/TC-02.md", "controls/TC-02-renamed.md")
    repo.commit("Rename TC-02", author=BOB, trailers=[("Reviewed-by", "Carol Chen <carol@example.com>")])
    repo.replace(POLICY, "Why.", "Why we do it.")
    repo.commit("Explain the purpose", author=BOB, signoff=True)
    repo.checkout("main")
    repo.merge_pr("rename-control", 12)
    repo.branch("bump")
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    repo.commit("Bump", author=CAROL)
    repo.checkout("main")
    repo.squash_pr("bump", 13, "Bump the policy", author=CAROL, trailers=(("Approved-by", "Bob Brown <bob@example.com>"),))
    oid = repo.lfs_pointer("evidence/TC-05/scan.pdf", b"%PDF big scan")
    repo.write(
        "evidence/TC-05/scan.yaml",
        "id: EV-TC-05-SCAN\ncontrol: TC-05\nrequirement: review\ncollected: 2026-02-01\ncollector: bob@example.com\n"
        f"files:\n  - path: scan.pdf\n    sha256: {oid}\n",
    )
    repo.commit("Add scan evidence", author=BOB, trailers=[("Evidence-For", "TC-05"), ("Evidence-Record", "EV-TC-05-SCAN")])
    repo.remove("policies/retired.md")
    repo.commit("Retire the old policy (#14)")
    repo.write("README.md", "outside the program\n")
    repo.commit("Readme")
    return repo


def _export(repo: GitRepo, **options) -> bytes:
    out = io.BytesIO()
    export_trail(repo.root, out, **options)
    return out.getvalue()


def _jsonl(data: bytes) -> list[dict]:
    return [json.loads(line) for line in data.decode("utf-8").splitlines()]


@pytest.fixture(scope="module")
def history_repo(tmp_path_factory) -> GitRepo:
    return _history_repo(tmp_path_factory.mktemp("trail") / "repo")


def test_jsonl_has_a_header_then_one_line_per_program_commit(history_repo):
    lines = _jsonl(_export(history_repo))
    header = lines[0]
    assert header == {
        "record": "header",
        "version": 2,
        "soc2kit": __version__,
        "format": "jsonl",
        "rev": "HEAD",
        "head": history_repo.head(),
        "since": None,
        "until": None,
        "timezone": "UTC",
        "first_parent": False,
        "signatures": True,
    }
    subjects = [line["subject"] for line in lines[1:]]
    assert subjects == [
        "Retire the old policy (#14)",
        "Add scan evidence",
        "Bump the policy (#13)",
        "Merge pull request #12 from acme/rename-control",
        "Explain the purpose",
        "Rename TC-02",
        "Add an old policy (#3)",
        "Start the SOC 2 program",
    ]


def test_each_commit_carries_people_pr_approvals_and_file_entities(history_repo):
    by_subject = {line["subject"]: line for line in _jsonl(_export(history_repo))[1:]}
    merge = by_subject["Merge pull request #12 from acme/rename-control"]
    assert merge["pr"] == 12
    assert merge["merge"] is True
    assert len(merge["parents"]) == 2
    assert merge["files"] == [
        {
            "change": "renamed",
            "path": "controls/TC-02-renamed.md",
            "old_path": "controls/TC-02.md",
            "kind": "control",
            "entity": "TC-02",
        },
        {"change": "modified", "path": POLICY, "old_path": None, "kind": "policy", "entity": "POL-ISP"},
    ]
    squash = by_subject["Bump the policy (#13)"]
    assert squash["git_author"] == {"name": "Carol Chen", "email": "carol@example.com", "date": squash["committer"]["date"]}
    assert squash["authors"] == ["Carol Chen <carol@example.com>"]
    assert squash["merger"] is None
    assert squash["approvers"] == ["Bob Brown <bob@example.com>"]
    assert squash["signature"] == "N"
    assert by_subject["Explain the purpose"]["signed_off_by"] == ["Bob Brown <bob@example.com>"]
    assert by_subject["Rename TC-02"]["approvers"] == ["Carol Chen <carol@example.com>"]
    evidence = by_subject["Add scan evidence"]
    assert evidence["trailers"] == [["Evidence-For", "TC-05"], ["Evidence-Record", "EV-TC-05-SCAN"]]
    assert [(f["path"], f["kind"], f["entity"]) for f in evidence["files"]] == [
        ("evidence/TC-05/scan.pdf", "evidence-file", "EV-TC-05-SCAN"),
        ("evidence/TC-05/scan.yaml", "evidence", "EV-TC-05-SCAN"),
    ]
    retired = by_subject["Retire the old policy (#14)"]
    assert retired["files"] == [
        {"change": "deleted", "path": "policies/retired.md", "old_path": None, "kind": "policy", "entity": "POL-OLD"}
    ]
    assert "Readme" not in by_subject


def test_repeat_exports_and_clones_elsewhere_are_byte_identical(history_repo, tmp_path):
    first = _export(history_repo)
    assert _export(history_repo) == first
    clone = tmp_path / "somewhere" / "else"
    subprocess.run(["git", "clone", "-q", str(history_repo.root), str(clone)], check=True)
    assert _export(GitRepo(clone)) == first


def test_since_and_until_limit_the_trail_and_are_in_the_header(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    for day in ("2026-01-10", "2026-02-10", "2026-03-10"):
        repo.write(f"controls/AC-0{day[6]}.md", day)
        repo.commit(f"Control of {day}", date=f"{day}T08:00:00+00:00")
    lines = _jsonl(_export(repo, since=date(2026, 2, 1), until=date(2026, 2, 28)))
    assert (lines[0]["since"], lines[0]["until"]) == ("2026-02-01", "2026-02-28")
    assert [line["subject"] for line in lines[1:]] == ["Control of 2026-02-10"]


def test_csv_has_one_row_per_file_change(history_repo):
    rows = list(csv.DictReader(io.StringIO(_export(history_repo, output_format="csv").decode("utf-8"))))
    assert tuple(rows[0]) == CSV_COLUMNS
    merge_rows = [r for r in rows if r["pr"] == "12"]
    assert [(r["change"], r["path"], r["old_path"], r["merge"]) for r in merge_rows] == [
        ("renamed", "controls/TC-02-renamed.md", "controls/TC-02.md", "yes"),
        ("modified", POLICY, "", "yes"),
    ]
    assert {r["approvers"] for r in rows if r["pr"] == "13"} == {"Bob Brown <bob@example.com>"}


def test_markdown_names_head_range_and_version_then_a_table(history_repo):
    text = _export(history_repo, output_format="md").decode("utf-8")
    assert text.startswith("# Audit trail\n")
    assert f"- Repository HEAD: `{history_repo.head()}`" in text
    assert f"- soc2kit {__version__}" in text
    assert "| Date | Commit | Kind | Authors | Merger | PR | Approvers | Excepted |" in text
    assert "| renamed | controls/TC-02.md → controls/TC-02-renamed.md | TC-02 |" in text
    assert text.endswith("\n8 commits.\n")


def test_output_file_is_written_with_a_sidecar_and_its_sha256_is_printed(history_repo, tmp_path):
    target = tmp_path / "trail.jsonl"
    result = run_cli("trail", "export", "--root", str(history_repo.root), "-o", str(target))
    assert result.returncode == 0, result.stderr
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in result.stderr
    meta = json.loads((tmp_path / "trail.jsonl.meta.json").read_text(encoding="utf-8"))
    assert meta["sha256"] == digest
    assert meta["commits"] == 8
    assert meta["head"] == history_repo.head()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["trail.jsonl", "trail.jsonl.meta.json"]
    again = run_cli("trail", "export", "--root", str(history_repo.root), "--format", "jsonl")
    assert again.stdout.encode("utf-8") == target.read_bytes()


def test_first_parent_keeps_only_the_main_line(history_repo):
    subjects = [line["subject"] for line in _jsonl(_export(history_repo, first_parent=True))[1:]]
    assert "Rename TC-02" not in subjects
    assert "Merge pull request #12 from acme/rename-control" in subjects


def test_program_in_a_subfolder_exports_program_relative_paths(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    repo.write("compliance/soc2kit.yml", "organization: X\n")
    repo.write("compliance/policies/a.md", "---\nid: POL-A\n---\n# A\n")
    repo.write("app/main.py", "print()\n")
    repo.commit("Start")
    lines = _jsonl(_export(GitRepo(repo.root / "compliance")))
    assert [(f["path"], f["entity"]) for f in lines[1]["files"]] == [("policies/a.md", "POL-A"), ("soc2kit.yml", None)]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--since", "2026-03-01", "--until", "2026-02-01"], "ends (2026-02-01) before it starts (2026-03-01)"),
        (["--since", "2026-3-1"], "is not an ISO date"),
        (["--rev", "no-such-tag"], "'no-such-tag' is not a commit, tag or branch"),
    ],
)
def test_bad_options_exit_2_and_write_nothing(history_repo, tmp_path, args, message):
    target = tmp_path / "trail.jsonl"
    result = run_cli("trail", "export", "--root", str(history_repo.root), "-o", str(target), *args)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_that_is_a_folder_or_in_a_missing_folder_is_refused(history_repo, tmp_path):
    result = run_cli("trail", "export", "--root", str(history_repo.root), "-o", str(tmp_path))
    assert result.returncode == 2
    assert "is a folder" in result.stderr
    result = run_cli("trail", "export", "--root", str(history_repo.root), "-o", str(tmp_path / "missing" / "t.jsonl"))
    assert result.returncode == 2
    assert "does not exist" in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_outside_git_or_without_commits_is_a_usage_error(tmp_path):
    plain = tmp_path / "plain"
    plain.mkdir()
    with pytest.raises(UsageError, match="not inside a Git repository"):
        export_trail(plain, io.BytesIO())
    empty = GitRepo.create(tmp_path / "empty")
    (empty.root / "soc2kit.yml").write_text(CONFIG, encoding="utf-8")
    result = run_cli("trail", "export", "--root", str(empty.root))
    assert result.returncode == 2
    assert "no commits" in result.stderr


def test_shallow_clone_exports_what_it_has(history_repo, tmp_path):
    clone = history_repo.shallow_clone(tmp_path / "clone", depth=1)
    lines = _jsonl(_export(clone))
    assert [line["subject"] for line in lines[1:]] == ["Readme"]
    assert {f["change"] for f in lines[1]["files"]} == {"added"}


def test_fast_json_lines_equal_json_dumps_even_for_awkward_text(tmp_path):
    repo = GitRepo.create(tmp_path / "repo")
    repo.write('policies/quote "and" back\\slash.md', "---\nid: POL-Q\n---\n# Q\n")
    repo.write("controls/Ünïcødé\ttab.md", "x")
    repo.commit('Say "hi" \\ to Zoë ☃ (#5)', author=('Zoë "Z" Ünal', "zoe@example.com"), trailers=[("Reviewed-by", "Ana <a@x>")])
    head = repo.head()
    commits = list(iter_commits(repo.root))
    assert [c.subject for c in commits] == ['Say "hi" \\ to Zoë ☃ (#5)']
    excepted = [
        Excepted("SK601", 'pushed "before" \\ the gate ☃', 'Zoë "Z" <z@x>', "2026-03-01"),
        Excepted("SK602", "", "", ""),
    ]
    people = [
        authorship(commits[0], {}),
        Authorship("merge", ('Zoë "Z" <z@x>', "Bob\\ <b@x>"), 'Ünal "M" <m@x>', "GitHub <noreply@github.com>"),
    ]
    with Blobs(repo.root) as blobs:
        entities = _Entities(repo.root, "", head, blobs)
        # One export shares its string caches across commits: a cached value must encode as a fresh one.
        known, file_rows = _Encoded(), _FileRows()
        for commit in commits:
            rows = _files(entities, commit)
            for who in people:
                for found in ([], excepted):
                    expected = json.dumps(_record(commit, who, found, rows), ensure_ascii=False, separators=(",", ":")) + "\n"
                    assert _record_line(commit, who, found, rows) == expected
                    assert _record_line(commit, who, found, rows, known=known, rows=file_rows) == expected
        assert known, "the second pass above read from the caches"
        assert file_rows


def test_signatures_can_be_skipped(history_repo):
    lines = _jsonl(_export(history_repo, signatures=False))
    assert lines[0]["signatures"] is False
    assert {(line["signature"], line["signer"]) for line in lines[1:]} == {("", "")}


def test_since_and_until_are_days_in_the_audit_time_zone(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(
        "soc2kit.yml",
        "  period: {start: 2026-01-01, end: 2026-06-30}\n",
        "  period: {start: 2026-01-01, end: 2026-06-30}\n  timezone: America/New_York\n",
    )
    repo.commit("New York time", date="2026-01-20T12:00:00+00:00")
    repo.write("policies/late.md", "late\n")
    repo.commit("Late on Jan 31 in New York", date="2026-02-01T02:00:00+00:00")
    lines = _jsonl(_export(repo, until=date(2026, 1, 31), since=date(2026, 1, 31)))
    assert lines[0]["timezone"] == "America/New_York"
    assert [line["subject"] for line in lines[1:]] == ["Late on Jan 31 in New York"]
    assert _jsonl(_export(repo, since=date(2026, 2, 1)))[1:] == []


def test_commit_text_and_file_names_that_spell_separators_keep_every_commit_and_entity(tmp_path):
    repo = program_repo(tmp_path / "repo")
    made = {}
    for number, hostile in enumerate(("\x1e\x1fsoc2kit\x1f", "\x1esoc2kit", "\x1f", "R100\nM")):
        repo.write(f"evidence/TC-05/{number}.txt", f"{number}\n")
        subject = f"Evidence {number} {hostile}".replace("\n", " ")
        author = f"Eve {hostile} Ng".replace("\n", " ")
        made[repo.commit(subject, author=(author, "eve@example.com"), body=hostile)] = (subject, author)
    # A record whose name holds a newline is read on its own, so the records after it keep their own ids.
    for name, record_id in (("a\nb.yaml", "EV-NEWLINE"), ("z.yaml", "EV-AFTER")):
        repo.write(
            f"evidence/TC-05/{name}",
            f"id: {record_id}\ncontrol: TC-05\nrequirement: review\ncollected: 2026-02-01\ncollector: bob@example.com\nfiles: []\n",
        )
    repo.commit("Records with awkward names")
    lines = _jsonl(_export(repo))[1:]
    assert len(lines) == len(made) + 2
    for line in lines:
        if line["commit"] in made:
            assert (line["subject"], line["git_author"]["name"]) == made.pop(line["commit"])
    assert made == {}
    awkward = lines[0]["files"]
    assert [(f["path"], f["entity"]) for f in awkward] == [
        ("evidence/TC-05/a\nb.yaml", "EV-NEWLINE"),
        ("evidence/TC-05/z.yaml", "EV-AFTER"),
    ]


def test_markdown_rows_keep_their_cells_whatever_the_commit_text(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write("evidence/TC-05/a | b <i>.txt", "x\n")
    repo.commit("Subject | with <script>alert(1)</script> and `ticks` [l](javascript:alert(2))", author=("Eve | Ng", "e@x.org"))
    table = [line for line in _export(repo, output_format="md").decode("utf-8").splitlines() if line.startswith("| ")]
    assert all(line.count("|") == 14 for line in table)  # thirteen cells in every row: no value adds one
    hostile = table[2]
    assert "a &#124; b &#60;i&#62;.txt" in hostile
    assert "Eve &#124; Ng" in hostile
    assert "<script>" not in hostile
    assert "](javascript:" not in hostile


GITHUB = ("GitHub", "noreply@github.com")


def _who(person: tuple[str, str]) -> str:
    return f"{person[0]} <{person[1]}>"


def _github_repo(root: Path, merges: int = 1) -> GitRepo:
    """Pull requests merged as GitHub merges them: Alice's branch commits merged with the merge button by
    Bob (author Bob, committer GitHub), Carol's change squashed by GitHub; `merges` such pull requests."""
    repo = program_repo(root)
    for number in range(merges):
        branch = f"feature-{number}"
        repo.branch(branch)
        repo.replace(POLICY, "Why.", f"Why {number}.") if number == 0 else repo.write(f"policies/p{number}.md", f"{number}\n")
        repo.commit(f"Alice edits, part {number}", author=ALICE)
        repo.checkout("main")
        repo.git(
            "merge", "-q", "--no-ff", "-m", f"Merge pull request #{20 + number} from acme/{branch}\n\n{branch}", branch,
            author=BOB, committer=GITHUB, date=repo.tick(),
        )  # fmt: skip
    repo.branch("carol")
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    repo.commit("Carol's work in progress", author=CAROL)
    repo.checkout("main")
    repo.squash_pr("carol", 30, "Bump the policy", author=CAROL, committer=GITHUB)
    return repo


@pytest.fixture(scope="module")
def github_repo(tmp_path_factory) -> GitRepo:
    return _github_repo(tmp_path_factory.mktemp("github") / "repo")


def test_a_github_merge_names_the_branch_authors_as_authors_and_the_merger_apart(github_repo):
    by_subject = {line["subject"]: line for line in _jsonl(_export(github_repo))[1:]}
    merge = by_subject["Merge pull request #20 from acme/feature-0"]
    assert merge["change_kind"] == "merge"
    assert merge["authors"] == [_who(ALICE)]
    assert merge["merger"] == _who(BOB)
    assert merge["git_author"]["name"] == "Bob Brown"  # Git's own field, kept apart from the authors
    assert merge["committer"]["email"] == "noreply@github.com"
    branch = by_subject["Alice edits, part 0"]
    assert (branch["change_kind"], branch["authors"], branch["merger"]) == ("direct", [_who(ALICE)], None)
    assert branch["commit"] == merge["parents"][1]  # the branch commit ties to its pull request's merge
    squash = by_subject["Bump the policy (#30)"]
    assert (squash["change_kind"], squash["authors"], squash["merger"], squash["pr"]) == ("squash", [_who(CAROL)], None, 30)
    root = by_subject["Start the SOC 2 program"]
    assert (root["change_kind"], root["authors"], root["merger"]) == ("root", [_who(ALICE)], None)


def test_csv_carries_parents_authors_and_merger_in_their_own_columns(github_repo):
    rows = list(csv.DictReader(io.StringIO(_export(github_repo, output_format="csv").decode("utf-8"))))
    merge = next(r for r in rows if r["pr"] == "20")
    branch = next(r for r in rows if r["subject"] == "Alice edits, part 0")
    assert (merge["change_kind"], merge["authors"], merge["merger"]) == ("merge", _who(ALICE), _who(BOB))
    assert merge["parents"].split(" ")[1] == branch["commit"]
    assert branch["parents"] == github_repo.git("rev-parse", f"{branch['commit']}^").strip()
    assert (branch["authors"], branch["merger"]) == (_who(ALICE), "")
    assert (merge["git_author_name"], merge["committer_name"]) == ("Bob Brown", "GitHub")
    assert next(r for r in rows if r["pr"] == "30")["authors"] == _who(CAROL)


def test_markdown_shows_alice_as_author_and_bob_only_as_merger(github_repo):
    text = _export(github_repo, output_format="md").decode("utf-8")
    merge_row = next(line for line in text.splitlines() if "Merge pull request &#35;20" in line)
    cells = [cell.strip() for cell in merge_row.strip("|").split("|")]
    assert cells[2:6] == ["merge", "Alice Adams &#60;alice@example.com&#62;", "Bob Brown &#60;bob@example.com&#62;", "&#35;20"]


def test_authors_of_every_merge_come_from_one_git_pass(tmp_path, monkeypatch):
    counts = {}
    for merges in (1, 6):
        repo = _github_repo(tmp_path / f"repo{merges}", merges=merges)
        log = tmp_path / f"git{merges}.log"
        monkeypatch.setenv("PATH", counting_git_path(tmp_path / f"bin{merges}", log))
        lines = _jsonl(_export(repo))
        monkeypatch.undo()
        assert sum(1 for line in lines if line.get("merger") == _who(BOB)) == merges
        counts[merges] = len(log.read_text(encoding="utf-8").splitlines())
    assert counts[1] == counts[6]


def _register(entries: list[tuple[str, str]]) -> str:
    return "exceptions:\n" + "".join(
        f"  - commit: {commit}\n    finding: {finding}\n    reason: Pushed before the team used pull requests\n"
        "    accepted_by: Carol Chen\n    accepted_on: 2026-03-01\n"
        for commit, finding in entries
    )


def test_a_finding_the_register_excepts_stays_on_its_commit_marked_excepted(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY, "Why.", "Why, pushed directly.")
    pushed = repo.commit("Direct push", author=BOB)
    repo.write("registers/change-exceptions.yml", _register([(pushed[:12], "SK601")]))
    repo.commit("Accept the direct push (#40)", author=CAROL)
    lines = {line["subject"]: line for line in _jsonl(_export(repo))[1:]}
    assert lines["Direct push"]["excepted"] == [
        {
            "finding": "SK601",
            "reason": "Pushed before the team used pull requests",
            "accepted_by": "Carol Chen",
            "accepted_on": "2026-03-01",
        }
    ]
    assert lines["Start the SOC 2 program"]["excepted"] == []
    register_files = lines["Accept the direct push (#40)"]["files"]
    assert [(f["path"], f["kind"]) for f in register_files] == [("registers/change-exceptions.yml", "change-exceptions")]
    rows = {r["subject"]: r for r in csv.DictReader(io.StringIO(_export(repo, output_format="csv").decode("utf-8")))}
    assert (
        rows["Direct push"]["excepted"] == "SK601 excepted by Carol Chen on 2026-03-01: Pushed before the team used pull requests"
    )
    assert rows["Accept the direct push (#40)"]["excepted"] == ""
    text = _export(repo, output_format="md").decode("utf-8")
    assert "| SK601 excepted by Carol Chen on 2026-03-01: Pushed before the team used pull requests |" in text


def test_a_register_that_does_not_read_cleanly_excepts_nothing(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.replace(POLICY, "Why.", "Why not.")
    pushed = repo.commit("Direct push", author=BOB)
    repo.write("registers/change-exceptions.yml", _register([(pushed, "SK601")]).replace("2026-03-01", "March 1st"))
    repo.commit("A register with a bad date")
    assert all(line["excepted"] == [] for line in _jsonl(_export(repo))[1:])


@pytest.mark.parametrize("output_format", ["jsonl", "csv", "md"])
def test_blobs_read_ahead_per_batch_give_the_bytes_of_one_read_per_document(history_repo, monkeypatch, output_format):
    """The trail reads the documents a batch of commits needs in one round trip to git, guessing ahead
    which ones `resolve` will read: whatever the batch size (a batch ending between a rename and the
    older name's commits, between an evidence file and its record), the bytes are those of reading each
    document when it is first met, and only the number of round trips changes."""
    from soc2kit import trail as module
    from soc2kit.git import Blobs

    reads: list[int] = []
    original = Blobs.read_many

    def counting(self: Blobs, names: list[str]) -> list[bytes | None]:
        reads.append(len(names))
        return original(self, names)

    expected = _export(history_repo, output_format=output_format)
    monkeypatch.setattr(Blobs, "read_many", lambda self, names: [self.read(name) for name in names])
    assert _export(history_repo, output_format=output_format) == expected
    monkeypatch.setattr(Blobs, "read_many", counting)
    for size in (1, 2, 3, 1000):
        monkeypatch.setattr(module, "_BATCH", size)
        assert _export(history_repo, output_format=output_format) == expected
    assert max(reads) > 1  # documents were read together


@pytest.mark.parametrize("ahead", [1, 2, 5, 4096])
def test_commits_read_ahead_while_the_merged_authors_are_worked_out_keep_the_bytes(tmp_path, monkeypatch, ahead):
    """Until the merged-authors git log is done, the trail reads commits ahead (up to `_AHEAD`): with
    that git log never done early, and whatever the bound and the batch size, the output is the one
    an export gets when the map is there from the start."""
    from soc2kit import trail as module
    from soc2kit.authorship import MergedAuthors

    repo = _github_repo(tmp_path / "repo", merges=4)
    expected = _export(repo)
    monkeypatch.setattr(MergedAuthors, "done", property(lambda _self: False))
    monkeypatch.setattr(module, "_AHEAD", ahead)
    for size in (1, 3, 256):
        monkeypatch.setattr(module, "_BATCH", size)
        assert _export(repo) == expected
    assert [line["authors"] for line in _jsonl(expected)[1:] if line["change_kind"] == "merge"] == [[_who(ALICE)]] * 4
