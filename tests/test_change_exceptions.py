"""The change exceptions register: one reader for `changes check`, the trail and the portal, and the
adoption entry that records one decision for a repository's history before the gate."""

from __future__ import annotations

import json

import pytest

from soc2kit.change_exceptions import ExceptionIndex, read_register
from soc2kit.layout import CHANGE_EXCEPTIONS
from tests.conftest import run_cli
from tests.gitrepo import ALICE, BOB, CAROL, GitRepo, program_repo
from tests.test_changes import POLICY, _pr, _who, web_merge

APPROVED = (("Approved-by", _who(CAROL)),)


@pytest.fixture(autouse=True)
def no_github_token(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GITHUB_TOKEN", "GITHUB_REPOSITORY", "GITHUB_API_URL"):
        monkeypatch.delenv(name, raising=False)


def _adoption(before: str, findings: str = "[SK601, SK605]") -> str:
    return (
        "exceptions:\n"
        f"  - before: {before}\n"
        f"    findings: {findings}\n"
        "    reason: Years of direct pushes before we adopted the gate; reviewed in the adoption meeting\n"
        "    accepted_by: Carol Chen\n"
        "    accepted_on: 2026-03-01\n"
    )


def _old_history(repo: GitRepo) -> list[str]:
    """Direct pushes (SK601) and a pull request merged without any approval (SK605)."""
    repo.replace(POLICY, "Why.", "Why we do it.")
    first = repo.commit("Hotfix one", author=BOB)
    repo.replace(POLICY, "Why we do it.", "Why.")
    second = repo.commit("Hotfix two", author=ALICE)
    unapproved = _pr(repo, "old", 5, lambda r: r.replace(POLICY, "Why.", "Why, in short."))
    return [first, second, unapproved]


def _adopt(repo: GitRepo, *, findings: str = "[SK601, SK605]") -> str:
    """The adoption pull request: its first commit starts the gate, its second names that commit."""
    repo.branch("adopt", "main")
    repo.write(".github/workflows/soc2kit.yml", "on: pull_request\n")
    start = repo.commit("Run the change gate on pull requests", author=BOB)
    repo.write(CHANGE_EXCEPTIONS, _adoption(start, findings))
    repo.commit("Record the decision on the history before the gate", author=BOB)
    repo.checkout("main")
    web_merge(repo, "adopt", 30, trailers=APPROVED)
    return start


def _check(repo: GitRepo):
    result = run_cli("changes", "check", "--root", str(repo.root), "--format", "json")
    return result, json.loads(result.stdout)


def test_one_adoption_entry_excepts_the_history_before_the_gate_visibly_and_counted(tmp_path):
    repo = program_repo(tmp_path / "repo")
    old = _old_history(repo)
    start = _adopt(repo)
    result, report = _check(repo)
    assert result.returncode == 0, result.stdout
    found = [(d["code"], d["severity"], d["message"].split()[1]) for d in report["diagnostics"] if d["code"] != "SK608"]
    assert sorted(found) == sorted(
        [("SK601", "excepted", old[0][:12]), ("SK601", "excepted", old[1][:12]), ("SK605", "excepted", old[2][:12])]
    )
    for excepted in report["diagnostics"]:
        if excepted["severity"] == "excepted":
            assert f"{CHANGE_EXCEPTIONS} line 2 (history before adopting the gate at {start[:12]})" in excepted["hint"]
    (summary,) = [d for d in report["diagnostics"] if d["code"] == "SK608"]
    assert (summary["path"], summary["line"], summary["severity"]) == (CHANGE_EXCEPTIONS, 2, "info")
    assert summary["message"].startswith("3 findings before adoption excepted by register entry at line 2")
    assert "SK601: 2, SK605: 1" in summary["message"]
    # After adoption everything is judged in full: a later direct push fails.
    repo.replace(POLICY, "Why, in short.", "Why.")
    late = repo.commit("Direct push after adoption", author=BOB)
    result, report = _check(repo)
    assert result.returncode == 1
    assert [(d["code"], d["message"].split()[1]) for d in report["diagnostics"] if d["severity"] == "error"] == [
        ("SK601", late[:12])
    ]
    # The text and GitHub formats show every excepted finding, never hide one.
    text = run_cli("changes", "check", "--root", str(repo.root)).stdout
    assert text.count("excepted: SK60") == 3
    assert "3 findings before adoption excepted by register entry at line 2" in text


def test_the_trail_reads_the_adoption_entry_as_changes_check_does(tmp_path):
    repo = program_repo(tmp_path / "repo")
    old = _old_history(repo)
    start = _adopt(repo)
    trail = run_cli("trail", "export", "--root", str(repo.root), "--format", "jsonl")
    assert trail.returncode == 0, trail.stderr
    records = {r["commit"]: r for r in map(json.loads, trail.stdout.splitlines()) if r.get("record") == "commit"}
    main_line_before = set(repo.git("rev-list", "--first-parent", f"{start}^").split())
    assert set(old) <= main_line_before
    for sha, record in records.items():
        expected = {"SK601", "SK605"} if sha in main_line_before else set()
        assert {item["finding"] for item in record["excepted"]} == expected, record["subject"]
    # the branch commit of pull request #5 and everything from the adoption on are not covered
    assert len(records) > len(main_line_before)


def test_an_adoption_entry_pushed_directly_does_not_count(tmp_path):
    repo = program_repo(tmp_path / "repo")
    old = _old_history(repo)
    start = repo.head()
    repo.write(CHANGE_EXCEPTIONS, _adoption(start))
    sneaky = repo.commit("Forgive everything", author=BOB)
    result, report = _check(repo)
    assert result.returncode == 1
    assert not [d for d in report["diagnostics"] if d["severity"] == "excepted" or d["code"] == "SK608"]
    assert {d["message"].split()[1] for d in report["diagnostics"] if d["code"] == "SK601"} == {
        old[0][:12],
        old[1][:12],
        sneaky[:12],
    }


def test_bad_adoption_entries_get_line_numbered_diagnostics(tmp_path):
    repo = program_repo(tmp_path / "repo")
    _old_history(repo)
    missing = "deadbeef" * 5
    register = (
        _adoption(missing)  # not a commit: SK606 at line 2
        + _adoption(repo.head(), "[SK601, SK999]").removeprefix("exceptions:\n")  # SK607 at line 7
    )
    _pr(repo, "accept", 20, lambda r: r.write(CHANGE_EXCEPTIONS, register), trailers=APPROVED)
    result, report = _check(repo)
    found = {(d["code"], d["line"]) for d in report["diagnostics"] if d["path"] == CHANGE_EXCEPTIONS}
    assert ("SK606", 2) in found
    assert ("SK607", 7) in found
    assert ("SK608", 7) in found  # the valid code of that entry still counts
    assert result.returncode == 1  # SK607 is an error
    # A mixed entry, or a `before` that is not a full sha, voids the version with a located field error.
    mixed = (
        "exceptions:\n"
        f"  - commit: {repo.head()}\n"
        "    findings: [SK601]\n"
        "    reason: r\n    accepted_by: c\n    accepted_on: 2026-03-01\n"
        "  - before: abc123abc123\n"
        "    findings: [SK601]\n"
        "    reason: r\n    accepted_by: c\n    accepted_on: 2026-03-01\n"
    )
    parsed = read_register(mixed.encode())
    assert parsed.entries == []
    lines = sorted(d.line for d in parsed.problems)
    assert lines[0] == 2
    assert lines[-1] >= 7
    assert any("not a mix" in d.message for d in parsed.problems)


def test_the_register_schema_documents_both_entry_forms(tmp_path):
    result = run_cli("schema", "--dir", str(tmp_path))
    assert result.returncode == 0, result.stderr
    schema = json.loads((tmp_path / "change-exceptions.schema.json").read_text())
    entry = schema["$defs"]["ChangeException"]
    assert {"before", "findings", "commit", "finding"} <= set(entry["properties"])
    assert entry["oneOf"] == [{"required": ["commit", "finding"]}, {"required": ["before", "findings"]}]
    assert "first commit under the gate" in entry["properties"]["before"]["description"]


def test_the_index_matches_prefixes_and_full_shas_only_of_that_commit():
    text = (
        "exceptions:\n"
        + "".join(
            f"  - commit: {sha}\n    finding: SK601\n    reason: r{n}\n    accepted_by: c\n    accepted_on: 2026-03-01\n"
            for n, sha in enumerate(["abcdef012345", "abcdef0123456789" + "0" * 24, "abcdef012346"])
        )
    ).encode()
    index = ExceptionIndex(read_register(text).entries)
    sha = "abcdef0123456789" + "0" * 24
    assert sorted(item.reason for item in index.of(sha)) == ["r0", "r1"]
    assert [item.reason for item in index.of("abcdef012346" + "f" * 28)] == ["r2"]
    assert index.of("abcdef01234" + "0" * 29) == ()


def test_changes_trail_and_portal_share_one_register_reader():
    import inspect

    from soc2kit import changes, trail
    from soc2kit.site import revisions

    for module in (changes, trail, revisions):
        source = inspect.getsource(module)
        assert "ChangeExceptions" not in source  # the model is read in soc2kit.change_exceptions only
        assert "from soc2kit.change_exceptions import" in source


def test_the_portal_shows_the_adoption_entry_on_the_commits_it_covers(tmp_path):
    from soc2kit.site.pages import build_pages
    from soc2kit.site.portal import load_portal

    repo = program_repo(tmp_path / "repo")
    _old_history(repo)
    _adopt(repo)
    repo.replace(POLICY, "Why, in short.", "Why.")
    repo.commit("Direct push after adoption", author=BOB)
    pages = {p.path: p.markdown for p in build_pages(load_portal(repo.root, use_cache=False))}
    rows = {line.split("|")[5].strip(): line for line in pages["changes.md"].splitlines() if line.startswith("| <span")}
    assert "SK601 excepted" in rows["Hotfix one"]
    assert "by Carol Chen on 2026-03-01: Years of direct pushes" in rows["Hotfix two"]
    assert "excepted" not in rows["Direct push after adoption"]
