"""README.md as a reader follows it: the adopters' quick start walked top to bottom in a temporary
folder, the contributors' two commands as CI runs them, and the test command's browser tests set up
or skipped on a machine without a browser as the README says."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
README = (REPO / "README.md").read_text(encoding="utf-8")
INSTALL = "python3 -m pip install soc2kit"
"""The quick start's install step: the test runs the package already installed here instead (no network)."""
REMOTE = "git@github.com:acme/acme-compliance.git"
"""The quick start's GitHub remote: the test pushes to a bare repository in the temporary folder instead."""
SCREEN = 40


def shell_blocks(text: str) -> list[list[str]]:
    """The commands of each ```sh block, one per line."""
    return [block.strip().splitlines() for block in re.findall(r"^```sh\n(.*?)^```$", text, flags=re.MULTILINE | re.DOTALL)]


def quick_start() -> list[str]:
    found = re.search(r"<!-- quick-start -->\n(.*?)<!-- /quick-start -->", README, flags=re.DOTALL)
    assert found, "README.md has no <!-- quick-start --> ... <!-- /quick-start --> section"
    return [command for block in shell_blocks(found.group(1)) for command in block]


def tools_on_path(folder: Path) -> dict[str, str]:
    """An environment whose `soc2kit` and `mkdocs` are this Python's, however soc2kit was installed
    (editable, from the wheel, or only importable), and whose Git knows nobody's global config."""
    folder.mkdir()
    gitconfig = folder / "gitconfig"  # an adopter's Git knows who they are
    gitconfig.write_text("[user]\n\tname = Ada Adopter\n\temail = ada@example.com\n", encoding="utf-8")
    for tool in ("soc2kit", "mkdocs"):
        script = folder / tool
        script.write_text(f'#!/bin/sh\nexec {shlex.quote(sys.executable)} -m {tool} "$@"\n', encoding="utf-8")
        script.chmod(0o755)
    importable = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH", ""))))
    return {
        **os.environ,
        "PATH": f"{folder}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": importable,
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "NO_MKDOCS_2_WARNING": "1",
        "NO_COLOR": "1",
    }


def test_the_quick_start_walks_from_install_to_push(tmp_path: Path) -> None:
    commands = quick_start()
    assert commands[0] == INSTALL, "the quick start begins by installing soc2kit from the package index"
    assert any(REMOTE in command for command in commands)
    env = tools_on_path(tmp_path / "bin")
    github = tmp_path / "github" / "acme-compliance.git"
    subprocess.run(["git", "init", "-q", "--bare", str(github)], env=env, check=True)
    where = tmp_path / "work"
    where.mkdir()
    outputs: dict[str, str] = {}
    for written in commands[1:]:
        command = written.replace(REMOTE, github.as_uri())
        words = shlex.split(command)
        if words[0] == "cd":
            where = where / words[1]
            assert where.is_dir(), f"`{command}`: no such folder"
            continue
        done = subprocess.run(
            ["sh", "-c", command], cwd=where, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, f"`{command}` exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, command
        outputs[written] = done.stdout
    check = outputs["soc2kit check"]
    assert len(check.splitlines()) <= SCREEN, check
    assert check.splitlines()[-1].startswith("soc2kit check passed: 0 errors")
    assert (where / "site" / "index.html").is_file()  # mkdocs build --strict
    pushed = subprocess.run(["git", "rev-parse", "main"], cwd=github, env=env, capture_output=True, text=True, check=True)
    local = subprocess.run(["git", "rev-parse", "HEAD"], cwd=where, env=env, capture_output=True, text=True, check=True)
    assert pushed.stdout == local.stdout


def test_the_contributor_commands_are_the_two_ci_runs() -> None:
    after = README.split("## Working on soc2kit itself", 1)[1]
    first, second = shell_blocks(after)[:2]
    assert first == ["python3 -m pip install -q -e . && soc2kit check ."]
    assert second == ["python3 -m pip install -q -e '.[test]' && python3 -m pytest -q"]
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert second[0] in ci, ".ci/run runs the README's test command exactly"


def test_the_first_contributor_command_fits_on_one_screen(tmp_path: Path) -> None:
    after = README.split("## Working on soc2kit itself", 1)[1]
    [command] = shell_blocks(after)[0]
    install, check = command.split(" && ")
    assert install.startswith("python3 -m pip install")
    done = subprocess.run(
        ["sh", "-c", check], cwd=REPO, env=tools_on_path(tmp_path / "bin"), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) <= SCREEN, done.stdout
    assert lines[-1].startswith("soc2kit check passed: 0 errors")


def _browser_tests_without_a_browser(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """tests/test_browser.py in a pytest whose PATH has Git but no browser and no apt-get."""
    bare = tmp_path / "bin"
    bare.mkdir()
    git = shutil.which("git")
    assert git is not None
    (bare / "git").symlink_to(git)
    clean = {key: value for key, value in os.environ.items() if key not in ("CI", "SOC2KIT_REQUIRE_BROWSER")}
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "--basetemp",
            str(tmp_path / "pytest"),
            "tests/test_browser.py",
            # With nothing else run, a suite of one skipped module exits 5 ("no tests ran").
            "tests/test_readme.py::test_the_contributor_commands_are_the_two_ci_runs",
        ],
        capture_output=True,
        text=True,
        cwd=REPO,
        env={**clean, "PATH": str(bare), **env},
        check=False,
    )


def test_without_a_browser_the_browser_tests_skip_with_one_line_saying_why(tmp_path: Path) -> None:
    result = _browser_tests_without_a_browser(tmp_path)
    assert result.returncode == 0, result.stdout
    reasons = [line for line in result.stdout.splitlines() if "browser tests not run:" in line]
    assert len(reasons) == 1, result.stdout
    assert reasons[0].startswith("SKIPPED [1] ")
    assert "no chromium and chromedriver on PATH, and not root on Debian to install them" in reasons[0]
    assert result.stdout.splitlines()[-1].startswith("1 passed, 1 skipped")


@pytest.mark.parametrize("variable", ["CI", "SOC2KIT_REQUIRE_BROWSER"])
def test_in_ci_the_browser_tests_fail_instead_of_skipping(tmp_path: Path, variable: str) -> None:
    result = _browser_tests_without_a_browser(tmp_path, **{variable: "true"})
    assert result.returncode == 1, result.stdout
    assert "browser tests not run: no chromium and chromedriver on PATH" in result.stdout
    assert "(CI requires them)" in result.stdout
    assert "skipped" not in result.stdout.splitlines()[-1]


def test_the_browser_the_tests_use_is_found_here() -> None:
    from conftest import browser_setup

    browser, why = browser_setup()
    if browser is None:
        pytest.skip(f"browser tests not run: {why}")
    assert Path(browser.chromium).is_file()
    version = subprocess.run([browser.chromedriver, "--version"], capture_output=True, text=True, check=True)
    assert version.stdout.startswith("ChromeDriver ")
