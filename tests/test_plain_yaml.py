"""Everything soc2kit writes is plain YAML: no anchor (`&id001`) and no alias (`*id001`) in any file
that `init`, `new` or `evidence add` writes, so editing one value never silently changes another."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
import yaml

from soc2kit.editing import edit_front_matter, edit_yaml
from soc2kit.evidence import AddRequest, add_evidence
from soc2kit.loader import load_program
from soc2kit.new import NewControl, NewPolicy, new_control, new_evidence, new_policy
from soc2kit.starter import InitOptions, init_program

TODAY = date(2026, 11, 22)
ALL = ("security", "availability", "confidentiality", "processing-integrity", "privacy")


def yaml_parts(root: Path) -> dict[str, str]:
    """Every YAML text under `root` (Git's folder aside): whole .yaml/.yml files and Markdown front-matter."""
    parts = {}
    for path in sorted(root.rglob("*")):
        if ".git" in path.relative_to(root).parts or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        name = path.relative_to(root).as_posix()
        if path.suffix in (".yaml", ".yml"):
            parts[name] = text
        elif path.suffix == ".md" and name.startswith(("policies/", "controls/")):
            assert text.startswith("---\n"), name
            parts[name] = text[4 : text.index("\n---\n", 3) + 1]
    return parts


def anchors_and_aliases(text: str) -> list[str]:
    found = []
    for event in yaml.parse(text, Loader=yaml.SafeLoader):
        if isinstance(event, yaml.AliasEvent):
            found.append(f"alias *{event.anchor} at line {event.start_mark.line + 1}")
        elif getattr(event, "anchor", None) is not None:
            found.append(f"anchor &{event.anchor} at line {event.start_mark.line + 1}")
    return found


def assert_plain(root: Path) -> int:
    parts = yaml_parts(root)
    bad = {name: found for name, text in parts.items() if (found := anchors_and_aliases(text))}
    assert bad == {}
    return len(parts)


@pytest.mark.parametrize("audit", ["type1", "type2"])
@pytest.mark.parametrize("categories", [("security",), ALL], ids=["security", "all"])
def test_init_and_every_new_command_write_plain_yaml(tmp_path: Path, audit: str, categories: tuple[str, ...]) -> None:
    root = tmp_path / "program"
    dates = (
        {"as_of": date(2026, 6, 30)} if audit == "type1" else {"period_start": date(2026, 1, 1), "period_end": date(2026, 6, 30)}
    )
    init_program(root, InitOptions(categories=categories, audit_type=audit, git=False, **dates), today=TODAY)  # type: ignore[arg-type]
    written = assert_plain(root)
    assert written > 20

    new_policy(root, NewPolicy(title="Data Loss Prevention Policy"), today=TODAY)
    new_control(root, NewControl(title="DLP alert triage", prefix="AC", criteria=("CC6.7",), policies=("POL-DLP",)))
    new_evidence(root, "AC-15", requirement=None, collected=TODAY, collector="alice")
    (tmp_path / "review.csv").write_text("user,decision\nalice,keep\n")
    add_evidence(root, AddRequest(control="AC-15", files=(tmp_path / "review.csv",), collected=TODAY, cwd=tmp_path), today=TODAY)
    assert assert_plain(root) == written + 4  # a policy, a control and two evidence records


def test_shared_values_are_written_twice_not_anchored() -> None:
    one_day = date(2026, 1, 1)
    shared = ["x"]

    def change(data: dict[str, object]) -> None:
        data["effective"] = data["last_reviewed"] = one_day
        data["a"] = data["b"] = shared

    text = edit_front_matter("---\nid: POL-X\n---\nbody\n", change)
    assert anchors_and_aliases(text[4 : text.index("\n---\n", 3) + 1]) == []
    assert "effective: 2026-01-01\nlast_reviewed: 2026-01-01\n" in text
    assert anchors_and_aliases(edit_yaml("id: x\n", change)) == []


def test_anchors_the_user_wrote_are_expanded_by_an_edit() -> None:
    text = edit_yaml("a: &d 2026-01-01\nb: *d\n", lambda data: data.__setitem__("c", 1))
    assert anchors_and_aliases(text) == []
    assert yaml.safe_load(text) == {"a": date(2026, 1, 1), "b": date(2026, 1, 1), "c": 1}


@pytest.mark.parametrize("audit", ["type1", "type2"])
def test_a_policy_edited_after_init_keeps_its_other_dates(tmp_path: Path, audit: str) -> None:
    root = tmp_path / "program"
    dates = (
        {"as_of": date(2026, 3, 31)} if audit == "type1" else {"period_start": date(2026, 1, 1), "period_end": date(2026, 6, 30)}
    )
    init_program(root, InitOptions(audit_type=audit, git=False, **dates), today=TODAY)  # type: ignore[arg-type]
    start = dates.get("as_of") or dates["period_start"]
    path = root / "policies" / "access-control.md"
    text = path.read_text(encoding="utf-8")
    assert f"effective: {start}\n" in text
    assert f"last_reviewed: {start}\n" in text
    path.write_text(re.sub(r"(?m)^effective: .*$", "effective: 2025-12-01", text), encoding="utf-8")

    program = load_program(root, use_cache=False, today=TODAY)
    policy = program.policies["POL-AC"]
    assert (policy.effective, policy.last_reviewed) == (date(2025, 12, 1), start)
    assert [d for d in program.diagnostics if d.path == "policies/access-control.md" and d.code != "SK304"] == []
