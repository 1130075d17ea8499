"""What `pip install soc2kit` gives: the sdist and wheel `python -m build` makes (and the wheel `pip
wheel .` makes) carry the starter program, the criteria catalog, the templates `init` writes and the
JSON Schemas, so `soc2kit init`, `soc2kit check` and `mkdocs build --strict` work from an installed
wheel alone, and an installation without the starter fails loudly instead of creating an empty program.

The builds run offline with the installed setuptools (no build isolation), in a copy of the
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
from soc2kit.layout import REGISTERS
from soc2kit.schema import render_schemas
from soc2kit.schema_line import schema_line, schema_url
from tests.test_workflows import actionlint

REPO = Path(__file__).resolve().parent.parent
SOURCES = ("pyproject.toml", "README.md", "soc2kit.yml", "policies", "controls", "system", "registers", "schema", "soc2kit")
STARTER = "soc2kit/starter_program"
ALL_CATEGORIES = "security,availability,confidentiality,processing-integrity,privacy"


def starter_files() -> dict[str, bytes]:
    """The repository's own program, which is the starter: path inside the package, bytes."""
    files = {f"{STARTER}/soc2kit.yml": (REPO / "soc2kit.yml").read_bytes()}
    for folder in ("policies", "controls", "system"):
        files |= {f"{STARTER}/{folder}/{p.name}": p.read_bytes() for p in sorted((REPO / folder).glob("*.md"))}
    for register in REGISTERS:  # by name: registers/change-exceptions.yml is this repository's own, no starter's
        files[f"{STARTER}/{register}"] = (REPO / register).read_bytes()
    return files


def run(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], capture_output=True, text=True, cwd=cwd, check=False)


@dataclass(frozen=True)
class Built:
    sdist: Path
    wheel: Path
    venv: Path
    source: Path

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
    # `python -m build` is the release build: an sdist, then the wheel built from the unpacked sdist
    # (as pip does from PyPI), so the starter, templates and schemas must survive both steps.
    # --no-isolation: offline, with the installed setuptools (test_the_installed_setuptools_can_build_the_project).
    built = run(sys.executable, "-m", "build", "--no-isolation", "--outdir", dist, source, cwd=work)
    assert built.returncode == 0, built.stdout + built.stderr
    [sdist_path] = dist.glob("*.tar.gz")
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
    return Built(sdist_path, wheel_path, venv, source)


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
    assert sum("/controls/" in p for p in expected) > 140
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
    assert sorted(p.name for p in (tmp_path / "program" / "registers").iterdir()) == sorted(r.split("/")[-1] for r in REGISTERS)
    assert f"{len(policies)} policies (as drafts), {len(controls)} controls." in created.stdout
    assert len(policies) == 24
    assert len(controls) > 140
    checked = run(built.soc2kit, "check", "program", "--format", "json", "--no-cache", cwd=tmp_path)
    # A new program passes; its policies awaiting approval are warnings (SK304) while it is adopted, one per policy.
    assert checked.returncode == 0, checked.stdout + checked.stderr
    diagnostics = json.loads(checked.stdout)["diagnostics"]
    assert [d for d in diagnostics if d["severity"] == "error"] == []
    assert len([d for d in diagnostics if d["code"] == "SK304"]) == len(policies)


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


def package_data(root: Path) -> dict[str, bytes]:
    """The data files the package must carry, from the checkout: path inside the wheel, bytes."""
    files = starter_files()
    files |= {f"soc2kit/catalog/{p.name}": p.read_bytes() for p in (REPO / "soc2kit" / "catalog").glob("*.yaml")}
    files |= {f"soc2kit/schemas/{p.name}": p.read_bytes() for p in (REPO / "schema").glob("*.schema.json")}
    templates = root / "soc2kit" / "templates"
    files |= {p.relative_to(root).as_posix(): p.read_bytes() for p in templates.rglob("*") if p.is_file()}
    return files


def wheel_files(wheel: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(wheel) as archive:
        return {n: archive.read(n) for n in archive.namelist() if not n.endswith((".py", "/")) and ".dist-info/" not in n}


def test_sdist_and_wheel_hold_the_catalog_templates_and_schemas(built: Built) -> None:
    expected = package_data(REPO)
    assert sum("/templates/" in p for p in expected) >= 1
    assert sum(p.startswith("soc2kit/schemas/") for p in expected) == len(render_schemas())
    in_wheel = wheel_files(built.wheel)
    assert {n: b for n, b in in_wheel.items() if n in expected} == expected
    assert sorted(set(in_wheel) - set(expected)) == ["soc2kit/py.typed"]  # nothing else, nothing left out
    with tarfile.open(built.sdist) as archive:
        names = {m.name.split("/", 1)[1] for m in archive.getmembers() if m.isfile()}
    assert set(expected) <= names


def test_pip_wheel_of_the_checkout_holds_the_same_files(built: Built, tmp_path: Path) -> None:
    made = run(
        sys.executable,
        "-m",
        "pip",
        "wheel",
        built.source,
        "--no-deps",
        "--no-build-isolation",
        "-q",
        "-w",
        tmp_path,
        cwd=tmp_path,
    )
    assert made.returncode == 0, made.stderr
    [wheel] = tmp_path.glob("*.whl")
    assert wheel_files(wheel) == wheel_files(built.wheel)


def test_the_wheels_schemas_are_current_and_name_their_release(built: Built) -> None:
    shipped = {n.rsplit("/", 1)[1]: b.decode() for n, b in wheel_files(built.wheel).items() if n.startswith("soc2kit/schemas/")}
    assert shipped == render_schemas()
    assert all(json.loads(text)["$id"] == schema_url(name.removesuffix(".schema.json")) for name, text in shipped.items())


def test_init_check_and_mkdocs_build_from_the_wheel_alone(built: Built, tmp_path: Path) -> None:
    created = run(built.soc2kit, "init", "acme", "--org", "Acme", cwd=tmp_path)
    assert created.returncode == 0, created.stdout + created.stderr
    program = tmp_path / "acme"
    policy = next((program / "policies").glob("*.md"))
    assert policy.read_text(encoding="utf-8").split("\n")[1] == schema_line("policy")
    checked = run(built.soc2kit, "check", "--no-cache", cwd=program)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    schemas = run(built.soc2kit, "schema", "--check", cwd=program)
    assert schemas.returncode == 0, schemas.stdout + schemas.stderr
    # The portal as the publish workflow builds it: from a fresh clone, where only what init committed exists.
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", str(program), str(clone)], check=True)
    portal = run(built.python, "-m", "mkdocs", "build", "--strict", cwd=clone)
    assert portal.returncode == 0, portal.stdout + portal.stderr
    assert (clone / "site" / "index.html").is_file()
    workflows = sorted((clone / ".github" / "workflows").glob("*.yml"))
    assert workflows
    linted = subprocess.run([actionlint(), *map(str, workflows)], capture_output=True, text=True, check=False)
    assert linted.returncode == 0, linted.stdout + linted.stderr


def read_pyproject() -> dict[str, Any]:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)
