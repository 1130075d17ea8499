from __future__ import annotations

import functools
import hashlib
import json
import os
import select
import shutil
import subprocess
import sys
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest

from soc2kit.catalog import load_catalog

SECURITY_CRITERIA = [c.id for c in load_catalog().criteria if c.category == "security"]

CONFIG = """\
organization: Test Co
system:
  name: Test Platform
audit:
  type: type2
  period: {start: 2026-01-01, end: 2026-06-30}
scope:
  categories: [security]
"""

POLICY = """\
---
id: {id}
title: {title}
owner: Head of Security
approver: CTO
status: approved
version: "1.0"
effective: 2025-12-15
last_reviewed: 2026-01-10
review_every: 12 months
---
# {title}

## Purpose
Why.

## Scope
All systems.

## Roles and responsibilities
Security owns it.

## Policy statements
1. Access must be reviewed quarterly.

## Exceptions
Approved by the CTO.

## Enforcement
Disciplinary action.

## Review
Yearly.
"""

CONTROL = """\
---
id: {id}
title: Control {id}
owner: IT Manager
criteria: [{criteria}]
policies: [POL-ISP]
frequency: quarterly
kind: detective
automation: manual
evidence:
  - id: review
    description: Signed review
---
# Control {id}

## Description
The IT Manager reviews access.

## Test procedure
1. Inspect the review for a sample of quarters.
"""


@dataclass
class ProgramDir:
    """A small valid program (security scope) in a temp dir, with helpers to break it."""

    root: Path

    def write(self, relpath: str, text: str | bytes) -> Path:
        path = self.root / relpath
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text) if text.startswith("\n") else text, encoding="utf-8")
        return path

    def read(self, relpath: str) -> str:
        return (self.root / relpath).read_text(encoding="utf-8")

    def replace(self, relpath: str, old: str, new: str) -> None:
        text = self.read(relpath)
        assert old in text, f"{old!r} not in {relpath}"
        self.write(relpath, text.replace(old, new, 1))

    def check(self, *args: str) -> subprocess.CompletedProcess[str]:
        return run_cli("check", str(self.root), "--no-cache", *args)

    def check_json(self) -> tuple[int, dict]:
        result = self.check("--format", "json")
        return result.returncode, json.loads(result.stdout)


CARVE_OUT = """\
subservice_organizations:
  - id: cloudco
    name: CloudCo Hosting
    services: Hosts the platform.
    method: carve-out
    criteria: [CC6.4]
    csocs:
      - id: CSOC-CLOUDCO-01
        description: Only authorized staff enter the data centers.
        criteria: [CC6.4]
"""
"""A subservice register with one carved-out provider and its one CSOC, for tests of the report parts."""


def mkdocs(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """A real `mkdocs build` of the portal configured in `root/mkdocs.yml`, into `root/site`."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-f", str(root / "mkdocs.yml"), "-d", str(root / "site"), *args],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "soc2kit", *args], capture_output=True, text=True, cwd=cwd, check=False)


def run_cli_with_terminal_stderr(*args: str, cwd: Path | None = None) -> tuple[subprocess.CompletedProcess[bytes], bytes]:
    """Run soc2kit with stderr on a pseudo-terminal (stdout a pipe); what the terminal was sent."""
    master, slave = os.openpty()
    try:
        result = subprocess.run(
            [sys.executable, "-m", "soc2kit", *args],
            stdout=subprocess.PIPE,
            stderr=slave,
            cwd=cwd,
            env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
            check=False,
        )
    finally:
        os.close(slave)
    shown = b""
    while select.select([master], [], [], 0.5)[0]:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        shown += chunk
    os.close(master)
    return result, shown


QUARTER_RECORDS = {"q1": ("2026-04-02", "2026-01-01", "2026-03-31"), "q2": ("2026-07-02", "2026-04-01", "2026-06-30")}
"""Evidence records per quarter of the 2026-H1 period: collected date and covered range."""


def make_program(root: Path, *, quarters: int = 1) -> ProgramDir:
    """Nine quarterly controls covering security; each has evidence for the first `quarters` quarters.

    With the default (Q1 only), the ended period misses Q2 (SK501), which the readiness tests
    build on; `quarters=2` gives a program with no findings at all."""
    program = ProgramDir(root)
    program.write("soc2kit.yml", CONFIG)
    program.write("policies/information-security.md", POLICY.format(id="POL-ISP", title="Information Security Policy"))
    chunks = [SECURITY_CRITERIA[i : i + 4] for i in range(0, len(SECURITY_CRITERIA), 4)]
    for number, chunk in enumerate(chunks, start=1):
        program.write(f"controls/TC-{number:02d}.md", CONTROL.format(id=f"TC-{number:02d}", criteria=", ".join(chunk)))
    evidence_file = program.write("evidence/TC-01/q1-review.txt", "reviewed by alice\n")
    sha = hashlib.sha256(evidence_file.read_bytes()).hexdigest()
    for number in range(1, len(chunks) + 1):
        for quarter, (collected, start, end) in list(QUARTER_RECORDS.items())[:quarters]:
            program.write(
                f"evidence/TC-{number:02d}/{quarter}.yaml",
                f"id: EV-TC-{number:02d}-2026{quarter.upper()}\ncontrol: TC-{number:02d}\nrequirement: review\n"
                f"collected: {collected}\ncovers: {{start: {start}, end: {end}}}\ncollector: alice@example.com\n"
                f"files:\n  - path: ../TC-01/q1-review.txt\n    sha256: {sha}\n",
            )
    return program


@pytest.fixture(autouse=True)
def private_cache_home(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Each test's own soc2kit cache folder (also for the CLI it starts), so no test reads or writes ~/.cache."""
    folder = tmp_path_factory.mktemp("soc2kit-cache")
    monkeypatch.setenv("SOC2KIT_CACHE_DIR", str(folder))
    return folder


@pytest.fixture
def program_dir(tmp_path: Path) -> ProgramDir:
    return make_program(tmp_path / "program")


@pytest.fixture
def clean_program_dir(tmp_path: Path) -> ProgramDir:
    return make_program(tmp_path / "program", quarters=2)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class Browser:
    """Debian's Chromium and the chromedriver of the same build, for the portal's browser tests."""

    chromium: str
    chromedriver: str


BROWSER_PACKAGES = ("chromium", "chromium-driver")


def find_browser() -> Browser | None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    chromedriver = shutil.which("chromedriver")
    return Browser(chromium, chromedriver) if chromium and chromedriver else None


def browser_required() -> bool:
    """In CI the browser tests never skip: CI sets `CI`, and .ci/run sets SOC2KIT_REQUIRE_BROWSER."""
    return any(os.environ.get(name, "").lower() not in ("", "0", "false", "no") for name in ("CI", "SOC2KIT_REQUIRE_BROWSER"))


def can_install_browser() -> bool:
    """Root on Debian (or a derivative) with apt-get: the test run may install the packages itself."""
    return os.geteuid() == 0 and Path("/etc/debian_version").is_file() and shutil.which("apt-get") is not None


def install_browser() -> str:
    """apt-get install the browser packages; "" when that worked, else why not (one line)."""
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update", "-qq"], ["apt-get", "install", "-y", "-qq", *BROWSER_PACKAGES]):
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            said = (done.stderr.strip() or done.stdout.strip() or f"exit {done.returncode}").splitlines()[-1]
            return f"`{' '.join(command[:2])}` failed: {said}"
    return ""


@functools.cache
def browser_setup() -> tuple[Browser | None, str]:
    """The browser, installed first where it is missing and can be (once per test run); or None
    and one line saying why not."""
    browser = find_browser()
    if browser is None:
        wanted = " and ".join(BROWSER_PACKAGES)
        if not can_install_browser():
            return (
                None,
                f"no chromium and chromedriver on PATH, and not root on Debian to install them; apt-get install {' '.join(BROWSER_PACKAGES)}",
            )
        failed = install_browser()
        browser = find_browser()
        if browser is None:
            return None, f"{wanted} could not be installed ({failed or 'installed, but chromium or chromedriver is not on PATH'})"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return None, "selenium is not installed: pip install -e '.[test]'"
    return browser, ""


def skip_without_browser() -> None:
    """At the top of a browser test module: skip the whole module, as one line of pytest's `-ra`
    summary saying why, when there is no browser and the tests may skip. Where they must run
    (`browser_required`), the module runs and the `browser` fixture fails each test instead."""
    found, why = browser_setup()
    if found is None and not browser_required():
        pytest.skip(f"browser tests not run: {why}", allow_module_level=True)


@pytest.fixture(scope="session")
def browser() -> Browser:
    found, why = browser_setup()
    if found is None:
        reason = f"browser tests not run: {why}"
        if browser_required():
            pytest.fail(f"{reason} (CI requires them)", pytrace=False)
        pytest.skip(reason)
    return found


@pytest.fixture
def github_server(request: pytest.FixtureRequest):
    """A GitHub REST API on 127.0.0.1 serving a Scenario (tests/github_server.py): `.url`, `.scenario`,
    `.requests`. Parametrize it indirectly with a Scenario, or change `.scenario` in the test. Every request
    and answer is checked against GitHub's OpenAPI description; the test fails on any problem left."""
    from tests.github_server import GitHubServer, Scenario

    scenario = getattr(request, "param", None) or Scenario()
    with GitHubServer(scenario) as server:
        yield server
    assert not server.problems, "GitHub API description violated:\n" + "\n".join(server.problems[:20])
