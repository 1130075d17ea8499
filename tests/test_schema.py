"""The JSON Schemas as an editor uses them: stable `$id` URLs, every file soc2kit writes naming its
schema on its first YAML line, real files (read as a YAML language server reads them: dates are
strings) valid against the schemas, and `soc2kit schema --check` judging an adopter's repository
by its own files, not by soc2kit's `schema/` folder."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import ProgramDir, make_program, run_cli

from soc2kit.evidence.add import AddRequest, add_evidence
from soc2kit.layout import REGISTERS
from soc2kit.loader import load_program
from soc2kit.new import NewControl, NewPolicy, new_control, new_evidence, new_policy
from soc2kit.schema import render_schemas
from soc2kit.schema_line import SCHEMA_NAMES, find_schema_line, release_line, schema_line, schema_url, with_schema_line
from soc2kit.starter import InitOptions, init_program

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)
KINDS = {"policies": "policy", "controls": "control", "system": "system-part", "evidence": "evidence"}


class LanguageServerLoader(yaml.SafeLoader):
    """YAML 1.2's core schema, as yaml-language-server reads a file: `2026-01-15` and `yes` are strings."""


LanguageServerLoader.yaml_implicit_resolvers = {}
for tag, pattern, first in (
    ("bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    ("null", r"^(?:~|null|Null|NULL|)$", ["~", "n", "N", ""]),
    ("int", r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", "-+0123456789"),
    (
        "float",
        r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
):
    LanguageServerLoader.add_implicit_resolver(f"tag:yaml.org,2002:{tag}", re.compile(pattern), list(first))


def editor_data(path: Path, kind: str) -> Any:
    text = path.read_text(encoding="utf-8")
    if kind in {"policy", "control", "system-part"}:
        text = text.split("\n---\n", 1)[0].removeprefix("---\n")
    return yaml.load(text, Loader=LanguageServerLoader)


def validators() -> dict[str, jsonschema.Draft202012Validator]:
    schemas = {name: json.loads(text) for name, text in render_schemas().items()}
    checker = jsonschema.Draft202012Validator.FORMAT_CHECKER
    return {
        kind: jsonschema.Draft202012Validator(schemas[f"{name}.schema.json"], format_checker=checker)
        for kind, name in SCHEMA_NAMES.items()
    }


def program_files(root: Path) -> list[tuple[Path, str]]:
    files = [(root / "soc2kit.yml", "config")]
    for folder, kind in KINDS.items():
        pattern = "*.yaml" if kind == "evidence" else "*.md"
        files += [(p, kind) for p in sorted((root / folder).rglob(pattern)) if p.name not in {"README.md", "index.md"}]
    files += [(root / path, register.kind) for path, register in REGISTERS.items() if (root / path).is_file()]
    return files


def schema_errors(root: Path) -> list[str]:
    checkers = validators()
    return [
        f"{path.relative_to(root)}: {'/'.join(map(str, error.absolute_path))}: {error.message}"
        for path, kind in program_files(root)
        for error in checkers[kind].iter_errors(editor_data(path, kind))
    ]


def written_program(tmp_path: Path) -> Path:
    """A program as soc2kit writes one: init, then one policy, control and record from `new`, and a record from `evidence add`."""
    root = tmp_path / "p"
    init_program(
        root, InitOptions(git=False, audit_type="type2", period_start=date(2026, 1, 1), period_end=date(2026, 6, 30)), today=TODAY
    )
    new_policy(root, NewPolicy(title="Data Loss Prevention Policy"), today=TODAY)
    new_control(root, NewControl(title="DLP alert triage", prefix="AC", criteria=("CC6.7",), policies=("POL-DLP",)))
    new_evidence(root, "AC-15", requirement=None, collected=TODAY, collector="alice")
    export = tmp_path / "export.csv"
    export.write_text("user,reviewed\nalice,yes\n", encoding="utf-8")
    add_evidence(
        root,
        AddRequest("AC-15", (export,), collected=date(2026, 4, 2), covers=(date(2026, 1, 1), date(2026, 3, 31))),
        today=TODAY,
    )
    return root


def test_ids_are_stable_urls_of_the_release_line() -> None:
    for name, text in render_schemas().items():
        schema = json.loads(text)
        assert schema["$id"] == f"https://raw.githubusercontent.com/soc2kit/soc2kit/{release_line()}/schema/{name}"
        assert (REPO / "schema" / name).is_file()  # the URL's path is a file of this repository
    assert [release_line(v) for v in ("0.1.0", "0.1.9", "0.2.0", "1.0.0", "1.7.3", "2.0.0rc1")] == [
        "v0.1",
        "v0.1",
        "v0.2",
        "v1",
        "v1",
        "v2",
    ]
    assert schema_url("policy", version="0.1.4") == schema_url("policy", version="0.1.0")  # a patch keeps every line
    assert schema_url("policy", version="0.2.0") != schema_url("policy", version="0.1.0")


def test_the_starter_and_the_test_fixtures_are_valid_as_an_editor_reads_them(tmp_path: Path) -> None:
    for root in (REPO, make_program(tmp_path / "fixture", quarters=2).root):
        assert len(program_files(root)) > 1
        assert schema_errors(root) == []
    # Read as the language server reads it, a date is a string: the schema must accept it as one.
    assert editor_data(REPO / "soc2kit.yml", "config")["audit"]["period"]["start"] == "2026-01-01"
    assert isinstance(editor_data(REPO / "policies" / "access-control.md", "policy")["effective"], str)


def test_what_soc2kit_writes_is_valid_as_an_editor_reads_it(tmp_path: Path) -> None:
    root = written_program(tmp_path)
    assert schema_errors(root) == []
    type1 = tmp_path / "type1"
    init_program(type1, InitOptions(git=False), today=TODAY)
    assert schema_errors(type1) == []


def test_the_schemas_reject_what_check_rejects(tmp_path: Path) -> None:
    # Not a schema that accepts anything: an impossible date, a missing key and an unknown key fail.
    root = make_program(tmp_path / "p", quarters=2)
    record = root.root / "evidence" / "TC-01" / "q1.yaml"
    record.write_text(record.read_text().replace("collected: 2026-04-02", "collected: 2026-02-30"), encoding="utf-8")
    root.replace("controls/TC-01.md", "kind: detective\n", "kind: detective\nsevertiy: high\n")
    root.replace("policies/information-security.md", "owner: Head of Security\n", "")
    errors = schema_errors(root.root)
    assert any(e.startswith("evidence/TC-01/q1.yaml: collected: '2026-02-30' is not a 'date'") for e in errors), errors
    assert any(e.startswith("controls/TC-01.md: : Additional properties") for e in errors), errors
    assert any(e.startswith("policies/information-security.md: : 'owner' is a required property") for e in errors), errors


def test_every_file_soc2kit_writes_names_its_schema_first(tmp_path: Path) -> None:
    root = written_program(tmp_path)
    for path, kind in program_files(root):
        lines = path.read_text(encoding="utf-8").split("\n")
        if kind in {"policy", "control", "system-part"}:
            assert lines[0] == "---", path
            assert lines[1] == schema_line(kind), path
        else:
            assert lines[0] == schema_line(kind), path
        assert find_schema_line(path.read_text(encoding="utf-8"), kind) is not None
    assert schema_line("evidence").endswith("/schema/evidence-record.schema.json")


def test_findings_keep_their_real_lines_below_the_schema_line(tmp_path: Path) -> None:
    root = written_program(tmp_path)
    [record] = (root / "evidence" / "AC-15").glob("2026-04-02-*/record.yaml")
    text = record.read_text(encoding="utf-8")
    record.write_text(text.replace("collected: 2026-04-02", "collected: 2026-13-02"), encoding="utf-8")
    policy = root / "policies" / "data-loss-prevention.md"
    policy.write_text(policy.read_text(encoding="utf-8").replace("status: draft", "status: drafted"), encoding="utf-8")
    program = load_program(root, use_cache=False, today=TODAY)
    relpath = record.relative_to(root).as_posix()
    lines = {(d.path, d.line) for d in program.diagnostics}
    assert (relpath, line_of(record, "collected:")) in lines
    assert ("policies/data-loss-prevention.md", line_of(policy, "status:")) in lines
    assert line_of(record, "collected:") == 6  # schema line, comment, id, control, requirement, collected


def line_of(path: Path, prefix: str) -> int:
    [number] = [n for n, line in enumerate(path.read_text(encoding="utf-8").split("\n"), start=1) if line.startswith(prefix)]
    return number


def test_with_schema_line_replaces_an_old_line_instead_of_adding_a_second() -> None:
    old = "# yaml-language-server: $schema=https://raw.githubusercontent.com/soc2kit/soc2kit/v0.0/schema/policy.schema.json"
    markdown = f"---\n{old}\nid: POL-X\n---\n# X\n"
    assert with_schema_line(markdown, "policy") == f"---\n{schema_line('policy')}\nid: POL-X\n---\n# X\n"
    assert with_schema_line(with_schema_line("id: EV-1\n", "evidence"), "evidence") == f"{schema_line('evidence')}\nid: EV-1\n"
    found = find_schema_line(markdown, "policy")
    assert found is not None
    assert (found.line, found.target.endswith("/v0.0/schema/policy.schema.json")) == (2, True)
    assert find_schema_line("---\nid: POL-X\n---\n# yaml-language-server: $schema=x\n", "policy") is None  # the body is not YAML
    with pytest.raises(ValueError, match="front-matter"):
        with_schema_line("id: POL-X\n", "policy")


def test_schema_check_in_an_adopters_repository_checks_its_files(tmp_path: Path) -> None:
    # Before: `schema --check` compared ./schema/ (absent in an adopter's repository) and always failed.
    root = written_program(tmp_path)
    fine = run_cli("schema", "--check", cwd=root / "controls")
    assert fine.returncode == 0, fine.stderr
    assert not (root / "schema").exists()
    written = len(program_files(root))
    assert fine.stdout == f"{written} file(s) name this soc2kit's schemas\n"

    # After an upgrade to a release that changed a format, lines naming the old release are stale.
    policy = root / "policies" / "data-loss-prevention.md"
    old_url = "https://raw.githubusercontent.com/soc2kit/soc2kit/v0.0/schema/policy.schema.json"
    policy_text = policy.read_text(encoding="utf-8")
    policy.write_bytes(policy_text.replace(schema_url("policy"), old_url).replace("\n", "\r\n").encode())
    stale = run_cli("schema", "--check", "--root", str(root))
    assert stale.returncode == 1
    assert stale.stderr.endswith(
        f"policies/data-loss-prevention.md:2: names {old_url}; this soc2kit's schema is {schema_url('policy')}; run `soc2kit schema`\n"
    )
    assert "Traceback" not in stale.stderr
    fixed = run_cli("schema", "--root", str(root))
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout == "1 schema line(s) updated\n"
    assert policy.read_bytes() == policy_text.replace("\n", "\r\n").encode()  # only the line changed; CRLF kept
    assert run_cli("schema", "--check", "--root", str(root)).returncode == 0


def test_schema_check_judges_the_schema_folder_an_adopter_keeps(tmp_path: Path) -> None:
    root = written_program(tmp_path)
    made = run_cli("schema", "--dir", str(root / "schema"))
    assert made.returncode == 0, made.stderr
    assert run_cli("schema", "--check", "--root", str(root)).stdout.endswith("schema/ is current\n")
    (root / "schema" / "control.schema.json").write_text("{}\n", encoding="utf-8")
    stale = run_cli("schema", "--check", "--root", str(root))
    assert stale.returncode == 1
    assert "schema/control.schema.json:1: is stale" in stale.stderr
    assert run_cli("schema", "--root", str(root)).returncode == 0
    assert run_cli("schema", "--check", "--root", str(root)).returncode == 0

    # A line may point at a local copy instead of the URL (an editor offline): it must exist and be current.
    record = next((root / "evidence" / "AC-15").rglob("record.yaml"))
    record_text = record.read_text(encoding="utf-8")
    local = "# yaml-language-server: $schema=../../../editor-schemas/evidence-record.schema.json"
    record.write_text(record_text.replace(schema_line("evidence"), local), encoding="utf-8")
    missing = run_cli("schema", "--check", "--root", str(root))
    assert missing.returncode == 1
    assert "names ../../../editor-schemas/evidence-record.schema.json, which does not exist" in missing.stderr
    assert run_cli("schema", "--dir", str(root / "editor-schemas")).returncode == 0
    assert run_cli("schema", "--check", "--root", str(root)).returncode == 0
    (root / "editor-schemas" / "evidence-record.schema.json").write_text("{}\n", encoding="utf-8")
    assert "editor-schemas/evidence-record.schema.json:1: is stale" in run_cli("schema", "--check", "--root", str(root)).stderr
    wrong = record_text.replace(schema_line("evidence"), "# yaml-language-server: $schema=../../../schema/policy.schema.json")
    record.write_text(wrong, encoding="utf-8")
    assert "but a evidence file follows evidence-record.schema.json" in run_cli("schema", "--check", "--root", str(root)).stderr


def test_schema_check_in_soc2kits_own_repository_checks_its_schema_folder() -> None:
    result = run_cli("schema", "--check", "--root", str(REPO))
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("schema/ is current\n")


def test_schema_dir_and_root_together_is_one_error_line(tmp_path: Path, program_dir: ProgramDir) -> None:
    result = run_cli("schema", "--dir", str(tmp_path / "s"), "--root", str(program_dir.root))
    assert result.returncode == 2
    assert result.stderr == "soc2kit: error: give --dir (one folder of schema files) or --root (a program), not both\n"
    outside = run_cli("schema", "--check", cwd=tmp_path)
    assert outside.returncode == 2
    assert outside.stderr.startswith("soc2kit: error: no soc2kit.yml in ")
