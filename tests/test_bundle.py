from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from datetime import date
from pathlib import Path

import pytest

from soc2kit.bundle import _entry_name, _read_regular, build_bundle
from soc2kit.errors import UsageError
from tests.conftest import CARVE_OUT, make_program, run_cli, sha256
from tests.conftest import POLICY as POLICY_TEXT
from tests.gitrepo import ALICE, BOB, GitRepo, counting_git_path

POLICY = "policies/information-security.md"
PERIOD = "2026-01-01..2026-06-30"


def _honest_repo(root: Path) -> GitRepo:
    """The test program, committed before the period (2025-12-01); its Q1 evidence committed the day
    after it was collected, as `evidence verify` expects."""
    repo = GitRepo.create(root)
    make_program(root)
    evidence = {path: path.read_bytes() for path in sorted((root / "evidence").rglob("*")) if path.is_file()}
    shutil.rmtree(root / "evidence")
    repo.commit("Start the SOC 2 program", date="2025-12-01T10:00:00+00:00")
    for path, data in evidence.items():
        repo.write(str(path.relative_to(root)), data)
    repo.commit("Q1 evidence", date="2026-04-03T10:00:00+00:00")
    return repo


def _bundle_repo(root: Path) -> GitRepo:
    repo = _honest_repo(root)
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    repo.commit("Review the policy (#2)", author=BOB, date="2026-04-10T10:00:00+00:00")
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
    repo.replace(POLICY, 'version: "1.1"', 'version: "1.2"')
    repo.commit("Clarify the policy (#4)", date="2026-06-10T10:00:00+00:00")
    q2_review = b"second quarter, reviewed by bob\n"
    repo.write("evidence/TC-02/q2-review.txt", q2_review)
    repo.write(
        "evidence/TC-02/q2.yaml",
        "id: EV-TC-02-2026Q2\ncontrol: TC-02\nrequirement: review\ncollected: 2026-07-02\n"
        "covers: {start: 2026-04-01, end: 2026-06-30}\ncollector: bob@example.com\n"
        f"files:\n  - path: q2-review.txt\n    sha256: {sha256(q2_review)}\n",
    )
    repo.commit("Q2 evidence for TC-02", date="2026-07-03T10:00:00+00:00")
    repo.replace(POLICY, 'version: "1.2"', 'version: "2.0"')
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
        "evidence/TC-02/q2.yaml",
        "evidence/TC-02/q2-review.txt",
        "FINDINGS.json",
        "period-end/soc2kit.yml",
        f"period-end/{POLICY}",
        "period-end/controls/TC-01.md",
    } <= set(names)
    assert "evidence/TC-06/old.yaml" not in names
    assert b'version: "1.2"' in data[f"period-end/{POLICY}"]
    assert data["evidence/TC-05/scan.pdf"].startswith(b"version https://git-lfs.github.com/spec/v1\n")

    manifest = dict(reversed(line.split("  ", 1)) for line in data["MANIFEST.sha256"].decode().splitlines())
    assert sorted(manifest) == sorted(n for n in names if n != "MANIFEST.sha256")
    for name, digest in manifest.items():
        assert hashlib.sha256(data[name]).hexdigest() == digest

    trail = [json.loads(line) for line in data["trail.jsonl"].decode().splitlines()]
    assert (trail[0]["since"], trail[0]["until"]) == ("2026-01-01", None)
    assert [t["subject"] for t in trail[1:]] == [
        "Rewrite the policy (#3)",
        "Q2 evidence for TC-02",
        "Clarify the policy (#4)",
        "Add evidence",
        "Review the policy (#2)",
        "Q1 evidence",
    ]

    meta = json.loads(data["bundle.json"])
    assert meta["head"] == bundle_repo.head()
    assert meta["period"] == {"start": "2026-01-01", "end": "2026-06-30", "timezone": "UTC"}
    assert meta["period_end_commit_date"] == "2026-06-10T10:00:00+00:00"
    assert meta["failed_evidence"] == []
    assert json.loads(data["FINDINGS.json"])["failed_evidence"] == []
    assert meta["missing_evidence_files"] == []
    assert meta["lfs_pointer_files"] == ["evidence/TC-05/scan.pdf"]

    rows = list(csv.DictReader(io.StringIO(data["control-matrix.csv"].decode())))
    by_control = {(r["criterion"], r["control"]): r for r in rows}
    assert by_control[("CC1.1", "TC-01")]["evidence"] == "EV-TC-01-2026Q1"
    assert by_control[("CC1.1", "TC-01")]["owner"] == "IT Manager"
    assert by_control[("CC1.1", "TC-01")]["frequency"] == "quarterly"
    assert "EV-TC-05-SCAN" in by_control[(rows_for(rows, "TC-05")[0], "TC-05")]["evidence"]
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
        ("2024-01-01..2024-12-31", "no commit on HEAD's first-parent line is dated 2024-12-31 or earlier"),
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
    plain = make_program(tmp_path / "plain").root
    result = run_cli("bundle", "--root", str(plain), "--period", PERIOD, "-o", str(tmp_path / "x.zip"))
    assert result.returncode == 2
    assert "not inside a Git repository" in result.stderr
    assert not (tmp_path / "x.zip").exists()


def test_bundle_is_not_left_behind_when_the_build_fails(bundle_repo, tmp_path, monkeypatch):
    from soc2kit import bundle

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(bundle, "_zip_info", broken)
    target = tmp_path / "audit.zip"
    with pytest.raises(OSError, match="disk full"):
        build_bundle(bundle_repo.root, date(2026, 1, 1), date(2026, 6, 30), target)
    assert list(tmp_path.iterdir()) == []


# -- evidence that fails verification ------------------------------------------------------------

TAMPERED = "EV-TC-03-CONFIG"
BACKDATED = "EV-TC-04-BACKDATED"


def _record(control: str, record_id: str, collected: str, files: dict[str, str]) -> str:
    listed = "".join(f"  - path: {path}\n    sha256: {digest}\n" for path, digest in files.items())
    return (
        f"id: {record_id}\ncontrol: {control}\nrequirement: review\ncollected: {collected}\n"
        f"collector: bob@example.com\nfiles:\n{listed}"
    )


def _failing_repo(root: Path, *, fix_digest: bool) -> GitRepo:
    """A record whose file is edited in a later commit (with or without its digest updated), and a
    record committed before the day it says it was collected."""
    repo = _honest_repo(root)
    original = b"firewall rules as of 2026-02-10\n"
    repo.write("evidence/TC-03/config.txt", original)
    repo.write("evidence/TC-03/config.yaml", _record("TC-03", TAMPERED, "2026-02-10", {"config.txt": sha256(original)}))
    repo.commit("Firewall configuration", date="2026-02-10T12:00:00+00:00")
    edited = b"firewall rules, tidied up later\n"
    repo.write("evidence/TC-03/config.txt", edited)
    if fix_digest:
        repo.replace("evidence/TC-03/config.yaml", sha256(original), sha256(edited))
    repo.commit("Tidy the firewall evidence", date="2026-05-20T12:00:00+00:00")
    repo.write("evidence/TC-04/review.txt", "reviewed\n")
    repo.write("evidence/TC-04/backdated.yaml", _record("TC-04", BACKDATED, "2026-06-15", {"review.txt": sha256(b"reviewed\n")}))
    repo.commit("Evidence written before it was collected", date="2026-06-01T12:00:00+00:00")
    return repo


@pytest.mark.parametrize("fix_digest", [False, True], ids=["digest-left-stale", "digest-updated-too"])
def test_tampered_and_back_dated_evidence_stop_the_bundle_naming_each_record(tmp_path, fix_digest):
    repo = _failing_repo(tmp_path / "repo", fix_digest=fix_digest)
    out = tmp_path / "out"
    out.mkdir()
    result = _build(repo, out / "audit.zip")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("bundle: error:")]
    assert any(line.startswith(f"bundle: error: {TAMPERED} (evidence/TC-03/config.yaml:") and "SK406" in line for line in errors)
    assert any(f"{BACKDATED} (evidence/TC-04/backdated.yaml:4): SK407" in line for line in errors)
    assert all(TAMPERED in line or BACKDATED in line for line in errors)
    assert ("SK402" in result.stderr) is not fix_digest
    assert "2 evidence records of the period fail verification" in result.stderr
    assert "--include-failed-evidence" in result.stderr
    assert list(out.iterdir()) == []


def test_with_the_flag_the_bundle_lists_every_failure_and_does_not_count_them(tmp_path):
    repo = _failing_repo(tmp_path / "repo", fix_digest=False)
    target = tmp_path / "audit.zip"
    result = run_cli("bundle", "--root", str(repo.root), "--period", PERIOD, "-o", str(target), "--include-failed-evidence")
    assert result.returncode == 0, result.stderr
    assert f"bundle: warning: {TAMPERED}" in result.stderr
    with zipfile.ZipFile(target) as archive:
        meta = json.loads(archive.read("bundle.json"))
        findings = json.loads(archive.read("FINDINGS.json"))["failed_evidence"]
        readme = archive.read("README.md").decode()
        matrix = list(csv.DictReader(io.StringIO(archive.read("control-matrix.csv").decode())))
        names = archive.namelist()
    assert meta["include_failed_evidence"] is True
    assert meta["failed_evidence"] == findings
    by_record = {item["record"]: item for item in findings}
    assert sorted(by_record) == [TAMPERED, BACKDATED]
    assert {f["code"] for f in by_record[TAMPERED]["findings"]} == {"SK402", "SK406"}
    assert {f["code"] for f in by_record[BACKDATED]["findings"]} == {"SK407"}
    assert by_record[TAMPERED]["path"] == "evidence/TC-03/config.yaml"
    assert by_record[BACKDATED]["control"] == "TC-04"
    assert "2 evidence records of the period failed verification" in readme
    assert "evidence/TC-03/config.yaml" in names
    tc03 = [row for row in matrix if row["control"] == "TC-03"]
    assert tc03
    assert all(TAMPERED not in row["evidence"] and TAMPERED in row["note"] for row in tc03)
    assert all(row["evidence"] == "EV-TC-03-2026Q1" for row in tc03)


def test_an_invalid_record_of_the_period_is_not_dropped_silently(tmp_path):
    repo = _honest_repo(tmp_path / "repo")
    review = sha256(b"reviewed by alice\n")
    valid = _record("TC-08", "EV-TC-08-ODD", "2026-05-01", {"../TC-01/q1-review.txt": review})
    repo.write("evidence/TC-08/odd.yaml", valid + "reviewer: carol\n")
    repo.write("evidence/TC-08/ancient.yaml", valid.replace("2026-05-01", "2025-03-01").replace("ODD", "OLD") + "x: 1\n")
    repo.commit("Records with a key soc2kit does not know", date="2026-05-02T12:00:00+00:00")
    out = tmp_path / "out"
    out.mkdir()
    result = _build(repo, out / "audit.zip")
    assert result.returncode == 1, result.stderr
    assert "bundle: error: EV-TC-08-ODD (evidence/TC-08/odd.yaml:" in result.stderr
    assert "EV-TC-08-OLD" not in result.stderr
    assert "1 evidence record of the period fails verification" in result.stderr
    assert list(out.iterdir()) == []


# -- nothing from outside the repository ---------------------------------------------------------

SECRET = b"root:x:0:0:the secret outside the repository\n"


HOSTILE_PATHS = {
    "absolute-path": "/etc/passwd",
    "dot-dot-path": "../../../outside",
    "absolute-link": "absolute-link.txt",
    "relative-link": "relative-link.txt",
    "link-to-dev-zero": "zero-link.txt",
}


def _escaping_repo(tmp_path: Path, hostile: str) -> GitRepo:
    """A record naming one file outside the repository (by path or through a committed link), next
    to a link that stays inside (fine), all committed honestly."""
    outside = tmp_path / "outside"
    outside.write_bytes(SECRET)
    repo = _honest_repo(tmp_path / "repo")
    target = HOSTILE_PATHS[hostile]
    folder = repo.root / "evidence/TC-07"
    folder.mkdir(exist_ok=True)
    if hostile == "absolute-link":
        os.symlink(outside, folder / target)
    elif hostile == "relative-link":
        os.symlink("../../../outside", folder / target)
    elif hostile == "link-to-dev-zero":
        os.symlink("/dev/zero", folder / target)
    os.symlink("../TC-01/q1-review.txt", folder / "inside-link.txt")
    digest = sha256(Path("/etc/passwd").read_bytes() if target == "/etc/passwd" else SECRET)
    files = {target: digest, "inside-link.txt": sha256(b"reviewed by alice\n")}
    repo.write("evidence/TC-07/escape.yaml", _record("TC-07", "EV-TC-07-ESCAPE", "2026-05-01", files))
    repo.commit("Evidence that points outside", date="2026-05-01T12:00:00+00:00")
    return repo


def _assert_safe_names(names: list[str]) -> None:
    for name in names:
        assert not name.startswith("/")
        assert ".." not in name.split("/")
        assert "\\" not in name
        assert name == os.path.normpath(name)


@pytest.mark.parametrize("hostile", sorted(HOSTILE_PATHS))
def test_no_file_outside_the_repository_enters_the_bundle(tmp_path, hostile):
    repo = _escaping_repo(tmp_path, hostile)
    out = tmp_path / "out"
    out.mkdir()
    refused = _build(repo, out / "audit.zip")
    assert refused.returncode == 1, refused.stderr
    assert "bundle: error: EV-TC-07-ESCAPE (evidence/TC-07/escape.yaml:" in refused.stderr
    assert list(out.iterdir()) == []

    target = out / "audit.zip"
    result = run_cli("bundle", "--root", str(repo.root), "--period", PERIOD, "-o", str(target), "--include-failed-evidence")
    assert result.returncode == 0, result.stderr
    passwd = Path("/etc/passwd").read_bytes()
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        contents = [archive.read(name) for name in names]
        meta = json.loads(archive.read("bundle.json"))
    _assert_safe_names(names)
    assert not any(SECRET in data or passwd in data for data in contents)
    assert not any("passwd" in name or "outside" in name or name.endswith(HOSTILE_PATHS[hostile]) for name in names)
    assert {"evidence/TC-07/escape.yaml", "evidence/TC-07/inside-link.txt"} <= set(names)
    assert [f["record"] for f in meta["failed_evidence"]] == ["EV-TC-07-ESCAPE"]
    left_out = meta["evidence_paths_outside_repository"] + meta["missing_evidence_files"]
    assert f"{left_out[0]} " in result.stderr
    assert left_out in (["evidence/TC-07/" + HOSTILE_PATHS[hostile]], [HOSTILE_PATHS[hostile]])


def test_only_regular_files_are_read(tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    (tmp_path / "plain.txt").write_bytes(b"plain\n")
    os.symlink(tmp_path / "plain.txt", tmp_path / "link.txt")
    assert _read_regular(str(fifo)) is None
    assert _read_regular("/dev/zero") is None
    assert _read_regular(str(tmp_path)) is None
    assert _read_regular(str(tmp_path / "link.txt")) is None
    assert _read_regular(str(tmp_path / "plain.txt")) == b"plain\n"


@pytest.mark.parametrize("name", ["/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a\\b", "C:/x", "a/\nb", ""])
def test_zip_entry_names_are_checked_in_one_place(name):
    with pytest.raises(UsageError, match="not a plain relative path"):
        _entry_name(name)
    assert _entry_name("evidence/TC-01/q1.yaml") == "evidence/TC-01/q1.yaml"


# -- policies and the trail after the period -----------------------------------------------------


def test_every_policy_version_in_force_during_the_period_is_in_the_bundle(bundle_repo, tmp_path):
    target = tmp_path / "audit.zip"
    assert _build(bundle_repo, target).returncode == 0
    with zipfile.ZipFile(target) as archive:
        names = archive.namelist()
        meta = json.loads(archive.read("bundle.json"))
        manifest = archive.read("MANIFEST.sha256").decode()
        versions = [item for item in meta["policy_versions"] if item["path"] == POLICY]
        texts = [archive.read(item["entry"]) for item in versions]
    assert [(v["in_force_from"][:10], v["in_force_until"][:10]) for v in versions] == [
        ("2025-12-01", "2026-04-10"),
        ("2026-04-10", "2026-06-10"),
        ("2026-06-10", "2026-08-01"),
    ]
    assert [b'version: "1.0"' in t for t in texts] == [True, False, False]
    assert [b'version: "1.1"' in t for t in texts] == [False, True, False]
    assert [b'version: "1.2"' in t for t in texts] == [False, False, True]
    assert not any(b'version: "2.0"' in t for t in texts)
    for version in versions:
        assert (
            version["entry"]
            == f"policy-versions/policies/information-security/{version['in_force_from'][:10]}-{version['commit'][:12]}.md"
        )
        assert version["entry"] in names
        assert f"  {version['entry']}\n" in manifest
    assert len([n for n in names if n.startswith("policy-versions/policies/information-security/")]) == 3


def test_the_trail_runs_to_head_so_evidence_edited_after_the_period_shows(tmp_path):
    repo = _bundle_repo(tmp_path / "repo")
    repo.write("evidence/TC-05/scan.pdf", b"a different scan\n")
    after = repo.commit("Replace the scan", date="2026-09-15T10:00:00+00:00")
    out = tmp_path / "out"
    out.mkdir()
    refused = _build(repo, out / "audit.zip")
    assert refused.returncode == 1
    assert "EV-TC-05-SCAN (evidence/TC-05/scan.yaml:" in refused.stderr
    assert "2026-09-15" in refused.stderr

    target = out / "audit.zip"
    result = run_cli("bundle", "--root", str(repo.root), "--period", PERIOD, "-o", str(target), "--include-failed-evidence")
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(target) as archive:
        trail = [json.loads(line) for line in archive.read("trail.jsonl").decode().splitlines()]
        meta = json.loads(archive.read("bundle.json"))
    edit = next(t for t in trail[1:] if t["commit"] == after)
    assert [f["path"] for f in edit["files"]] == ["evidence/TC-05/scan.pdf"]
    late = {c["subject"]: c for c in meta["trail"]["after_period_commits"]}
    assert sorted(late) == ["Q2 evidence for TC-02", "Replace the scan", "Rewrite the policy (#3)"]
    assert late["Replace the scan"]["files"] == ["evidence/TC-05/scan.pdf"]
    assert late["Replace the scan"]["commit"] == after
    assert meta["period"] == {"start": "2026-01-01", "end": "2026-06-30", "timezone": "UTC"}
    assert meta["trail"]["commits"] == len(trail) - 1


# -- what one bundle costs ---------------------------------------------------------------------------

GIT_PROCESS_LIMIT = 16
"""The most git processes one bundle may start, whatever the number of files and commits: 12 before
issue 11, plus the change-management verdicts (`check_changes`: repository facts, the branch, one
`git log` pass, one blob reader) and the trail's merged authors (one `git log` pass)."""


def _grown(root: Path, extra: int) -> GitRepo:
    """The bundle repository, then `extra` more evidence records (each with a file, in its own commit
    after the period, as in the bundle repository) and `extra` more policies: more files and more
    commits, the same kind of program."""
    repo = _bundle_repo(root)
    for n in range(extra):
        content = f"extra evidence {n}\n".encode()
        repo.write(f"evidence/TC-01/extra-{n}.txt", content)
        repo.write(
            f"evidence/TC-01/extra-{n}.yaml",
            f"id: EV-TC-01-EXTRA-{n}\ncontrol: TC-01\nrequirement: review\ncollected: 2026-05-{n % 28 + 1:02d}\n"
            f"collector: bob@example.com\nfiles:\n  - path: extra-{n}.txt\n    sha256: {sha256(content)}\n",
        )
        repo.write(
            f"policies/extra-{n}.md",
            POLICY_TEXT.format(id=f"POL-EXTRA-{n}", title=f"Extra Policy {n}"),
        )
        repo.commit(f"More evidence {n} (#{100 + n})", date=f"2026-09-{n % 28 + 1:02d}T12:00:00+00:00")
    return repo


def _costs(repo: GitRepo, tmp_path: Path, monkeypatch, period: tuple[date, date] = (date(2026, 1, 1), date(2026, 6, 30))):
    """(git processes, program folders read, rule runs) of one `build_bundle`."""
    import soc2kit.check
    import soc2kit.program
    import soc2kit.rules

    log = tmp_path / "git.log"
    monkeypatch.setenv("PATH", counting_git_path(tmp_path / "bin", log))
    reads: list[Path] = []
    rule_runs: list[object] = []
    discover = soc2kit.program._discover

    def counted_discover(root: Path):
        reads.append(root)
        return discover(root)

    def counted_rules(program):
        rule_runs.append(program)
        return iter(())

    monkeypatch.setattr(soc2kit.program, "_discover", counted_discover)
    monkeypatch.setattr(soc2kit.rules, "run_rules", counted_rules)
    monkeypatch.setattr(soc2kit.check, "run_rules", counted_rules)
    result = build_bundle(repo.root, *period, tmp_path / "audit.zip", include_failed_evidence=True)
    assert result.written
    return len(log.read_text(encoding="utf-8").splitlines()), len(reads), len(rule_runs)


def test_a_bundle_starts_a_fixed_number_of_git_processes_and_reads_each_revision_once(tmp_path, monkeypatch):
    small = _bundle_repo(tmp_path / "small")
    large = _grown(tmp_path / "large", 25)
    small_git, small_reads, small_rules = _costs(small, tmp_path / "s", monkeypatch)
    large_git, large_reads, large_rules = _costs(large, tmp_path / "l", monkeypatch)
    assert small_git == large_git <= GIT_PROCESS_LIMIT
    # HEAD and the period end are two commits: each is read once, and nothing is checked.
    assert small_reads == large_reads == 2
    assert small_rules == large_rules == 0


def test_a_period_ending_at_head_reads_the_program_once(tmp_path, monkeypatch):
    repo = _bundle_repo(tmp_path / "repo")
    git_processes, reads, rule_runs = _costs(repo, tmp_path / "run", monkeypatch, (date(2026, 1, 1), date(2026, 12, 31)))
    assert (reads, rule_runs) == (1, 0)
    assert git_processes <= GIT_PROCESS_LIMIT


# -- change management in the bundle ------------------------------------------------------------------

GITHUB = ("GitHub", "noreply@github.com")
ALICE_ID = "Alice Adams <alice@example.com>"
BOB_ID = "Bob Brown <bob@example.com>"


def _web_merge(repo: GitRepo, branch: str, pr: int, merger: tuple[str, str], *, when: str, trailers: str = "") -> str:
    message = f"Merge pull request #{pr} from acme/{branch}\n\n{branch}" + (f"\n\n{trailers}" if trailers else "")
    repo.git("merge", "-q", "--no-ff", "-m", message, branch, author=merger, committer=GITHUB, date=when)
    return repo.head()


def _change_repo(root: Path) -> tuple[GitRepo, dict[str, str]]:
    """The honest repository, then in May: Alice's policy change merged by Bob with GitHub's merge button
    (approved by Carol), a direct push by Bob, and a register excepting that push, merged the same way."""
    repo = _honest_repo(root)
    made = {}
    repo.branch("alice")
    repo.replace(POLICY, 'version: "1.0"', 'version: "1.1"')
    made["branch"] = repo.commit("Review the policy", author=ALICE, date="2026-05-01T09:00:00+00:00")
    repo.checkout("main")
    made["merge"] = _web_merge(
        repo, "alice", 5, BOB, when="2026-05-02T09:00:00+00:00", trailers="Approved-by: Carol Chen <carol@example.com>"
    )
    repo.replace("controls/TC-01.md", "The IT Manager reviews access.", "The IT Manager reviews access monthly.")
    made["push"] = repo.commit("Hotfix the control", author=BOB, date="2026-05-03T09:00:00+00:00")
    repo.branch("register")
    repo.write(
        "registers/change-exceptions.yml",
        f"exceptions:\n  - commit: {made['push'][:12]}\n    finding: SK601\n    reason: Outage fix, reviewed afterwards\n"
        "    accepted_by: Carol Chen\n    accepted_on: 2026-05-04\n",
    )
    repo.commit("Accept the hotfix", author=ALICE, date="2026-05-04T09:00:00+00:00")
    repo.checkout("main")
    made["register"] = _web_merge(
        repo, "register", 6, BOB, when="2026-05-05T09:00:00+00:00", trailers="Approved-by: Carol Chen <carol@example.com>"
    )
    return repo, made


def test_the_bundle_holds_change_verdicts_with_excepted_findings_and_the_people_apart(tmp_path):
    repo, made = _change_repo(tmp_path / "repo")
    target = tmp_path / "audit.zip"
    result = _build(repo, target)
    assert result.returncode == 0, result.stderr
    with zipfile.ZipFile(target) as archive:
        data = {name: archive.read(name) for name in archive.namelist()}
    manifest = data["MANIFEST.sha256"].decode()
    assert "  CHANGES.json\n" in manifest
    assert "  CHANGES.csv\n" in manifest
    verdicts = json.loads(data["CHANGES.json"])
    assert verdicts["version"] == 1
    assert verdicts["since"] == "2026-01-01"
    by_commit = {change["commit"]: change for change in verdicts["changes"]}
    merge = by_commit[made["merge"]]
    assert (merge["change_kind"], merge["pr"], merge["authors"], merge["merger"]) == ("merge", 5, [ALICE_ID], BOB_ID)
    assert [(a["reviewer"], a["source"]) for a in merge["approvals"]] == [("Carol Chen <carol@example.com>", "trailer")]
    assert merge["findings"] == []
    push = by_commit[made["push"]]
    assert (push["authors"], push["merger"]) == ([BOB_ID], None)
    assert push["findings"] == []
    assert [(f["code"], f["severity"]) for f in push["excepted"]] == [("SK601", "excepted")]
    assert "Outage fix, reviewed afterwards" in push["excepted"][0]["hint"]
    rows = {row["commit"]: row for row in csv.DictReader(io.StringIO(data["CHANGES.csv"].decode()))}
    assert (rows[made["merge"]]["authors"], rows[made["merge"]]["merger"]) == (ALICE_ID, BOB_ID)
    assert rows[made["push"]]["excepted"].startswith("SK601 excepted: ")
    assert rows[made["push"]]["findings"] == ""

    trail = {line["commit"]: line for line in map(json.loads, data["trail.jsonl"].decode().splitlines()[1:])}
    assert (trail[made["merge"]]["authors"], trail[made["merge"]]["merger"]) == ([ALICE_ID], BOB_ID)
    assert trail[made["branch"]]["commit"] == trail[made["merge"]]["parents"][1]
    assert [e["finding"] for e in trail[made["push"]]["excepted"]] == ["SK601"]
    meta = json.loads(data["bundle.json"])
    assert meta["version"] == 3
    assert meta["trail"]["shape"] == 2
    assert meta["changes"]["excepted_findings"] == 1
    assert "`CHANGES.json`" in data["README.md"].decode()


# -- the report's parts in the bundle ---------------------------------------------------------------

REPORT_REGISTERS = {
    "registers/subservice-organizations.yml": CARVE_OUT,
    "registers/user-entity-controls.yml": """\
user_entity_controls:
  - id: CUEC-01
    description: "=cmd|' /C calc'!A0"
    criteria: [CC6.2]
  - id: CUEC-02
    description: Customers keep their API keys secret.
    criteria: [CC6.1]
""",
    "registers/deviations.yml": """\
deviations:
  - id: DEV-001
    control: TC-02
    requirement: review
    window: 2026-Q2
    description: The Q2 review was not done.
    cause: "@SUM(1+1)"
    effect: None found on a later review.
    remediation: A deputy reviewer was named.
    management_response: Accepted.
    approved_by: CTO
    approved_on: 2026-07-15
  - id: DEV-002
    control: TC-03
    window: 2025-Q4
    description: Before this period.
    cause: c
    effect: e
    remediation: r
    management_response: m
    approved_by: CTO
    approved_on: 2026-01-10
  - id: DEV-003
    control: TC-04
    sample: HR-2291
    description: One leaver was removed late.
    cause: c
    effect: e
    remediation: r
    management_response: m
    approved_by: CTO
    approved_on: 2026-07-15
  - id: DEV-004
    control: TC-01
    window: 2026-Q1
    description: Drafted, not yet approved.
    cause: c
    effect: e
    remediation: r
    management_response: m
""",
}
INCIDENTS = """\
---
part: incidents
title: System incidents
owner: Head of Security
last_reviewed: {reviewed}
---
# System incidents

{text}
"""


@pytest.fixture(scope="module")
def report_repo(tmp_path_factory) -> GitRepo:
    """Subservice organizations and user entity controls in place during the period; the deviations
    log written up after it closed."""
    repo = _honest_repo(tmp_path_factory.mktemp("report") / "repo")
    for path, text in REPORT_REGISTERS.items():
        if "deviations" not in path:
            repo.write(path, text)
    repo.write("system/incidents.md", INCIDENTS.format(reviewed="2026-03-01", text="Written in March: nothing yet."))
    repo.commit("Registers", date="2026-04-05T10:00:00+00:00")
    repo.write("registers/deviations.yml", REPORT_REGISTERS["registers/deviations.yml"])
    # Written up after the period closed, as SK706 asks: the bundle must carry this version.
    repo.write("system/incidents.md", INCIDENTS.format(reviewed="2026-07-18", text="Reviewed in July: one outage in May."))
    repo.replace(
        "registers/subservice-organizations.yml",
        "csocs:",
        "report:\n      type: type2\n      period: {start: 2025-07-01, end: 2026-03-31}\n      opinion_date: 2026-04-20\n"
        "      bridge_letter: {through: 2026-06-30, dated: 2026-07-10}\n    csocs:",
    )
    # HEAD already names the next period: the bundle's parts must still speak for the one asked for.
    repo.replace("soc2kit.yml", "period: {start: 2026-01-01, end: 2026-06-30}", "period: {start: 2026-07-01, end: 2026-12-31}")
    repo.commit("Deviations of the period, incidents reviewed, CloudCo's bridge letter", date="2026-07-20T10:00:00+00:00")
    return repo


def _entries(repo: GitRepo, target: Path) -> dict[str, bytes]:
    build_bundle(repo.root, date(2026, 1, 1), date(2026, 6, 30), target)
    with zipfile.ZipFile(target) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def test_the_bundle_carries_the_report_parts(report_repo, tmp_path):
    data = _entries(report_repo, tmp_path / "audit.zip")
    assert json.loads(data["bundle.json"])["version"] == 3
    assertion = data["MANAGEMENT-ASSERTION.md"].decode()
    assert "throughout the period 2026-01-01 to 2026-06-30" in assertion
    assert "**CloudCo Hosting**" in assertion
    assert "CSOC-CLOUDCO-01" in assertion
    assert "SYSTEM-DESCRIPTION.md" in data
    assert any(name.startswith("system-description/") for name in data)
    assert "period-end/registers/subservice-organizations.yml" in data
    assert "period-end/registers/deviations.yml" not in data  # written after the period end
    # Section III is management's write-up of the period, finished after it closed: read at HEAD.
    incidents = next(data[name].decode() for name in data if name.startswith("system-description/") and "incidents" in name)
    assert "Reviewed in July: one outage in May." in incidents
    assert "Written in March" not in incidents
    assert "Reviewed in July: one outage in May." in data["SYSTEM-DESCRIPTION.md"].decode()
    assert "Type II, for the period 2026-01-01 to 2026-06-30." in data["SYSTEM-DESCRIPTION.md"].decode()
    assert "Written in March" in data["period-end/system/incidents.md"].decode()
    organizations = json.loads(data["SUBSERVICE-ORGANIZATIONS.json"])["subservice_organizations"]
    assert [(o["id"], o["method"], [c["id"] for c in o["csocs"]]) for o in organizations] == [
        ("cloudco", "carve-out", ["CSOC-CLOUDCO-01"])
    ]
    # The bridge letter covering the months after CloudCo's own period arrived after ours ended.
    assert organizations[0]["report"]["bridge_letter"] == {"through": "2026-06-30", "dated": "2026-07-10"}
    cuecs = list(csv.DictReader(io.StringIO(data["USER-ENTITY-CONTROLS.csv"].decode())))
    assert [(c["id"], c["criteria"]) for c in cuecs] == [("CUEC-01", "CC6.2"), ("CUEC-02", "CC6.1")]
    assert cuecs[0]["description"] == "'=cmd|' /C calc'!A0"
    assert json.loads(data["USER-ENTITY-CONTROLS.json"])["user_entity_controls"][0]["description"] == "=cmd|' /C calc'!A0"


def test_the_bundle_carries_the_deviations_of_the_period_and_marks_their_windows(report_repo, tmp_path):
    data = _entries(report_repo, tmp_path / "audit.zip")
    logged = json.loads(data["DEVIATIONS.json"])["deviations"]
    # The exceptions the readiness model notes in the period: DEV-002 names a window before it, and
    # DEV-004 is not approved (it changes no window); DEV-003 is about a sample item, which no window dates.
    assert [d["id"] for d in logged] == ["DEV-001", "DEV-003"]
    assert logged[0]["cause"] == "@SUM(1+1)"
    rows = list(csv.DictReader(io.StringIO(data["DEVIATIONS.csv"].decode())))
    assert rows[0]["cause"] == "'@SUM(1+1)"
    assert (rows[0]["window"], rows[0]["approved_by"], rows[0]["approved_on"]) == ("2026-Q2", "CTO", "2026-07-15")
    assert (rows[1]["sample"], rows[1]["window"], rows[1]["approved_on"]) == ("HR-2291", "", "2026-07-15")
    matrix = list(csv.DictReader(io.StringIO(data["control-matrix.csv"].decode())))
    notes = {row["control"]: row["note"] for row in matrix}
    assert "exceptions noted: DEV-001" in notes["TC-02"]
    assert "DEV-002" not in notes["TC-03"]
    assert "DEV-004" not in notes["TC-01"]
    windows = list(csv.DictReader(io.StringIO(data["control-windows.csv"].decode())))
    q2 = next(w for w in windows if (w["control"], w["windows"]) == ("TC-02", "2026-Q2"))
    assert (q2["state"], q2["deviations"]) == ("exception noted", "DEV-001")
    q1 = next(w for w in windows if (w["control"], w["windows"]) == ("TC-01", "2026-Q1"))
    assert q1["records"] == "EV-TC-01-2026Q1"
    assert q1["arrival_commits"] == report_repo.git("log", "-1", "--format=%H", "--", "evidence/TC-01/q1.yaml").strip()


def test_the_bundle_workbook_holds_its_csv_files(report_repo, tmp_path):
    import openpyxl

    data = _entries(report_repo, tmp_path / "audit.zip")
    workbook = openpyxl.load_workbook(io.BytesIO(data["control-matrix.xlsx"]))
    for name in ("control-matrix", "control-windows"):
        expected = list(csv.reader(io.StringIO(data[f"{name}.csv"].decode())))
        found = [["" if v is None else v for v in row] for row in workbook[name].iter_rows(values_only=True)]
        assert found == expected


def test_the_bundle_judges_on_the_newest_commit_day_so_every_day_gives_the_same_bytes(report_repo, tmp_path):
    data = _entries(report_repo, tmp_path / "audit.zip")
    # Whatever the clock says when the test runs, the day of HEAD's commit (the deviations log) decides.
    assert json.loads(data["bundle.json"])["assessed"]["today"] == "2026-07-20"
    _entries(report_repo, tmp_path / "again.zip")
    assert (tmp_path / "again.zip").read_bytes() == (tmp_path / "audit.zip").read_bytes()


def test_a_head_commit_dated_before_its_parent_does_not_move_the_judging_day_back(tmp_path):
    repo = _honest_repo(tmp_path / "repo")  # its newest commit: 2026-04-03
    repo.write("registers/deviations.yml", REPORT_REGISTERS["registers/deviations.yml"])
    repo.commit("A commit from a machine whose clock is wrong", date="2026-01-02T10:00:00+00:00")
    data = _entries(repo, tmp_path / "audit.zip")
    assert json.loads(data["bundle.json"])["assessed"]["today"] == "2026-04-03"
