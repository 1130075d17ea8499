"""The system description (system/): reading its parts, rules SK701-SK709 on real program folders,
what `init` writes, the bundle entries and the portal's pages from a real `mkdocs build --strict`."""

from __future__ import annotations

import html
import json
import re
import shutil
from datetime import date
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import ProgramDir, make_program, mkdocs, run_cli

from soc2kit.loader import load_program
from soc2kit.models import SYSTEM_PART_NAMES
from soc2kit.program import Program
from soc2kit.schema import render_schemas
from soc2kit.starter import InitOptions, init_program
from soc2kit.system_description import PARTS, bundle_entries, outline, outline_text, parts, placeholders

REPO = Path(__file__).resolve().parent.parent
TODAY = date(2026, 11, 22)
"""After the test program's period (2026-01-01..2026-06-30) and the starter's reviews (2026-07-06)."""


def described(tmp_path: Path) -> ProgramDir:
    """The conftest program with no finding, plus the starter's description renamed to its system."""
    program = make_program(tmp_path / "program", quarters=2)
    shutil.copytree(REPO / "system", program.root / "system")
    for path in (program.root / "system").glob("*.md"):
        path.write_text(path.read_text(encoding="utf-8").replace("Acme Platform", "Test Platform"), encoding="utf-8")
    return program


def load(program: ProgramDir, today: date = TODAY) -> Program:
    return load_program(program.root, use_cache=False, today=today)


def findings(program: ProgramDir, today: date = TODAY) -> list[tuple[str, str, int, str]]:
    return [(d.code, d.path, d.line, d.message) for d in load(program, today).diagnostics]


def codes(program: ProgramDir, today: date = TODAY) -> list[str]:
    return [code for code, *_ in findings(program, today)]


def line_of(program: ProgramDir, relpath: str, text: str) -> int:
    lines = program.read(relpath).split("\n")
    return next(number for number, line in enumerate(lines, start=1) if text in line)


# -- the repository's own program ---------------------------------------------------------------


def test_the_starter_describes_every_part_and_passes_every_rule() -> None:
    program = load_program(REPO, use_cache=False, today=TODAY)
    assert sorted(program.system_parts) == sorted(SYSTEM_PART_NAMES)
    assert [state.state for state in parts(program)] == ["written"] * len(PARTS)
    assert [d for d in program.diagnostics if d.code.startswith("SK70") or d.path.startswith("system/")] == []
    # Every organization of the starter's register is named in the description (SK709 is quiet for a reason).
    assert program.subservice_organizations, "the starter's register lists its subservice organizations"


def test_the_starter_description_is_our_own_writing() -> None:
    for path in (REPO / "system").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        assert "The entity " not in text, path
        assert "points of focus" not in text.lower(), path
        # `init` renames only "Acme Inc." and "Acme Platform": a bare "Acme" would stay in an adopter's copy.
        assert re.findall(r"Acme(?! Inc\.| Platform)", text) == [], path


def test_the_starter_folder_links_to_the_repository_description() -> None:
    link = REPO / "soc2kit" / "starter_program" / "system"
    assert link.is_symlink()
    assert link.resolve() == (REPO / "system").resolve()


def test_front_matter_of_every_part_follows_the_schema() -> None:
    schema = json.loads(render_schemas()["system-part.schema.json"])
    assert json.loads((REPO / "schema" / "system-part.schema.json").read_text(encoding="utf-8")) == schema
    for path in (REPO / "system").glob("*.md"):
        front = path.read_text(encoding="utf-8").split("---\n")[1]
        jsonschema.validate(yaml.load(front, Loader=yaml.BaseLoader), schema)  # dates as text, as an editor reads them
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"part": "boundary", "title": "B", "owner": "X"}, schema)


# -- rules ----------------------------------------------------------------------------------------


def test_a_program_without_a_system_folder_gets_no_finding_and_no_portal_section(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program", quarters=2)
    assert findings(program) == []
    assert [state.state for state in parts(load(program))] == ["missing"] * len(PARTS)


def test_a_described_program_has_no_finding(tmp_path: Path) -> None:
    assert findings(described(tmp_path)) == []


def test_every_missing_part_is_reported_on_the_config_line_of_the_system(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program", quarters=2)
    (program.root / "system").mkdir()
    found = findings(program)
    assert [code for code, *_ in found] == ["SK701"] * len(PARTS)
    assert {(path, line) for _, path, line, _ in found} == {("soc2kit.yml", line_of(program, "soc2kit.yml", "system:"))}
    assert "the system description has no 'incidents' part (System incidents)" in {message for *_, message in found}


def test_one_missing_part_is_named_and_its_hint_says_what_to_write(tmp_path: Path) -> None:
    program = described(tmp_path)
    (program.root / "system" / "boundaries.md").unlink()
    [finding] = list(load(program).diagnostics)
    assert (finding.code, finding.message) == ("SK701", "the system description has no 'boundaries' part (System boundaries)")
    assert "system/boundaries.md" in finding.hint
    assert outline("boundaries").guidance in finding.hint
    assert finding.severity.value == "error"


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ("# Services provided\n\n## The company\n\n", "no text beyond headings"),
        ("", "no text beyond headings"),
        ("# Services\n\nTest Platform is ours.\n\nThe regions are TBD.\n", "a TODO/TBD/FIXME marker"),
        ("# Services\n\nTest Platform is ours.\n\nFIXME say more\n", "a TODO/TBD/FIXME marker"),
        ("# Services\n\nTest Platform runs in [placeholder: region].\n", "a bracketed placeholder"),
        ("# Services\n\nTest Platform runs in <fill in the region>.\n", "a bracketed placeholder"),
        ("# Services\n\nTest Platform. Lorem ipsum dolor sit amet.\n", "lorem ipsum filler"),
        ("# Services\n\nTest Platform is ours.\n<!-- TODO add the API -->\n", "a TODO/TBD/FIXME marker"),
    ],
)
def test_a_placeholder_part_is_reported_at_its_line(tmp_path: Path, body: str, why: str) -> None:
    program = described(tmp_path)
    program.write(
        "system/services.md", "---\npart: services\ntitle: Services provided\nowner: CEO\nlast_reviewed: 2026-07-06\n---\n" + body
    )
    found = [f for f in findings(program) if f[0] == "SK702"]
    assert len(found) == 1, found
    _, path, line, message = found[0]
    assert path == "system/services.md"
    assert message == f"the 'services' part is still a placeholder: {why}"
    marked = [
        n
        for n, text in enumerate(program.read(path).split("\n"), start=1)
        if re.search(r"TBD|FIXME|placeholder:|fill in|ipsum|TODO", text)
    ]
    assert line == (marked[0] if marked else 7)  # the marker's line, or the body's first line
    assert [state.state for state in parts(load(program)) if state.outline.name == "services"] == ["placeholder"]


def test_the_outline_guidance_left_unchanged_is_a_placeholder(tmp_path: Path) -> None:
    program = described(tmp_path)
    guidance = outline("data").guidance
    # Rewrapped over two lines, as an editor would leave it: still the outline's sentence.
    half = len(guidance) // 2
    cut = guidance.index(" ", half)
    program.write(
        "system/data.md",
        f"---\npart: data\ntitle: Data\nowner: Head of Data\nlast_reviewed: 2026-07-06\n---\n# Data\n\n{guidance[:cut]}\n{guidance[cut + 1 :]}\n",
    )
    assert [(f[0], f[2], f[3]) for f in findings(program)] == [
        ("SK702", 9, "the 'data' part is still a placeholder: the outline's guidance, unchanged")
    ]


def test_an_outline_from_the_module_is_reported_by_sk014_and_sk702(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.write("system/people.md", outline_text("people"))
    found = {(code, message.split(":")[0]) for code, path, _, message in findings(program) if path == "system/people.md"}
    assert ("SK702", "the 'people' part is still a placeholder") in found
    assert "SK014" in {code for code, _ in found}
    assert "SK704" in {code for code, _ in found}  # an outline has never been reviewed


def test_words_that_only_look_like_markers_and_markers_in_code_are_not_placeholders() -> None:
    body = "# Software\n\nWe keep todos in the tracker; TODOS is a product name.\n\n```\nTODO: sample config\n```\n"
    assert placeholders(body, "software") == []


def test_two_documents_for_one_part_are_reported_at_the_second(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.write(
        "system/zz-more-data.md",
        "---\ntitle: More data\npart: data\nowner: CTO\nlast_reviewed: 2026-07-06\n---\n# More\n\nText.\n",
    )
    assert findings(program) == [
        (
            "SK703",
            "system/zz-more-data.md",
            3,
            f"the 'data' part is also system/data.md:{line_of(program, 'system/data.md', 'part:')}; only that one counts",
        )
    ]
    assert load(program).source("system-part", "data").path == "system/data.md"


def test_an_unknown_part_name_is_a_schema_error_naming_the_choices(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("system/data.md", "part: data", "part: dataa")
    found = [f for f in findings(program) if f[1] == "system/data.md"]
    assert found
    assert found[0][0].startswith("SK0")
    assert found[0][2] == line_of(program, "system/data.md", "part:")
    assert "'data'" in found[0][3]
    # The part it meant to be is then missing.
    assert ("SK701", "the system description has no 'data' part (Components: data)") in {(f[0], f[3]) for f in findings(program)}


def test_reviews_never_made_overdue_and_in_the_future(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("system/software.md", "last_reviewed: 2026-07-06\n", "")
    program.replace("system/people.md", "last_reviewed: 2026-07-06", "last_reviewed: 2025-10-01")
    program.replace("system/data.md", "last_reviewed: 2026-07-06", "last_reviewed: 2026-12-24")
    found = sorted((f[0], f[1], f[2], f[3]) for f in findings(program))
    assert found == [
        (
            "SK704",
            "system/people.md",
            5,
            "the 'people' part was due for review on 2026-10-01 (last reviewed 2025-10-01, every 12 months)",
        ),
        ("SK704", "system/software.md", 2, "the 'software' part has never been reviewed (no `last_reviewed`)"),
        ("SK705", "system/data.md", 5, "the 'data' part is dated as reviewed on 2026-12-24, after today (2026-11-22)"),
    ]


@pytest.mark.parametrize(
    ("reviewed", "today", "expected"),
    [
        ("2026-03-01", TODAY, "before the audit period ended (2026-06-30)"),  # period over: must cover all of it
        ("2026-06-30", TODAY, None),
        ("2026-03-01", date(2026, 5, 15), None),  # during the period: reviewed since it began
        ("2025-12-20", date(2026, 5, 15), "before the audit period began (2026-01-01)"),
    ],
)
def test_incidents_and_changes_must_be_reviewed_for_the_period(
    tmp_path: Path, reviewed: str, today: date, expected: str | None
) -> None:
    program = described(tmp_path)
    for name in ("incidents", "changes"):
        program.replace(f"system/{name}.md", "last_reviewed: 2026-07-06", f"last_reviewed: {reviewed}")
    found = [f for f in findings(program, today) if f[0] == "SK706"]
    if expected is None:
        assert found == []
    else:
        assert [(f[1], f[2]) for f in found] == [("system/changes.md", 5), ("system/incidents.md", 5)]
        assert all(expected in f[3] for f in found), found
    # The other parts were reviewed on 2026-07-06: no rule asks them to follow the period.
    assert not [f for f in findings(program, today) if f[0] == "SK706" and "incidents" not in f[1] and "changes" not in f[1]]


def test_type1_events_are_judged_from_the_as_of_date(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace(
        "soc2kit.yml", "type: type2\n  period: {start: 2026-01-01, end: 2026-06-30}", "type: type1\n  as_of: 2026-09-30"
    )
    assert "SK706" in codes(program)  # reviewed 2026-07-06, before the as-of date
    assert "SK706" not in codes(program, date(2026, 9, 29))  # the as-of date has not come


def test_the_services_part_must_name_the_system(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("soc2kit.yml", "name: Test Platform", "name: Orbit Cloud")
    assert [(f[0], f[1], f[3]) for f in findings(program)] == [
        (
            "SK707",
            "system/services.md",
            "the services part never names the system 'Orbit Cloud' that soc2kit.yml says the audit covers",
        )
    ]


def test_commitments_must_speak_to_every_category_in_scope(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("soc2kit.yml", "categories: [security]", "categories: [security, availability]")
    assert "SK708" not in codes(program)
    text = program.read("system/commitments.md")
    kept = [line for line in text.split("\n") if not re.search("availab|uptime", line, re.IGNORECASE)]
    program.write("system/commitments.md", "\n".join(kept))
    # (The test program's controls cover no availability criterion: only the SK7xx findings matter here.)
    assert [f[3] for f in findings(program) if f[0] == "SK708"] == [
        "the commitments part says nothing about availability, which is in scope"
    ]


def test_a_subservice_organization_must_be_named_in_the_description(tmp_path: Path) -> None:
    program = described(tmp_path)
    shutil.copytree(REPO / "registers", program.root / "registers")
    assert "SK709" not in codes(program)  # the starter's description names Amazon Web Services
    for path in (program.root / "system").glob("*.md"):
        text = path.read_text(encoding="utf-8")
        path.write_text(re.sub(r"Amazon Web Services|\bAWS\b", "the cloud host", text), encoding="utf-8")
    found = [f for f in findings(program) if f[0] == "SK709"]
    assert [(f[1], f[3]) for f in found] == [
        (
            "system/boundaries.md",
            "the subservice organization Amazon Web Services (aws) is named nowhere in the system description",
        )
    ]


def test_check_cli_reports_system_findings_with_line_and_hint(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("system/boundaries.md", "Customers manage who", "TBD: customers manage who")
    result = program.check("--format", "json")
    assert result.returncode == 1, result.stdout
    [finding] = json.loads(result.stdout)["diagnostics"]
    assert finding["code"] == "SK702"
    assert finding["path"] == "system/boundaries.md"
    assert finding["line"] == line_of(program, "system/boundaries.md", "TBD: customers")
    assert "must answer" in finding["hint"]
    assert "Traceback" not in result.stderr


# -- init ------------------------------------------------------------------------------------------


def test_init_writes_the_description_personalised_and_unreviewed(tmp_path: Path) -> None:
    target = tmp_path / "globex"
    init_program(target, InitOptions(organization="Globex Corp", system="Globex Cloud", git=False), today=TODAY)
    written = sorted(p.name for p in (target / "system").glob("*.md"))
    assert written == sorted(p.name for p in (REPO / "system").glob("*.md"))
    for name in written:
        text = (target / "system" / name).read_text(encoding="utf-8")
        assert "Acme" not in text, name
        assert "last_reviewed" not in text, name
        assert text.startswith("---\n# yaml-language-server: $schema=")
        assert "system-part.schema.json" in text.split("\n")[1]
    assert "Globex Cloud" in (target / "system" / "services.md").read_text(encoding="utf-8")
    program = load_program(target, use_cache=False, today=TODAY)
    # (The rest of the starter is other rules' business: tests/test_scaffold.py checks a new program passes.)
    assert [d for d in program.errors if d.path.startswith("system/") or d.code.startswith("SK70")] == []
    system_findings = [(d.code, d.path) for d in program.diagnostics if d.code.startswith("SK70")]
    assert sorted(system_findings) == sorted(("SK704", f"system/{name}") for name in written)


def test_init_without_a_system_name_still_passes_the_description_rules(tmp_path: Path) -> None:
    target = tmp_path / "initech"
    result = run_cli("init", str(target), "--org", "Initech", "--no-git")
    assert result.returncode == 0, result.stderr
    checked = run_cli("check", str(target), "--format", "json", "--no-cache")
    assert checked.returncode in (0, 1), checked.stderr
    assert "Traceback" not in checked.stderr
    codes_found = {d["code"] for d in json.loads(checked.stdout)["diagnostics"] if d["path"].startswith("system/")}
    assert codes_found == {"SK704"}
    assert "the Initech system" in (target / "system" / "services.md").read_text(encoding="utf-8")


# -- bundle entries ------------------------------------------------------------------------------


def test_bundle_entries_hold_every_part_in_report_order_with_notes_for_what_is_not_done(tmp_path: Path) -> None:
    program = described(tmp_path)
    (program.root / "system" / "changes.md").unlink()
    program.replace("system/incidents.md", "During the audit period", "TBD. During the audit period")
    entries = bundle_entries(load(program))
    assert list(entries) == [f"system-description/{n:02d}-{part.name}.md" for n, part in enumerate(PARTS, start=1)] + [
        "SYSTEM-DESCRIPTION.md"
    ]
    infrastructure = entries["system-description/03-infrastructure.md"].decode()
    assert infrastructure.startswith(
        "# Components: infrastructure\n\n_Owner: Head of Infrastructure. Last reviewed: 2026-07-06. Source: <code>system/infrastructure.md</code>._\n"
    )
    assert "\n# Infrastructure\n" not in infrastructure  # the body's own title gives way to the part's
    assert "Amazon Web Services (AWS)" in infrastructure
    assert "not written yet" in entries["system-description/11-changes.md"].decode()
    assert "still a placeholder" in entries["system-description/10-incidents.md"].decode()
    combined = entries["SYSTEM-DESCRIPTION.md"].decode()
    assert combined.startswith(
        "# Test Platform: description of the system\n\nOrganization: Test Co. Type II, for the period 2026-01-01 to 2026-06-30.\n"
    )
    headings = re.findall(r"^## (\d+)\. (.+)$", combined, flags=re.MULTILINE)
    assert [int(number) for number, _ in headings] == list(range(1, len(PARTS) + 1))
    assert "\n## Criteria not covered\n\nEvery criterion of the categories in scope is covered.\n" in combined
    assert "\n## Subservice organizations\n\nNone are listed" in combined
    shutil.copytree(REPO / "registers", program.root / "registers")
    program.replace(
        "soc2kit.yml",
        "categories: [security]",
        "categories: [security]\n  exclusions:\n    - {criterion: CC6.4, reason: No *offices*.}",
    )
    disclosed = bundle_entries(load(program))["SYSTEM-DESCRIPTION.md"].decode()
    assert "\n- CC6.4: No &#42;offices&#42;.\n" in disclosed
    assert "\n- Amazon Web Services (carve-out): Hosts the " in disclosed
    assert re.search(r"\n- CUEC-\d+: ", disclosed)
    assert "\n### Hosting\n" in combined  # a part's own `##` sits below its `##` title in the combined file
    assert all(value.endswith(b"\n") and value.decode("utf-8") for value in entries.values())


def test_bundle_entries_show_program_values_as_text(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("system/people.md", 'title: "Components: people"', 'title: "<b>People</b> [x](javascript:y) *all*"')
    program.replace("system/people.md", "owner: Head of People", 'owner: "<script>z</script>"')
    entry = bundle_entries(load(program))["system-description/05-people.md"].decode()
    heading, _, card = entry.split("\n")[:3]
    for markup in ("<b>", "](", "*all*"):
        assert markup not in heading
    assert "<script>" not in card
    assert "The CEO leads" in entry


# -- portal ----------------------------------------------------------------------------------------

MKDOCS_YML = """\
site_name: Test portal
theme:
  name: material
  features: [navigation.tabs, navigation.indexes]
plugins:
  - soc2kit:
      today: "2026-11-22"
"""


def build_site(program: ProgramDir, *, strict: bool = True) -> Path:
    program.write("mkdocs.yml", MKDOCS_YML)
    (program.root / "docs").mkdir(exist_ok=True)
    result = mkdocs(program.root, *(["--strict"] if strict else []))
    assert result.returncode == 0, result.stderr
    return program.root / "site"


def visible(markup: str) -> str:
    article = markup[markup.find("<article") : markup.find("</article>")]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", article)))


def tabs(markup: str) -> list[str]:
    return re.findall(r'class="md-tabs__link[^"]*"[^>]*>\s*([^<]+?)\s*<', markup)


def test_portal_renders_the_parts_and_escapes_program_values(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("system/people.md", 'title: "Components: people"', 'title: "<b>People</b> & | teams"')
    program.replace("system/people.md", "owner: Head of People", 'owner: "<script>alert(1)</script>"')
    program.write("system/people.md", program.read("system/people.md") + "\n<img src=x onerror=alert(2)>\n")
    site = build_site(program)
    home = (site / "index.html").read_text(encoding="utf-8")
    assert tabs(home)[:2] == ["Home", "System description"]
    index = (site / "system" / "index.html").read_text(encoding="utf-8")
    shown = visible(index)
    assert "11 Parts written 0 Placeholders 0 Missing" in shown
    assert "8 System boundaries Compliance Manager 2026-07-06 written" in shown
    assert "<script>alert(1)" not in index
    assert "<b>People</b>" not in index
    assert "5 <b>People</b> & | teams <script>alert(1)</script> 2026-07-06 written" in shown  # shown as text
    people = (site / "system" / "people" / "index.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in people
    assert "onerror" not in people
    assert "The CEO leads" in visible(people)
    assert (site / "system" / "boundaries" / "index.html").is_file()


def test_portal_shows_placeholder_and_missing_parts(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("system/data.md", "Customer records", "TBD customer records")
    (program.root / "system" / "changes.md").unlink()
    site = build_site(program, strict=False)  # a placeholder is an error: a strict build refuses it
    shown = visible((site / "system" / "index.html").read_text(encoding="utf-8"))
    assert "9 Parts written 1 Placeholders 1 Missing" in shown
    assert "7 Components: data Head of Data 2026-07-06 placeholder" in shown
    assert "11 Significant changes during the period missing" in shown
    data = visible((site / "system" / "data" / "index.html").read_text(encoding="utf-8"))
    assert "Still a placeholder" in data
    assert outline("data").guidance in data
    assert not (site / "system" / "changes").exists()


def test_portal_of_a_program_without_a_description_has_no_system_section(tmp_path: Path) -> None:
    program = make_program(tmp_path / "program", quarters=2)
    site = build_site(program)
    assert "System description" not in tabs((site / "index.html").read_text(encoding="utf-8"))
    assert not (site / "system").exists()


def test_a_warm_cache_gives_the_same_parts_and_findings(tmp_path: Path) -> None:
    program = described(tmp_path)
    program.replace("system/people.md", "last_reviewed: 2026-07-06", "last_reviewed: 2025-10-01")
    cold = load_program(program.root, today=TODAY)
    warm = load_program(program.root, today=TODAY)
    assert warm.system_parts == cold.system_parts
    assert warm.system_parts["people"].last_reviewed == date(2025, 10, 1)
    assert [(d.code, d.path, d.line) for d in warm.diagnostics] == [(d.code, d.path, d.line) for d in cold.diagnostics]
    assert [(d.code, d.path) for d in warm.diagnostics] == [("SK704", "system/people.md")]
    assert [state.body for state in parts(warm)] == [state.body for state in parts(cold)]
