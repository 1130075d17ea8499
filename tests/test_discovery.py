"""Every command finds the program the same way: the given folder, else the nearest folder upwards
holding soc2kit.yml, never above the Git root. Real repositories in temp dirs, the CLI as a user runs it."""

from __future__ import annotations

import fnmatch
import json
import os
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

import soc2kit
from soc2kit.layout import ProgramNotFoundError, find_program_root
from tests.conftest import make_program, run_cli
from tests.gitrepo import BOB, WEB_FLOW, GitRepo

PERIOD = "2026-01-01..2026-06-30"

# Every command that reads a program, as run from wherever the user is (no --root, no PATH).
COMMANDS = {
    "check": ("check", "--no-cache", "--format", "json"),
    "status": ("status", "--no-cache", "--format", "json", "--as-of", "2026-03-31"),
    "evidence verify": ("evidence", "verify", "--no-cache", "--format", "json"),
    "changes check": ("changes", "check", "--format", "json"),
    "trail export": ("trail", "export"),
    "diff": ("diff", "HEAD"),
    "new policy": ("new", "policy", "--title", "Zeta Policy"),
    "new control": ("new", "control", "--title", "Zeta review", "--prefix", "ZZ", "--criteria", "CC6.1"),
    "new evidence": ("new", "evidence", "TC-01", "--collected", "2026-02-01"),
    "evidence add": ("evidence", "add", "TC-01", "--collected", "2026-02-01"),
}


def _history(repo: GitRepo) -> None:
    """A change that came through a reviewed pull request, so `changes check` has commits to examine."""
    repo.branch("tighten")
    repo.replace("controls/TC-02.md", "Signed review", "Signed and dated review")
    repo.commit("Tighten TC-02", author=BOB)
    repo.checkout("main")
    repo.merge_pr("tighten", 7, author=BOB, committer=WEB_FLOW, trailers=(("Approved-by", "Alice Adams <alice@example.com>"),))


def _program_repo(root: Path, *, folder: str = "") -> GitRepo:
    """The test program committed the day after its Q1 evidence was collected, inside the audit period."""
    repo = GitRepo.create(root)
    repo.clock = datetime.fromisoformat("2026-04-03T09:00:00+00:00")
    if folder:
        repo.write("app/main.py", "print('hello')\n")
    make_program(root / folder if folder else root)
    repo.commit("Start the SOC 2 program")
    return repo


@pytest.fixture
def repo(tmp_path: Path) -> GitRepo:
    repo = _program_repo(tmp_path / "repo")
    _history(repo)
    return repo


@pytest.fixture
def monorepo(tmp_path: Path) -> tuple[GitRepo, Path]:
    """A Git repository whose program lives in `compliance/`, beside other code."""
    repo = _program_repo(tmp_path / "mono", folder="compliance")
    return repo, repo.root / "compliance"


def _run(name: str, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = COMMANDS[name]
    if name == "evidence add":
        source = cwd / "review-notes.txt"
        source.write_text("reviewed\n", encoding="utf-8")
        return run_cli(*args, str(source), *extra, cwd=cwd)
    return run_cli(*args, *extra, cwd=cwd)


def _state(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if ".git" not in p.parts and p.is_file()}


# -- the same as from the root -------------------------------------------------------------


@pytest.mark.parametrize("name", ["check", "status", "evidence verify", "changes check", "trail export", "diff"])
def test_a_command_from_a_subfolder_reports_what_it_reports_from_the_root(repo: GitRepo, name: str) -> None:
    from_root = _run(name, repo.root)
    from_subfolder = _run(name, repo.root / "controls")
    deep = repo.root / "evidence" / "TC-01"
    from_deeper = _run(name, deep)
    assert from_root.returncode in {0, 1}, from_root.stderr
    assert (from_subfolder.returncode, from_subfolder.stdout) == (from_root.returncode, from_root.stdout)
    assert (from_deeper.returncode, from_deeper.stdout) == (from_root.returncode, from_root.stdout)


def test_the_subfolder_run_examines_the_whole_program(repo: GitRepo) -> None:
    check = json.loads(_run("check", repo.root / "controls").stdout)
    assert check["summary"]["documents"] == 20
    changes = json.loads(_run("changes check", repo.root / "controls").stdout)
    assert changes["summary"]["documents"] == 2
    assert changes["summary"]["passed"] is True
    trail = _run("trail export", repo.root / "controls")
    assert [json.loads(line)["record"] for line in trail.stdout.splitlines()] == ["header", "commit", "commit", "commit"]


def test_bundle_from_a_subfolder_is_the_bundle_from_the_root(repo: GitRepo, tmp_path: Path) -> None:
    at_root = run_cli("bundle", "--period", PERIOD, "-o", str(tmp_path / "root.zip"), cwd=repo.root)
    in_sub = run_cli("bundle", "--period", PERIOD, "-o", str(tmp_path / "sub.zip"), cwd=repo.root / "controls")
    assert at_root.returncode == in_sub.returncode
    assert (tmp_path / "root.zip").read_bytes() == (tmp_path / "sub.zip").read_bytes()


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("new policy", "policies/zeta.md"),
        ("new control", "controls/ZZ-01.md"),
        ("new evidence", "evidence/TC-01/*/record.yaml"),
    ],
)
def test_new_from_a_subfolder_writes_into_the_program(repo: GitRepo, name: str, written: str) -> None:
    before = _state(repo.root)
    result = _run(name, repo.root / "controls")
    assert result.returncode == 0, result.stderr
    [path] = _state(repo.root) - before
    assert fnmatch.fnmatchcase(path, written)
    assert path.count("/") == written.count("/")
    assert result.stdout == f"Created {os.path.relpath(repo.root / path, repo.root / 'controls')}\n"


def test_evidence_add_from_a_subfolder_records_into_the_program(repo: GitRepo) -> None:
    result = _run("evidence add", repo.root / "controls")
    assert result.returncode == 0, result.stderr
    [record] = (repo.root / "evidence" / "TC-01").glob("2026-02-01-*/record.yaml")
    assert (record.parent / "review-notes.txt").read_text(encoding="utf-8") == "reviewed\n"
    assert not (repo.root / "controls" / "evidence").exists()


# -- nothing found: one line, exit 2 ---------------------------------------------------------


@pytest.mark.parametrize("name", [*COMMANDS, "bundle"])
def test_no_program_up_to_the_git_root_is_one_line_and_exit_2(tmp_path: Path, name: str) -> None:
    outer = make_program(tmp_path / "outer")  # a program above the repository is not this repository's program
    repo = GitRepo.create(outer.root / "code")
    repo.write("src/app.py", "x = 1\n")
    repo.commit("Code")
    where = repo.root / "src"
    result = (
        run_cli("bundle", "--period", PERIOD, "-o", str(tmp_path / "b.zip"), cwd=where) if name == "bundle" else _run(name, where)
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        f"soc2kit: error: no soc2kit.yml in {where} or any folder above it up to the Git root; run soc2kit init or pass --root\n"
    )
    assert not (where / "policies").exists()
    assert not (tmp_path / "b.zip").exists()


@pytest.mark.parametrize("name", ["check", "status"])
def test_a_given_folder_without_soc2kit_yml_is_an_error(repo: GitRepo, name: str) -> None:
    result = run_cli(*COMMANDS[name][:1], str(repo.root / "controls"), cwd=repo.root)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"soc2kit: error: no soc2kit.yml in {repo.root / 'controls'}")


@pytest.mark.parametrize("name", ["evidence verify", "changes check", "trail export", "new policy"])
def test_an_explicit_root_without_soc2kit_yml_is_an_error(repo: GitRepo, name: str) -> None:
    result = _run(name, repo.root, "--root", str(repo.root / "controls"))
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "no soc2kit.yml in" in result.stderr
    assert not (repo.root / "controls" / "policies").exists()


# -- a program in a subfolder of a Git repository (monorepo) ---------------------------------


@pytest.mark.parametrize("name", ["check", "status", "evidence verify", "changes check", "trail export", "diff"])
def test_monorepo_with_root_from_the_repo_root_and_found_from_inside(monorepo: tuple[GitRepo, Path], name: str) -> None:
    repo, program = monorepo
    with_root = _run(name, repo.root, "--root", "compliance") if name not in {"check", "status"} else None
    if with_root is None:
        with_root = run_cli(*COMMANDS[name][:1], "compliance", *COMMANDS[name][1:], cwd=repo.root)
    found = _run(name, program / "controls")
    assert with_root.returncode in {0, 1}, with_root.stderr
    assert (found.returncode, found.stdout) == (with_root.returncode, with_root.stdout)
    at_repo_root = _run(name, repo.root)
    assert at_repo_root.returncode == 2
    assert "no soc2kit.yml in" in at_repo_root.stderr


def test_monorepo_history_paths_are_the_programs(monorepo: tuple[GitRepo, Path]) -> None:
    _, program = monorepo
    trail = _run("trail export", program)
    [_, commit] = [json.loads(line) for line in trail.stdout.splitlines()]
    paths = [f["path"] for f in commit["files"]]
    assert "controls/TC-01.md" in paths
    assert "soc2kit.yml" in paths
    assert not any(p.startswith(("app/", "compliance/")) for p in paths)
    changes = json.loads(_run("changes check", program).stdout)
    assert changes["summary"]["documents"] == 1


def _break(program: Path) -> None:
    control = program / "controls" / "TC-09.md"
    control.write_text(control.read_text(encoding="utf-8").replace("criteria: [", "criteria: [CC99.9, "), encoding="utf-8")


def test_monorepo_github_and_sarif_paths_are_from_the_git_root(monorepo: tuple[GitRepo, Path]) -> None:
    repo, program = monorepo
    _break(program)
    github = run_cli("check", "--no-cache", "--format", "github", cwd=program / "policies")
    assert github.returncode == 1
    assert "::error file=compliance/controls/TC-09.md,line=5," in github.stdout
    sarif = json.loads(run_cli("check", "compliance", "--no-cache", "--format", "sarif", cwd=repo.root).stdout)
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]}
    assert "compliance/controls/TC-09.md" in uris
    assert all(uri.startswith("compliance/") for uri in uris)
    text = run_cli("check", "--no-cache", cwd=program)
    assert any(line.startswith("controls/TC-09.md:5: ") for line in text.stdout.splitlines())
    assert "compliance/" not in text.stdout
    as_json = json.loads(run_cli("check", "--no-cache", "--format", "json", cwd=program).stdout)
    assert "controls/TC-09.md" in {d["path"] for d in as_json["diagnostics"]}


def test_monorepo_verify_annotations_are_from_the_git_root(monorepo: tuple[GitRepo, Path]) -> None:
    _, program = monorepo
    (program / "evidence" / "TC-01" / "q1-review.txt").write_text("edited later\n", encoding="utf-8")
    result = run_cli("evidence", "verify", "--no-cache", "--format", "github", cwd=program)
    assert result.returncode == 1
    annotations = [line for line in result.stdout.splitlines() if line.startswith("::")]
    assert any("SK402" in line for line in annotations)
    assert all(line.split("file=", 1)[1].startswith("compliance/evidence/") for line in annotations)


def test_github_paths_at_the_git_root_have_no_prefix(repo: GitRepo) -> None:
    _break(repo.root)
    result = run_cli("check", "--no-cache", "--format", "github", cwd=repo.root / "controls")
    assert "::error file=controls/TC-09.md,line=5," in result.stdout


def test_init_in_a_subfolder_of_a_repository_uses_that_repository(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "mono")
    repo.git("config", "user.name", "Alice Adams")
    repo.git("config", "user.email", "alice@example.com")
    repo.write("app/main.py", "print('hello')\n")
    repo.commit("App")
    repo.write("app/staged.py", "staged = True\n")
    repo.git("add", "app/staged.py")  # the user's own staged change: not ours to commit
    result = run_cli("init", "compliance", "--org", "Mono Co", cwd=repo.root)
    assert result.returncode == 0, result.stderr
    assert not (repo.root / "compliance" / ".git").exists()
    assert f"enclosing Git repository {repo.root}" in result.stdout
    committed = repo.git("show", "--name-only", "--format=", "HEAD").split()
    assert "compliance/soc2kit.yml" in committed
    # Workflows and the pre-commit config go where GitHub and pre-commit read them: the repository's root.
    at_root = {
        ".pre-commit-config.yaml",
        *(f".github/workflows/soc2kit-{name}.yml" for name in ("check", "publish", "evidence", "collect")),
    }
    assert all(path.startswith("compliance/") or path in at_root for path in committed)
    assert repo.git("diff", "--cached", "--name-only").split() == ["app/staged.py"]
    assert repo.git("status", "--porcelain", "--", "compliance") == ""
    check = run_cli("check", "--no-cache", cwd=repo.root / "compliance" / "policies")
    assert check.returncode in {0, 1}
    assert "examined" not in check.stdout


def test_init_in_a_repository_with_no_commits_commits_only_the_program(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "fresh")
    repo.git("config", "user.name", "Alice Adams")
    repo.git("config", "user.email", "alice@example.com")
    repo.write("notes.txt", "mine\n")
    repo.git("add", "notes.txt")
    result = run_cli("init", "program", cwd=repo.root)
    assert result.returncode == 0, result.stderr
    assert not (repo.root / "program" / ".git").exists()
    assert "notes.txt" not in repo.git("show", "--name-only", "--format=", "HEAD").split()
    assert repo.git("diff", "--cached", "--name-only").split() == ["notes.txt"]


# -- a run that examined nothing never says passed --------------------------------------------


def test_changes_check_with_no_commit_in_range_says_why_and_not_passed(repo: GitRepo) -> None:
    text = run_cli("changes", "check", "--since", "2030-01-01", cwd=repo.root / "policies")
    assert text.returncode == 0
    assert "passed" not in text.stdout
    assert "examined 0 commits: no commit on main on or after 2030-01-01 changed a gated path" in text.stdout
    as_json = json.loads(run_cli("changes", "check", "--since", "2030-01-01", "--format", "json", cwd=repo.root).stdout)
    assert as_json["summary"]["passed"] is False
    assert as_json["summary"]["documents"] == 0
    assert "2030-01-01" in as_json["summary"]["nothing_examined"]
    github = run_cli("changes", "check", "--since", "2030-01-01", "--format", "github", cwd=repo.root)
    assert "passed" not in github.stdout
    assert "examined 0 commits" in github.stdout


def test_evidence_verify_with_no_records_says_why_and_not_passed(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    program = make_program(repo.root)
    for record in sorted((program.root / "evidence").rglob("*"), reverse=True):
        record.unlink() if record.is_file() else record.rmdir()
    repo.commit("Program without evidence")
    result = run_cli("evidence", "verify", "--no-cache", cwd=repo.root / "controls")
    assert result.returncode == 0
    assert "passed" not in result.stdout
    assert "examined 0 evidence records: the program in" in result.stdout


def test_trail_export_with_no_commit_in_range_says_why(repo: GitRepo) -> None:
    result = run_cli("trail", "export", "--since", "2030-01-01", cwd=repo.root / "controls")
    assert result.returncode == 0
    assert "trail: 0 commits" in result.stderr
    assert "no commit from 2030-01-01" in result.stderr


# -- the library finds it the same way --------------------------------------------------------


def test_library_finds_the_program_upwards(repo: GitRepo) -> None:
    assert soc2kit.find_program_root(repo.root / "evidence" / "TC-01", explicit=False) == repo.root.resolve()
    assert find_program_root(repo.root, explicit=True) == repo.root.resolve()
    with pytest.raises(ProgramNotFoundError) as raised:
        find_program_root(repo.root / "controls", explicit=True)
    assert isinstance(raised.value, soc2kit.ConfigError)


def test_library_search_starts_at_the_current_folder(repo: GitRepo, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(repo.root / "controls")
    assert find_program_root(explicit=False) == repo.root.resolve()


def test_search_never_goes_above_the_git_root(tmp_path: Path) -> None:
    make_program(tmp_path / "outer")
    repo = GitRepo.create(tmp_path / "outer" / "inner")
    with pytest.raises(ProgramNotFoundError) as raised:
        find_program_root(repo.root, explicit=False)
    assert raised.value.stop == repo.root.resolve()
    assert "up to the Git root" in str(raised.value)


def test_outside_git_the_search_stops_at_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_program(tmp_path)  # above the home folder: not the user's program
    home = tmp_path / "home"
    (home / "work").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    with pytest.raises(ProgramNotFoundError) as raised:
        find_program_root(home / "work", explicit=False)
    assert raised.value.stop == home.resolve()
    assert "up to your home folder" in str(raised.value)
    make_program(home / "work" / "program")
    (home / "work" / "program" / "controls" / "deep").mkdir()
    found = find_program_root(home / "work" / "program" / "controls" / "deep", explicit=False)
    assert found == (home / "work" / "program").resolve()
