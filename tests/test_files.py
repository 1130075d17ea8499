"""One safe way to write files: whole or not at all, with the mode the umask gives, never over what must stay."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from soc2kit.errors import UsageError
from soc2kit.files import atomic_writer, create_file, write_file
from tests.conftest import ProgramDir, run_cli


@pytest.fixture
def umask_027() -> Iterator[None]:
    old = os.umask(0o027)
    try:
        yield
    finally:
        os.umask(old)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.usefixtures("umask_027")
def test_written_files_get_the_mode_the_umask_gives(tmp_path: Path) -> None:
    write_file(tmp_path / "report.txt", "hello\n")
    create_file(tmp_path / "new" / "policy.md", b"text")
    assert mode(tmp_path / "report.txt") == 0o640
    assert mode(tmp_path / "new" / "policy.md") == 0o640


def test_reports_and_schemas_are_not_private_to_their_writer(program_dir: ProgramDir, tmp_path: Path) -> None:
    # mkstemp's 0600 used to reach every `-o` report and every schema file.
    report = tmp_path / "report.json"
    result = run_cli("check", str(program_dir.root), "--no-cache", "--format", "json", "-o", str(report))
    assert result.returncode in {0, 1}, result.stderr
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    assert run_cli("schema", "--dir", str(schemas)).returncode == 0
    expected = 0o666 & ~_current_umask()
    assert mode(report) == expected
    written = sorted(schemas.iterdir())
    assert written
    assert {mode(path) for path in written} == {expected}


def _current_umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def test_create_refuses_an_existing_file_and_leaves_it_untouched(tmp_path: Path) -> None:
    target = tmp_path / "policy.md"
    target.write_text("mine\n", encoding="utf-8")
    with pytest.raises(UsageError, match="already exists"):
        create_file(target, "theirs\n")
    assert target.read_text(encoding="utf-8") == "mine\n"
    assert [p.name for p in tmp_path.iterdir()] == ["policy.md"]


def test_create_refuses_a_dangling_symlink(tmp_path: Path) -> None:
    # Writing through a dangling link would create a file wherever the link points.
    (tmp_path / "link.md").symlink_to(tmp_path / "elsewhere.md")
    with pytest.raises(UsageError, match="already exists"):
        create_file(tmp_path / "link.md", "text")
    assert not (tmp_path / "elsewhere.md").exists()


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temp_file(tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    target.write_text("old\n", encoding="utf-8")

    def interrupted_write() -> None:
        with atomic_writer(target) as handle:
            handle.write(b"half of the new")
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        interrupted_write()
    assert target.read_text(encoding="utf-8") == "old\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.txt"]


def test_writing_into_a_missing_folder_or_onto_a_folder_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="does not exist"):
        write_file(tmp_path / "missing" / "report.txt", "x")
    with pytest.raises(UsageError, match="is a folder"):
        write_file(tmp_path, "x")


def test_output_into_a_missing_folder_is_one_line_and_exit_2(program_dir: ProgramDir, tmp_path: Path) -> None:
    result = run_cli("check", str(program_dir.root), "--no-cache", "-o", str(tmp_path / "missing" / "report.txt"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("soc2kit: error:")
    assert "does not exist" in result.stderr


def test_user_files_reach_the_disk_and_cache_files_skip_the_wait(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    synced: list[int] = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd))[1])
    write_file(tmp_path / "report.json", "{}\n")
    assert len(synced) == 1
    write_file(tmp_path / "cache.json", b"cached", durable=False)
    assert len(synced) == 1
    assert (tmp_path / "cache.json").read_bytes() == b"cached"
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
