"""soc2kit imports one way: the layers contract in pyproject.toml ([tool.importlinter]) holds, it
fails on an upward import or on a module nobody placed, and no module imports itself round a cycle."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

REPO = Path(__file__).resolve().parent.parent


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    """Run import-linter's CLI on `project` (a folder with pyproject.toml and soc2kit/), as CI does."""
    script = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run(
        [sys.executable, "-c", script, "--no-cache", "--no-logo", str(project / "pyproject.toml")],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """This project's package and pyproject.toml in a temporary folder, to break on purpose."""
    copy = tmp_path / "project"
    copy.mkdir()
    shutil.copy2(REPO / "pyproject.toml", copy / "pyproject.toml")
    shutil.copytree(REPO / "soc2kit", copy / "soc2kit", symlinks=True, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_the_layers_contract_is_kept() -> None:
    result = lint_imports(REPO)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 kept, 0 broken" in result.stdout


def test_an_upward_import_breaks_the_contract(project_copy: Path) -> None:
    program = project_copy / "soc2kit" / "program.py"
    text = program.read_text(encoding="utf-8")
    program.write_text(text.replace("\nimport os\n", "\nimport os\n\nimport soc2kit.rules\n", 1), encoding="utf-8")
    result = lint_imports(project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "soc2kit.program -> soc2kit.rules" in result.stdout


def test_a_module_nobody_placed_breaks_the_contract(project_copy: Path) -> None:
    (project_copy / "soc2kit" / "unplaced.py").write_text('"""Not placed in any layer yet."""\n', encoding="utf-8")
    result = lint_imports(project_copy)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "soc2kit.unplaced" in result.stdout


def test_no_module_imports_itself_round_a_cycle() -> None:
    """Also inside one layer (site/, cli/, rules/), which the layers contract does not look into."""
    graph = grimp.build_graph("soc2kit", cache_dir=None)
    # The package's own imports are for type checkers only; its exports load lazily (see the contract).
    for imported in graph.find_modules_directly_imported_by("soc2kit"):
        graph.remove_import(importer="soc2kit", imported=imported)
    cycles = [
        [module, *chain]
        for module in sorted(graph.modules)
        for imported in sorted(graph.find_modules_directly_imported_by(module))
        if (chain := graph.find_shortest_chain(importer=imported, imported=module))
    ]
    assert cycles == []
