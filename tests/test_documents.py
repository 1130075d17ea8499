"""Bad input: every malformed file gets a diagnostic with its file and line, and the run goes on."""

from __future__ import annotations

import os

import pytest
import yaml

from soc2kit.documents import Document, parse_text
from soc2kit.loader import load_program
from tests.conftest import ProgramDir

GOOD_POLICY = "policies/information-security.md"


@pytest.fixture
def program_dir(clean_program_dir: ProgramDir) -> ProgramDir:
    """These tests start from a program with no findings, so each finding is the one they cause."""
    return clean_program_dir


def findings(program_dir: ProgramDir) -> list[tuple[str, str, int]]:
    program = load_program(program_dir.root, use_cache=False)
    return [(d.code, d.path, d.line) for d in program.diagnostics]


def test_valid_program_has_no_findings(program_dir: ProgramDir) -> None:
    assert findings(program_dir) == []


def test_missing_front_matter(program_dir: ProgramDir) -> None:
    program_dir.write("policies/bare.md", "# Just a heading\n\nText.\n")
    assert ("SK006", "policies/bare.md", 1) in findings(program_dir)


def test_unterminated_front_matter(program_dir: ProgramDir) -> None:
    program_dir.write("policies/open.md", "---\nid: POL-OPEN\ntitle: Open\n\n# Body\n")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.path == "policies/open.md"]
    assert (diag.code, diag.line) == ("SK006", 1)
    assert "never closed" in diag.message


def test_yaml_syntax_error_points_at_line(program_dir: ProgramDir) -> None:
    program_dir.write("policies/broken.md", '---\nid: POL-BROKEN\ntitle: "unclosed\nowner: x\n---\n')
    codes = [f for f in findings(program_dir) if f[1] == "policies/broken.md"]
    assert codes
    assert codes[0][0] == "SK007"
    assert codes[0][2] in (3, 4, 5)


def test_wrong_type_names_key_line_and_suggests_quoting(program_dir: ProgramDir) -> None:
    program_dir.replace(GOOD_POLICY, 'version: "1.0"', "version: 1.0")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = program.diagnostics
    assert (diag.code, diag.path, diag.line) == ("SK010", GOOD_POLICY, 7)
    assert "quote it" in diag.hint


def test_strict_iso_dates(program_dir: ProgramDir) -> None:
    program_dir.replace(GOOD_POLICY, "effective: 2025-12-15", "effective: 2026-1-5")
    program_dir.replace("controls/TC-01.md", "kind: detective", "kind: detectiv")
    found = findings(program_dir)
    assert ("SK010", GOOD_POLICY, 8) in found
    assert ("SK010", "controls/TC-01.md", 8) in found
    assert not [f for f in found if f[0] == "SK103"], "a reference to an invalid policy is not reported again"


def test_impossible_date(program_dir: ProgramDir) -> None:
    program_dir.replace(GOOD_POLICY, "effective: 2025-12-15", "effective: 2026-02-30")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = program.diagnostics
    assert diag.line == 8
    assert "not a real calendar date" in diag.message


def test_unknown_key_suggests_nearest(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-02.md", "frequency:", "frequncy:")
    program = load_program(program_dir.root, use_cache=False)
    unknown = [d for d in program.diagnostics if d.code == "SK011"]
    assert [(d.path, d.line) for d in unknown] == [("controls/TC-02.md", 7)]
    assert "did you mean 'frequency'" in unknown[0].hint


def test_unknown_nested_key(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-03.md", "    description: Signed review", "    descripton: Signed review")
    program = load_program(program_dir.root, use_cache=False)
    unknown = [d for d in program.diagnostics if d.code == "SK011"]
    assert [(d.path, d.line) for d in unknown] == [("controls/TC-03.md", 12)]
    assert "did you mean 'description'" in unknown[0].hint


def test_duplicate_key(program_dir: ProgramDir) -> None:
    program_dir.replace(GOOD_POLICY, "owner: Head of Security\n", "owner: Head of Security\nowner: CISO\n")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK009"]
    assert (diag.path, diag.line) == (GOOD_POLICY, 5)
    assert "first on line 4" in diag.message


def test_non_utf8_bytes_name_the_line(program_dir: ProgramDir) -> None:
    program_dir.write("policies/latin1.md", "---\nid: POL-L1\ntitle: Caf\xe9\n---\n".encode("latin-1"))
    assert ("SK002", "policies/latin1.md", 3) in findings(program_dir)


def test_byte_order_mark_is_warned_and_read(program_dir: ProgramDir) -> None:
    text = program_dir.read(GOOD_POLICY)
    program_dir.write(GOOD_POLICY, b"\xef\xbb\xbf" + text.encode())
    program = load_program(program_dir.root, use_cache=False)
    assert [(d.code, d.severity.value) for d in program.diagnostics] == [("SK003", "warning")]
    assert "POL-ISP" in program.policies


def test_crlf_is_warned_and_read(program_dir: ProgramDir) -> None:
    text = program_dir.read(GOOD_POLICY)
    program_dir.write(GOOD_POLICY, text.replace("\n", "\r\n").encode())
    program = load_program(program_dir.root, use_cache=False)
    assert [(d.code, d.line) for d in program.diagnostics] == [("SK004", 1)]
    assert program.policies["POL-ISP"].owner == "Head of Security"


def test_empty_file(program_dir: ProgramDir) -> None:
    program_dir.write("controls/EMPTY-01.md", "")
    program_dir.write("policies/blank-front.md", "---\n---\n# Body\n")
    found = findings(program_dir)
    assert ("SK005", "controls/EMPTY-01.md", 1) in found
    assert ("SK005", "policies/blank-front.md", 2) in found


def test_directory_where_file_expected(program_dir: ProgramDir) -> None:
    (program_dir.root / "controls" / "DIR-01.md").mkdir()
    assert ("SK001", "controls/DIR-01.md", 1) in findings(program_dir)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every file")
def test_unreadable_file(program_dir: ProgramDir) -> None:
    path = program_dir.root / GOOD_POLICY
    path.chmod(0)
    assert ("SK001", GOOD_POLICY, 1) in findings(program_dir)


def test_python_tag_is_refused(program_dir: ProgramDir) -> None:
    program_dir.replace(GOOD_POLICY, "owner: Head of Security", "owner: !!python/object/apply:os.system ['true']")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = [d for d in program.diagnostics if d.code == "SK008"]
    assert (diag.path, diag.line) == (GOOD_POLICY, 4)
    assert "!!python/object/apply:os.system" in diag.message


def test_front_matter_that_is_not_a_mapping(program_dir: ProgramDir) -> None:
    program_dir.write("policies/list.md", "---\n- a\n- b\n---\n")
    assert ("SK010", "policies/list.md", 2) in findings(program_dir)


def test_missing_config_is_reported_and_rest_still_checked(program_dir: ProgramDir) -> None:
    (program_dir.root / "soc2kit.yml").unlink()
    program_dir.replace("controls/TC-01.md", "frequency:", "frequncy:")
    program = load_program(program_dir.root, use_cache=False)
    assert not program.config_ok
    codes = {d.code for d in program.diagnostics}
    assert {"SK020", "SK011"} <= codes


def test_config_yaml_error_points_at_line(program_dir: ProgramDir) -> None:
    program_dir.write("soc2kit.yml", "organization: X\nsystem: [unclosed\n")
    program = load_program(program_dir.root, use_cache=False)
    assert not program.config_ok
    assert any(d.code == "SK007" and d.path == "soc2kit.yml" for d in program.diagnostics)


def test_many_problems_in_one_run(program_dir: ProgramDir) -> None:
    program_dir.write("policies/bare.md", "no front matter\n")
    program_dir.write("controls/EMPTY-01.md", "")
    program_dir.replace("controls/TC-02.md", "frequency:", "frequncy:")
    codes = {f[0] for f in findings(program_dir)}
    assert {"SK005", "SK006", "SK010", "SK011"} <= codes


def test_dangling_link_is_unreadable(program_dir: ProgramDir) -> None:
    (program_dir.root / "controls" / "GONE-01.md").symlink_to(program_dir.root / "nowhere.md")
    program = load_program(program_dir.root, use_cache=False)
    [diag] = program.diagnostics
    assert (diag.code, diag.path, diag.line) == ("SK001", "controls/GONE-01.md", 1)
    assert "cannot be read" in diag.message


def test_config_that_is_a_directory_is_unreadable(program_dir: ProgramDir) -> None:
    (program_dir.root / "soc2kit.yml").unlink()
    (program_dir.root / "soc2kit.yml").mkdir()
    program = load_program(program_dir.root, use_cache=False)
    assert not program.config_ok
    [diag] = [d for d in program.diagnostics if d.path == "soc2kit.yml"]
    assert (diag.code, diag.line) == ("SK020", 1)
    assert "not a regular file (it is a folder)" in diag.message


def test_unknown_time_zone(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "soc2kit.yml",
        "  period: {start: 2026-01-01, end: 2026-06-30}",
        "  period: {start: 2026-01-01, end: 2026-06-30}\n  timezone: Mars/Olympus",
    )
    program = load_program(program_dir.root, use_cache=False)
    assert not program.config_ok
    [diag] = [d for d in program.diagnostics if d.code == "SK010"]
    assert (diag.path, diag.line) == ("soc2kit.yml", 7)
    assert "Mars/Olympus" in diag.message


def _read_yaml(text: str) -> Document:
    doc = Document(path="evidence/x.yaml", kind="evidence", markdown=False)
    parse_text(doc, text, markdown=False)
    return doc


def test_aliases_merge_keys_and_tags_read_like_pyyaml_safe_load() -> None:
    text = (
        "base: &base {owner: IT, frequency: monthly}\n"
        "merged:\n  <<: *base\n  frequency: weekly\n"
        "shared: &list [1, 2]\nagain: *list\n"
        "numbers: [0x1F, 1_000, 1.5, .inf, true, null, !!str 12]\n"
        "day: 2026-01-31\n"
    )
    doc = _read_yaml(text)
    assert doc.diagnostics == []
    expected = yaml.safe_load(text)
    expected["day"] = "2026-01-31"  # dates stay text, so the models accept strict ISO dates only
    assert doc.data == expected
    assert doc.data is not None
    assert doc.data.key_lines == {"base": 1, "merged": 2, "shared": 5, "again": 6, "numbers": 7, "day": 8}


def _laughs(levels: int) -> str:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels)]  # 10**levels leaves
    return "\n".join(lines) + "\n"


def test_aliased_collections_are_shared_not_copied() -> None:
    doc = _read_yaml(_laughs(3))
    assert doc.diagnostics == []
    assert doc.data is not None
    assert doc.data["a2"][0] is doc.data["a2"][1]  # one shared object, as PyYAML builds it


def test_exponential_aliases_are_measured_without_expanding_them() -> None:
    doc = _read_yaml(_laughs(30))  # 10**30 values if anything walked the expanded data
    assert doc.data is None
    [diag] = doc.diagnostics
    assert (diag.code, diag.line) == ("SK015", 5)
    assert "once its aliases are expanded" in diag.message


@pytest.mark.parametrize(
    "text",
    [
        "a: " + "[" * 65 + "]" * 65 + "\n",
        "a: " + "{b: " * 65 + "1" + "}" * 65 + "\n",
        "a:\n" + "".join("  " * i + "- \n" for i in range(1, 70)),
        "a0: &a0 [x]\n" + "".join(f"a{i}: &a{i} [*a{i - 1}]\n" for i in range(1, 70)),
    ],
    ids=["flow-lists", "flow-mappings", "block-lists", "chained-aliases"],
)
def test_nesting_deeper_than_the_limit_is_a_finding(text: str) -> None:
    [diag] = _read_yaml(text).diagnostics
    assert diag.code == "SK015"
    assert "levels deep" in diag.message


def test_nesting_up_to_the_limit_is_read() -> None:
    doc = _read_yaml("a: " + "[" * 63 + "]" * 63 + "\n")
    assert doc.diagnostics == []


def test_integer_too_long_to_convert_is_a_yaml_finding() -> None:
    [diag] = _read_yaml("a: 1\nb: " + "9" * 5000 + "\n").diagnostics
    assert (diag.code, diag.line) == ("SK007", 2)
    assert "5,000 characters" in diag.message


def test_duplicate_keys_are_reported_once_whichever_way_the_document_is_built() -> None:
    for text in ("a: 1\nb: 2\na: 3\n", "x: &x [1]\ny: *x\na: 1\na: 2\n"):
        assert [(d.code, d.line) for d in _read_yaml(text).diagnostics] == [("SK009", text.count("\n"))]
