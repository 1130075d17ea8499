"""The cache lives outside the working tree, holds nothing that can run, and can neither hang a run
nor change what `check` reports: a damaged, foreign or planted cache means a cold run."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pickle
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from soc2kit import __version__, cache, reading
from soc2kit.cache import cache_file, cache_home
from soc2kit.documents import Document
from soc2kit.loader import load_program
from tests.conftest import ProgramDir

OLD_CACHE = Path(".soc2kit-cache") / "program.pickle"
"""Where soc2kit up to 0.x read its cache from: inside the program folder."""
TIMEOUT = 120


def soc2kit_check(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    # A run that blocks on a pipe or reads /dev/zero forever fails here instead of hanging the suite.
    return subprocess.run(
        [sys.executable, "-m", "soc2kit", "check", str(root), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=TIMEOUT,
    )


def outcome(result: subprocess.CompletedProcess[str]) -> tuple[int, str]:
    return result.returncode, result.stdout


class _Touch:
    """Unpickling this creates `marker`: proof that a cache file ran code."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (Path.touch, (self.marker,))


def planted_pickle(marker: Path) -> bytes:
    return pickle.dumps((__version__, {}, _Touch(marker)), protocol=5)


def test_planted_pickle_is_live(tmp_path: Path) -> None:
    """The payload the tests plant really runs code when unpickled, so its silence below means something."""
    probe = tmp_path / "probe"
    pickle.loads(planted_pickle(probe))
    assert probe.exists()


def break_a_control(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-02.md", "frequency:", "frequncy:")


def _truncated(path: Path, _marker: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _bit_flipped(path: Path, _marker: Path) -> None:
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))


def _random_bytes(path: Path, _marker: Path) -> None:
    path.write_bytes(os.urandom(4096))


def _pickle(path: Path, marker: Path) -> None:
    path.write_bytes(planted_pickle(marker))


def _dev_zero(path: Path, _marker: Path) -> None:
    path.symlink_to("/dev/zero")


def _fifo(path: Path, _marker: Path) -> None:
    os.mkfifo(path)


def _oversized(path: Path, _marker: Path) -> None:
    with path.open("wb") as handle:
        handle.truncate(cache.MAX_BYTES + 1)  # sparse: costs no disk, but reading it would cost a gigabyte


def _folder(path: Path, marker: Path) -> None:
    path.mkdir()
    (path / "program.pickle").write_bytes(planted_pickle(marker))


PLANTS: dict[str, Callable[[Path, Path], None]] = {
    "truncated": _truncated,
    "bit-flipped": _bit_flipped,
    "random-bytes": _random_bytes,
    "pickle": _pickle,
    "symlink-to-dev-zero": _dev_zero,
    "fifo": _fifo,
    "oversized": _oversized,
    "folder": _folder,
}


@pytest.mark.parametrize("where", ["in-tree", "cache-home"])
@pytest.mark.parametrize("plant", list(PLANTS))
def test_planted_cache_has_no_effect(program_dir: ProgramDir, tmp_path: Path, where: str, plant: str) -> None:
    break_a_control(program_dir)
    marker = tmp_path / "code-ran"
    expected = outcome(soc2kit_check(program_dir.root, "--no-cache"))
    assert expected[0] == 1
    soc2kit_check(program_dir.root)  # a real cache to damage
    target = program_dir.root / OLD_CACHE if where == "in-tree" else cache_file(program_dir.root)
    target.parent.mkdir(parents=True, exist_ok=True)
    if plant not in {"truncated", "bit-flipped"}:
        target.unlink(missing_ok=True)
    elif where == "in-tree":
        target.write_bytes(planted_pickle(marker))  # damage a planted pickle
    PLANTS[plant](target, marker)
    for _ in range(2):  # the run that finds the plant, and the run after it
        assert outcome(soc2kit_check(program_dir.root)) == expected
    assert not marker.exists()


def test_cache_is_written_outside_the_tree(program_dir: ProgramDir, private_cache_home: Path) -> None:
    before = sorted(p.relative_to(program_dir.root) for p in program_dir.root.rglob("*"))
    uncached = outcome(soc2kit_check(program_dir.root, "--no-cache"))
    assert list(private_cache_home.iterdir()) == []
    cold = outcome(soc2kit_check(program_dir.root))
    warm = outcome(soc2kit_check(program_dir.root))
    assert warm == cold == uncached
    assert sorted(p.relative_to(program_dir.root) for p in program_dir.root.rglob("*")) == before
    assert cache_file(program_dir.root).parent == private_cache_home
    assert cache_file(program_dir.root).read_bytes().startswith(b"soc2kit-cache\n")


def test_cache_folders_are_private(program_dir: ProgramDir, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "made" / "by" / "soc2kit"
    monkeypatch.setenv("SOC2KIT_CACHE_DIR", str(home))
    soc2kit_check(program_dir.root)
    assert cache_file(program_dir.root).is_file()
    for folder in (home, home.parent, home.parent.parent):
        assert folder.stat().st_mode & 0o777 == 0o700


def test_world_writable_cache_folder_is_neither_read_nor_written(program_dir: ProgramDir, private_cache_home: Path) -> None:
    private_cache_home.chmod(0o777)
    soc2kit_check(program_dir.root)
    assert not cache_file(program_dir.root).exists()


def test_cache_home_follows_the_platform_convention(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if sys.platform in {"win32", "darwin"}:
        pytest.skip("the XDG convention applies on Linux and other Unix systems")
    monkeypatch.delenv("SOC2KIT_CACHE_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_home() == tmp_path / "xdg" / "soc2kit"
    monkeypatch.setenv("XDG_CACHE_HOME", "relative/cache")
    assert cache_home() == tmp_path / "home" / ".cache" / "soc2kit"
    monkeypatch.setenv("SOC2KIT_CACHE_DIR", str(tmp_path / "chosen"))
    assert cache_home() == tmp_path / "chosen"


def forge(path: Path, *, header: dict[str, Any] | None = None, clear_findings_of: str = "") -> None:
    """Rewrite the cache file at `path` with a correct checksum: what a forger with write access to
    the cache folder could do."""
    magic, header_line, payload = path.read_bytes().split(b"\n", 2)
    body = json.loads(payload)
    if clear_findings_of:
        body["documents"][clear_findings_of][1][5] = []
    payload = json.dumps(body).encode()
    fields = {**json.loads(header_line), **(header or {}), "sha256": hashlib.sha256(payload).hexdigest()}
    path.write_bytes(magic + b"\n" + json.dumps(fields).encode() + b"\n" + payload)


@pytest.mark.parametrize(
    "header",
    [{"soc2kit": "0.0.0-other"}, {"code": "0" * 64}, {"format": -1}, {"root": "/somewhere/else"}],
    ids=["other-version", "other-code", "other-format", "other-program"],
)
def test_foreign_cache_is_ignored(program_dir: ProgramDir, header: dict[str, Any]) -> None:
    break_a_control(program_dir)
    expected = outcome(soc2kit_check(program_dir.root, "--no-cache"))
    soc2kit_check(program_dir.root)
    path = cache_file(program_dir.root)
    forge(path, clear_findings_of="controls/TC-02.md")
    assert outcome(soc2kit_check(program_dir.root)) != expected, "the forged entry should matter if accepted"
    soc2kit_check(program_dir.root, "--no-cache")
    forge(path, header=header, clear_findings_of="controls/TC-02.md")
    assert outcome(soc2kit_check(program_dir.root)) == expected


def test_cache_of_another_program_is_ignored(program_dir: ProgramDir, tmp_path: Path) -> None:
    break_a_control(program_dir)
    soc2kit_check(program_dir.root)
    forge(cache_file(program_dir.root), clear_findings_of="controls/TC-02.md")
    twin = tmp_path / "twin"
    twin.mkdir()
    for path in program_dir.root.rglob("*"):
        if path.is_file():
            (twin / path.relative_to(program_dir.root)).parent.mkdir(parents=True, exist_ok=True)
            (twin / path.relative_to(program_dir.root)).write_bytes(path.read_bytes())
    cache_file(twin).write_bytes(cache_file(program_dir.root).read_bytes())
    assert outcome(soc2kit_check(twin)) == outcome(soc2kit_check(twin, "--no-cache"))


def edit_keeping_size_and_mtime(path: Path) -> None:
    before = path.stat()
    data = path.read_bytes()
    path.write_bytes(data.replace(b"alice", b"mallo"))
    os.utime(path, ns=(before.st_atime_ns, before.st_mtime_ns))
    after = path.stat()
    assert (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    assert path.read_bytes() != data


EVIDENCE_FILE = "evidence/TC-01/q1-review.txt"


def test_edited_evidence_with_size_and_mtime_restored_is_reported(clean_program_dir: ProgramDir) -> None:
    root = clean_program_dir.root
    assert soc2kit_check(root).returncode == 0
    assert soc2kit_check(root).returncode == 0
    edit_keeping_size_and_mtime(root / EVIDENCE_FILE)
    warm = soc2kit_check(root, "--format", "json")
    assert "SK402" in {d["code"] for d in json.loads(warm.stdout)["diagnostics"]}
    assert outcome(warm) == outcome(soc2kit_check(root, "--no-cache", "--format", "json"))


class Clock:
    """A clock `seconds` off: ahead, files written by the test count as long settled; behind, as
    changed during the run, however slowly the test runs."""

    def __init__(self, seconds: int) -> None:
        self.offset = seconds * 1_000_000_000

    def time_ns(self) -> int:
        return time.time_ns() + self.offset


def count_hashing(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    hashed: list[str] = []
    real = cache.file_sha256

    def counting(path: str) -> str:
        hashed.append(os.path.basename(path))
        return real(path)

    monkeypatch.setattr(cache, "file_sha256", counting)
    return hashed


def sk402(root: Path) -> list[str]:
    return [d.path for d in load_program(root).diagnostics if d.code == "SK402"]


def test_settled_evidence_hash_is_reused_until_the_file_changes(
    clean_program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = clean_program_dir.root
    monkeypatch.setattr(cache, "time", Clock(10))
    hashed = count_hashing(monkeypatch)
    assert sk402(root) == []
    assert "q1-review.txt" in hashed
    hashed.clear()
    assert sk402(root) == []
    assert hashed == []
    edit_keeping_size_and_mtime(root / EVIDENCE_FILE)
    assert sk402(root) != []
    assert hashed == ["q1-review.txt"]


def test_evidence_changed_within_the_run_second_is_hashed_again(
    clean_program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = clean_program_dir.root
    monkeypatch.setattr(cache, "time", Clock(-5))
    hashed = count_hashing(monkeypatch)
    assert sk402(root) == []
    assert sk402(root) == []
    assert hashed == ["q1-review.txt", "q1-review.txt"]
    body = json.loads(cache_file(root).read_bytes().split(b"\n", 2)[2])
    assert body["hashes"] == {}


def count_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    read: list[str] = []
    real = reading.read_bytes

    def counting(root: Path, path: str, diagnostics: list[Any]) -> bytes | None:
        read.append(path)
        return real(root, path, diagnostics)

    monkeypatch.setattr(reading, "read_bytes", counting)
    return read


def test_settled_documents_are_not_read_again_until_they_change(
    clean_program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = clean_program_dir.root
    policy = next(path for path in (root / "policies").glob("*.md"))
    relative = policy.relative_to(root).as_posix()
    monkeypatch.setattr(cache, "time", Clock(10))
    read = count_reads(monkeypatch)
    cold = [(d.code, d.path, d.line) for d in load_program(root).diagnostics]
    assert relative in read
    read.clear()
    assert [(d.code, d.path, d.line) for d in load_program(root).diagnostics] == cold
    assert read == []
    before = policy.stat()
    policy.write_bytes(policy.read_bytes().replace(b"status: approved", b"status: approvex"))
    os.utime(policy, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert (policy.stat().st_size, policy.stat().st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    warm = [(d.code, d.path) for d in load_program(root).diagnostics]
    assert read == [relative]
    assert any(path == relative for _, path in warm)
    assert warm == [(d.code, d.path) for d in load_program(root, use_cache=False).diagnostics]


def test_documents_changed_within_the_run_second_are_read_every_time(
    clean_program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = clean_program_dir.root
    monkeypatch.setattr(cache, "time", Clock(-5))
    read = count_reads(monkeypatch)
    load_program(root)
    first = sorted(read)
    read.clear()
    load_program(root)
    assert sorted(read) == first != []
    body = json.loads(cache_file(root).read_bytes().split(b"\n", 2)[2])
    assert all(entry[3] is None for entry in body["documents"].values())


def test_limits_a_statement_needed_are_kept_so_a_warm_run_reads_no_control_body(
    clean_program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A control's limits are parsed when a policy statement that names it states a limit (SK309),
    from the body; the check keeps them in the control's cache entry, so the next run reloads nothing."""
    program_dir = clean_program_dir
    program_dir.replace(
        "policies/information-security.md",
        "1. Access must be reviewed quarterly.",
        "1. Access removals must be made within 3 days. Tested by: TC-01.",
    )
    program_dir.replace("controls/TC-01.md", "reviews access.", "reviews access; removals within 5 days.")
    monkeypatch.setattr(cache, "time", Clock(10))
    cold = [(d.code, d.path) for d in load_program(program_dir.root).diagnostics]
    assert ("SK309", "policies/information-security.md") in cold
    reloaded: list[str] = []
    real = Document._reload
    monkeypatch.setattr(Document, "_reload", lambda doc: (reloaded.append(doc.path), real(doc))[1])
    warm = [(d.code, d.path) for d in load_program(program_dir.root).diagnostics]
    assert warm == cold
    assert reloaded == []


def test_symlinks_in_the_tree_get_no_writes(program_dir: ProgramDir, tmp_path: Path) -> None:
    outside_folder = tmp_path / "outside"
    outside_folder.mkdir()
    outside_file = tmp_path / "outside.txt"
    outside_file.write_text("keep\n", encoding="utf-8")
    (program_dir.root / ".soc2kit-cache").symlink_to(outside_folder)
    (program_dir.root / ".gitignore").symlink_to(outside_file)
    for _ in range(2):
        assert soc2kit_check(program_dir.root).returncode == 0
    assert list(outside_folder.iterdir()) == []
    assert outside_file.read_text(encoding="utf-8") == "keep\n"


def test_warm_run_parses_nothing_again(program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every kind of document survives the trip through the cache's plain data."""
    break_a_control(program_dir)
    program_dir.write("policies/bare.md", "no front matter\n")
    cold = [(d.code, d.path, d.line, d.message) for d in load_program(program_dir.root).diagnostics]
    parsed: list[str] = []
    real = reading.read_one
    monkeypatch.setattr(reading, "read_one", lambda root, source, raw: (parsed.append(source.path), real(root, source, raw))[1])
    warm = load_program(program_dir.root)
    assert parsed == []
    assert [(d.code, d.path, d.line, d.message) for d in warm.diagnostics] == cold
    assert {kind for kind, _ in warm._sources} == {"policy", "control", "evidence"}


def test_document_plain_data_round_trip(program_dir: ProgramDir) -> None:
    break_a_control(program_dir)
    program_dir.write(
        "policies/mentions.md",
        "---\nid: POL-X\n---\nSee TC-01 and POL-ISP.\n\n## Policy statements\n\n"
        "1. Reviewed within `5 days` within 5 days. Tested by: TC-01, tc.\n",
    )
    program_dir.replace("controls/TC-01.md", "reviews access.", "reviews access within 5 days.")
    program = load_program(program_dir.root, use_cache=False)
    compared = [f.name for f in dataclasses.fields(Document) if not f.name.startswith("_")]
    for doc in program.documents.values():
        plain = json.loads(json.dumps(doc.to_plain()))
        back = Document.from_plain(plain, doc.root)
        assert [getattr(back, name) for name in compared] == [getattr(doc, name) for name in compared]
        assert back.to_plain() == plain
    assert any(doc.diagnostics for doc in program.documents.values())
    assert any(doc.mentions for doc in program.documents.values())
    assert any("description" in doc.filled_sections for doc in program.documents.values())
    assert any(s.controls and s.limits and s.unreadable for doc in program.documents.values() for s in doc.statements)
    assert any(doc.limits for doc in program.documents.values())


@pytest.mark.parametrize(
    "plain",
    [
        ["p.md", "policy", "yes", None, 1, [], [], [], [], []],
        ["p.md", "policy", True, None, 1, [["SK999", "p.md", 1, "m", "h", "error"]], [], [], [], []],
        ["p.md", "policy", True, None, 1, [["SK005", "p.md", 1, "m", "h", "fatal"]], [], [], [], []],
        ["p.md", "policy", True, None, 1, [], [], [7], [], []],
        ["p.md", "policy", True, None, 1, [], [], [], [[1, "s", 1, 1, [], None, 0, [], [["AC-01", "2"]], 0]], []],
        ["p.md", "policy", True, None, 1, [], [], [], [[1, "s", 1, 1, [["weeks", 7, "a week", 1]], None, 0, [], [], 0]], []],
        ["p.md", "control", True, None, 1, [], [], [], [], [["days", "7", "7 days", 1]]],
        ["p.md", "control", True, None, 1, [], [], [], [], "7 days"],
        ["p.md", "control", True, None, 1, [], [], [], [], [["days", 7, "7 days"]]],
        ["p.md", "policy", True, None, 1, []],
    ],
)
def test_malformed_plain_document_is_refused(plain: list[Any]) -> None:
    with pytest.raises((ValueError, TypeError)):
        Document.from_plain(plain, "/program")
