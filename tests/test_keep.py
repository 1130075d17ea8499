"""Keeping collected data as evidence (soc2kit/evidence/keep.py): the file's bytes are exactly those
of `json.dumps(indent=2, sort_keys=True, ensure_ascii=False)` plus a newline, and a record whose
source (system, query) carries a credential is refused before anything is written."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from soc2kit.evidence.keep import SecretsFoundError, json_bytes, keep_record
from soc2kit.loader import load_program
from soc2kit.models import EvidenceSource
from tests.conftest import make_program

GITHUB_TOKEN = "ghp_" + "A1b2C3d4E5" * 3 + "F6g7H8"  # shaped like a token, not one
VARIED: list[object] = [
    None,
    True,
    0,
    -(2**70),
    1.5,
    -0.0,
    1e-7,
    1e22,
    0.1 + 0.2,
    "",
    'quote " backslash \\ slash / tab \t newline \n nul \0 bell \x07',
    "é ü ñ 漢字 🙂 \u2028 \u2029 \ud800",
    [],
    {},
    (1, "two", (3.0, [])),
    {"b": 1, "a": {"d": [], "c": {}}, "é": [None, False, {"z": "", "y": [1, [2, [3]]]}]},
    {10: "ten", 3: "three"},  # int keys sort as numbers, then become strings
    {True: "yes", False: "no"},
    {1.25: "float key", 0.5: "another"},
    [{"user": f"user{n:03d}@example.com", "mfa": n % 3 == 0, "admin": n < 2, "seen": n * 1.5} for n in range(300)],
]


@pytest.mark.parametrize("value", VARIED, ids=range(len(VARIED)))
def test_json_bytes_are_the_bytes_json_dumps_gives(value: object) -> None:
    expected = (json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8", "surrogatepass")
    if "\ud800" in json.dumps(value, ensure_ascii=False):
        with pytest.raises(UnicodeEncodeError):  # a lone surrogate is not UTF-8, as before
            json_bytes(value)
        return
    assert json_bytes(value) == expected


def test_json_bytes_of_data_larger_than_one_batch_of_fragments() -> None:
    # Far more than the 65,536 fragments json_bytes joins at a time, with multi-byte text throughout.
    users = [{"email": f"user{n}@example.com", "name": f"Zoë {n} 漢字", "mfa": n % 7 == 0, "seen": n / 3} for n in range(20_000)]
    expected = (json.dumps({"users": users}, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")
    assert json_bytes({"users": users}) == expected


@pytest.mark.parametrize(
    ("value", "error"),
    [
        ({"x": math.nan}, ValueError),
        ([math.inf], ValueError),
        ({"when": object()}, TypeError),
        ({1: "a", "b": "c"}, TypeError),  # mixed key types cannot be sorted
        ({("a",): 1}, TypeError),
    ],
)
def test_what_json_cannot_hold_raises_as_before(value: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        json_bytes(value)


def test_a_circular_structure_is_refused() -> None:
    loop: list[object] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="Circular reference"):
        json_bytes(loop)


@pytest.mark.parametrize("field", ["query", "system"])
def test_a_source_holding_a_token_is_refused_and_nothing_is_written(tmp_path: Path, field: str) -> None:
    program_dir = make_program(tmp_path / "program")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 5, 20))
    before = sorted(p.relative_to(program_dir.root) for p in program_dir.root.rglob("*"))
    fields = {"system": "GitHub organization acme", "query": "GET /orgs/acme/members", "tool": "github-org 1.0"}
    fields[field] += f"?access_token={GITHUB_TOKEN}"
    with pytest.raises(SecretsFoundError) as refused:
        keep_record(
            program,
            program.controls["TC-01"],
            requirement="review",
            files={"members.json": json_bytes([{"login": "alice"}])},
            source=EvidenceSource(**fields),
            collector="soc2kit collect github-org",
            collected=date(2026, 5, 20),
        )
    assert f"source {field} (a GitHub token)" in str(refused.value)
    assert GITHUB_TOKEN not in str(refused.value)
    assert sorted(p.relative_to(program_dir.root) for p in program_dir.root.rglob("*")) == before


def test_a_clean_source_is_recorded(tmp_path: Path) -> None:
    program_dir = make_program(tmp_path / "program")
    program = load_program(program_dir.root, use_cache=False, today=date(2026, 5, 20))
    kept = keep_record(
        program,
        program.controls["TC-01"],
        requirement="review",
        files={"members.json": json_bytes([{"login": "alice"}])},
        source=EvidenceSource(system="GitHub organization acme", query="GET /orgs/acme/members", tool="github-org 1.0"),
        collector="soc2kit collect github-org",
        collected=date(2026, 5, 20),
    )
    assert kept.written
    assert (program_dir.root / kept.record_path).is_file()
