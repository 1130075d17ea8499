"""`soc2kit evidence add` and `soc2kit evidence verify` on real programs in real Git repositories."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import git
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from soc2kit.digests import file_sha256, lfs_pointer_oid
from soc2kit.documents import Document, parse_text
from soc2kit.errors import UsageError
from soc2kit.evidence import (
    STAGING_PREFIX,
    AddRequest,
    _yaml_scalar,
    add_evidence,
    find_secrets,
    verify_evidence,
)
from soc2kit.evidence import add as evidence_module
from soc2kit.loader import load_program
from tests.conftest import ProgramDir, make_program
from tests.gitrepo import GitRepo

TODAY = date(2026, 11, 22)
FIRST_COMMIT = "2026-04-05T10:00:00+00:00"
ADD_COMMIT = "2026-07-06T09:30:00+00:00"
OID = "4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393"
LFS_POINTER = f"version https://git-lfs.github.com/spec/v1\noid sha256:{OID}\nsize 12345\n".encode()


def git_env(when: str = ADD_COMMIT) -> dict[str, str]:
    """The environment of a pinned, isolated Git identity (Alice, tests/gitrepo.py) at `when`."""
    return GitRepo(Path()).env(date=when)


def run_git(root: Path, *args: str, when: str = ADD_COMMIT) -> str:
    return GitRepo(root).git(*args, date=when)


def soc2kit(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "soc2kit", *args], cwd=cwd, env=env or git_env(), capture_output=True, text=True, check=False
    )


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under `root` (Git's own folder and soc2kit's cache aside) with its bytes."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if rel.split("/")[0] in {".git", ".soc2kit-cache"} or path.is_dir():
            continue
        files[rel] = path.read_bytes() if not path.is_symlink() else os.readlink(path).encode()
    return files


def visible(files: dict[str, bytes]) -> dict[str, bytes]:
    """Files a reader of the program can see: not inside a dot-folder such as an add's staging folder."""
    return {rel: data for rel, data in files.items() if not any(part.startswith(".") for part in rel.split("/")[:-1])}


@pytest.fixture
def program(tmp_path: Path) -> ProgramDir:
    """A valid program with a first commit, and an unrecorded review file at its root to add."""
    repo = GitRepo.create(tmp_path / "program")
    program = make_program(repo.root)
    repo.commit("Start the program", date=FIRST_COMMIT)
    program.write("q2-review.csv", "user,role,decision\nalice,admin,keep\nbob,viewer,remove\n")
    return program


def add(program: ProgramDir, *files: str, **options: object) -> evidence_module.AddResult:
    fields: dict[str, object] = {"control": "TC-02", "collected": date(2026, 7, 3), "cwd": program.root, **options}
    return add_evidence(program.root, AddRequest(files=tuple(Path(f) for f in files), **fields), today=TODAY)  # type: ignore[arg-type]


def head(program: ProgramDir) -> str:
    return run_git(program.root, "rev-parse", "HEAD").strip()


# -- add -------------------------------------------------------------------------------------------


def test_add_copies_the_file_and_writes_a_record_check_and_verify_accept(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv", covers=(date(2026, 4, 1), date(2026, 6, 30)), note="Q2: signed by the CTO")

    folder = program.root / "evidence/TC-02/2026-07-03-review"
    assert result.record_id == "EV-TC-02-20260703-REVIEW"
    assert result.record_path == "evidence/TC-02/2026-07-03-review/record.yaml"
    assert (folder / "q2-review.csv").read_bytes() == (program.root / "q2-review.csv").read_bytes()
    data = yaml.safe_load((folder / "record.yaml").read_text())
    assert data == {
        "id": "EV-TC-02-20260703-REVIEW",
        "control": "TC-02",
        "requirement": "review",
        "collected": date(2026, 7, 3),
        "covers": {"start": date(2026, 4, 1), "end": date(2026, 6, 30)},
        "collector": data["collector"],
        "files": [{"path": "q2-review.csv", "sha256": hashlib.sha256((folder / "q2-review.csv").read_bytes()).hexdigest()}],
        "note": "Q2: signed by the CTO",
    }
    loaded = load_program(program.root, use_cache=False, today=TODAY)
    assert loaded.errors == []
    assert [r.id for r in loaded.evidence_of(loaded.controls["TC-02"])] == ["EV-TC-02-2026Q1", "EV-TC-02-20260703-REVIEW"]
    assert verify_evidence(loaded) == []
    assert program.check().returncode == 0


def test_add_collector_defaults_to_git_user_email(program: ProgramDir) -> None:
    run_git(program.root, "config", "user.email", "carol@example.com")
    result = add(program, "q2-review.csv")
    assert yaml.safe_load((program.root / result.record_path).read_text())["collector"] == "carol@example.com"


def test_add_through_the_cli_prints_the_record_and_digests(program: ProgramDir) -> None:
    result = soc2kit(
        "evidence", "add", "TC-02", "q2-review.csv", "--collected", "2026-07-03", "--collector", "dana", cwd=program.root
    )
    assert result.returncode == 0, result.stderr
    digest = hashlib.sha256((program.root / "q2-review.csv").read_bytes()).hexdigest()
    assert result.stdout.splitlines() == [
        "Recorded EV-TC-02-20260703-REVIEW in evidence/TC-02/2026-07-03-review/record.yaml",
        f"  evidence/TC-02/2026-07-03-review/q2-review.csv  sha256 {digest}",
    ]


def test_add_with_commit_commits_only_the_new_files_with_trailers(program: ProgramDir) -> None:
    before = head(program)
    result = soc2kit("evidence", "add", "TC-02", "q2-review.csv", "--collected", "2026-07-03", "--commit", cwd=program.root)

    assert result.returncode == 0, result.stderr
    repo = git.Repo(program.root)
    commit = repo.head.commit
    assert commit.parents[0].hexsha == before
    assert result.stdout.splitlines()[-1] == f"Committed {commit.hexsha[:12]}"
    assert sorted(commit.stats.files) == [
        "evidence/TC-02/2026-07-03-review/q2-review.csv",
        "evidence/TC-02/2026-07-03-review/record.yaml",
    ]
    trailers = run_git(program.root, "log", "-1", "--format=%(trailers:only,unfold)").strip().splitlines()
    assert trailers == ["Evidence-For: TC-02", "Evidence-Id: EV-TC-02-20260703-REVIEW"]
    assert commit.summary == "Evidence for TC-02: review, collected 2026-07-03"
    assert commit.author.email == "alice@example.com"
    # The source file stays where it was, untracked; nothing else changed.
    assert repo.untracked_files == ["q2-review.csv"]
    assert not repo.is_dirty()


def test_add_picks_a_new_record_folder_and_id_instead_of_overwriting(program: ProgramDir) -> None:
    first = add(program, "q2-review.csv")
    program.write("q2-review.csv", "user,role,decision\nalice,admin,keep\n")
    second = add(program, "q2-review.csv")
    program.write("evidence/TC-02/2026-07-03-review-3/notes.txt", "someone else's folder\n")
    third = add(program, "q2-review.csv")

    assert (first.record_id, second.record_id, third.record_id) == (
        "EV-TC-02-20260703-REVIEW",
        "EV-TC-02-20260703-REVIEW-2",
        "EV-TC-02-20260703-REVIEW-4",
    )
    assert third.record_path == "evidence/TC-02/2026-07-03-review-4/record.yaml"
    assert program.read("evidence/TC-02/2026-07-03-review-3/notes.txt") == "someone else's folder\n"
    assert program.read("evidence/TC-02/2026-07-03-review/q2-review.csv").count("\n") == 3
    assert program.read("evidence/TC-02/2026-07-03-review-2/q2-review.csv").count("\n") == 2


def test_add_stores_a_yaml_file_under_a_name_the_loader_skips(program: ProgramDir) -> None:
    program.write("exports/iam-policy.yaml", "Version: '2012-10-17'\n")
    result = add(program, "exports/iam-policy.yaml", "q2-review.csv")

    assert [f.path.rsplit("/", 1)[1] for f in result.files] == ["_iam-policy.yaml", "q2-review.csv"]
    assert "stored as '_iam-policy.yaml'" in result.notes[0]
    loaded = load_program(program.root, use_cache=False, today=TODAY)
    assert loaded.errors == []
    assert verify_evidence(loaded) == []


def test_add_accepts_a_symlink_that_stays_inside_the_repository(program: ProgramDir) -> None:
    (program.root / "latest.csv").symlink_to("q2-review.csv")
    result = add(program, "latest.csv")
    stored = program.root / result.files[0].path
    assert stored.name == "latest.csv"
    assert not stored.is_symlink()
    assert stored.read_bytes() == (program.root / "q2-review.csv").read_bytes()


def test_add_records_an_lfs_pointer_by_its_oid_without_fetching(program: ProgramDir) -> None:
    program.write("scan.pdf", LFS_POINTER)
    result = add(program, "scan.pdf")

    [added] = result.files
    assert (added.sha256, added.lfs) == (OID, True)
    record_text = program.read(result.record_path)
    assert f"sha256: {OID}  # the Git LFS object's oid" in record_text
    assert (program.root / added.path).read_bytes() == LFS_POINTER
    loaded = load_program(program.root, use_cache=False, today=TODAY)
    assert verify_evidence(loaded) == []
    assert [d for d in loaded.diagnostics if d.code == "SK402"] == []  # check agrees with verify


def test_verify_accepts_the_fetched_lfs_content_and_catches_a_changed_pointer(program: ProgramDir) -> None:
    content = b"the scanned, signed PDF\n"
    oid = hashlib.sha256(content).hexdigest()
    pointer = f"version https://git-lfs.github.com/spec/v1\noid sha256:{oid}\nsize {len(content)}\n".encode()
    program.write("scan.pdf", pointer)
    result = add(program, "scan.pdf")
    stored = program.root / result.files[0].path

    stored.write_bytes(content)  # what `git lfs pull` puts in the work tree
    assert verify_evidence(load_program(program.root, use_cache=False, today=TODAY)) == []
    stored.write_bytes(LFS_POINTER)  # a pointer to some other object
    [finding] = verify_evidence(load_program(program.root, use_cache=False, today=TODAY))
    assert (finding.code, finding.path, finding.line) == ("SK402", result.record_path, 10)


def test_add_warns_about_secrets_with_their_line(program: ProgramDir) -> None:
    program.write("export.csv", "user,key\nci-bot,AKIAIOSFODNN7EXAMPLE\n")
    result = soc2kit("evidence", "add", "TC-02", "export.csv", "--collected", "2026-07-03", cwd=program.root)

    assert result.returncode == 0, result.stderr
    assert result.stderr == (
        "soc2kit: warning: export.csv (line 2) looks like it contains an AWS access key ID; "
        "evidence should hold no secrets: redact the file and record it again\n"
    )
    assert (program.root / "evidence/TC-02/2026-07-03-review/export.csv").exists()


def test_add_with_commit_refuses_secrets_unless_allowed(program: ProgramDir) -> None:
    program.write("deploy-key.txt", "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n")
    before = snapshot(program.root)
    refused = soc2kit("evidence", "add", "TC-02", "deploy-key.txt", "--collected", "2026-07-03", "--commit", cwd=program.root)
    assert refused.returncode == 2
    assert (
        "refusing to commit evidence that looks like it holds secrets: deploy-key.txt (line 1: a private key)" in refused.stderr
    )
    assert snapshot(program.root) == before

    allowed = soc2kit(
        "evidence", "add", "TC-02", "deploy-key.txt", "--collected", "2026-07-03", "--commit", "--allow-secrets", cwd=program.root
    )
    assert allowed.returncode == 0, allowed.stderr
    assert "looks like it contains a private key" in allowed.stderr
    assert git.Repo(program.root).head.commit.summary.startswith("Evidence for TC-02")


BAD_INPUT = [
    (["TC-02", "missing.csv"], "'missing.csv' does not exist"),
    (["TC-02", "../missing.csv"], "'../missing.csv' does not exist"),
    (["TC-02", "evidence"], "'evidence' is a directory; give the files inside it"),
    (["TC-02", "{tmp}/downloads"], "downloads' is a directory; give the files inside it"),
    (["TC-02", "../downloads"], "'../downloads' is a directory; give the files inside it"),
    (["TC-02", "{tmp}/export.fifo"], "export.fifo' is not a regular file"),
    (["TC-02", "../export.fifo"], "'../export.fifo' is not a regular file"),
    (["TC-02", "linked-dir/export.fifo"], "'linked-dir/export.fifo' is not a regular file"),
    (["TC-02", "/dev/null"], "'/dev/null' is not a regular file"),
    (["TC-02", "{tmp}/dangling.csv"], "dangling.csv' is a broken symbolic link"),
    (["TC-02", "{outside}", "linked-dir/outside.csv"], "names the same file as"),
    (["TC-02", "q2-review.csv", "q2-review.csv"], "names the same file as 'q2-review.csv'"),
    (["TC-02", "q2-review.csv", "sub/q2-review.csv"], "would both be stored as 'q2-review.csv'"),
    (["TC-99", "q2-review.csv"], "unknown control 'TC-99'; did you mean TC-09"),
    (["TC-02", "q2-review.csv", "--requirement", "nope"], "control TC-02 has no evidence requirement 'nope'; it has: review"),
    (["TC-02", "q2-review.csv", "--collected", "2026-7-3"], "'2026-7-3' is not an ISO date like 2026-01-31"),
    (["TC-02", "q2-review.csv", "--collected", "2026-02-30"], "'2026-02-30' is not an ISO date"),
    (["TC-02", "q2-review.csv", "--collected", "2027-01-01"], "the collected date 2027-01-01 is in the future"),
    (["TC-02", "q2-review.csv", "--covers", "2026-06-30..2026-04-01"], "ends (2026-04-01) before it starts (2026-06-30)"),
    (["TC-02", "q2-review.csv", "--covers", "2026-04-01"], "'2026-04-01' is not a date range"),
    (["TC-02", "q2-review.csv", "--covers", "2026-04-01..June"], "'June' in '2026-04-01..June' is not an ISO date"),
]


@pytest.mark.parametrize(("args", "message"), BAD_INPUT, ids=[m[:40] for _, m in BAD_INPUT])
def test_bad_input_is_exit_2_and_writes_nothing(program: ProgramDir, tmp_path: Path, args: list[str], message: str) -> None:
    outside = tmp_path / "outside.csv"
    outside.write_text("not in the repository\n")
    (tmp_path / "downloads").mkdir()
    (tmp_path / "downloads" / "review.csv").write_text("in a folder outside\n")
    os.mkfifo(tmp_path / "export.fifo")
    (tmp_path / "dangling.csv").symlink_to(tmp_path / "gone.csv")
    (program.root / "link-out.csv").symlink_to(outside)
    (program.root / "linked-dir").symlink_to(tmp_path, target_is_directory=True)
    program.write("sub/q2-review.csv", "another file with the same name\n")
    run_git(program.root, "add", "-A")
    run_git(program.root, "commit", "-q", "-m", "Sources")
    args = [arg.replace("{outside}", str(outside)).replace("{tmp}", str(tmp_path)) for arg in args]
    before, commit = snapshot(program.root), head(program)

    result = soc2kit("evidence", "add", *args, "--commit", cwd=program.root)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(program.root) == before
    assert head(program) == commit


def test_add_takes_files_from_a_folder_outside_the_program(program: ProgramDir, tmp_path: Path) -> None:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    export = downloads / "okta-users.csv"
    export.write_text("user,role\nalice,admin\n")
    (program.root / "latest-export.csv").symlink_to(export)
    given = ["../downloads/okta-users.csv", str(export), "latest-export.csv"]
    for collected, name in zip((date(2026, 7, 1), date(2026, 7, 2), date(2026, 7, 3)), given, strict=True):
        result = add(program, name, collected=collected)
        copy = program.root / result.files[0].path
        assert copy.parent.parent == program.root / "evidence" / "TC-02"
        assert not copy.is_symlink()
        assert copy.read_bytes() == export.read_bytes()
        record = yaml.safe_load((program.root / result.record_path).read_text())
        assert record["files"] == [{"path": copy.name, "sha256": sha256_of(export)}]
    assert export.read_text() == "user,role\nalice,admin\n"
    found = [d for d in load_program(program.root, use_cache=False, today=TODAY).diagnostics if d.code.startswith("SK40")]
    assert found == []


def test_add_from_outside_through_the_cli(program: ProgramDir, tmp_path: Path) -> None:
    elsewhere = tmp_path / "tool-output"
    elsewhere.mkdir()
    (elsewhere / "scan.json").write_text('{"findings": 0}\n')
    result = soc2kit(
        "evidence", "add", "TC-02", "scan.json", "--root", str(program.root), "--collected", "2026-07-03", cwd=elsewhere
    )
    assert result.returncode == 0, result.stderr
    assert (program.root / "evidence/TC-02/2026-07-03-review/scan.json").read_text() == '{"findings": 0}\n'


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_add_refuses_a_folder_that_is_not_a_program(tmp_path: Path) -> None:
    (tmp_path / "review.csv").write_text("x\n")
    result = soc2kit("evidence", "add", "TC-02", "review.csv", cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.startswith(f"soc2kit: error: no soc2kit.yml in {tmp_path.resolve()} or any folder above it")
    assert result.stderr.endswith("; run soc2kit init or pass --root\n")


def test_add_finds_controls_whatever_the_case(program: ProgramDir) -> None:
    assert add(program, "q2-review.csv", control="tc-02").record_id == "EV-TC-02-20260703-REVIEW"


def test_add_needs_a_requirement_when_the_control_has_several(program: ProgramDir) -> None:
    program.replace("controls/TC-02.md", "evidence:\n", "evidence:\n  - id: export\n    description: System export\n")
    with pytest.raises(UsageError, match="several evidence requirements; choose one with --requirement: export, review"):
        add(program, "q2-review.csv")
    assert add(program, "q2-review.csv", requirement="export").record_id == "EV-TC-02-20260703-EXPORT"


# -- --commit refuses states in which a clean commit is impossible --------------------------------


def dirty(program: ProgramDir) -> None:
    program.replace("policies/information-security.md", "Yearly.", "Twice a year.")


def staged(program: ProgramDir) -> None:
    dirty(program)
    run_git(program.root, "add", "policies/information-security.md")


def detached(program: ProgramDir) -> None:
    run_git(program.root, "checkout", "-q", "--detach", "HEAD")


def unborn(program: ProgramDir) -> None:
    run_git(program.root, "checkout", "-q", "--orphan", "fresh")
    run_git(program.root, "rm", "-q", "-r", "--cached", ".")


def no_repository(program: ProgramDir) -> None:
    import shutil

    shutil.rmtree(program.root / ".git")


def ignored(program: ProgramDir) -> None:
    program.write(".gitignore", "evidence/TC-02/\n")
    run_git(program.root, "add", ".gitignore")
    run_git(program.root, "commit", "-q", "-m", "Ignore")


def failing_hook(program: ProgramDir) -> None:
    hook = program.root / ".git/hooks/pre-commit"
    hook.write_text("#!/bin/sh\necho 'pre-commit: no evidence today' >&2\nexit 1\n")
    hook.chmod(0o755)


GIT_STATES = [
    (dirty, "the work tree has uncommitted changes (policies/information-security.md)"),
    (staged, "the work tree has uncommitted changes (policies/information-security.md)"),
    (detached, "HEAD is detached; check out a branch first"),
    (unborn, "the Git repository has no commits yet"),
    (no_repository, "is not inside a Git repository"),
    (ignored, "Git ignores"),
    (failing_hook, "git commit failed (pre-commit: no evidence today); the record was removed again"),
]


@pytest.mark.parametrize(("make_state", "message"), GIT_STATES, ids=[f.__name__ for f, _ in GIT_STATES])
def test_commit_is_refused_and_nothing_is_written_or_committed(program: ProgramDir, make_state, message: str) -> None:
    make_state(program)
    before = snapshot(program.root)
    repo_dir = program.root / ".git"
    status = run_git(program.root, "status", "--porcelain") if repo_dir.exists() else ""
    commits = run_git(program.root, "rev-list", "--all") if repo_dir.exists() else ""

    result = soc2kit("evidence", "add", "TC-02", "q2-review.csv", "--collected", "2026-07-03", "--commit", cwd=program.root)

    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert snapshot(program.root) == before
    if repo_dir.exists():
        assert run_git(program.root, "status", "--porcelain") == status
        assert run_git(program.root, "rev-list", "--all") == commits


def test_commit_without_a_git_command_is_refused(program: ProgramDir, tmp_path: Path) -> None:
    empty_path = tmp_path / "no-git-here"
    empty_path.mkdir()
    env = {**git_env(), "PATH": str(empty_path)}
    env.pop("GIT_PYTHON_GIT_EXECUTABLE", None)
    before = snapshot(program.root)

    result = soc2kit(
        "evidence", "add", "TC-02", "q2-review.csv", "--collected", "2026-07-03", "--commit", cwd=program.root, env=env
    )

    assert result.returncode == 2
    assert "--commit needs Git, and no git command was found" in result.stderr
    assert snapshot(program.root) == before


def test_commit_without_a_git_identity_is_refused(program: ProgramDir) -> None:
    env = {k: v for k, v in git_env().items() if not k.startswith(("GIT_AUTHOR", "GIT_COMMITTER")) and k != "EMAIL"}
    run_git(program.root, "config", "user.useConfigOnly", "true")  # no guessing an identity from the host name
    before = snapshot(program.root)
    result = soc2kit(
        "evidence", "add", "TC-02", "q2-review.csv", "--collected", "2026-07-03", "--commit", cwd=program.root, env=env
    )
    assert result.returncode == 2
    assert "Git has no identity to commit with" in result.stderr
    assert snapshot(program.root) == before


# -- a failure or a kill part way leaves nothing partial ------------------------------------------


def test_a_failure_while_copying_leaves_nothing(program: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    program.write("second.csv", "more\n")
    copied = []
    real_copy = evidence_module._copy

    def copy_then_fail(source: evidence_module._Source, dest: Path) -> None:
        if copied:
            raise OSError(28, "No space left on device")
        real_copy(source, dest)
        copied.append(dest)

    monkeypatch.setattr(evidence_module, "_copy", copy_then_fail)
    before = snapshot(program.root)
    with pytest.raises(OSError, match="No space left"):
        add(program, "q2-review.csv", "second.csv")

    assert copied  # the first file was written before the failure
    assert snapshot(program.root) == before
    assert not (program.root / "evidence/TC-02/2026-07-03-review").exists()


def test_a_failure_in_the_final_rename_leaves_nothing_even_for_a_new_control_folder(
    program: ProgramDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    shutil.rmtree(program.root / "evidence/TC-02")  # the record would create evidence/TC-02/ itself
    before = snapshot(program.root)

    def rename_fails(*_args: object) -> None:
        raise OSError(5, "Input/output error")

    monkeypatch.setattr(evidence_module.os, "rename", rename_fails)
    with pytest.raises(UsageError, match="cannot move the new record into place: Input/output error"):
        add(program, "q2-review.csv")

    assert snapshot(program.root) == before
    assert not (program.root / "evidence/TC-02").exists()
    assert [p.name for p in (program.root / "evidence").iterdir() if p.name.startswith(".")] == []


def test_a_failure_in_a_program_without_evidence_does_not_leave_an_evidence_folder(
    program: ProgramDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    shutil.rmtree(program.root / "evidence")
    before = snapshot(program.root)

    def copy_fails(*_args: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(evidence_module, "_copy", copy_fails)
    with pytest.raises(OSError, match="No space left"):
        add(program, "q2-review.csv")

    assert snapshot(program.root) == before
    assert not (program.root / "evidence").exists()


def test_a_failure_on_interrupt_while_copying_leaves_nothing(program: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(_source: evidence_module._Source, dest: Path) -> None:
        dest.write_bytes(b"half of it")
        raise KeyboardInterrupt

    monkeypatch.setattr(evidence_module, "_copy", interrupted)
    before = snapshot(program.root)
    with pytest.raises(KeyboardInterrupt):
        add(program, "q2-review.csv")
    assert snapshot(program.root) == before


def wait_for(condition, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 120  # a guard against a hang, not a timing assertion
    while not condition():
        if process.poll() is not None:
            pytest.fail(
                f"soc2kit exited ({process.returncode}) before {what}: {process.stderr.read().decode() if process.stderr else ''}"
            )
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"timed out waiting for {what}")
        time.sleep(0.001)


def test_killing_add_while_it_copies_leaves_nothing_partial(program: ProgramDir) -> None:
    big = program.root / "backup.tar"
    with big.open("wb") as handle:  # sparse: costs no disk until copied
        handle.truncate(256 << 20)
    before, status = snapshot(program.root), run_git(program.root, "status", "--porcelain", "--untracked-files=all")
    evidence_dir = program.root / "evidence"

    def copy_started() -> bool:
        return any(
            part.stat().st_size > 0
            for staging in evidence_dir.glob(f"{STAGING_PREFIX}*")
            for part in staging.glob("TC-02/*/backup.tar")
        )

    with subprocess.Popen(
        [sys.executable, "-m", "soc2kit", "evidence", "add", "TC-02", "backup.tar", "--collected", "2026-07-03", "--commit"],
        cwd=program.root,
        env=git_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    ) as process:
        wait_for(copy_started, "the copy started", process)
        process.send_signal(signal.SIGKILL)
        process.wait()

    assert process.returncode == -signal.SIGKILL
    assert list(evidence_dir.glob(f"{STAGING_PREFIX}*"))  # killed part way: its staging folder is still there
    after = snapshot(program.root)
    assert visible(after) == visible(before)  # no record, no copy, no folder a reader can see
    assert not (program.root / "evidence/TC-02/2026-07-03-review").exists()
    assert run_git(program.root, "status", "--porcelain", "--untracked-files=all") == status
    assert git.Repo(program.root).head.commit.summary == "Start the program"
    loaded = load_program(program.root, use_cache=False, today=TODAY)
    assert loaded.errors == []
    assert verify_evidence(loaded) == []

    # The next add cleans up what the killed one left, and succeeds.
    program.write("small.csv", "x\n")
    result = soc2kit("evidence", "add", "TC-02", "small.csv", "--collected", "2026-07-03", cwd=program.root)
    assert result.returncode == 0, result.stderr
    assert list(evidence_dir.glob(f"{STAGING_PREFIX}*")) == []


def test_a_failed_commit_removes_the_record_and_unstages_it(program: ProgramDir) -> None:
    failing_hook(program)
    before = snapshot(program.root)
    with pytest.raises(UsageError, match="git commit failed"):
        add_with_env(program, commit=True)
    assert snapshot(program.root) == before
    assert run_git(program.root, "status", "--porcelain") == "?? q2-review.csv\n"


def add_with_env(program: ProgramDir, **options: object) -> evidence_module.AddResult:
    saved = dict(os.environ)
    os.environ.update({k: v for k, v in git_env().items() if k.startswith("GIT_")})
    try:
        return add(program, "q2-review.csv", **options)
    finally:
        os.environ.clear()
        os.environ.update(saved)


# -- verify ----------------------------------------------------------------------------------------


def verify(program: ProgramDir, *args: str) -> tuple[int, list[tuple[str, str, int]]]:
    args = ("--root", str(program.root), "--no-cache", "--no-history", "--format", "json", *args)
    result = soc2kit("evidence", "verify", *args, cwd=program.root)
    report = json.loads(result.stdout)
    return result.returncode, [(d["code"], d["path"], d["line"]) for d in report["diagnostics"]]


def test_verify_passes_a_clean_program(program: ProgramDir) -> None:
    add(program, "q2-review.csv")
    assert verify(program) == (0, [])


def test_verify_reports_missing_changed_and_unrecorded_files(program: ProgramDir) -> None:
    program.write("second.csv", "more\n")
    result = add(program, "q2-review.csv", "second.csv")
    folder = program.root / result.record_path.rsplit("/", 1)[0]
    (folder / "q2-review.csv").write_text("user,role,decision\nalice,admin,keep\n")  # edited after it was recorded
    (folder / "second.csv").unlink()
    program.write("evidence/TC-02/stray.pdf", "%PDF")
    program.write("evidence/TC-02/.DS_Store", "ignored: hidden")
    program.write("evidence/TC-02/_drafts/next.csv", "ignored: underscore")
    program.write("evidence/TC-02/README.md", "ignored: readme")

    code, found = verify(program)

    assert code == 1
    assert found == [
        ("SK402", result.record_path, 10),
        ("SK401", result.record_path, 11),
        ("SK405", "evidence/TC-02/stray.pdf", 1),
    ]


def test_verify_reports_a_path_that_escapes_and_a_directory_as_a_file(program: ProgramDir, tmp_path: Path) -> None:
    outside = tmp_path / "secret.txt"
    outside.write_text("outside\n")
    sha = hashlib.sha256(b"outside\n").hexdigest()
    (program.root / "evidence/TC-03/link.txt").symlink_to(outside)
    (program.root / "evidence/TC-03/folder").mkdir()
    program.write(
        "evidence/TC-03/q2.yaml",
        f"id: EV-TC-03-Q2\ncontrol: TC-03\nrequirement: review\ncollected: 2026-07-01\ncollector: bob\nfiles:\n"
        f"  - path: ../../../secret.txt\n    sha256: {sha}\n"
        f"  - path: link.txt\n    sha256: {sha}\n"
        f"  - path: /etc/hostname\n    sha256: {sha}\n"
        f"  - path: folder\n    sha256: {sha}\n",
    )
    code, found = verify(program)
    assert code == 1
    assert found == [
        ("SK404", "evidence/TC-03/q2.yaml", 7),
        ("SK404", "evidence/TC-03/q2.yaml", 9),
        ("SK404", "evidence/TC-03/q2.yaml", 11),
        ("SK401", "evidence/TC-03/q2.yaml", 13),
    ]


def test_verify_does_not_call_files_of_an_invalid_record_unrecorded(program: ProgramDir) -> None:
    program.write("evidence/TC-03/q2.csv", "data\n")
    program.write(
        "evidence/TC-03/q2.yaml",
        "id: EV-TC-03-Q2\ncontrol: TC-03\nrequirement: review\ncollected: 2026-13-01\ncollector: bob\n"
        "files:\n  - path: q2.csv\n    sha256: 0000\n",
    )
    code, found = verify(program)
    assert code == 1
    assert [f[0] for f in found] == ["SK010", "SK010"]
    assert {f[1] for f in found} == {"evidence/TC-03/q2.yaml"}


def test_verify_reports_an_unusable_config_with_exit_2(program: ProgramDir) -> None:
    program.write("soc2kit.yml", "organization: [\n")
    code, found = verify(program)
    assert code == 2
    assert {f[0] for f in found if f[1] == "soc2kit.yml"} == {"SK007", "SK020"}


def test_verify_reports_a_record_that_lists_no_files(program: ProgramDir) -> None:
    program.write(
        "evidence/TC-03/q2.yaml",
        "id: EV-TC-03-Q2\ncontrol: TC-03\nrequirement: review\ncollected: 2026-07-01\ncollector: bob\nfiles: []\n",
    )
    code, found = verify(program)
    assert (code, found) == (1, [("SK409", "evidence/TC-03/q2.yaml", 6)])


def test_verify_text_output_names_file_line_and_rule(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")
    (program.root / result.files[0].path).write_text("tampered\n")
    out = soc2kit("evidence", "verify", "--no-cache", "--no-history", cwd=program.root)
    assert out.returncode == 1
    assert result.record_path in out.stdout
    assert "SK402 evidence file 'evidence/TC-02/2026-07-03-review/q2-review.csv' has sha256" in out.stdout
    assert "soc2kit evidence verify failed: 1 error" in out.stdout


def test_verify_honours_rule_settings(program: ProgramDir) -> None:
    program.write("evidence/TC-03/stray.csv", "data\n")
    code, found = verify(program)
    assert (code, [f[0] for f in found]) == (0, ["SK405"])
    program.write("soc2kit.yml", program.read("soc2kit.yml") + "rules:\n  evidence-file-unrecorded: off\n")
    assert verify(program) == (0, [])


# -- content ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "oid"),
    [
        (LFS_POINTER, OID),
        (LFS_POINTER.replace(b"git-lfs.github.com", b"hawser.github.com"), OID),
        (LFS_POINTER.replace(b"size 12345\n", b"ext-0-foo sha256:ab\nsize 12345\n"), OID),
        (LFS_POINTER.rstrip(b"\n"), None),  # a pointer ends with a newline
        (LFS_POINTER.replace(b"sha256:", b"sha1:"), None),
        (LFS_POINTER.replace(b"size 12345", b"size many"), None),
        (LFS_POINTER.replace(OID.encode(), OID.upper().encode()), None),
        (LFS_POINTER + b"x" * 1024, None),
        (b"version https://example.com/spec\n", None),
    ],
)
def test_lfs_pointer_recognition(data: bytes, oid: str | None) -> None:
    assert lfs_pointer_oid(data) == oid


def test_file_sha256_uses_the_oid_of_a_pointer_and_the_content_otherwise(tmp_path: Path) -> None:
    (tmp_path / "pointer").write_bytes(LFS_POINTER)
    (tmp_path / "plain").write_bytes(b"x" * 5000)
    assert file_sha256(tmp_path / "pointer") == OID
    assert file_sha256(tmp_path / "plain") == hashlib.sha256(b"x" * 5000).hexdigest()


def test_find_secrets_reports_each_kind_once_with_its_line(tmp_path: Path) -> None:
    path = tmp_path / "config.env"
    path.write_text(
        "# deployment\n"
        "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n"
        "AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEYab\n"
        "GITHUB_TOKEN=ghp_abcdefghijklmnopqrstuvwxyz0123456789\n"
        "DATABASE_URL=postgres://app:hunter22@db.internal/app\n"
        "AKIAIOSFODNN7EXAMPLF again\n"
    )
    found = [(s.kind, s.line) for s in find_secrets(path)]
    assert found == [
        ("an AWS access key ID", 2),
        ("an AWS secret access key", 3),
        ("a GitHub token", 4),
        ("a password in a URL", 5),
    ]


def test_find_secrets_sees_a_key_split_across_two_reads(tmp_path: Path) -> None:
    path = tmp_path / "big.log"
    filler = b"a" * ((1 << 20) - 10) + b"\n"
    path.write_bytes(filler + b"key=AKIAIOSFODNN7EXAMPLE\n")
    [secret] = find_secrets(path)
    assert (secret.kind, secret.line, secret.offset) == ("an AWS access key ID", 2, len(filler) + 4)


def test_find_secrets_gives_a_byte_offset_in_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "dump.bin"
    path.write_bytes(b"\0\1\2" + b"-----BEGIN RSA PRIVATE KEY-----")
    [secret] = find_secrets(path)
    assert (secret.line, secret.offset, secret.where()) == (None, 3, "byte 3")


def test_find_secrets_ignores_ordinary_evidence(tmp_path: Path) -> None:
    path = tmp_path / "review.csv"
    path.write_text("user,role,reviewed_by,link\nalice,admin,bob,https://example.com/tickets/AKIA\n")
    assert find_secrets(path) == []


# -- verify with Git history -----------------------------------------------------------------------


def commit_all(program: ProgramDir, message: str, when: str) -> str:
    run_git(program.root, "add", "-A", "evidence")
    run_git(program.root, "commit", "-q", "-m", message, when=when)
    return head(program)


def history_verify(program: ProgramDir, *args: str) -> tuple[int, list[tuple[str, str, int]], str]:
    result = soc2kit("evidence", "verify", "--no-cache", "--format", "json", *args, cwd=program.root)
    report = json.loads(result.stdout)
    return result.returncode, [(d["code"], d["path"], d["line"]) for d in report["diagnostics"]], result.stderr


def messages(program: ProgramDir) -> list[str]:
    result = soc2kit("evidence", "verify", "--no-cache", "--format", "json", cwd=program.root)
    return [d["message"] for d in json.loads(result.stdout)["diagnostics"]]


def test_verify_with_history_passes_evidence_added_with_commit(program: ProgramDir) -> None:
    added = soc2kit("evidence", "add", "TC-02", "q2-review.csv", "--collected", "2026-07-03", "--commit", cwd=program.root)
    assert added.returncode == 0, added.stderr
    assert history_verify(program) == (0, [], "")


def test_verify_reports_a_file_changed_by_a_later_commit(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")
    first = commit_all(program, "Q2 review", ADD_COMMIT)
    stored = program.root / result.files[0].path
    stored.write_text("user,role,decision\nalice,admin,keep\n")
    tamper = commit_all(program, "Fix the review", "2026-08-01T12:00:00+00:00")

    code, found, _ = history_verify(program)

    assert code == 1
    assert found == [("SK406", result.record_path, 9), ("SK402", result.record_path, 10)]
    assert messages(program)[0] == (
        f"evidence file '{result.files[0].path}' was modified by commit {tamper[:12]} on 2026-08-01 "
        f"(Alice Adams <alice@example.com>), after commit {first[:12]} added it on 2026-07-06"
    )


def test_verify_reports_a_file_and_record_rewritten_together_after_commit(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")
    commit_all(program, "Q2 review", ADD_COMMIT)
    stored = program.root / result.files[0].path
    stored.write_text("user,role,decision\nalice,admin,keep\n")
    program.replace(result.record_path, result.files[0].sha256, hashlib.sha256(stored.read_bytes()).hexdigest())
    commit_all(program, "Refresh the review", "2026-08-01T12:00:00+00:00")

    code, found, _ = history_verify(program)

    # The digests agree again, so only history shows the evidence was rewritten after it was recorded.
    assert code == 1
    assert found == [("SK406", result.record_path, 3), ("SK406", result.record_path, 9)]


def test_verify_reports_a_file_deleted_and_added_again(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")
    commit_all(program, "Q2 review", ADD_COMMIT)
    stored = program.root / result.files[0].path
    content = stored.read_bytes()
    stored.unlink()
    commit_all(program, "Remove", "2026-08-01T12:00:00+00:00")
    stored.write_bytes(content)
    commit_all(program, "Restore", "2026-08-02T12:00:00+00:00")

    code, found, _ = history_verify(program)

    assert code == 1
    assert found == [("SK406", result.record_path, 9)]
    assert "was added by commit" in messages(program)[0]
    assert "(and 1 more)" in messages(program)[0]


def test_verify_follows_a_moved_record_folder(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")
    commit_all(program, "Q2 review", ADD_COMMIT)
    (program.root / "evidence/TC-02/2026").mkdir()
    run_git(program.root, "mv", "evidence/TC-02/2026-07-03-review", "evidence/TC-02/2026/q2-review")
    run_git(program.root, "commit", "-q", "-m", "File the 2026 evidence together", when="2026-08-01T12:00:00+00:00")
    assert not (program.root / result.record_path).exists()

    assert history_verify(program) == (0, [], "")


def test_verify_reports_a_record_collected_after_it_was_committed(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv", collected=date(2026, 7, 3))
    commit = commit_all(program, "Q2 review", "2026-06-20T12:00:00+00:00")

    code, found, _ = history_verify(program)

    assert code == 1
    assert found == [("SK407", result.record_path, 6)]
    assert messages(program) == [f"collected 2026-07-03 is later than 2026-06-20, the day commit {commit[:12]} added this record"]


def test_the_commit_day_is_taken_in_the_audit_time_zone(program: ProgramDir) -> None:
    add(program, "q2-review.csv", collected=date(2026, 7, 3))
    commit_all(program, "Q2 review", "2026-07-02T23:30:00+00:00")  # already 3 July in Berlin
    assert [f[0] for f in history_verify(program)[1]] == ["SK407"]
    program.replace("soc2kit.yml", "  period:", "  timezone: Europe/Berlin\n  period:")
    assert history_verify(program)[:2] == (0, [])


def test_verify_reports_a_record_committed_long_after_its_collected_date(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv", collected=date(2026, 7, 3))
    commit = commit_all(program, "Q2 review, at last", "2026-08-03T12:00:00+00:00")  # 31 days later

    code, found, _ = history_verify(program)

    assert (code, found) == (1, [("SK410", result.record_path, 6)])
    assert messages(program) == [
        (
            f"collected 2026-07-03, but commit {commit[:12]} added this record only on 2026-08-03, more than the evidence "
            "grace period (30 days) later: Git cannot vouch that it existed on 2026-07-03"
        )
    ]
    program.replace("soc2kit.yml", "  period:", "  evidence_grace: 45 days\n  period:")
    assert history_verify(program)[:2] == (0, [])


def test_verify_warns_about_evidence_not_committed_yet(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")

    code, found, _ = history_verify(program)

    assert code == 0
    assert found == [("SK408", result.record_path, 3), ("SK408", result.record_path, 9)]
    assert messages(program) == [
        "evidence record is not committed yet, so Git cannot vouch for when it arrived",
        f"evidence file '{result.files[0].path}' is not committed yet, so Git cannot vouch for when it arrived",
    ]
    assert history_verify(program, "--no-history")[:2] == (0, [])


def test_verify_warns_about_uncommitted_changes_to_committed_evidence(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")
    commit_all(program, "Q2 review", ADD_COMMIT)
    program.replace(result.record_path, "collector:", "note: edited later\ncollector:")

    code, found, _ = history_verify(program)

    assert code == 0
    assert found == [("SK408", result.record_path, 3)]
    assert messages(program) == ["evidence record has uncommitted changes"]


def test_verify_history_works_for_a_program_in_a_subfolder_of_the_repo(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    program = make_program(repo.root / "compliance")
    repo.commit("Start", date=FIRST_COMMIT)
    program.write("q2-review.csv", "data\n")
    result = add(program, "q2-review.csv")
    assert [f[0] for f in history_verify(program)[1]] == ["SK408", "SK408"]

    repo.commit("Q2", date=ADD_COMMIT)
    (program.root / result.files[0].path).write_text("changed\n")
    repo.commit("Change it", date="2026-08-01T12:00:00+00:00")
    assert [f[0] for f in history_verify(program)[1]] == ["SK406", "SK402"]


def test_verify_outside_git_says_the_history_checks_are_off(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program")
    code, found, stderr = history_verify(program)
    assert (code, found) == (0, [])
    assert stderr == (
        "soc2kit: note: This folder is not in a Git repository, so Git history (revisions, pull requests, approvals) "
        "is off. The history checks (SK406-SK408, SK410) did not run.\n"
    )


def test_verify_in_a_shallow_clone_warns_that_history_is_cut(program: ProgramDir, tmp_path: Path) -> None:
    result = add(program, "q2-review.csv")
    commit_all(program, "Q2 review", ADD_COMMIT)
    (program.root / result.files[0].path).write_text("changed\n")
    commit_all(program, "Change it", "2026-08-01T12:00:00+00:00")
    clone = GitRepo(program.root).shallow_clone(tmp_path / "clone", depth=1)

    code, found, stderr = history_verify(ProgramDir(clone.root))

    # The cut history shows the last commit adding everything: the change is only visible as a digest mismatch.
    assert code == 1
    assert found == [("SK402", result.record_path, 10)]
    assert stderr.startswith("soc2kit: warning: This is a shallow clone: Git history is cut")


def test_evidence_reaching_main_through_pull_requests_is_judged_by_main_history(program: ProgramDir) -> None:
    """Fix-ups on a branch before the merge are not tampering; a later PR that edits the evidence is."""
    repo = GitRepo(program.root)
    repo.branch("q2-evidence")
    result = add(program, "q2-review.csv", note="first draft")
    repo.commit("Add Q2 evidence", date="2026-07-04T09:00:00+00:00")
    program.replace(result.record_path, "first draft", "signed by the CTO")
    repo.commit("Fix the note", date="2026-07-05T09:00:00+00:00")
    repo.checkout("main")
    merge = repo.merge_pr("q2-evidence", 41, date="2026-07-06T09:00:00+00:00")
    assert history_verify(program) == (0, [], "")

    repo.branch("edit-evidence")
    (program.root / result.files[0].path).write_text("user,role,decision\n")
    repo.commit("Trim the review", date="2026-08-01T09:00:00+00:00")
    repo.checkout("main")
    squash = repo.squash_pr("edit-evidence", 42, "Trim the Q2 review", date="2026-08-02T09:00:00+00:00")

    code, found, _ = history_verify(program)
    assert code == 1
    assert found == [("SK406", result.record_path, 9), ("SK402", result.record_path, 10)]
    assert messages(program)[0].startswith(
        f"evidence file '{result.files[0].path}' was modified by commit {squash[:12]} on 2026-08-02"
    )
    assert messages(program)[0].endswith(f"after commit {merge[:12]} added it on 2026-07-06")


def test_a_committed_lfs_pointer_verifies_with_history(program: ProgramDir) -> None:
    repo = GitRepo(program.root)
    oid = repo.lfs_pointer("exports/db-backup.tar.gz", b"the real archive, kept in LFS storage")
    result = add(program, "exports/db-backup.tar.gz")
    repo.commit("Backup evidence", date=ADD_COMMIT)

    assert result.files[0].sha256 == oid
    assert history_verify(program) == (0, [], "")


@settings(max_examples=500)
@given(st.text())
def test_any_text_is_written_as_a_yaml_scalar_that_reads_back_unchanged(value: str) -> None:
    doc = Document(path="record.yaml", kind="evidence", markdown=False)
    parse_text(doc, f"note: {_yaml_scalar(value)}\n", markdown=False)
    assert doc.diagnostics == []
    assert doc.data is not None
    assert doc.data["note"] == value


def test_awkward_names_collector_and_note_survive_the_record(program: ProgramDir) -> None:
    program.write("Q2 review: final #1.csv", "data\n")
    result = add(
        program, "Q2 review: final #1.csv", collector="Bob: the reviewer", note="line one\nline two: 'quoted' # not a comment"
    )

    record = load_program(program.root, use_cache=False, today=TODAY).evidence[result.record_id]
    assert [f.path for f in record.files] == ["Q2 review: final #1.csv"]
    assert (record.collector, record.note) == ("Bob: the reviewer", "line one\nline two: 'quoted' # not a comment")


# -- design records: `--purpose design` and SK403 ---------------------------------------------------


def test_add_purpose_design_writes_a_design_record_readiness_counts_for_design_only(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv", purpose="design", note="Walkthrough with the CTO")
    data = yaml.safe_load((program.root / result.record_path).read_text())
    assert data["purpose"] == "design"
    from soc2kit.readiness import assess

    loaded = load_program(program.root, use_cache=False, today=TODAY)
    assert loaded.evidence[result.record_id].purpose == "design"
    status = next(c for c in assess(loaded).controls if c.control.id == "TC-02")
    assert status.design_records == [result.record_id]
    assert all(result.record_id not in w.records for r in status.requirements for w in r.windows)


def test_add_without_purpose_writes_no_purpose_line(program: ProgramDir) -> None:
    result = add(program, "q2-review.csv")
    assert "purpose" not in yaml.safe_load((program.root / result.record_path).read_text())


def test_add_purpose_design_through_the_cli(program: ProgramDir) -> None:
    result = soc2kit(
        "evidence", "add", "TC-02", "q2-review.csv", "--collected", "2026-07-03", "--purpose", "design", cwd=program.root
    )
    assert result.returncode == 0, result.stderr
    record = program.root / "evidence/TC-02/2026-07-03-review/record.yaml"
    assert yaml.safe_load(record.read_text())["purpose"] == "design"
    wrong = soc2kit("evidence", "add", "TC-02", "q2-review.csv", "--purpose", "proof", cwd=program.root)
    assert wrong.returncode == 2
    assert "Traceback" not in wrong.stderr


def test_a_design_record_with_covers_is_refused_and_nothing_is_written(program: ProgramDir) -> None:
    before = snapshot(program.root)
    with pytest.raises(UsageError, match="design record"):
        add(program, "q2-review.csv", purpose="design", covers=(date(2026, 4, 1), date(2026, 6, 30)))
    assert visible(snapshot(program.root)) == visible(before)


def test_new_evidence_purpose_design(program: ProgramDir) -> None:
    args = ["new", "evidence", "TC-02", "--collected", "2026-07-03", "--purpose", "design", "--root", str(program.root)]
    result = soc2kit(*args, cwd=program.root)
    assert result.returncode == 0, result.stderr
    [record] = (program.root / "evidence/TC-02").glob("*/record.yaml")
    assert yaml.safe_load(record.read_text())["purpose"] == "design"
    plain = soc2kit("new", "evidence", "TC-03", "--collected", "2026-07-03", "--root", str(program.root), cwd=program.root)
    assert plain.returncode == 0, plain.stderr
    [record] = (program.root / "evidence/TC-03").glob("*/record.yaml")
    assert "purpose" not in yaml.safe_load(record.read_text())


def _only_a_design_record(root: Path, audit: str) -> list[str]:
    """TC-03 with one design record (its operating records dropped), checked while the audit runs."""
    program = make_program(root)
    for record in (root / "evidence" / "TC-03").glob("*.yaml"):
        record.unlink()
    sha = hashlib.sha256((root / "evidence/TC-01/q1-review.txt").read_bytes()).hexdigest()
    program.write(
        "evidence/TC-03/design.yaml",
        "id: EV-TC-03-DESIGN\ncontrol: TC-03\nrequirement: review\ncollected: 2026-02-02\ncollector: alice@example.com\n"
        f"purpose: design\nfiles:\n  - path: ../TC-01/q1-review.txt\n    sha256: {sha}\n",
    )
    program.replace("soc2kit.yml", "  type: type2\n  period: {start: 2026-01-01, end: 2026-06-30}\n", audit)
    loaded = load_program(root, use_cache=False, today=date(2026, 3, 1))
    return [f"{d.code} {d.path} {d.message}" for d in loaded.diagnostics if d.code == "SK403"]


def test_sk403_a_type2_control_with_only_design_records_has_no_operating_evidence(tmp_path: Path) -> None:
    found = _only_a_design_record(tmp_path / "p", "  type: type2\n  period: {start: 2026-01-01, end: 2026-06-30}\n")
    expected = (
        "SK403 controls/TC-03.md control TC-03 has no operating evidence yet: EV-TC-03-DESIGN is a design record, "
        "which shows how it is built, not that it operated over the period"
    )
    assert found == [expected]


def test_sk403_a_type1_control_with_a_design_record_has_its_evidence(tmp_path: Path) -> None:
    assert _only_a_design_record(tmp_path / "p", "  type: type1\n  as_of: 2026-06-30\n") == []
