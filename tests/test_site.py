"""The portal plugin: page generation from the Program, real `mkdocs build` (strict and not),
findings on a broken program, links, edit URLs, navigation and the serve hook."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from conftest import ProgramDir, mkdocs

from soc2kit.registry import RULES
from soc2kit.site.pages import build_pages
from soc2kit.site.portal import load_portal

REPO = Path(__file__).resolve().parent.parent

MKDOCS_YML = """\
site_name: Test portal
repo_url: https://github.com/example/compliance
edit_uri: edit/main/docs/
theme:
  name: material
  features: [navigation.tabs, navigation.indexes, navigation.prune, content.action.edit]
plugins:
  - search
  - soc2kit:
      today: "2026-05-15"
"""


def with_site(program: ProgramDir, config: str = MKDOCS_YML) -> ProgramDir:
    program.write("mkdocs.yml", config)
    (program.root / "docs").mkdir(exist_ok=True)
    return program


def html(program: ProgramDir, page: str) -> str:
    return (program.root / "site" / page / "index.html").read_text(encoding="utf-8")


def text_of(markup: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", markup))


def test_a_page_for_every_policy_control_criterion_and_evidence_month(program_dir: ProgramDir) -> None:
    portal = load_portal(program_dir.root, use_cache=False)
    paths = {page.path for page in build_pages(portal)}
    program = portal.program
    assert {f"policies/{pid}.md" for pid in program.policies} <= paths
    assert {f"controls/{cid}.md" for cid in program.controls} <= paths
    assert {f"criteria/{c.id}.md" for c in program.catalog.criteria} <= paths
    assert {"index.md", "policies/index.md", "controls/index.md", "criteria/index.md", "evidence/index.md"} <= paths
    assert {"changes.md", "findings.md", "reference/rules.md", "reference/cli.md"} <= paths
    # Evidence: one page per month collected, never one per record.
    assert sorted(p for p in paths if p.startswith("evidence/")) == ["evidence/2026-04.md", "evidence/index.md"]


def test_policy_page_has_metadata_card_body_and_implementing_controls(program_dir: ProgramDir) -> None:
    portal = load_portal(program_dir.root, use_cache=False)
    page = next(p for p in build_pages(portal) if p.path == "policies/POL-ISP.md")
    assert page.source == "policies/information-security.md"
    assert page.markdown.startswith("# Information Security Policy\n")
    assert page.markdown.count("# Information Security Policy") == 1  # the body's own title is not repeated
    for label in ("Owner", "Approver", "Status", "Version", "Effective", "Next review"):
        assert f"<dt>{label}</dt>" in page.markdown
    assert "<dd>2027-01-10</dd>" in page.markdown  # last_reviewed 2026-01-10 + 12 months
    assert "## Policy statements" in page.markdown
    for cid in portal.program.controls:
        assert f"[{cid}](../controls/{cid}.md)" in page.markdown


def test_control_page_links_its_criteria_policies_and_evidence(program_dir: ProgramDir) -> None:
    portal = load_portal(program_dir.root, use_cache=False)
    page = next(p for p in build_pages(portal) if p.path == "controls/TC-01.md")
    assert "[CC1.1](../criteria/CC1.1.md)" in page.markdown
    assert "[POL-ISP](../policies/POL-ISP.md)" in page.markdown
    assert "EV-TC-01-2026Q1" in page.markdown
    assert "2026-04-02</span>](../evidence/2026-04.md)" in page.markdown
    headings = re.findall(r"^## (.+)$", page.markdown, flags=re.MULTILINE)
    assert headings[0] == "Description"
    assert headings[-2:] == ["Test procedure", "Revision history"]
    assert "Evidence timeline" in headings


def test_criteria_matrix_shows_status_and_exclusions_with_reasons(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "soc2kit.yml",
        "  categories: [security]\n",
        "  categories: [security]\n  exclusions:\n    - criterion: CC6.4\n      reason: Cloud provider runs the data centres.\n",
    )
    program_dir.replace("controls/TC-02.md", "criteria: [CC1.5, CC2.1, CC2.2, CC2.3]", "criteria: [CC1.5, CC2.1, CC2.2]")
    portal = load_portal(program_dir.root, use_cache=False)
    matrix = next(p for p in build_pages(portal) if p.path == "criteria/index.md").markdown
    row = next(line for line in matrix.splitlines() if line.startswith("| [CC2.3]"))
    assert "no control" in row
    assert "| [CC6.4](CC6.4.md) | Cloud provider runs the data centres. |" in matrix
    assert "| [CC6.4]" not in matrix.split("## Excluded criteria")[0]


def test_markdown_and_html_in_titles_are_escaped(program_dir: ProgramDir) -> None:
    program_dir.replace(
        "policies/information-security.md", "title: Information Security Policy", "title: 'Info | <b>Sec</b> *Policy*'"
    )
    portal = load_portal(program_dir.root, use_cache=False)
    index = next(p for p in build_pages(portal) if p.path == "policies/index.md").markdown
    assert "Info &#124; &#60;b&#62;Sec&#60;/b&#62; &#42;Policy&#42;" in index


def test_repo_portal_builds_strict() -> None:
    out = REPO / "build" / "test-site"
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert (out / "policies" / "POL-AC" / "index.html").is_file()
    assert (out / "controls" / "AC-04" / "index.html").is_file()
    assert (out / "coverage" / "index.html").is_file()  # the docs/ folder's own pages stay part of the site
    assert not list((REPO / "docs").glob("policies"))  # nothing generated is written to docs/


def test_site_pages_link_policy_control_and_criterion_both_ways(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    result = mkdocs(program_dir.root, "--strict")
    assert result.returncode == 0, result.stderr
    policy = html(program_dir, "policies/POL-ISP")
    control = html(program_dir, "controls/TC-01")
    criterion = html(program_dir, "criteria/CC1.1")
    assert 'href="../../controls/TC-01/"' in policy
    assert 'href="../../criteria/CC1.1/"' in control
    assert 'href="../../policies/POL-ISP/"' in control
    assert 'href="../../controls/TC-01/"' in criterion


def test_edit_links_point_at_the_program_source_files(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    assert mkdocs(program_dir.root).returncode == 0
    policy = html(program_dir, "policies/POL-ISP")
    assert 'href="https://github.com/example/compliance/edit/main/policies/information-security.md"' in policy
    control = html(program_dir, "controls/TC-01")
    assert 'href="https://github.com/example/compliance/edit/main/controls/TC-01.md"' in control
    assert "https://github.com/example/compliance/blob/HEAD/evidence/TC-01/q1.yaml" in control


def test_program_with_errors_builds_with_a_findings_page_and_a_banner(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    program_dir.replace("controls/TC-01.md", "policies: [POL-ISP]", "policies: [POL-NOPE]")
    result = mkdocs(program_dir.root)
    assert result.returncode == 0, result.stderr
    assert "controls/TC-01.md:6: SK103" in result.stderr  # logged as a warning, not a traceback
    findings = text_of(html(program_dir, "findings"))
    assert "1 error: this program does not pass" in findings
    assert "controls/TC-01.md" in findings
    assert "SK103 unknown-policy" in findings
    assert "POL-NOPE" in findings
    home = text_of(html(program_dir, ""))
    assert "This program has 1 error" in home
    assert "POL-NOPE missing" in text_of(html(program_dir, "controls/TC-01"))


def test_strict_build_of_a_program_with_errors_fails_with_the_findings_and_no_traceback(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    program_dir.replace("controls/TC-01.md", "policies: [POL-ISP]", "policies: [POL-NOPE]")
    program_dir.write("controls/TC-99.md", "---\nid: TC-99\n---\n")
    result = mkdocs(program_dir.root, "--strict")
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "soc2kit: the program has" in result.stderr
    assert "controls/TC-01.md:6: SK103" in result.stderr
    assert "controls/TC-99.md:2: SK010" in result.stderr
    assert "Aborted with a BuildError" in result.stdout + result.stderr


def test_unusable_config_still_builds_and_says_so(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    program_dir.write("soc2kit.yml", "organization: [\n")
    result = mkdocs(program_dir.root)
    assert result.returncode == 0, result.stderr
    assert "soc2kit.yml is not usable" in text_of(html(program_dir, "findings"))


def test_a_docs_page_where_a_generated_page_goes_is_a_clear_error(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    program_dir.write("docs/index.md", "# My home\n")
    result = mkdocs(program_dir.root)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "index.md in " in result.stderr
    assert "would be replaced by generated pages" in result.stderr


def test_bad_plugin_options_are_clear_errors(program_dir: ProgramDir) -> None:
    with_site(program_dir, MKDOCS_YML.replace('today: "2026-05-15"', 'today: "15/05/2026"'))
    result = mkdocs(program_dir.root)
    assert result.returncode == 1
    assert "plugin option 'today': '15/05/2026' is not an ISO date" in result.stderr
    assert "Traceback" not in result.stderr
    with_site(program_dir, MKDOCS_YML.replace("  - soc2kit:\n", "  - soc2kit:\n      program: missing\n"))
    result = mkdocs(program_dir.root)
    assert result.returncode == 1
    assert "missing" in result.stderr
    assert "does not exist" in result.stderr
    assert "Traceback" not in result.stderr


def test_disabled_plugin_adds_no_page(program_dir: ProgramDir) -> None:
    with_site(program_dir, MKDOCS_YML.replace("  - soc2kit:\n", "  - soc2kit:\n      enabled: false\n"))
    program_dir.write("docs/index.md", "# Own home\n")
    result = mkdocs(program_dir.root, "--strict")
    assert result.returncode == 0, result.stderr
    assert not (program_dir.root / "site" / "policies").exists()
    assert "Own home" in html(program_dir, "")


def test_generated_navigation_has_a_tab_per_section_and_groups_controls(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    program_dir.write("docs/guide.md", "# Guide\n\nHow we work.\n")
    assert mkdocs(program_dir.root, "--strict").returncode == 0
    home = html(program_dir, "")
    tabs = re.findall(r'class="md-tabs__link[^"]*"[^>]*>\s*([^<]+?)\s*<', home)
    assert tabs == ["Home", "Policies", "Controls", "Criteria", "Evidence", "Changes", "Findings", "Reference", "Guides"]
    assert (program_dir.root / "site" / "guide" / "index.html").is_file()


def test_reference_pages_list_every_rule_and_every_command(program_dir: ProgramDir) -> None:
    portal = load_portal(program_dir.root, use_cache=False)
    pages = {p.path: p.markdown for p in build_pages(portal)}
    for code, rule in RULES.items():
        assert f'<a id="{code.lower()}"></a>{code} | `{rule.name}`' in pages["reference/rules.md"]
    cli = pages["reference/cli.md"]
    for command in ("`soc2kit`", "`soc2kit check`", "`soc2kit new policy`", "`soc2kit new control`", "`soc2kit init`"):
        assert f"## {command}" in cli or f"# {command}" in cli
    assert "`--format`" in cli
    assert "`text` \\| `json` \\| `github` \\| `sarif`" in cli


def test_serve_watches_the_program_folders_and_config(program_dir: ProgramDir) -> None:
    from mkdocs.config import load_config

    from soc2kit.site.plugin import Soc2kitPlugin

    with_site(program_dir)
    config = load_config(str(program_dir.root / "mkdocs.yml"))
    plugin = config.plugins["soc2kit"]
    assert isinstance(plugin, Soc2kitPlugin)
    plugin.on_config(config)

    class Server:
        watched: list[str] = []  # noqa: RUF012

        def watch(self, path: str) -> None:
            self.watched.append(path)

    server = Server()
    plugin.on_serve(server, config=config, builder=None)  # type: ignore[arg-type]
    assert sorted(Path(p).relative_to(program_dir.root).as_posix() for p in server.watched) == [
        "controls",
        "evidence",
        "policies",
        "soc2kit.yml",
    ]


@pytest.mark.parametrize("name", ["index", "policies/index", "controls/index", "evidence/index", "findings"])
def test_index_pages_show_counts_matching_the_program(program_dir: ProgramDir, name: str) -> None:
    portal = load_portal(program_dir.root, use_cache=False)
    program = portal.program
    page = next(p for p in build_pages(portal) if p.path == f"{name}.md").markdown
    metrics = dict(re.findall(r'data-metric="([^"]+)">([^<]+)<', page))
    expected = {
        "index": {
            "score": f"{portal.readiness.score.value:g}%",
            "criteria-ready": f"{portal.readiness.score.ready}/{len(program.criteria_in_scope())}",
            "errors": "0",
        },
        "policies/index": {"policies": "1", "policies-approved": "1", "policies-draft": "0"},
        "controls/index": {"controls": str(len(program.controls)), "control-families": "1"},
        "evidence/index": {"evidence-records": str(len(program.evidence)), "evidence-months": "1"},
        "findings": {"findings-errors": "0"},
    }[name]
    assert {k: metrics[k] for k in expected} == expected


def commit_all(root: Path, message: str, day: str, name: str = "Alice Auditor", *, trailers: str = "") -> None:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": name,
        "GIT_AUTHOR_EMAIL": f"{name.split(maxsplit=1)[0].lower()}@example.com",
        "GIT_COMMITTER_NAME": name,
        "GIT_COMMITTER_EMAIL": f"{name.split(maxsplit=1)[0].lower()}@example.com",
        "GIT_AUTHOR_DATE": f"{day}T09:00:00+00:00",
        "GIT_COMMITTER_DATE": f"{day}T09:00:00+00:00",
    }
    if not (root / ".git").exists():
        subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, env=env, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, env=env, check=True)
    full = message + (f"\n\n{trailers}" if trailers else "")
    subprocess.run(["git", "commit", "-q", "-m", full], cwd=root, env=env, check=True)


def test_outside_git_revision_tables_and_changes_say_why(program_dir: ProgramDir) -> None:
    pages = {p.path: p.markdown for p in build_pages(load_portal(program_dir.root, use_cache=False))}
    assert "not in a Git repository" in pages["policies/POL-ISP.md"].split("## Revision history")[1]
    assert "not in a Git repository" in pages["changes.md"]
    off = {p.path: p.markdown for p in build_pages(load_portal(program_dir.root, use_cache=False, history=False))}
    assert "plugin option <code>history: false</code>" in off["changes.md"]


def test_revision_history_and_changes_come_from_git(program_dir: ProgramDir) -> None:
    root = program_dir.root
    commit_all(root, "Start the program", "2026-01-05")
    program_dir.replace("controls/TC-01.md", "The IT Manager reviews access.", "The IT Manager reviews access monthly.")
    commit_all(
        root, "Review access monthly (#7)", "2026-02-01", "Bob Builder", trailers="Approved-by: Carol CISO <carol@example.com>"
    )
    program_dir.replace("policies/information-security.md", "Yearly.", "Every year.")
    commit_all(root, "Reword the review section", "2026-03-01")
    portal = load_portal(root, use_cache=False, repo_url="https://github.com/example/compliance/")
    pages = {p.path: p.markdown for p in build_pages(portal)}

    policy_history = pages["policies/POL-ISP.md"].split("## Revision history")[1]
    rows = [line for line in policy_history.splitlines() if line.startswith("| <span")]
    assert len(rows) == 2
    assert rows[0].startswith('| <span class="sk-nowrap">2026-03-01</span> | Alice Auditor | ')
    assert "direct push" in rows[0]
    assert "Start the program" in rows[1]
    assert "<dd>2026-03-01 by Alice Auditor</dd>" in pages["policies/POL-ISP.md"]

    control_history = pages["controls/TC-01.md"].split("## Revision history")[1]
    assert "[#7](https://github.com/example/compliance/pull/7)" in control_history
    assert "Carol CISO" in control_history

    changes = pages["changes.md"]
    metrics = dict(re.findall(r'data-metric="([^"]+)">([^<]+)<', changes))
    assert metrics == {"changes": "3", "changes-with-pr": "1", "changes-without-pr": "2", "changes-in-period": "3"}
    row = next(line for line in changes.splitlines() if "Review access monthly" in line)
    assert "[TC-01](controls/TC-01.md)" in row
    assert "[#7](https://github.com/example/compliance/pull/7)" in row
    first = next(line for line in changes.splitlines() if "Start the program" in line)
    assert "[TC-01](controls/TC-01.md) (added), [TC-02](controls/TC-02.md) (added)" in first
    assert "and 15 more" in first  # 21 files: the first six are named


def test_a_shallow_clone_warns_that_history_is_cut(program_dir: ProgramDir, tmp_path: Path) -> None:
    commit_all(program_dir.root, "Start the program", "2026-01-05")
    program_dir.replace("policies/information-security.md", "Yearly.", "Every year.")
    commit_all(program_dir.root, "Reword the review section (#3)", "2026-03-01")
    clone = tmp_path / "clone"
    subprocess.run(
        ["git", "clone", "-q", "--depth", "1", f"file://{program_dir.root}", str(clone)], check=True, capture_output=True
    )
    pages = {p.path: p.markdown for p in build_pages(load_portal(clone, use_cache=False))}
    policy = pages["policies/POL-ISP.md"].split("## Revision history")[1]
    assert '!!! warning "Shallow clone"' in policy
    assert "history is cut" in policy
    assert "Reword the review section" in policy
    assert "Start the program" not in policy
    assert '!!! warning "Shallow clone"' in pages["changes.md"]


def test_mkdocs_serve_rebuilds_when_a_policy_changes(program_dir: ProgramDir) -> None:
    import socket
    import time
    import urllib.error
    import urllib.request

    with_site(program_dir)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    log = (program_dir.root.parent / "serve.log").open("w", encoding="utf-8")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "mkdocs",
            "serve",
            "-a",
            f"127.0.0.1:{port}",
            "-f",
            str(program_dir.root / "mkdocs.yml"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=log,
        env=env,
    )
    url = f"http://127.0.0.1:{port}/policies/POL-ISP/"

    def wait_for(text: str) -> bool:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(url, timeout=5) as response:
                    if text in response.read().decode("utf-8"):
                        return True
            except (urllib.error.URLError, ConnectionError, TimeoutError):  # a busy machine answers late
                pass
            time.sleep(0.5)
        return False

    try:
        assert wait_for("Information Security Policy")
        program_dir.replace("policies/information-security.md", "title: Information Security Policy", "title: Security Charter")
        assert wait_for("Security Charter"), "mkdocs serve did not rebuild after policies/ changed"
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


def test_docs_pages_links_out_of_the_docs_folder_reach_the_portal_or_the_git_host(program_dir: ProgramDir) -> None:
    with_site(program_dir)
    program_dir.write("README.md", "# Compliance\n")
    program_dir.write("docs/other.md", "# Other\n")
    program_dir.write(
        "docs/guide.md",
        "# Guide\n\nRead the [policy](../policies/information-security.md#scope), the [readme](../README.md), "
        "[another page](other.md) and [the control](../controls/TC-01.md).\n",
    )
    result = mkdocs(program_dir.root, "--strict")
    assert result.returncode == 0, result.stderr
    guide = html(program_dir, "guide")
    assert 'href="../policies/POL-ISP/#scope"' in guide
    assert 'href="../controls/TC-01/"' in guide
    assert 'href="https://github.com/example/compliance/blob/HEAD/README.md"' in guide
    assert 'href="../other/"' in guide


# -- hostile program values: shown as written, never markup --------------------------------------

HOSTILE = (
    "<script>alert('s')</script>",
    '"><img src=x onerror=alert(1)>',
    '" onmouseover="alert(2)',
    "[click](javascript:alert(3))",
    "![pic](javascript:alert(4))",
    "a | b",
    "{: onclick=alert(5) }",
    "<a href='javascript:alert(6)'>x</a>",
)
HOSTILE_TEXT = " ".join(HOSTILE)


def _yaml(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'


def _hostile_program(program: ProgramDir) -> str:
    """Every free-text field of the program holds every hostile value; returns an evidence file's name."""
    hostile = _yaml(HOSTILE_TEXT)
    with_break = _yaml(HOSTILE_TEXT + "\n| x | y |\n# heading")
    program.write(
        "soc2kit.yml",
        f"organization: {hostile}\nsystem:\n  name: {hostile}\naudit:\n  type: type2\n"
        "  period: {start: 2026-01-01, end: 2026-06-30}\nscope:\n  categories: [security]\n"
        f"  exclusions:\n    - criterion: CC6.4\n      reason: {with_break}\n",
    )
    policy = "policies/information-security.md"
    program.replace(policy, "title: Information Security Policy", f"title: {hostile}")
    program.replace(policy, "owner: Head of Security", f"owner: {hostile}")
    program.replace(policy, "approver: CTO", f"approver: {hostile}")
    program.replace(
        policy,
        "Why.",
        "Why.\n\n<script>alert('body')</script>\n\n<img src=x onerror=alert('body')>\n\n"
        "[a link](javascript:alert('body')) and <a href=\"javascript:alert('body')\">another</a>\n\n"
        "A paragraph\n{: onclick=\"alert('body')\" }\n\n<div onmouseover=\"alert('body')\">div</div>\n\n"
        "<iframe srcdoc=\"<script>alert('body')</script>\"></iframe>\n\n"
        "## Heading <img src=x onerror=alert('toc')> `<script>alert('toc')</script>`\n\nText.\n",
    )
    hostile_file = 'policies/p" onmouseover="alert(20) <img src=x onerror=alert(21)>.md'
    program.write(hostile_file, program.read(policy).replace("id: POL-ISP", "id: POL-HOSTILE"))
    control = "controls/TC-01.md"
    program.replace(control, "title: Control TC-01", f"title: {hostile}")
    program.replace(control, "owner: IT Manager", f"owner: {hostile}")
    program.replace(control, "description: Signed review", f"description: {with_break}")
    program.replace(control, "The IT Manager reviews access.", "The IT Manager <script>alert('body')</script> reviews.")
    name = 'x" onmouseover="alert(7) <img src=x onerror=alert(8)> [l](javascript:alert(9)) |.txt'
    data = b"hostile name\n"
    program.write(f"evidence/TC-01/{name}", data)
    program.write(
        "evidence/TC-01/hostile.yaml",
        f"id: EV-TC-01-HOSTILE\ncontrol: TC-01\nrequirement: review\ncollected: 2026-03-02\n"
        f"covers: {{start: 2026-01-01, end: 2026-03-31}}\ncollector: {hostile}\nnote: {with_break}\n"
        f"files:\n  - path: {_yaml(name)}\n    sha256: {hashlib.sha256(data).hexdigest()}\n"
        f"  - path: {_yaml('missing ' + HOSTILE_TEXT)}\n    sha256: {'a' * 64}\n",
    )
    return name


class _Elements(HTMLParser):
    """Every element of a page with its attributes, and the text of each script."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.elements: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):  # noqa: ARG002 - HTMLParser's signature
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)
        else:
            self.text.append(data)


def _injected(page: Path) -> list[str]:
    parsed = _Elements()
    parsed.feed(page.read_text(encoding="utf-8"))
    found = []
    for tag, attrs in parsed.elements:
        if tag in {"iframe", "object", "embed", "base", "svg"} and "alert" in str(attrs):
            found.append(f"<{tag}>")
        if tag == "script" and "alert" in (attrs.get("src") or ""):
            found.append("<script src>")
        if tag == "img" and attrs.get("src") == "x":
            found.append("<img src=x>")
        for name, value in attrs.items():
            if name.startswith("on"):
                found.append(f"{tag} {name}")
            target = "".join((value or "").split()).lower()
            if name in {"href", "src", "action", "formaction", "xlink:href", "data"} and target.startswith(
                ("javascript:", "data:", "vbscript:")
            ):
                found.append(f"{tag} {name}={value}")
    found += [f"script: {text[:40]}" for text in parsed.scripts if "alert" in text]
    return found


def _visible_text(page: Path) -> str:
    parsed = _Elements()
    parsed.feed(page.read_text(encoding="utf-8"))
    return " ".join(" ".join(parsed.text).split())


def test_hostile_values_in_every_field_reach_no_page_as_markup(program_dir: ProgramDir) -> None:
    name = _hostile_program(program_dir)
    root = program_dir.root
    commit_all(root, "Start <script>alert('c')</script> [x](javascript:alert(10)) | y", "2026-01-05")
    program_dir.replace("controls/TC-02.md", "The IT Manager reviews access.", "Reviewed.")
    commit_all(
        root,
        '"><img src=x onerror=alert(11)> {: onclick=alert(12) }',
        "2026-02-01",
        'Mallory " onmouseover="alert(13) [m](javascript:alert(14))',
        trailers='Approved-by: Eve " onmouseover="alert(15) <e@example.com>',
    )
    with_site(program_dir)
    result = mkdocs(root)
    assert result.returncode == 0, result.stderr
    pages = sorted((root / "site").rglob("*.html"))
    assert len(pages) > 20
    assert {str(page.relative_to(root / "site")): _injected(page) for page in pages if _injected(page)} == {}
    shown = {
        "policies/POL-ISP": HOSTILE_TEXT,
        "policies": HOSTILE_TEXT,
        "controls/TC-01": HOSTILE_TEXT,
        "controls": HOSTILE_TEXT,
        "evidence/2026-03": name,
        "changes": "Start <script>alert('c')</script> [x](javascript:alert(10)) | y",
        "criteria": HOSTILE_TEXT,
        ".": HOSTILE_TEXT,
        "findings": name,
    }
    for page, text in shown.items():
        assert text in _visible_text(root / "site" / page / "index.html"), page
    changes = _visible_text(root / "site" / "changes" / "index.html")
    assert 'Mallory " onmouseover="alert(13) [m](javascript:alert(14))' in changes
    assert '"><img src=x onerror=alert(11)> {: onclick=alert(12) }' in changes


def test_serve_rebuilds_keep_the_git_history_until_head_moves(program_dir: ProgramDir) -> None:
    from mkdocs.config import load_config

    with_site(program_dir)
    commit_all(program_dir.root, "Start the program", "2026-01-05")
    first = load_config(str(program_dir.root / "mkdocs.yml"))
    first.plugins.on_startup(command="serve", dirty=False)
    plugin = first.plugins["soc2kit"]
    plugin.on_config(first)
    kept = plugin.history
    assert kept is not None
    assert kept.available

    program_dir.replace("policies/information-security.md", "title: Information Security Policy", "title: Security Charter")
    rebuild = load_config(str(program_dir.root / "mkdocs.yml"))  # what `mkdocs serve` does on every change
    assert rebuild.plugins["soc2kit"] is plugin
    plugin.on_config(rebuild)
    assert plugin.portal.history is kept
    assert plugin.portal.program.policies["POL-ISP"].title == "Security Charter"

    commit_all(program_dir.root, "Rename the policy", "2026-01-06")
    plugin.on_config(load_config(str(program_dir.root / "mkdocs.yml")))
    assert plugin.history is not kept
    assert plugin.portal.history.head != kept.head
