"""RepoPaths gives the same lexical and real paths on its fast path (a file named beside its record)
as the general one, for ordinary names, odd names, links and escapes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from soc2kit.repo_paths import RepoPaths

FOLDERS = ["evidence/AC-01", "evidence/AC-01/2026", "evidence/./AC-01", "evidence//AC-01", "evidence/AC-01/..", "..", "."]
NAMES = ["a.csv", "..", ".", ".hidden", "...", "a b.txt", "../AC-02/x.csv", "./a.csv", "link.csv", "dirlink", "out.csv"]


def general(paths: RepoPaths, folder: str, name: str) -> tuple[str | None, str | None]:
    """What `resolve` gives by the general path: the name written with a `./` prefix takes it."""
    return paths.resolve(folder, name if "/" in name else f"./{name}") if name not in {".", ".."} else paths.resolve(folder, name)


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / "evidence/AC-01/2026").mkdir(parents=True)
    (root / "evidence/AC-02").mkdir(parents=True)
    (root / "evidence/AC-01/a.csv").write_text("a\n")
    (root / "evidence/AC-02/x.csv").write_text("x\n")
    (tmp_path / "outside.csv").write_text("secret\n")
    os.symlink(root / "evidence/AC-02/x.csv", root / "evidence/AC-01/link.csv")
    os.symlink(root / "evidence/AC-02", root / "evidence/AC-01/dirlink")
    os.symlink(tmp_path / "outside.csv", root / "evidence/AC-01/out.csv")
    return root


@pytest.mark.parametrize("folder", FOLDERS)
def test_a_name_beside_the_record_resolves_as_the_general_path_does(repo: Path, folder: str) -> None:
    for name in NAMES:
        assert RepoPaths(repo).resolve(folder, name) == general(RepoPaths(repo), folder, name), (folder, name)


def test_links_and_escapes(repo: Path) -> None:
    paths = RepoPaths(repo)
    assert paths.resolve("evidence/AC-01", "a.csv") == ("evidence/AC-01/a.csv", "evidence/AC-01/a.csv")
    assert paths.resolve("evidence/AC-01", "link.csv") == ("evidence/AC-01/link.csv", "evidence/AC-02/x.csv")
    assert paths.resolve("evidence/AC-01", "out.csv") == ("evidence/AC-01/out.csv", None)
    assert paths.resolve("evidence/AC-01", "../../../outside.csv") == (None, None)
    assert paths.resolve("evidence/AC-01", "/etc/passwd") == (None, None)
    assert paths.resolve("evidence/AC-01", "C:x") == (None, None)
    assert paths.resolve("evidence/AC-01", "a\\b") == (None, None)
