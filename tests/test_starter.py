"""The starter program in this repository is one an auditor would take seriously."""

from __future__ import annotations

import re
from itertools import chain
from pathlib import Path

import pytest

from soc2kit.catalog import load_catalog
from soc2kit.loader import load_program
from soc2kit.program import Program
from soc2kit.rules.content import POLICY_SECTIONS

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def starter() -> Program:
    return load_program(REPO, use_cache=False)


def test_size(starter: Program) -> None:
    assert len(starter.policies) >= 20
    assert len(starter.controls) >= 100


def test_every_criterion_covered_and_every_cc_twice(starter: Program) -> None:
    for criterion in load_catalog().criteria:
        controls = starter.controls_of(criterion)
        assert controls, f"{criterion.id} has no control"
        if criterion.id.startswith("CC"):
            assert len(controls) >= 2, f"{criterion.id} has only {len(controls)} control"


def test_controls_are_focused_and_complete(starter: Program) -> None:
    for control in starter.controls.values():
        assert 1 <= len(set(control.criteria)) <= 4, control.id
        assert control.owner, control.id
        assert control.frequency, control.id
        assert control.evidence, control.id
        assert control.policies, control.id
        sections = starter.source("control", control.id).sections()
        assert sections["description"].text, control.id
        assert len(sections["test procedure"].text) > 100, control.id


def test_policies_have_every_section_and_testable_statements(starter: Program) -> None:
    for policy in starter.policies.values():
        doc = starter.source("policy", policy.id)
        sections = doc.sections()
        assert [s for s in POLICY_SECTIONS if s.lower() not in sections] == [], policy.id
        statements = re.findall(r"^\d+\. .*\bmust\b", sections["policy statements"].text, flags=re.MULTILINE)
        assert len(statements) >= 8, f"{policy.id} has {len(statements)} numbered 'must' statements"
        assert policy.approver, policy.id
        assert policy.approver != policy.owner, policy.id


def test_starter_passes_check_with_every_category(starter: Program) -> None:
    assert starter.config.scope.categories == ["security", "availability", "confidentiality", "processing-integrity", "privacy"]
    assert starter.errors == []


def test_no_aicpa_wording() -> None:
    # The AICPA criteria are written as "The entity ..." and use "COSO Principle" labels; our text never does.
    texts = chain(
        (REPO / "soc2kit" / "catalog").glob("*.yaml"), (REPO / "policies").glob("*.md"), (REPO / "controls").glob("*.md")
    )
    for path in texts:
        text = path.read_text(encoding="utf-8")
        assert "The entity " not in text, path
        assert "COSO Principle" not in text, path
        assert "points of focus" not in text.lower(), path
