"""What `pip install soc2kit` gives: a wheel built from this repository (through its sdist) carries
the starter program, so `soc2kit init` from an installed wheel creates the whole starter, and an
installation without it fails loudly instead of creating an empty program.

The build runs offline with the installed setuptools (`--no-build-isolation`), in a copy of the
sources so that nothing is written into the checkout."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tarfile
import tomllib
import zipfile
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Any

import pytest
from packaging.requirements import Requirement

import soc2kit

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "soc2kit.yml", "policies", "controls", "soc2kit")
STARTER = "soc2kit/starter_program"
ALL_CATEGORIES = "security,availability,confidentiality,processing-integrity,privacy"


def starter_files() -> dict[str, bytes]:
    """The repository's own program, which is the starter: path inside the package, bytes."""
    files = {f"{STARTER}/soc2kit.yml": (REPO / "soc2kit.yml").read_bytes()}
    for folder in ("policies", "controls"):
        files |= {f"{STARTER}/{folder}/{p.name}": p.read_bytes() for p in sorted((REPO / folder).glob("*.md"))}
    return files


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, check=False)


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path
    venv: Path

    @property
    def soc2kit(self) -> Path:
        return self.venv / "bin" / "soc2kit"

    @property
    def python(self) -> Path:
        return self.venv / "bin" / "python"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in SOURCES:
        if (REPO / name).is_dir():
            shutil.copytree(REPO / name, source / name, symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(REPO / name, source / name)
    dist = work / "dist"
    sdist = run(
        sys.executable,
        "-c",
        "import sys; from setuptools import build_meta; print(build_meta.build_sdist(sys.argv[1]))",
        dist,
        cwd=source,
    )
    assert sdist.returncode == 0, sdist.stderr
    [sdist_path] = dist.glob("*.tar.gz")
    # The wheel is built from the unpacked sdist, as pip does from PyPI: the starter must survive both steps.
    with tarfile.open(sdist_path) as archive:
        archive.extractall(work / "unpacked", filter="data")
    [unpacked] = (work / "unpacked").iterdir()
    wheel = run(sys.executable, "-m", "pip", "wheel", unpacked, "--no-deps", "--no-build-isolation", "-q", "-w", dist, cwd=work)
    assert wheel.returncode == 0, wheel.stderr
    [wheel_path] = dist.glob("*.whl")
    # The venv sees the installed dependencies (system site-packages) but gets soc2kit from the wheel only.
    venv = work / "venv"
    made = run(sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv, cwd=work)
    assert made.returncode == 0, made.stderr
    installed = run(
        venv / "bin" / "python",
        "-m",
        "pip",
        "install",
        "-q",
        "--no-deps",
        "--no-index",
        "--ignore-installed",
        wheel_path,
        cwd=work,
    )
    assert installed.returncode == 0, installed.stderr
    return Built(sdist_path, wheel_path, venv)


def test_the_installed_setuptools_can_build_the_project() -> None:
    # The wheel test builds without isolation; that only proves something when the installed
    # setuptools is one the project declares it builds with.
    [requirement] = [Requirement(r) for r in read_pyproject()["build-system"]["requires"] if r.startswith("setuptools")]
    assert requirement.specifier.contains(version("setuptools")), (requirement, version("setuptools"))


def test_one_version_string(built: Built) -> None:
    project = read_pyproject()["project"]
    assert "version" not in project
    assert project["dynamic"] == ["version"]
    assert read_pyproject()["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "soc2kit.__version__"}
    with zipfile.ZipFile(built.wheel) as wheel:
        [metadata] = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
        assert f"\nVersion: {soc2kit.__version__}\n" in wheel.read(metadata).decode()
    assert built.wheel.name.startswith(f"soc2kit-{soc2kit.__version__}-")


def test_sdist_and_wheel_hold_the_starter_as_real_files(built: Built) -> None:
    expected = starter_files()
    assert sum("/policies/" in p for p in expected) == 24
    assert sum("/controls/" in p for p in expected) > 150
    with tarfile.open(built.sdist) as archive:
        members = {m.name.split("/", 1)[1]: m for m in archive.getmembers() if f"/{STARTER}/" in m.name}
        assert [n for n, m in members.items() if not (m.isfile() or m.isdir())] == []  # no symbolic link left
        in_sdist = {n: archive.extractfile(m).read() for n, m in members.items() if m.isfile()}  # type: ignore[union-attr]
    assert in_sdist == expected
    with zipfile.ZipFile(built.wheel) as wheel:
        in_wheel = {n: wheel.read(n) for n in wheel.namelist() if n.startswith(f"{STARTER}/")}
    assert in_wheel == expected


def test_init_from_the_wheel_creates_the_whole_starter(built: Built, tmp_path: Path) -> None:
    where = run(built.python, "-c", "import soc2kit.starter as s; print(s.STARTER_FOLDER)", cwd=tmp_path)
    assert Path(where.stdout.strip()).is_relative_to(built.venv), where  # not the checkout's editable install
    created = run(built.soc2kit, "init", "program", "--no-git", "--org", "Initech", "--categories", ALL_CATEGORIES, cwd=tmp_path)
    assert created.returncode == 0, created.stderr
    policies = sorted(p.name for p in (tmp_path / "program" / "policies").glob("*.md"))
    controls = sorted(p.name for p in (tmp_path / "program" / "controls").glob("*.md"))
    assert policies == sorted(p.name for p in (REPO / "policies").glob("*.md"))
    assert controls == sorted(p.name for p in (REPO / "controls").glob("*.md"))
    assert f"{len(policies)} policies (as drafts), {len(controls)} controls." in created.stdout
    assert len(policies) == 24
    assert len(controls) > 150
    checked = run(built.soc2kit, "check", "program", "--format", "json", "--no-cache", cwd=tmp_path)
    # A new program's only errors are its policies awaiting approval (SK304), one per policy.
    assert checked.returncode == 1, checked.stderr
    errors = [d for d in json.loads(checked.stdout)["diagnostics"] if d["severity"] == "error"]
    assert {d["code"] for d in errors} == {"SK304"}
    assert len(errors) == len(policies)


def test_init_without_the_starter_fails_in_one_line(built: Built, tmp_path: Path) -> None:
    where = run(built.python, "-c", "import soc2kit.starter as s; print(s.STARTER_FOLDER)", cwd=tmp_path)
    starter = Path(where.stdout.strip())
    assert starter.is_relative_to(built.venv), where
    backup = tmp_path / "starter-backup"
    shutil.copytree(starter, backup)
    try:
        for name in ("policies", "controls"):  # folders there, but empty: today's "0 policies, 0 controls"
            shutil.rmtree(starter / name)
            (starter / name).mkdir()
        empty = run(built.soc2kit, "init", "empty", "--no-git", cwd=tmp_path)
        shutil.rmtree(starter)
        missing = run(built.soc2kit, "init", "missing", "--no-git", cwd=tmp_path)
    finally:
        shutil.rmtree(starter, ignore_errors=True)
        shutil.copytree(backup, starter)
    for result, message in ((empty, "has 0 policies and 0 controls"), (missing, "has no starter program")):
        assert result.returncode == 2, result.stdout
        assert result.stdout == ""
        assert result.stderr.startswith("soc2kit: error: ")
        assert message in result.stderr
        assert result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "empty").exists()
    assert not (tmp_path / "missing").exists()


def read_pyproject() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)
