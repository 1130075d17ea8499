"""Line endings cannot break evidence: real clones with core.autocrlf=true, with and without the
attributes `soc2kit init` writes (SK411, and SK402's hint)."""

from __future__ import annotations

import hashlib
import os
from datetime import date
from pathlib import Path

import pytest

from soc2kit.digests import CHUNK
from soc2kit.line_endings import GITATTRIBUTES, PROTECTION_LINE, conversion
from soc2kit.loader import load_program
from soc2kit.starter import InitOptions, init_program
from tests.conftest import make_program
from tests.gitrepo import GitRepo

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 5, 1)
EVIDENCE = "evidence/TC-01/q1-review.txt"


@pytest.fixture(autouse=True)
def _no_user_git_config(monkeypatch: pytest.MonkeyPatch) -> None:
    # `check` asks Git for attributes; a developer's own core.attributesFile must not change the verdict.
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", os.devnull)
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")


def origin_repo(root: Path, *, attributes: str | None) -> GitRepo:
    repo = GitRepo.create(root, protect_evidence=False)
    make_program(root)
    repo.write("evidence/TC-01/q1-review.txt", "reviewed by alice\nsigned: CTO\n")
    sha = hashlib.sha256(b"reviewed by alice\nsigned: CTO\n").hexdigest()
    for record in root.glob("evidence/TC-*/q1.yaml"):
        text = record.read_text(encoding="utf-8")
        record.write_text(text[: text.index("sha256: ") + 8] + sha + "\n", encoding="utf-8")
    if attributes is not None:
        repo.write(".gitattributes", attributes)
    repo.commit("Start the program")
    return repo


def autocrlf_clone(origin: GitRepo, target: Path) -> Path:
    origin.git("clone", "-q", "-c", "core.autocrlf=true", str(origin.root), str(target))
    return target


def findings(root: Path, *codes: str) -> list[tuple[str, str, int, str, str]]:
    program = load_program(root, use_cache=False, today=TODAY)
    return [(d.code, d.path, d.line, d.message, d.hint) for d in program.diagnostics if d.code in codes]


def test_an_autocrlf_clone_without_attributes_fails_sk402_and_says_why(tmp_path: Path) -> None:
    origin = origin_repo(tmp_path / "origin", attributes=None)
    clone = autocrlf_clone(origin, tmp_path / "clone")
    assert (clone / EVIDENCE).read_bytes() == b"reviewed by alice\r\nsigned: CTO\r\n"

    mismatches = findings(clone, "SK402")
    assert len(mismatches) == 9  # every record names the one text file
    for code, _path, _line, message, hint in mismatches:
        assert code == "SK402"
        assert EVIDENCE in message
        assert "only its line endings differ (LF recorded, CRLF here)" in hint
        assert "core.autocrlf" in hint
        assert PROTECTION_LINE in hint
    warnings = findings(clone, "SK411")
    assert [(code, path, line) for code, path, line, _, _ in warnings] == [("SK411", ".gitattributes", 1)]
    assert f"1 of 1 evidence files ({EVIDENCE})" in warnings[0][3]


def test_an_autocrlf_clone_with_the_init_attributes_keeps_evidence_intact(tmp_path: Path) -> None:
    origin = origin_repo(tmp_path / "origin", attributes=GITATTRIBUTES)
    clone = autocrlf_clone(origin, tmp_path / "clone")
    assert (clone / EVIDENCE).read_bytes() == b"reviewed by alice\nsigned: CTO\n"
    assert findings(clone, "SK402", "SK411") == []
    # Documents are still text: they come out with LF whatever the clone's settings.
    assert b"\r\n" not in (clone / "policies/information-security.md").read_bytes()


def test_a_later_attribute_line_that_turns_text_back_on_is_reported(tmp_path: Path) -> None:
    origin = origin_repo(tmp_path / "origin", attributes=GITATTRIBUTES + "*.txt text\n")
    found = findings(origin.root, "SK411")
    assert len(found) == 1
    assert f"1 of 1 evidence files ({EVIDENCE})" in found[0][3]


def test_only_the_files_a_later_line_exposes_are_named(tmp_path: Path) -> None:
    origin = origin_repo(tmp_path / "origin", attributes=GITATTRIBUTES + "*.csv text\n")
    origin.write("evidence/TC-02/export.csv", "user,role\n")
    sha = hashlib.sha256(b"user,role\n").hexdigest()
    origin.write(
        "evidence/TC-02/export.yaml",
        "id: EV-TC-02-EXPORT\ncontrol: TC-02\nrequirement: review\ncollected: 2026-04-02\n"
        f"collector: alice@example.com\nfiles:\n  - path: export.csv\n    sha256: {sha}\n",
    )
    [found] = findings(origin.root, "SK411")
    assert "1 of 2 evidence files (evidence/TC-02/export.csv)" in found[3]


def test_git_lfs_lines_keep_the_protection(tmp_path: Path) -> None:
    lfs = "evidence/**/*.pdf filter=lfs diff=lfs merge=lfs -text\n"
    assert findings(origin_repo(tmp_path / "before", attributes=lfs + GITATTRIBUTES).root, "SK411") == []
    assert findings(origin_repo(tmp_path / "after", attributes=GITATTRIBUTES + lfs).root, "SK411") == []


def test_binary_and_a_nested_attributes_file_count_as_protection(tmp_path: Path) -> None:
    assert findings(origin_repo(tmp_path / "binary", attributes="evidence/** binary\n").root, "SK411") == []
    repo = GitRepo.create(tmp_path / "nested", protect_evidence=False)
    make_program(repo.root)
    repo.write("evidence/.gitattributes", "* -text\n")
    repo.commit("Start")
    assert findings(repo.root, "SK411") == []


def test_a_program_without_evidence_yet_is_still_warned(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo", protect_evidence=False)
    make_program(repo.root)
    for path in sorted(repo.root.glob("evidence/**/*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    repo.commit("Start")
    found = findings(repo.root, "SK411")
    assert len(found) == 1
    assert "files under evidence/" in found[0][3]


def test_a_program_in_a_monorepo_subfolder_is_protected_by_its_own_attributes(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "mono", protect_evidence=False)
    repo.write("README.md", "the company's code\n")
    program = make_program(tmp_path / "mono" / "compliance")
    assert findings(program.root, "SK411") != []
    program.write(".gitattributes", GITATTRIBUTES)
    assert findings(program.root, "SK411") == []


def test_outside_git_there_is_no_warning(tmp_path: Path) -> None:
    program = make_program(tmp_path / "plain")
    assert findings(program.root, "SK411") == []


def test_init_writes_and_commits_the_attributes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "gitconfig"
    config.write_text("[user]\n\tname = Alice Adams\n\temail = alice@example.com\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    target = tmp_path / "program"
    init_program(target, InitOptions(), today=TODAY)
    assert (target / ".gitattributes").read_text(encoding="utf-8") == GITATTRIBUTES
    assert ".gitattributes" in GitRepo(target).git("ls-files").split()
    assert GitRepo(target).git("status", "--porcelain") == ""
    assert findings(target, "SK411") == []


def test_init_keeps_a_users_own_attributes(tmp_path: Path) -> None:
    target = tmp_path / "p"
    target.mkdir()
    (target / ".gitattributes").write_text("*.png binary\n")
    init_program(target, InitOptions(force=True, git=False), today=TODAY)
    assert (target / ".gitattributes").read_text() == "*.png binary\n"


def test_this_repository_protects_its_evidence() -> None:
    assert (REPO / ".gitattributes").read_text(encoding="utf-8") == GITATTRIBUTES


@pytest.mark.parametrize(
    ("recorded", "on_disk", "expected"),
    [
        (b"a\nb\n", b"a\r\nb\r\n", "lf-to-crlf"),
        (b"a\r\nb\r\n", b"a\nb\n", "crlf-to-lf"),
        (b"a\nb\n", b"a\nc\n", None),
        (b"a\nb", b"a\r\nb", "lf-to-crlf"),
        (b"a\rb\n", b"a\rb\r\n", "lf-to-crlf"),  # a lone CR is not a line ending Git converts
        (b"x" * (CHUNK - 1) + b"\n", b"x" * (CHUNK - 1) + b"\r\n", "lf-to-crlf"),  # CRLF split between two reads
        (b"x" * (CHUNK - 1) + b"\r\n", b"x" * (CHUNK - 1) + b"\n", "crlf-to-lf"),
        (b"x" * (CHUNK - 1) + b"\r", b"x" * (CHUNK - 1) + b"\r", None),  # unchanged is not a conversion
    ],
    ids=["to-crlf", "to-lf", "edited", "no-final-newline", "lone-cr", "split-crlf", "split-to-lf", "trailing-cr"],
)
def test_conversion_is_recognised_from_the_bytes(tmp_path: Path, recorded: bytes, on_disk: bytes, expected: str | None) -> None:
    path = tmp_path / "file.txt"
    path.write_bytes(on_disk)
    assert conversion(path, hashlib.sha256(recorded).hexdigest()) == expected


def test_conversion_of_a_missing_file_is_none(tmp_path: Path) -> None:
    assert conversion(tmp_path / "gone.txt", "0" * 64) is None
