from __future__ import annotations

import csv
import hashlib
import io
import json
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from soc2kit.trail import build_bundle
from tests.conftest import run_cli
from tests.gitrepo import BOB, GitRepo, program_repo

POLICY = "policies/information-security.md"
PERIOD = "2026-01-01..2026-06-30"


def _bundle_repo(root: Path) -> GitRepo:
    repo = program_repo(root)
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    repo.commit("Review the policy (#2)", author=BOB, date="2026-03-01T10:00:00+00:00")
    oid = repo.lfs_pointer("evidence/TC-05/scan.pdf", b"%PDF big scan")
    repo.write(
        "evidence/TC-05/scan.yaml",
        "id: EV-TC-05-SCAN\ncontrol: TC-05\nrequirement: review\ncollected: 2026-05-02\ncollector: bob@example.com\n"
        f"files:\n  - path: scan.pdf\n    sha256: {oid}\n",
    )
    repo.write(
        "evidence/TC-06/old.yaml",
        "id: EV-TC-06-OLD\ncontrol: TC-06\nrequirement: review\ncollected: 2025-06-02\ncollector: bob@example.com\n",
    )
    repo.commit("Add evidence", date="2026-05-03T10:00:00+00:00")
    repo.replace(POLICY, 'version: "1.1"', 'version: "2.0"')
    repo.commit("Rewrite the policy (#3)", date="2026-08-01T10:00:00+00:00")
    return repo


@pytest.fixture(scope="module")
def bundle_repo(tmp_path_factory) -> GitRepo:
    return _bundle_repo(tmp_path_factory.mktemp("bundle") / "repo")


def _build(repo: GitRepo, target: Path, period: str = PERIOD):
    return run_cli("bundle", "--root", str(repo.root), "--period", period, "-o", str(target))


def test_bundle_holds_trail_matrix_evidence_period_end_policies_and_a_manifest(bundle_repo, tmp_path):
    target = tmp_path / "audit.zip"
    result = _build(bundle_repo, target)
    assert result.returncode == 0, result.stderr
    assert f"sha256 {hashlib.sha256(target.read_bytes()).hexdigest()}" in result.stdout
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        data = {name: archive.read(name) for name in names}
    assert names == sorted(names)
    assert {
        "MANIFEST.sha256",
        "README.md",
        "bundle.json",
        "control-matrix.csv",
        "trail.jsonl",
        "evidence/TC-01/q1.yaml",
        "evidence/TC-01/q1-review.txt",
        "evidence/TC-05/scan.yaml",
        "evidence/TC-05/scan.pdf",
        "period-end/soc2kit.yml",
        f"period-end/{POLICY}",
        "period-end/controls/TC-01.md",
    } <= set(names)
    assert "evidence/TC-06/old.yaml" not in names
    assert b'version: "1.1"' in data[f"period-end/{POLICY}"]
    assert data["evidence/TC-05/scan.pdf"].startswith(b"version https://git-lfs.github.com/spec/v1\n")

    manifest = dict(reversed(line.split("  ", 1)) for line in data["MANIFEST.sha256"].decode().splitlines())
    assert sorted(manifest) == sorted(n for n in names if n != "MANIFEST.sha256")
    for name, digest in manifest.items():
        assert hashlib.sha256(data[name]).hexdigest() == digest

    trail = [json.loads(line) for line in data["trail.jsonl"].decode().splitlines()]
    assert (trail[0]["since"], trail[0]["until"]) == ("2026-01-01", "2026-06-30")
    assert [t["subject"] for t in trail[1:]] == ["Add evidence", "Review the policy (#2)", "Start the SOC 2 program"]

    meta = json.loads(data["bundle.json"])
    assert meta["head"] == bundle_repo.head()
    assert meta["period"] == {"start": "2026-01-01", "end": "2026-06-30", "timezone": "UTC"}
    assert meta["period_end_commit_date"] == "2026-05-03T10:00:00+00:00"
    assert meta["missing_evidence_files"] == []
    assert meta["lfs_pointer_files"] == ["evidence/TC-05/scan.pdf"]

    rows = list(csv.DictReader(io.StringIO(data["control-matrix.csv"].decode())))
    by_control = {(r["criterion"], r["control"]): r for r in rows}
    assert by_control[("CC1.1", "TC-01")]["evidence_in_period"] == "EV-TC-01-2026Q1"
    assert by_control[("CC1.1", "TC-01")]["owner"] == "IT Manager"
    assert by_control[("CC1.1", "TC-01")]["frequency"] == "quarterly"
    assert "EV-TC-05-SCAN" in by_control[(rows_for(rows, "TC-05")[0], "TC-05")]["evidence_in_period"]
    assert {r["criterion"] for r in rows} >= {"CC1.1", "CC9.2"}


def rows_for(rows: list[dict], control: str) -> list[str]:
    return [r["criterion"] for r in rows if r["control"] == control]


def test_zip_entries_have_fixed_timestamps_and_permissions(bundle_repo, tmp_path):
    target = tmp_path / "audit.zip"
    assert _build(bundle_repo, target).returncode == 0
    with zipfile.ZipFile(target) as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert info.external_attr >> 16 == 0o100644
            assert info.compress_type == zipfile.ZIP_DEFLATED


def test_two_runs_and_a_clone_elsewhere_give_identical_bytes(bundle_repo, tmp_path):
    first, second = tmp_path / "a.zip", tmp_path / "b.zip"
    build_bundle(bundle_repo.root, date(2026, 1, 1), date(2026, 6, 30), first)
    build_bundle(bundle_repo.root, date(2026, 1, 1), date(2026, 6, 30), second)
    assert first.read_bytes() == second.read_bytes()
    clone = tmp_path / "elsewhere" / "repo"
    subprocess.run(["git", "clone", "-q", str(bundle_repo.root), str(clone)], check=True)
    third = tmp_path / "c.zip"
    build_bundle(clone, date(2026, 1, 1), date(2026, 6, 30), third)
    assert third.read_bytes() == first.read_bytes()


def test_uncommitted_changes_stay_out_of_the_bundle(tmp_path):
    repo = _bundle_repo(tmp_path / "repo")
    repo.write("evidence/TC-07/draft.yaml", "id: EV-TC-07-DRAFT\n")
    target = tmp_path / "audit.zip"
    assert _build(repo, target).returncode == 0
    with zipfile.ZipFile(target) as archive:
        assert "evidence/TC-07/draft.yaml" not in archive.namelist()


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("2026-06-30..2026-01-01", "ends (2026-01-01) before it starts (2026-06-30)"),
        ("2026-01-01", "is not a date range"),
        ("2026-1-1..2026-06-30", "is not an ISO date"),
        ("2025-01-01..2025-12-31", "no commit on HEAD's first-parent line is dated 2025-12-31 or earlier"),
    ],
)
def test_bad_periods_exit_2_and_write_nothing(bundle_repo, tmp_path, period, message):
    target = tmp_path / "audit.zip"
    result = _build(bundle_repo, target, period)
    assert result.returncode == 2
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert list(tmp_path.iterdir()) == []


def test_output_folder_and_missing_git_are_usage_errors(bundle_repo, tmp_path):
    result = _build(bundle_repo, tmp_path)
    assert result.returncode == 2
    assert "is a folder" in result.stderr
    plain = tmp_path / "plain"
    plain.mkdir()
    result = run_cli("bundle", "--root", str(plain), "--period", PERIOD, "-o", str(tmp_path / "x.zip"))
    assert result.returncode == 2
    assert "not inside a Git repository" in result.stderr
    assert not (tmp_path / "x.zip").exists()


def test_evidence_file_missing_at_head_is_reported(tmp_path):
    repo = program_repo(tmp_path / "repo")
    repo.write(
        "evidence/TC-08/lost.yaml",
        "id: EV-TC-08-LOST\ncontrol: TC-08\nrequirement: review\ncollected: 2026-02-02\ncollector: bob@example.com\n"
        f"files:\n  - path: lost.txt\n    sha256: {'a' * 64}\n",
    )
    repo.commit("Record without its file")
    target = tmp_path / "audit.zip"
    result = _build(repo, target)
    assert result.returncode == 0
    assert "evidence file evidence/TC-08/lost.txt is not in the repository at HEAD" in result.stderr
    with zipfile.ZipFile(target) as archive:
        assert json.loads(archive.read("bundle.json"))["missing_evidence_files"] == ["evidence/TC-08/lost.txt"]


def test_bundle_is_not_left_behind_when_the_build_fails(bundle_repo, tmp_path, monkeypatch):
    from soc2kit import trail

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(trail, "_zip_info", broken)
    target = tmp_path / "audit.zip"
    with pytest.raises(OSError, match="disk full"):
        build_bundle(bundle_repo.root, date(2026, 1, 1), date(2026, 6, 30), target)
    assert list(tmp_path.iterdir()) == []
