"""Hostile content: every class of input an attacker (or an accident) can put in a program folder
ends as a finding with file and line, or as one `soc2kit: error:` line, never as a hang, a
MemoryError or a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from soc2kit.cli import main as cli
from soc2kit.digests import NotARegularFileError, file_sha256
from soc2kit.loader import load_program
from soc2kit.revision import load_program_at
from tests.conftest import ProgramDir, make_program, run_cli
from tests.gitrepo import GitRepo

POLICY = "policies/information-security.md"
CONTROL = "controls/TC-01.md"
RECORD = "evidence/TC-01/q1.yaml"


@pytest.fixture
def program_dir(clean_program_dir: ProgramDir) -> ProgramDir:
    return clean_program_dir


def _laughs(prefix: str, levels: int = 9) -> str:
    """YAML anchors that expand to 10**levels values when copied: "billion laughs"."""
    lines = [f"{prefix}0: &{prefix}0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"{prefix}{i}: &{prefix}{i} [{', '.join([f'*{prefix}{i - 1}'] * 10)}]" for i in range(1, levels)]
    return "\n".join(lines) + "\n"


_CHILD = textwrap.dedent(
    """
    import json, resource, sys
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    from soc2kit.loader import load_program
    program = load_program(sys.argv[1], use_cache=False)
    print(json.dumps([[d.code, d.path, d.line, d.message] for d in program.diagnostics]))
    """
)


def _findings_in_child(root: Path) -> list[tuple[str, str, int, str]]:
    """The findings of loading `root`, in a child process with 2 GiB of memory, so that a
    regression shows as a failed test instead of exhausting the machine (the timeout only guards
    against a hang; it measures nothing)."""
    result = subprocess.run([sys.executable, "-c", _CHILD, str(root)], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    return [tuple(item) for item in json.loads(result.stdout)]  # type: ignore[misc]


def _codes_at(found: list[tuple[str, str, int, str]], path: str) -> list[str]:
    return [code for code, at, _, _ in found if at == path]


# -- (a) resource exhaustion ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "where", "use"),
    [
        (CONTROL, "title: Control", ("frequency: quarterly", "frequency: *b8")),
        (CONTROL, "title: Control", ("criteria: [CC1.1, CC1.2, CC1.3, CC1.4]", "criteria: *b8")),
        (POLICY, "title: Information", ("owner: Head of Security", "owner: *b8")),
        (RECORD, "id: EV", ("collector: alice@example.com", "collector: *b8")),
        ("soc2kit.yml", "organization:", ("categories: [security]", "categories: *b8")),
    ],
    ids=["enum-field", "criteria-list", "policy", "evidence-record", "config"],
)
def test_alias_bombs_are_a_finding_not_a_blow_up(program_dir: ProgramDir, path: str, where: str, use: tuple[str, str]) -> None:
    program_dir.replace(path, where, _laughs("b") + where)
    program_dir.replace(path, *use)
    text = program_dir.read(path)
    first, used = text.split("b0: &b0")[0].count("\n") + 1, text.split(use[1])[0].count("\n") + 1
    found = _findings_in_child(program_dir.root)
    [(line, message)] = [(line, m) for c, at, line, m in found if at == path and c == "SK015"]
    assert "once its aliases are expanded" in message
    assert first <= line <= used  # in the anchors, or where the alias is used


def test_aliases_to_a_huge_scalar_are_bounded(program_dir: ProgramDir) -> None:
    big = "x" * 1_000_000
    program_dir.replace(
        POLICY, "title: Information", f"big: &big {big}\nmany: [{', '.join(['*big'] * 100_000)}]\ntitle: Information"
    )
    assert "SK015" in _codes_at(_findings_in_child(program_dir.root), POLICY)


def test_recursive_alias_is_a_finding(program_dir: ProgramDir) -> None:
    program_dir.replace(POLICY, "title: Information", "loop: &loop [*loop]\ntitle: Information")
    assert "SK015" in _codes_at(load_findings(program_dir), POLICY)


@pytest.mark.parametrize("brackets", ["[", "{a: "], ids=["lists", "mappings"])
def test_deep_nesting_is_a_finding(program_dir: ProgramDir, brackets: str) -> None:
    closing = "]" if brackets == "[" else "}"
    program_dir.replace(POLICY, "title: Information", f"deep: {brackets * 50_000}x{closing * 50_000}\ntitle: Information")
    found = _findings_in_child(program_dir.root)
    [(line, message)] = [(line, m) for c, at, line, m in found if at == POLICY and c == "SK015"]
    assert (line, message) == (3, "is nested more than 64 levels deep")


def test_deep_block_nesting_is_a_finding(program_dir: ProgramDir) -> None:
    program_dir.replace(
        POLICY, "title: Information", "deep:\n" + "".join("  " * i + "- \n" for i in range(1, 300)) + "title: Information"
    )
    assert "SK015" in _codes_at(_findings_in_child(program_dir.root), POLICY)


def test_large_document_is_a_finding(program_dir: ProgramDir) -> None:
    program_dir.write(POLICY, program_dir.read(POLICY) + "\n" + ("padding " * 16 + "\n") * 100_000)
    found = _findings_in_child(program_dir.root)
    [(line, message)] = [(line, m) for c, at, line, m in found if at == POLICY and c == "SK015"]
    assert line == 1
    assert "bytes, more than the 4,194,304" in message


@pytest.mark.parametrize(
    "path", ["policies/zero.md", "controls/ZZ-01.md", "evidence/TC-02/zero.yaml"], ids=["policy", "control", "record"]
)
def test_document_that_is_a_device_is_not_read(program_dir: ProgramDir, path: str) -> None:
    os.symlink("/dev/zero", program_dir.root / path)
    found = _findings_in_child(program_dir.root)
    [(line, message)] = [(line, m) for c, at, line, m in found if at == path and c == "SK001"]
    assert (line, message) == (1, "is not a regular file (it is a device)")


@pytest.mark.parametrize("path", ["policies/pipe.md", "evidence/TC-02/pipe.yaml"])
def test_document_that_is_a_fifo_is_not_waited_on(program_dir: ProgramDir, path: str) -> None:
    os.mkfifo(program_dir.root / path)
    found = _findings_in_child(program_dir.root)
    assert ("SK001", path) in [(c, at) for c, at, _, _ in found]


@pytest.mark.parametrize("make", [lambda p: os.symlink("/dev/zero", p), os.mkfifo], ids=["dev-zero", "fifo"])
def test_config_that_is_not_a_regular_file_is_invalid_config(program_dir: ProgramDir, make: object) -> None:
    (program_dir.root / "soc2kit.yml").unlink()
    make(program_dir.root / "soc2kit.yml")  # type: ignore[operator]
    found = _findings_in_child(program_dir.root)
    assert [c for c, at, _, m in found if at == "soc2kit.yml" and "not a regular file" in m] == ["SK020"]


@pytest.mark.parametrize("make", [lambda p: os.symlink("/dev/zero", p), os.mkfifo], ids=["dev-zero", "fifo"])
def test_evidence_file_that_is_not_regular_is_not_hashed(program_dir: ProgramDir, make: object) -> None:
    (program_dir.root / "evidence/TC-01/q1-review.txt").unlink()
    make(program_dir.root / "evidence/TC-01/q1-review.txt")  # type: ignore[operator]
    assert {"SK401", "SK404"} & set(_codes_at(_findings_in_child(program_dir.root), RECORD))


@pytest.mark.parametrize("path", ["/dev/zero", "/dev/null", "."])
def test_file_sha256_refuses_what_is_not_a_regular_file(path: str) -> None:
    with pytest.raises(NotARegularFileError):
        file_sha256(path)


def test_file_sha256_does_not_wait_on_a_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe")
    with pytest.raises(NotARegularFileError):
        file_sha256(tmp_path / "pipe")


def _plant_hostile_documents(program: ProgramDir) -> None:
    """A billion-laughs policy, a control that is `/dev/zero`, a record that is a FIFO, a record
    that is too large and one nested too deep."""
    program.write("policies/bomb.md", program.read(POLICY).replace("title: Information", _laughs("b") + "title: Information"))
    program.replace("policies/bomb.md", "owner: Head of Security", "owner: *b8")
    program.replace("policies/bomb.md", "id: POL-ISP", "id: POL-BOMB")
    os.symlink("/dev/zero", program.root / "controls/ZZ-01.md")
    os.mkfifo(program.root / "evidence/TC-02/pipe.yaml")
    program.write("evidence/TC-03/huge.yaml", "note: " + "x" * (5 << 20) + "\n")
    program.write("evidence/TC-03/deep.yaml", "note: " + "[" * 10_000 + "]" * 10_000 + "\n")


_HOSTILE = {
    ("SK015", "policies/bomb.md"),
    ("SK001", "controls/ZZ-01.md"),
    ("SK001", "evidence/TC-02/pipe.yaml"),
    ("SK015", "evidence/TC-03/huge.yaml"),
    ("SK015", "evidence/TC-03/deep.yaml"),
}


def test_every_command_that_reads_the_program_survives_hostile_documents(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    make_program(repo.root, quarters=2)
    repo.commit("Program")
    _plant_hostile_documents(repo)
    (repo.root / "evidence/TC-02/pipe.yaml").unlink()  # Git cannot hold a FIFO: plant it after committing
    repo.commit("Hostile documents")
    os.mkfifo(repo.root / "evidence/TC-02/pipe.yaml")
    check = run_cli("check", str(repo.root), "--no-cache", "--format", "json")
    assert check.returncode == 1, check.stderr
    found = {(d["code"], d["path"]) for d in json.loads(check.stdout)["diagnostics"]}
    assert not _HOSTILE - found, found
    for args in (
        ["status", str(repo.root)],
        ["evidence", "verify", "--root", str(repo.root)],
        ["diff", "HEAD~1", "HEAD", "--root", str(repo.root)],
        ["bundle", "--period", "2026-01-01..2026-06-30", "-o", str(tmp_path / "bundle.zip"), "--root", str(repo.root)],
        ["matrix", "--format", "xlsx", "-o", str(tmp_path / "matrix.xlsx"), "--root", str(repo.root)],
        ["assertion", "--root", str(repo.root)],
    ):
        result = subprocess.run(
            [sys.executable, "-m", "soc2kit", *args], capture_output=True, text=True, timeout=120, check=False
        )
        assert result.returncode in {0, 1, 2}, (args, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)


def test_diff_bounds_a_huge_document_read_from_git(tmp_path: Path) -> None:
    repo = GitRepo.create(tmp_path / "repo")
    make_program(repo.root, quarters=2)
    repo.commit("Program")
    repo.write(POLICY, repo.read(POLICY) + "\n" + ("zero " * 20 + "\n") * 60_000)  # ~6 MB, compresses to little
    repo.commit("Huge policy")
    at = load_program_at(repo.root, "HEAD")
    [diag] = [d for d in at.program.diagnostics if d.path == POLICY]
    assert diag.code == "SK015"
    assert (at.program.root / POLICY).stat().st_blocks * 512 < 1 << 20  # a sparse stand-in, not the blob


def test_portal_builds_around_hostile_documents(program_dir: ProgramDir) -> None:
    _plant_hostile_documents(program_dir)
    program_dir.write("mkdocs.yml", "site_name: Portal\nplugins:\n  - soc2kit:\n      today: '2026-05-15'\n")
    (program_dir.root / "docs").mkdir()
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "build",
            "-f",
            str(program_dir.root / "mkdocs.yml"),
            "-d",
            str(program_dir.root / "site"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Traceback" not in result.stderr
    assert (program_dir.root / "site" / "index.html").is_file()


# -- (b) tracebacks -------------------------------------------------------------------------


def load_findings(program_dir: ProgramDir) -> list[tuple[str, str, int, str]]:
    program = load_program(program_dir.root, use_cache=False)
    return [(d.code, d.path, d.line, d.message) for d in program.diagnostics]


@pytest.mark.parametrize("key", ["a[0]", "[x]", "literal['a']", "function-after[x]", "]["])
def test_unknown_key_with_brackets_is_named_on_its_line(program_dir: ProgramDir, key: str) -> None:
    program_dir.replace(POLICY, "title: Information", f'"{key}": 1\ntitle: Information')
    found = load_findings(program_dir)
    assert [(c, line) for c, at, line, m in found if at == POLICY and key in m] == [("SK011", 3)]


@pytest.mark.parametrize(
    ("path", "old", "new"),
    [
        (POLICY, "review_every: 12 months", "review_every: 99999999999999999999 years"),
        (POLICY, "review_every: 12 months", "review_every: 99999999 days"),
        (POLICY, "last_reviewed: 2026-01-10", "last_reviewed: 9999-12-31"),
        (POLICY, "effective: ", "effective: 9999-12-31\nx_effective: "),
        (POLICY, "effective: ", "effective: 0001-01-01\nx_effective: "),
        (RECORD, "collected: 2026-04-02", "collected: 9999-12-31"),
        (RECORD, "covers: {start: 2026-01-01, end: 2026-03-31}", "covers: {start: 9999-12-01, end: 9999-12-31}"),
        ("soc2kit.yml", "end: 2026-06-30", "end: 9999-12-31"),
        ("soc2kit.yml", "period:", "evidence_grace: 99999999999999999999 days\n  period:"),
        (POLICY, 'version: "1.0"', "version: " + "9" * 5000),
    ],
)
def test_out_of_range_numbers_and_dates_are_findings(program_dir: ProgramDir, path: str, old: str, new: str) -> None:
    program_dir.replace(path, old, new)
    line = program_dir.read(path).split(new)[0].count("\n") + 1
    found = load_findings(program_dir)
    assert (path, line) in [(at, at_line) for _, at, at_line, _ in found]


def test_period_at_the_end_of_time_is_a_config_finding(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "{start: 2026-01-01, end: 2026-06-30}", "{start: 9999-01-01, end: 9999-12-31}")
    program = load_program(program_dir.root, use_cache=False)
    assert not program.config_ok
    assert any(d.path == "soc2kit.yml" and d.line == 6 for d in program.diagnostics)


@pytest.mark.parametrize(
    "front_matter",
    ["- a\n- b", "just text", "42", "[a, b]: 1", "{a: 1}: 2", "? [a]\n: 1", "null: 1", "1.5: x", "true: x"],
    ids=["list", "scalar", "number", "list-key", "map-key", "complex-key", "null-key", "float-key", "bool-key"],
)
def test_odd_front_matter_is_a_finding(program_dir: ProgramDir, front_matter: str) -> None:
    program_dir.write(POLICY, f"---\n{front_matter}\n---\n# Body\n")
    assert _codes_at(load_findings(program_dir), POLICY)


def test_nul_byte_in_evidence_path_is_a_finding(program_dir: ProgramDir) -> None:
    program_dir.replace(RECORD, "path: ../TC-01/q1-review.txt", 'path: "../TC-01/q1\\0-review.txt"')
    found = load_findings(program_dir)
    [(line, message)] = [(line, m) for c, at, line, m in found if at == RECORD and c in {"SK010", "SK401", "SK404"}]
    assert line == 8
    assert "U+0000" in message


def _cli(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.exit_code, result.output


def test_report_into_a_missing_folder_is_one_error_line(program_dir: ProgramDir, tmp_path: Path) -> None:
    result = run_cli("check", str(program_dir.root), "--no-cache", "-o", str(tmp_path / "missing" / "report.json"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("soc2kit: error:")


@pytest.mark.parametrize("command", [["check"], ["status"]])
def test_nul_in_a_path_argument_is_one_error_line(program_dir: ProgramDir, command: list[str]) -> None:
    code, output = _cli(*command, f"{program_dir.root}\0x")
    assert code == 2
    assert output.startswith("soc2kit: error:")
    assert "NUL" in output


def test_invalid_utf8_config_exits_2_without_traceback(program_dir: ProgramDir) -> None:
    program_dir.write("soc2kit.yml", program_dir.read("soc2kit.yml").encode() + b"extra: \xff\xfe\n")
    result = program_dir.check()
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


_SCALARS = st.one_of(
    st.text(max_size=30),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.sampled_from(
        [
            "9999-12-31",
            "0001-01-01",
            "2026-02-30",
            "99999999999999999999 years",
            "1 years",
            "0 days",
            "~",
            "null",
            ".inf",
            "-.nan",
            "0x1F",
            "1e400",
            "&a x",
            "*a",
            "!!python/object:os.system x",
            "[",
            "{",
            "'",
            '"',
            "|",
            ">",
            "- x",
            "? x",
            "<<: *a",
            "@x",
            "`x",
            "%TAG",
            "\t",
            "\u00a0",
            "\u200b",
            "\0",
        ]
    ),
)
_VALUES = st.recursive(
    _SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_SCALARS, inner, max_size=3), max_leaves=6
)
_FIELDS = st.sampled_from(["id", "title", "owner", "criteria", "policies", "frequency", "kind", "evidence", "[x]", "a[0]", "12"])


@pytest.fixture(scope="module")
def fuzz_program(tmp_path_factory: pytest.TempPathFactory) -> ProgramDir:
    return make_program(tmp_path_factory.mktemp("fuzz") / "program", quarters=2)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=_FIELDS, value=_VALUES, raw=st.booleans())
def test_generated_hostile_front_matter_never_ends_in_a_traceback(
    fuzz_program: ProgramDir, field: str, value: object, raw: bool
) -> None:
    rendered = value if raw and isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    original = fuzz_program.read(CONTROL)
    fuzz_program.write(CONTROL, original.replace("\n", f"\n{json.dumps(field)}: {rendered}\n", 1))
    try:
        result = CliRunner().invoke(cli, ["check", str(fuzz_program.root), "--no-cache", "--format", "json"])
    finally:
        fuzz_program.write(CONTROL, original)
    assert result.exit_code in {0, 1, 2}, result.output
    assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "Traceback" not in result.output


# -- (c) look-alike IDs ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "named"),
    [
        ('"TC-01 "', "U+0020 SPACE"),
        ('"TC-01\\t"', "U+0009"),
        ('"TC-01\\u00a0"', "U+00A0 NO-BREAK SPACE"),
        ('"TC-01\\u200b"', "U+200B ZERO WIDTH SPACE"),
        ('"\\u2060TC-01"', "U+2060 WORD JOINER"),
        ('"TC-01\\u3000"', "U+3000 IDEOGRAPHIC SPACE"),
        ('"\\uff34\\uff23-01"', "U+FF34 FULLWIDTH LATIN CAPITAL LETTER T"),
    ],
    ids=["space", "tab", "no-break-space", "zero-width-space", "word-joiner", "ideographic-space", "fullwidth"],
)
def test_look_alike_control_id_is_a_duplicate_and_names_the_character(program_dir: ProgramDir, written: str, named: str) -> None:
    program_dir.write("controls/TC-01-copy.md", program_dir.read(CONTROL).replace("id: TC-01", f"id: {written}"))
    found = [(c, line, m) for c, at, line, m in load_findings(program_dir) if at == "controls/TC-01-copy.md"]
    assert ("SK010", 2) in [(c, line) for c, line, _ in found]
    assert any(named in m for c, _, m in found if c == "SK010"), found
    duplicates = [(at, line) for c, at, line, _ in load_findings(program_dir) if c == "SK101"]
    assert duplicates in ([("controls/TC-01-copy.md", 2)], [(CONTROL, 2)]), duplicates


def test_look_alike_policy_and_record_ids_are_duplicates(program_dir: ProgramDir) -> None:
    program_dir.write("policies/copy.md", program_dir.read(POLICY).replace("id: POL-ISP", 'id: "POL-ISP\\u00a0"'))
    program_dir.write(
        "evidence/TC-01/copy.yaml", program_dir.read(RECORD).replace("id: EV-TC-01-2026Q1", 'id: "EV-TC-01-2026Q1\\u2009"')
    )
    found = load_findings(program_dir)
    assert {at for c, at, _, _ in found if c == "SK101"} == {POLICY, RECORD}
    assert any("U+2009 THIN SPACE" in m for c, at, _, m in found if at == "evidence/TC-01/copy.yaml")


@pytest.mark.parametrize("reference", ['"POL-ISP\\u00a0"', '"POL-ISP\\u200b"', '"POL-ISP "'])
def test_look_alike_reference_is_named(program_dir: ProgramDir, reference: str) -> None:
    program_dir.replace(CONTROL, "policies: [POL-ISP]", f"policies: [{reference}]")
    found = load_findings(program_dir)
    assert [(c, line) for c, at, line, m in found if at == CONTROL and "U+" in m] == [("SK010", 6)]


@pytest.mark.parametrize("criterion", ['"CC1.1\\u00a0"', '"CC1.1\\u200b"', '"CC1.1\\t"'])
def test_look_alike_criterion_is_named_in_controls_and_exclusions(program_dir: ProgramDir, criterion: str) -> None:
    program_dir.replace(CONTROL, "criteria: [CC1.1,", f"criteria: [{criterion},")
    program_dir.replace(
        "soc2kit.yml", "categories: [security]", f"categories: [security]\n  exclusions:\n    - criterion: {criterion}"
    )
    found = [(at, line) for c, at, line, m in load_findings(program_dir) if c == "SK010" and "U+" in m]
    assert found == [(CONTROL, 5), ("soc2kit.yml", 10)]
