"""Values a person types (`new` titles, owners, collectors; `init` organization and system) land in
YAML as exactly that text: never a second key, a tag, an anchor, an alias, a number or a date."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import yaml

from soc2kit.errors import UsageError
from soc2kit.escaping import yaml_scalar
from soc2kit.loader import load_program
from soc2kit.new import NewControl, NewPolicy, new_control, new_evidence, new_policy
from soc2kit.starter import InitOptions, init_program
from tests.conftest import make_program, run_cli

TODAY = date(2026, 11, 22)
HOSTILE = [
    "A: B",
    "x\nid: POL-EVIL",
    "x\r\nowner: Mallory",
    'Say "hi" \\ there',
    "it's 'quoted'",
    "# not a comment",
    "Access # Control",
    "*alias",
    "&anchor value",
    "!!python/object:os.system",
    "!tag",
    "line\u2028separator\u2029paragraph",
    "next\x85line",
    "{flow: map}",
    "[flow, seq]",
    "- item",
    "| literal",
    "> folded",
    "%YAML 1.1",
    "@at `back`",
    "yes",
    "null",
    "2026-01-01",
    "0o17",
    "1e3",
    "~",
    "tab\there",
    "Política de Acceso 😀",
    "---",
    "...",
]
POLICY_KEYS = {"id", "title", "owner", "approver", "status", "version", "effective", "last_reviewed", "review_every"}
CONTROL_KEYS = {"id", "title", "owner", "criteria", "policies", "frequency", "kind", "automation", "evidence"}
EVIDENCE_KEYS = {"id", "control", "requirement", "collected", "collector", "files"}


def front_matter(path: Path) -> dict[str, object]:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("---\n")
    head = text.split("---\n", 2)[1]
    data = yaml.safe_load(head)
    assert isinstance(data, dict)
    return data


def only_line_breaks_are_yaml_ones(path: Path) -> None:
    """Each value sits on its own line: a value never spreads over lines of the front matter."""
    text = path.read_text(encoding="utf-8")
    for char in ("\u2028", "\u2029", "\x85", "\r"):
        assert char not in text, f"{char!r} written raw into {path.name}"


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_new_policy_control_and_evidence_keep_a_hostile_value_as_text(tmp_path: Path, value: str) -> None:
    root = make_program(tmp_path / "program").root
    policy = new_policy(root, NewPolicy(title=value, owner=value, approver=value, policy_id="POL-HOSTILE"), today=TODAY)
    written = front_matter(policy)
    assert set(written) == POLICY_KEYS
    assert (written["id"], written["title"], written["owner"], written["approver"]) == ("POL-HOSTILE", value, value, value)
    only_line_breaks_are_yaml_ones(policy)

    control = new_control(root, NewControl(title=value, prefix="HX", criteria=("CC6.1",), policies=("POL-HOSTILE",), owner=value))
    written = front_matter(control)
    assert set(written) == CONTROL_KEYS
    assert (written["id"], written["title"], written["owner"], written["policies"]) == ("HX-01", value, value, ["POL-HOSTILE"])
    only_line_breaks_are_yaml_ones(control)

    record = new_evidence(root, "HX-01", requirement=None, collected=TODAY, collector=value)
    written = yaml.safe_load(record.read_text(encoding="utf-8"))
    assert set(written) == EVIDENCE_KEYS
    assert written["collector"] == value
    assert written["control"] == "HX-01"
    only_line_breaks_are_yaml_ones(record)

    # soc2kit's own reader agrees, and finds no document it did not expect.
    program = load_program(root, use_cache=False, today=TODAY)
    assert program.policies["POL-HOSTILE"].title == value.strip()
    assert program.controls["HX-01"].owner == value.strip()
    [evidence] = [e for e in program.evidence.values() if e.control == "HX-01"]
    assert evidence.collector == value.strip()
    assert "POL-EVIL" not in program.policies
    assert not [d for d in program.diagnostics if d.code in {"SK007", "SK009", "SK010"}], program.diagnostics


def test_the_cli_takes_a_title_with_a_colon(tmp_path: Path) -> None:
    """`soc2kit new policy --title "A: B"` used to be refused: the title ended its YAML value."""
    root = make_program(tmp_path / "program").root
    done = run_cli("new", "policy", "--title", "Vendors: Risk", "--owner", "CISO #1", "--root", str(root))
    assert done.returncode == 0, done.stderr
    [path] = [p for p in (root / "policies").glob("*.md") if "POL-ISP" not in p.read_text(encoding="utf-8")]
    written = front_matter(path)
    assert (written["title"], written["owner"]) == ("Vendors: Risk", "CISO #1")
    done = run_cli("new", "evidence", "TC-01", "--collector", "x\nfiles: [../../../etc/passwd]", "--root", str(root))
    assert done.returncode == 0, done.stderr
    [record] = (root / "evidence" / "TC-01").glob("*/record.yaml")
    assert yaml.safe_load(record.read_text(encoding="utf-8"))["files"] == []


@pytest.mark.parametrize("value", HOSTILE, ids=repr)
def test_yaml_scalar_reads_back_as_exactly_the_value_in_both_yaml_readers(value: str) -> None:
    from ruamel.yaml import YAML

    line = f"key: {yaml_scalar(value)}\n"
    assert line.count("\n") == 1
    assert yaml.safe_load(line) == {"key": value}
    assert YAML(typ="safe", pure=True).load(line) == {"key": value}


def test_plain_words_stay_plain() -> None:
    assert yaml_scalar("Access Control Policy") == "Access Control Policy"
    assert yaml_scalar("Head of Security") == "Head of Security"
    assert yaml_scalar("yes") == '"yes"'


@pytest.mark.parametrize(
    ("organization", "system"),
    [
        ("Evil: Org", "A: B"),
        ('E"vil # Org', "x id: POL-EVIL"),
        ("*star &amp !bang", "[flow] {map} 'quote' | > %"),
    ],
    ids=["colon", "quote-hash-key", "indicators"],
)
def test_init_keeps_organization_and_system_as_text(tmp_path: Path, organization: str, system: str) -> None:
    target = tmp_path / "program"
    init_program(target, InitOptions(organization=organization, system=system, git=False), today=TODAY)
    program = load_program(target, use_cache=False, today=TODAY)
    assert program.errors == [], [(d.code, d.path, d.message) for d in program.errors[:5]]
    assert program.config.organization == organization
    assert program.config.system.name == system
    # The starter names the system in some controls' front matter (AC-11's title): the value is the text.
    assert program.controls["AC-11"].title == f"Tenant isolation and customer authentication in the {system}"
    written = front_matter(target / "controls" / "AC-11.md")
    assert set(written) == CONTROL_KEYS
    assert "POL-EVIL" not in program.policies
    mkdocs = yaml.safe_load((target / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mkdocs["site_name"] == f"{organization} policy portal"


@pytest.mark.parametrize("system", ["x\nid: POL-EVIL", "sep\u2028arated", "next\x85line", "bidi\u202eflip"])
def test_init_refuses_names_that_are_not_one_plain_line(tmp_path: Path, system: str) -> None:
    """A line break or format character in a name would split or disguise a YAML value: refused, nothing written."""
    target = tmp_path / "program"
    with pytest.raises(UsageError, match="--system holds the"):
        init_program(target, InitOptions(organization="Acme", system=system, git=False), today=TODAY)
    assert not target.exists() or not any(target.iterdir())
