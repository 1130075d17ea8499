"""`soc2kit init` writes a complete repository, ready to push: run on it, with nothing pushed, what
GitHub and a developer would run: `soc2kit check`, `mkdocs build --strict` in a fresh clone,
actionlint on its workflows and `pre-commit run --all-files` with its configuration."""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from soc2kit import __version__
from soc2kit.starter import SYSTEM_PLACEHOLDER, WORKFLOWS

REPO = Path(__file__).resolve().parent.parent
IDENTITY = {
    # Isolated from ~/.gitconfig; the identity as configuration, which init asks Git for.
    "GIT_CONFIG_GLOBAL": os.devnull,
    "GIT_CONFIG_COUNT": "3",
    "GIT_CONFIG_KEY_0": "user.name",
    "GIT_CONFIG_VALUE_0": "Alice",
    "GIT_CONFIG_KEY_1": "user.email",
    "GIT_CONFIG_VALUE_1": "alice@example.com",
    "GIT_CONFIG_KEY_2": "commit.gpgsign",
    "GIT_CONFIG_VALUE_2": "false",
}


def env(**extra: str) -> dict[str, str]:
    """A developer's shell: this checkout's soc2kit on the path, Git with a pinned identity."""
    return {
        **os.environ,
        **IDENTITY,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "NO_MKDOCS_2_WARNING": "1",
        **extra,
    }


def run(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(args), cwd=cwd, env=env(**extra), capture_output=True, text=True, check=False, stdin=subprocess.DEVNULL
    )


def soc2kit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run(sys.executable, "-m", "soc2kit", *args, cwd=cwd)


def tracked(repo: Path) -> set[str]:
    return set(run("git", "ls-files", cwd=repo).stdout.splitlines())


@pytest.fixture(scope="module")
def acme(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`soc2kit init acme --org Acme`, as the issue's walk-through runs it (no terminal: no prompt)."""
    parent = tmp_path_factory.mktemp("adopter")
    result = soc2kit("init", "acme", "--org", "Acme", cwd=parent)
    assert result.returncode == 0, result.stderr
    return parent / "acme"


def test_init_commits_a_complete_repository(acme: Path) -> None:
    files = tracked(acme)
    for name in (
        "soc2kit.yml",
        "mkdocs.yml",
        "docs/about.md",
        "README.md",
        ".gitattributes",
        ".gitignore",
        ".pre-commit-config.yaml",
        *(f".github/workflows/{name}" for name in WORKFLOWS),
    ):
        assert name in files, name
    assert run("git", "status", "--porcelain", cwd=acme).stdout == ""
    readme = (acme / "README.md").read_text(encoding="utf-8")
    assert readme.startswith("# Acme SOC 2 program")
    assert f'pip install "soc2kit=={__version__}"' in readme
    assert "soc2kit check" in readme


def test_check_passes_on_the_new_repository_and_names_the_placeholder(acme: Path) -> None:
    result = soc2kit("check", "--format", "json", "--no-cache", cwd=acme)
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["summary"]["errors"] == 0
    [placeholder] = [d for d in report["diagnostics"] if d["code"] == "SK022"]
    assert placeholder["path"] == "soc2kit.yml"
    assert placeholder["severity"] == "warning"
    assert "system.name" in placeholder["message"]
    assert SYSTEM_PLACEHOLDER in (acme / "soc2kit.yml").read_text(encoding="utf-8")
    # The drafts are still reported, as warnings while the program is adopted.
    assert any(d["code"] == "SK304" and d["severity"] == "warning" for d in report["diagnostics"])
    assert "Example Platform" not in (acme / "soc2kit.yml").read_text(encoding="utf-8")


def test_portal_builds_strict_from_a_fresh_clone(acme: Path, tmp_path: Path) -> None:
    clone = tmp_path / "clone"
    assert run("git", "clone", "-q", str(acme), str(clone), cwd=tmp_path).returncode == 0
    result = run(sys.executable, "-m", "mkdocs", "build", "--strict", cwd=clone)
    assert result.returncode == 0, result.stdout + result.stderr
    assert (clone / "site" / "index.html").is_file()
    assert (clone / "site" / "about" / "index.html").is_file()


def test_actionlint_passes_on_its_workflows(acme: Path) -> None:
    actionlint = shutil.which("actionlint")
    assert actionlint is not None, "actionlint is not installed: `pip install -e '.[test]'` installs it"
    workflows = sorted((acme / ".github" / "workflows").glob("*.yml"))
    assert len(workflows) == len(WORKFLOWS)
    result = run(actionlint, "-color=false", *map(str, workflows), cwd=acme)
    assert result.returncode == 0, result.stdout + result.stderr


def soc2kit_release(tmp_path: Path) -> Path:
    """A Git repository of soc2kit as this checkout holds it, tagged as this release: what the
    generated `.pre-commit-config.yaml` names at github.com, here on disk."""
    release = tmp_path / "soc2kit-release"
    release.mkdir()
    for name in ("pyproject.toml", "README.md", "soc2kit.yml", ".pre-commit-hooks.yaml", "action.yml"):
        shutil.copy2(REPO / name, release / name)
    for name in ("soc2kit", "policies", "controls"):
        shutil.copytree(REPO / name, release / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    for args in (("init", "-q", "-b", "main"), ("add", "-A"), ("commit", "-q", "-m", "Release"), ("tag", f"v{__version__}")):
        assert run("git", *args, cwd=release).returncode == 0
    return release


def pre_commit(repo: Path, home: Path) -> subprocess.CompletedProcess[str]:
    # No network: pre-commit's environment sees the installed dependencies, and pip builds the
    # release from the local clone with them instead of fetching anything.
    offline = {
        "PRE_COMMIT_HOME": str(home),
        "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1",
        "PIP_NO_INDEX": "1",
        "PIP_NO_BUILD_ISOLATION": "0",
        "SOC2KIT_CACHE_DIR": str(home / "soc2kit-cache"),
    }
    command = [sys.executable, "-m", "pre_commit", "run", "--all-files", "--color=never"]
    return subprocess.run(
        command, cwd=repo, env={**env(**offline), "PYTHONPATH": ""}, capture_output=True, text=True, check=False
    )


def test_pre_commit_runs_the_soc2kit_hook_from_the_release(acme: Path, tmp_path: Path) -> None:
    config = yaml.safe_load((acme / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    [hooks] = config["repos"]
    assert hooks["repo"] == "https://github.com/soc2kit/soc2kit"
    assert hooks["rev"] == f"v{__version__}"
    assert [hook["id"] for hook in hooks["hooks"]] == ["soc2kit-check"]
    work = tmp_path / "work"
    assert run("git", "clone", "-q", str(acme), str(work), cwd=tmp_path).returncode == 0
    hooks["repo"] = str(soc2kit_release(tmp_path))
    (work / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    passed = pre_commit(work, tmp_path / "pre-commit")
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "soc2kit check" in passed.stdout
    assert "Passed" in passed.stdout
    control = next((work / "controls").glob("*.md"))
    text = control.read_text(encoding="utf-8")
    control.write_text(text.replace("policies: [", "policies: [POL-NOPE, ", 1), encoding="utf-8")
    failed = pre_commit(work, tmp_path / "pre-commit")
    assert failed.returncode == 1, failed.stdout + failed.stderr
    # A failing hook names the file and line of each error.
    assert f"{control.relative_to(work).as_posix()}:" in failed.stdout
    assert "POL-NOPE" in failed.stdout


def test_init_asks_for_the_system_at_a_terminal(tmp_path: Path) -> None:
    """With stdin a terminal and no --system, init asks; the answer names the system everywhere."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "soc2kit", "init", "globex", "--org", "Globex", "--no-git"],
            cwd=tmp_path,
            env=env(),
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        os.write(leader, b"Globex Cloud\n")
        out, err = process.communicate(timeout=120)
    finally:
        os.close(leader)
        os.close(follower)
    assert process.returncode == 0, err
    config = yaml.safe_load((tmp_path / "globex" / "soc2kit.yml").read_text(encoding="utf-8"))
    assert config["system"]["name"] == "Globex Cloud"
    assert "not named yet" not in out
    policies = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "globex" / "policies").glob("*.md"))
    assert "Globex Cloud" in policies
    assert "Acme" not in policies


def test_init_with_system_names_it_and_check_has_no_placeholder(tmp_path: Path) -> None:
    result = soc2kit("init", "p", "--org", "Initech", "--system", "Initech Payments", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    checked = soc2kit("check", "p", "--format", "json", "--no-cache", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    assert not [d for d in json.loads(checked.stdout)["diagnostics"] if d["code"] == "SK022"]
    assert yaml.safe_load((tmp_path / "p" / "soc2kit.yml").read_text(encoding="utf-8"))["system"]["name"] == "Initech Payments"


def test_init_leaves_existing_workflows_mkdocs_and_pre_commit_config_alone(tmp_path: Path) -> None:
    target = tmp_path / "repo"
    own = {
        ".github/workflows/soc2kit-check.yml": "name: ours\n",
        "mkdocs.yml": "site_name: Our docs\n",
        ".pre-commit-config.yaml": "repos: []\n",
        "README.md": "# Ours\n",
    }
    for name, text in own.items():
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        (target / name).write_text(text, encoding="utf-8")
    result = soc2kit("init", str(target), "--force", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for name, text in own.items():
        assert (target / name).read_text(encoding="utf-8") == text, name
        assert f"Left {Path(os.path.relpath(target / name, tmp_path))} alone" in result.stdout, name
    assert (target / ".github" / "workflows" / "soc2kit-publish.yml").is_file()
    assert (target / "docs" / "about.md").is_file()
    assert (target / "soc2kit.yml").is_file()


def test_init_in_a_subfolder_uses_the_enclosing_repository(tmp_path: Path) -> None:
    """A program in a monorepo: no nested repository; workflows and pre-commit config at the Git root
    (the only place GitHub and pre-commit read them), run in the program's folder; the repository's
    own workflow and staged work untouched."""
    top = tmp_path / "mono"
    top.mkdir()
    assert run("git", "init", "-q", "-b", "main", cwd=top).returncode == 0
    (top / ".github" / "workflows").mkdir(parents=True)
    (top / ".github" / "workflows" / "ci.yml").write_text("name: ci\n", encoding="utf-8")
    (top / "app.py").write_text("print()\n", encoding="utf-8")
    run("git", "add", "app.py", cwd=top)
    result = soc2kit("init", "compliance", "--org", "Acme", cwd=top)
    assert result.returncode == 0, result.stderr
    assert not (top / "compliance" / ".git").exists()
    assert not (top / "compliance" / ".github").exists()
    assert (top / ".github" / "workflows" / "ci.yml").read_text(encoding="utf-8") == "name: ci\n"
    committed = set(run("git", "show", "--name-only", "--format=", "HEAD", cwd=top).stdout.splitlines())
    assert {".github/workflows/soc2kit-check.yml", ".pre-commit-config.yaml", "compliance/mkdocs.yml"} <= committed
    assert "app.py" not in committed
    assert "A  app.py" in run("git", "status", "--porcelain", cwd=top).stdout
    gate = yaml.safe_load((top / ".github" / "workflows" / "soc2kit-check.yml").read_text(encoding="utf-8"))
    assert gate["jobs"]["check"]["defaults"]["run"]["working-directory"] == "compliance"
    pre_commit_config = yaml.safe_load((top / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert pre_commit_config["repos"][0]["hooks"][0]["args"] == ["compliance"]


def test_names_land_as_text_in_the_files_init_writes(tmp_path: Path) -> None:
    organization = 'Evil: "Corp" # ${{ secrets.TOKEN }} <b>*bold*</b>'
    result = soc2kit("init", "p", "--org", organization, "--system", "X: y", "--no-git", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    root = tmp_path / "p"
    assert yaml.safe_load((root / "mkdocs.yml").read_text(encoding="utf-8"))["site_name"] == f"{organization} policy portal"
    assert yaml.safe_load((root / "soc2kit.yml").read_text(encoding="utf-8"))["organization"] == organization
    heading = (root / "README.md").read_text(encoding="utf-8").splitlines()[0]
    assert "<b>" not in heading
    assert "*bold*" not in heading
    for workflow in (root / ".github" / "workflows").glob("*.yml"):
        assert "Evil" not in workflow.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--categories", "security,avilability"], "unknown category avilability"),
        (["--type", "type2", "--period-start", "2026-06-30", "--period-end", "2026-01-01"], "ends (2026-01-01) before it starts"),
    ],
)
def test_bad_input_writes_nothing_even_at_a_terminal(tmp_path: Path, args: list[str], message: str) -> None:
    """The options are checked before init asks anything, and before anything is written."""
    leader, follower = pty.openpty()
    try:
        process = subprocess.run(
            [sys.executable, "-m", "soc2kit", "init", "new", *args],
            cwd=tmp_path,
            env=env(),
            stdin=follower,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    finally:
        os.close(leader)
        os.close(follower)
    assert process.returncode == 2
    assert message in process.stderr
    assert "Traceback" not in process.stderr
    assert "The system the audit covers" not in process.stdout
    assert list(tmp_path.iterdir()) == []


def test_init_into_a_program_writes_nothing(tmp_path: Path) -> None:
    assert soc2kit("init", "p", "--no-git", cwd=tmp_path).returncode == 0
    (tmp_path / "p" / "mkdocs.yml").unlink()
    before = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*"))
    result = soc2kit("init", "p", "--force", "--no-git", cwd=tmp_path)
    assert result.returncode == 2
    assert "already holds a soc2kit program" in result.stderr
    assert sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*")) == before


def test_any_placeholder_left_in_soc2kit_yml_is_reported_where_it_is(tmp_path: Path) -> None:
    assert soc2kit("init", "p", "--org", "Initech", "--system", "Initech Payments", "--no-git", cwd=tmp_path).returncode == 0
    config = tmp_path / "p" / "soc2kit.yml"
    lines = config.read_text(encoding="utf-8").splitlines()
    line = next(i for i, text in enumerate(lines, start=1) if text.startswith("organization:"))
    lines[line - 1] = 'organization: "TODO(soc2kit): the company"'
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    checked = soc2kit("check", "p", "--format", "json", "--no-cache", cwd=tmp_path)
    assert checked.returncode == 0, checked.stdout
    found = [(d["path"], d["line"], d["message"]) for d in json.loads(checked.stdout)["diagnostics"] if d["code"] == "SK022"]
    assert found == [("soc2kit.yml", line, "'organization' is still a placeholder: 'TODO(soc2kit): the company'")]


def test_pre_commit_accepts_the_hooks_manifest_and_the_generated_config(acme: Path) -> None:
    manifest = run(sys.executable, "-m", "pre_commit", "validate-manifest", str(REPO / ".pre-commit-hooks.yaml"), cwd=REPO)
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    config = run(sys.executable, "-m", "pre_commit", "validate-config", ".pre-commit-config.yaml", cwd=acme)
    assert config.returncode == 0, config.stdout + config.stderr
    hooks = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
    assert {hook["id"]: hook["entry"] for hook in hooks} == {
        "soc2kit-check": "soc2kit check",
        "soc2kit-schema": "soc2kit schema --check",
    }
    assert all(hook["language"] == "python" and hook["pass_filenames"] is False for hook in hooks)
    # The schema lines are in the program's files: a commit touching only them runs the schema hook.
    [schema_files] = [re.compile(hook["files"]) for hook in hooks if hook["id"] == "soc2kit-schema"]
    for path in ("policies/a.md", "controls/AC-01.md", "evidence/AC-01/x/record.yaml", "p/policies/a.md", "schema/x.json"):
        assert schema_files.search(path), path
    assert not schema_files.search("src/app.py")
