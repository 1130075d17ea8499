"""Hostile input against what adopters meet first: the change exceptions register, `soc2kit schema`
and shell completion. Each bad input gets a located diagnostic and changes nothing it should not."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from soc2kit.change_exceptions import ExceptionIndex, read_register
from soc2kit.documents import MAX_DOCUMENT_BYTES
from tests.conftest import ProgramDir, run_cli
from tests.gitrepo import GitRepo

ENTRY = "  - commit: {sha}\n    finding: SK601\n    reason: {reason}\n    accepted_by: Carol Chen\n    accepted_on: {day}\n"


def _entry(sha: str = "0123456789ab", reason: str = "Hotfix during the outage", day: str = "2026-03-01") -> str:
    return ENTRY.format(sha=sha, reason=reason, day=day)


# -- the change exceptions register -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "lines"),
    [
        # an alias repeats an entry the reviewer saw once
        ("exceptions:\n  - &one\n    " + _entry().removeprefix("  - ") + "  - *one\n", {2, 8}),
        # a merge key gives a new commit the reason and approver written for another
        (
            "exceptions:\n  - &base\n    " + _entry().removeprefix("  - ") + "  - <<: *base\n    commit: 0123456789ac\n",
            {2, 8},
        ),
        # a merge of an inline mapping: no alias, still fields written elsewhere than the entry
        (
            "exceptions:\n  - <<: {reason: r, accepted_by: c, accepted_on: 2026-03-01}\n    commit: 0123456789ab\n    finding: SK601\n",
            {2},
        ),
    ],
    ids=["alias", "merge-alias", "merge-inline"],
)
def test_a_register_with_anchors_aliases_or_merge_keys_excepts_nothing(text: str, lines: set[int]) -> None:
    register = read_register(text.encode())
    assert register.entries == []
    assert {d.line for d in register.problems if d.code == "SK607"} >= lines
    assert all("anchor" in d.message or "alias" in d.message or "<<" in d.message for d in register.problems)


def test_a_register_with_a_duplicate_key_excepts_nothing() -> None:
    # The reviewer may have read the first `commit:`; YAML keeps the second.
    text = "exceptions:\n" + _entry().replace("    finding:", "    commit: fedcba987654\n    finding:", 1)
    register = read_register(text.encode())
    assert register.entries == []
    assert [(d.code, d.line) for d in register.problems] == [("SK009", 3)]


def test_a_decision_dated_in_the_future_excepts_nothing() -> None:
    text = "exceptions:\n" + _entry(day="2026-06-30") + _entry(sha="fedcba987654", day="2026-06-02")
    register = read_register(text.encode(), today=date(2026, 6, 1))
    # a day's grace for time zones ahead of UTC: the second entry stands
    assert [entry.commit for entry in register.entries] == ["fedcba987654"]
    assert [(d.code, d.line) for d in register.problems] == [("SK607", 6)]
    assert "2026-06-30 is in the future" in register.problems[0].message


def test_a_register_larger_than_a_document_may_be_is_refused_unread() -> None:
    # One entry whose reason alone passes the byte limit (few values: the value limits do not catch it).
    text = "exceptions:\n" + _entry(reason="x" * (MAX_DOCUMENT_BYTES + 1))
    register = read_register(text.encode())
    assert register.entries == []
    assert [(d.code, d.line) for d in register.problems] == [("SK015", 1)]
    assert "too large" in register.problems[0].message


@pytest.mark.parametrize(
    "raw",
    [b"- a\n", b"just text\n", b"~\n", b"", b"exceptions: 3\n", b"exceptions:\n  - [1, 2]\n", b"\xff\xfe\n", b"exceptions: [\n"],
)
def test_a_register_that_is_not_a_mapping_of_entries_gets_a_located_diagnostic(raw: bytes) -> None:
    register = read_register(raw)
    assert register.entries == []
    assert register.problems
    assert all(d.line >= 1 and d.path.endswith("change-exceptions.yml") for d in register.problems)


def test_look_alike_codes_and_shas_are_refused() -> None:
    text = (
        "exceptions:\n"
        + _entry().replace("SK601", "\uff33K601")  # fullwidth S
        + _entry(sha="0123456789a\u0662")  # Arabic-Indic digit two
    )
    register = read_register(text.encode())
    assert register.entries == []
    assert sorted(d.line for d in register.problems) == [3, 7]


def _side_branch_repo(root: Path) -> tuple[GitRepo, str, str]:
    """main: two commits; side: one commit off the first. Returns (repo, main head, side commit)."""
    repo = GitRepo.create(root)
    repo.write("a.txt", "one\n")
    first = repo.commit("one")
    repo.write("a.txt", "two\n")
    repo.commit("two")
    repo.write("a.txt", "three\n")
    head = repo.commit("three")
    repo.git("checkout", "-q", "-b", "side", first)
    repo.write("b.txt", "side\n")
    side = repo.commit("side")
    repo.git("checkout", "-q", "main")
    assert first
    return repo, head, side


def test_an_adoption_entry_naming_a_commit_of_another_branch_covers_nothing(tmp_path: Path) -> None:
    repo, head, side = _side_branch_repo(tmp_path / "repo")
    text = f"exceptions:\n  - before: {side}\n    findings: [SK601]\n    reason: r\n    accepted_by: c\n    accepted_on: 2026-03-01\n"
    register = read_register(text.encode(), today=date(2026, 3, 1))
    main_line = repo.git("rev-list", "--first-parent", "main").split()
    # as `changes check` judges it (SK606 "not on the checked branch"): the trail and portal agree
    index = ExceptionIndex(register.entries, repo.root, head)
    assert all(index.of(sha) == () for sha in main_line)


def test_a_commit_entry_naming_no_commit_of_the_repository_excepts_nothing(tmp_path: Path) -> None:
    repo, head, _ = _side_branch_repo(tmp_path / "repo")
    blob = repo.git("rev-parse", "HEAD:a.txt").strip()
    text = "exceptions:\n" + _entry(sha=blob[:12]) + _entry(sha=head[:12], reason="real")
    index = ExceptionIndex(read_register(text.encode(), today=date(2026, 3, 1)).entries, repo.root, head)
    assert [item.reason for item in index.of(head)] == ["real"]
    assert index.of(blob) == ()  # a blob is not a commit, whatever its sha begins with


# -- soc2kit schema: never outside the program ---------------------------------------------------


def _point_schema_line(program: ProgramDir, target: str) -> Path:
    policy = min((program.root / "policies").glob("*.md"))
    lines = policy.read_text(encoding="utf-8").split("\n")
    assert lines[0] == "---"
    lines.insert(1, f"# yaml-language-server: $schema={target}")
    policy.write_text("\n".join(lines), encoding="utf-8")
    return policy


@pytest.mark.parametrize("absolute", [False, True], ids=["relative", "absolute"])
def test_schema_never_reads_or_writes_a_folder_outside_the_program(
    program_dir: ProgramDir, tmp_path: Path, absolute: bool
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "policy.schema.json").write_text("{}\n", encoding="utf-8")
    target = (
        str(outside / "policy.schema.json")
        if absolute
        else os.path.relpath(outside / "policy.schema.json", program_dir.root / "policies")
    )
    policy = _point_schema_line(program_dir, target)
    checked = run_cli("schema", "--check", "--root", str(program_dir.root))
    assert checked.returncode == 1, checked.stderr
    assert f"{policy.name}:2: names {target}, which is outside the program folder" in checked.stderr
    assert "outside/" not in checked.stderr.replace(target, "")  # the folder's files were not judged
    written = run_cli("schema", "--root", str(program_dir.root))
    assert written.returncode == 0, written.stderr
    assert sorted(p.name for p in outside.iterdir()) == ["policy.schema.json"]
    assert (outside / "policy.schema.json").read_text(encoding="utf-8") == "{}\n"


def test_schema_never_writes_through_a_linked_schema_folder(program_dir: ProgramDir, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (program_dir.root / "schema").symlink_to(outside, target_is_directory=True)
    result = run_cli("schema", "--root", str(program_dir.root))
    assert result.returncode == 0, result.stderr
    assert list(outside.iterdir()) == []


def _run_python(code: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    # A hang is the failure: a child process with a timeout keeps it from hanging the suite.
    return subprocess.run([sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, timeout=60, check=False)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes on this system")
def test_a_pipe_a_link_loop_and_a_huge_file_among_the_documents_stop_nothing(program_dir: ProgramDir) -> None:
    policies = program_dir.root / "policies"
    os.mkfifo(policies / "pipe.md")
    (policies / "loop.md").symlink_to("loop.md")
    (policies / "huge.md").write_bytes(b"---\nid: POL-HUGE\n---\n" + b"x" * (MAX_DOCUMENT_BYTES + 10))
    completed = _run_python(
        "from pathlib import Path; from soc2kit.completion import document_ids; print(' '.join(document_ids(Path('.'), 'policy')))",
        program_dir.root,
    )
    assert completed.returncode == 0, completed.stderr
    ids = completed.stdout.split()
    assert "POL-HUGE" in ids
    assert len(ids) >= 2  # the readable documents are still completed
    schema = subprocess.run(
        [sys.executable, "-m", "soc2kit", "schema", "--check"],
        cwd=program_dir.root,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert "Traceback" not in schema.stderr
    assert schema.returncode in (0, 1)


# -- soc2kit init: names and links ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("option", "value", "said"),
    [
        ("--org", "Acme\x1b[31m", "control character U+001B"),
        ("--org", "Acme\nsite_name: x", "control character U+000A"),
        ("--system", "Pay\u202eroll", "control character U+202E"),
        ("--system", "Z" * 5000, "5,000 characters long"),
    ],
    ids=["escape", "newline", "bidi-override", "long"],
)
def test_init_refuses_a_name_that_is_not_one_plain_line(tmp_path: Path, option: str, value: str, said: str) -> None:
    result = run_cli("init", str(tmp_path / "acme"), "--no-git", option, value)
    assert result.returncode == 2
    assert said in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "acme").exists()


@pytest.mark.parametrize("linked", [".github", "docs"])
def test_init_never_writes_through_a_linked_folder(tmp_path: Path, linked: str) -> None:
    target = tmp_path / "acme"
    outside = tmp_path / "outside"
    outside.mkdir()
    target.mkdir()
    (target / linked).symlink_to(outside, target_is_directory=True)
    result = run_cli("init", str(target), "--no-git", "--force", "--org", "Acme")
    assert result.returncode == 2, result.stdout
    assert f"{linked} is a symbolic link" in result.stderr
    assert list(outside.iterdir()) == []
    assert sorted(p.name for p in target.iterdir()) == [linked]


def test_init_leaves_a_linked_mkdocs_yml_and_what_it_points_at_alone(tmp_path: Path) -> None:
    target = tmp_path / "acme"
    target.mkdir()
    outside = tmp_path / "theirs.yml"
    outside.write_text("site_name: theirs\n", encoding="utf-8")
    (target / "mkdocs.yml").symlink_to(outside)
    result = run_cli("init", str(target), "--no-git", "--force", "--org", "Acme ${{ github.token }} </script>")
    assert result.returncode == 0, result.stderr
    assert outside.read_text(encoding="utf-8") == "site_name: theirs\n"
    assert (target / "mkdocs.yml").is_symlink()
    # the hostile name reaches no workflow: GitHub would evaluate an expression there
    for workflow in (target / ".github" / "workflows").iterdir():
        assert "Acme" not in workflow.read_text(encoding="utf-8")


# -- text output: what a repository names never reaches the terminal raw -------------------------


def test_schema_findings_show_a_schema_line_and_file_name_without_control_characters(program_dir: ProgramDir) -> None:
    # Backspaces and a bell pass click's ANSI stripping untouched; an escape sequence does on a terminal.
    policy = _point_schema_line(program_dir, "\x08\x08\x08\x07\x1b[2Jpolicy.schema.jsonX")
    policy.rename(policy.with_name("x\x1b]0;owned\x07.md"))
    result = run_cli("schema", "--check", "--root", str(program_dir.root))
    assert result.returncode == 1
    assert "policy.schema.jsonX, but a policy file follows policy.schema.json" in result.stderr
    assert not any(char in result.stderr for char in "\x07\x08\x1b")


def test_paths_shown_to_the_user_are_printable() -> None:
    from soc2kit.cli.options import shown

    assert not any(char in shown(Path("policies/a\x1b[31m\rb.md")) for char in "\x1b\r")
