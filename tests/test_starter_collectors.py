"""The starter program names the built-in collectors where a requirement is exactly a collector's
snapshot, and every name it uses is a dataset a built-in collector really has."""

from __future__ import annotations

from importlib.metadata import entry_points
from pathlib import Path

from soc2kit.loader import load_program

ROOT = Path(__file__).resolve().parent.parent

FED = {
    ("AC-02", "mfa-enrollment-report"): "google-workspace/users",
    ("AC-05", "repository-admins"): "github-org/repository-admins",
    ("AC-10", "iam-credential-report"): "aws/iam-credential-report",
    ("AC-13", "repository-outside-collaborators"): "github-org/outside-collaborators",
    ("AC-14", "dormant-account-report"): "google-workspace/users",
    ("CRY-03", "kms-key-inventory"): "aws/kms-keys",
    ("NET-03", "security-group-export"): "aws/security-groups",
    ("OPS-01", "log-archive-config"): "aws/cloudtrail",
    ("OPS-06", "threat-detection-coverage"): "aws/guardduty",
    ("VUL-02", "open-code-scanning-alerts"): "github-org/code-scanning-alerts",
    ("VUL-02", "open-dependency-alerts"): "github-org/dependabot-alerts",
}


def test_the_starter_requirements_fed_by_built_in_collectors() -> None:
    program = load_program(ROOT, use_cache=False)
    found = {
        (control.id, requirement.id): requirement.collector
        for control in program.controls.values()
        for requirement in control.evidence
        if requirement.collector
    }
    assert found == FED
    collectors = {point.name: point.load() for point in entry_points(group="soc2kit.collectors")}
    for named in set(found.values()):
        name, _, dataset = named.partition("/")
        assert dataset in collectors[name].datasets, named
    assert not [d for d in program.diagnostics if d.code.startswith("SK42")]
