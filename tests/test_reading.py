"""Reading in worker processes and from the cache gives exactly what a plain serial read gives, and
a read without checks reports only reading's findings, whatever the cache holds."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import BaseModel

from soc2kit import reading
from soc2kit.check import check_program
from soc2kit.loader import load_program
from soc2kit.models import Control, EvidenceFile, Exclusion, Period, ProgramConfig
from soc2kit.program import read_program
from tests.conftest import ProgramDir


def report(program_dir: ProgramDir, **kwargs: object) -> list[tuple[str, str, int, str]]:
    program = load_program(program_dir.root, **kwargs)  # type: ignore[arg-type]
    return [(d.code, d.path, d.line, d.message) for d in program.diagnostics]


def break_some(program_dir: ProgramDir) -> None:
    program_dir.replace("controls/TC-09.md", "criteria: [CC9.2]", "criteria: [CC9.2, CC6.9]")
    program_dir.replace("controls/TC-02.md", "frequency:", "frequncy:")
    program_dir.write("policies/bare.md", "no front matter\n")


def test_workers_match_serial(program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    break_some(program_dir)
    serial = report(program_dir, use_cache=False)
    monkeypatch.setattr(reading, "PARALLEL_THRESHOLD", 1)
    monkeypatch.setenv("SOC2KIT_JOBS", "2")
    parallel = report(program_dir, use_cache=False, jobs=2)
    assert parallel == serial
    assert len(serial) >= 4


def test_cached_documents_reload_their_lines(program_dir: ProgramDir) -> None:
    break_some(program_dir)
    cold = report(program_dir)
    warm = load_program(program_dir.root)
    assert [(d.code, d.path, d.line, d.message) for d in warm.diagnostics] == cold
    doc = warm.source("control", "TC-09")
    assert doc.line_of("criteria", 1) == 5
    assert "## Test procedure" in doc.body


CHECK_ONLY = {"SK012", "SK014", "SK101", "SK102"}
"""Codes only the check step reports in the program `break_for_both` makes (a content rule, a reference rule)."""


def break_for_both(program_dir: ProgramDir) -> None:
    """Findings of both steps: reading's (invalid YAML, a misspelt key) and the rules' (a missing
    section and a placeholder, found one document at a time; an unknown policy, across documents)."""
    break_some(program_dir)
    program_dir.replace("controls/TC-03.md", "## Test procedure", "## Testing")
    program_dir.replace("controls/TC-04.md", "## Description\n", "## Description\nTODO(soc2kit) say what we do\n")
    program_dir.replace("controls/TC-05.md", "policies: [", "policies: [POL-NONE, ")


def codes(found: list[tuple[str, str, int, str]]) -> set[str]:
    return {code for code, *_ in found}


def test_a_read_runs_no_rule_and_checking_it_gives_what_loading_gives(program_dir: ProgramDir) -> None:
    break_for_both(program_dir)
    expected = report(program_dir, use_cache=False)
    assert {"SK012", "SK014", "SK102"} <= codes(expected)
    read = read_program(program_dir.root, use_cache=False)
    found = [(d.code, d.path, d.line, d.message) for d in read.diagnostics]
    assert found
    assert not codes(found) & CHECK_ONLY
    assert set(found) < set(expected)
    checked = [(d.code, d.path, d.line, d.message) for d in check_program(read)]
    assert checked == expected
    assert [(d.code, d.path, d.line, d.message) for d in read.diagnostics] == expected
    assert [(d.code, d.path, d.line, d.message) for d in check_program(read)] == expected


def test_reads_with_and_without_checks_share_the_cache(program_dir: ProgramDir) -> None:
    """A read without checks caches files without the per-document findings: a checked load reads
    those files again rather than miss them, and a later read leaves the checked findings out."""
    break_for_both(program_dir)
    expected = report(program_dir, use_cache=False)
    read_cold = [(d.code, d.path, d.line, d.message) for d in read_program(program_dir.root).diagnostics]
    assert not codes(read_cold) & CHECK_ONLY
    assert report(program_dir) == expected
    assert [(d.code, d.path, d.line, d.message) for d in read_program(program_dir.root).diagnostics] == read_cold
    assert report(program_dir) == expected
    assert [(d.code, d.path, d.line, d.message) for d in check_program(read_program(program_dir.root))] == expected


def test_workers_check_each_document_as_they_read_it(program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    break_for_both(program_dir)
    serial = report(program_dir, use_cache=False)
    monkeypatch.setattr(reading, "PARALLEL_THRESHOLD", 1)
    assert report(program_dir, jobs=2) == serial
    assert report(program_dir, jobs=2) == serial


def test_models_restored_from_the_cache_equal_validated_ones(program_dir: ProgramDir, monkeypatch: pytest.MonkeyPatch) -> None:
    """A warm read rebuilds every model from the cache without validating it again, and each equals
    what validation gives: dates as dates, nested models as models, every field set, same dump."""
    program_dir.write(
        "soc2kit.yml",
        "organization: Test Co\nsystem: {name: Test Platform, description: SaaS}\n"
        "audit: {type: type2, period: {start: 2026-01-01, end: 2026-06-30}, timezone: Europe/Berlin}\n"
        "scope:\n  categories: [security, availability]\n  exclusions: [{criterion: A1.3, reason: no DR site}]\n"
        "change_management: {enforced_from: 2026-02-01}\nrules: {SK504: off, SK501: warning}\n",
    )
    program_dir.write(
        "evidence/TC-02/collected.yaml",
        "id: EV-TC-02-API\ncontrol: TC-02\nrequirement: review\ncollected: 2026-03-01\ncollector: bot\n"
        "note: pulled\nsource: {system: GitHub REST API, query: GET /repos, tool: bot 1.0, as_of: '2026-03-01T10:00:00Z'}\n"
        "files:\n  - path: ../TC-01/q1-review.txt\n    sha256: " + "a" * 64 + "\n",
    )
    cold = read_program(program_dir.root)
    calls: list[str] = []
    original = BaseModel.model_validate.__func__  # type: ignore[attr-defined]

    def counting(cls: type[BaseModel], *args: object, **kwargs: object) -> BaseModel:
        calls.append(cls.__name__)
        return original(cls, *args, **kwargs)  # type: ignore[no-any-return]

    monkeypatch.setattr(BaseModel, "model_validate", classmethod(counting))
    warm = read_program(program_dir.root)
    assert set(calls) <= {"ProgramConfig"}  # no document validated again (soc2kit.yml has its own loader)
    pairs = [(cold.config, warm.config)]
    pairs += [(cold.policies[i], warm.policies[i]) for i in cold.policies]
    pairs += [(cold.controls[i], warm.controls[i]) for i in cold.controls]
    pairs += [(cold.evidence[i], warm.evidence[i]) for i in cold.evidence]
    assert len(cold.evidence) == len(cold.controls) + 1
    assert len(pairs) == 2 + 2 * len(cold.controls) + 1
    for validated, restored in pairs:
        assert restored == validated
        assert restored is not validated
        assert restored.model_dump() == validated.model_dump()  # same Python types all the way down
        assert list(restored.__dict__) == list(validated.__dict__)
    for validated, restored in pairs[1:]:  # soc2kit.yml is read by its own loader, not from the cache
        # as the cache's model_validate of a whole dump gave: every field set
        assert restored.model_fields_set == type(validated).model_validate(validated.model_dump(mode="json")).model_fields_set
    record = warm.evidence["EV-TC-02-API"]
    assert record.source is not None
    assert record.source.as_of == "2026-03-01T10:00:00Z"
    assert isinstance(record.files[0], EvidenceFile)
    assert isinstance(record.collected, date)
    assert warm.config.change_management.enforced_from == date(2026, 2, 1)
    assert isinstance(warm.config.scope.exclusions[0], Exclusion)
    period = warm.evidence["EV-TC-01-2026Q1"].covers
    assert isinstance(period, Period)
    assert date(2026, 2, 1) in period


def test_a_cache_entry_with_other_fields_is_read_again(program_dir: ProgramDir) -> None:
    program_dir.replace("soc2kit.yml", "scope:", "rules: {SK504: off, SK501: warning}\nscope:")
    config = read_program(program_dir.root).config
    assert config.rules == {"SK504": "off", "SK501": "warning"}
    assert reading.rebuild(ProgramConfig, config.model_dump(mode="json")) == config  # nested models, a dict, dates
    fields = read_program(program_dir.root).controls["TC-01"].model_dump(mode="json")
    assert reading.rebuild(Control, fields) == Control.model_validate(fields)
    with pytest.raises(ValueError):
        reading.rebuild(Control, {**fields, "renamed": 1})
    with pytest.raises(ValueError):
        reading.rebuild(Control, {k: v for k, v in fields.items() if k != "owner"})
