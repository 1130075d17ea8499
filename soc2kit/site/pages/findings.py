"""The Findings page: every diagnostic of the build's program, grouped by file, most severe first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

from soc2kit.registry import RULES as RULES_BY_CODE
from soc2kit.site import markdown as md
from soc2kit.site.portal import FINDINGS, RULES, GeneratedPage, Portal, control_page, policy_page

SEVERITY_KIND = {"error": "bad", "warning": "warn", "info": "info"}
RANK = {"error": 0, "warning": 1, "info": 2}


def build(portal: Portal) -> Iterator[GeneratedPage]:
    yield page(portal)


def summary(diagnostics: list[Any]) -> Counter[str]:
    return Counter(d.severity.value for d in diagnostics)


def page(portal: Portal) -> GeneratedPage:
    program = portal.program
    diagnostics = program.diagnostics
    counts = summary(diagnostics)
    parts = [
        *md.hide_navigation(),
        "# Findings",
        "",
        (
            "What `soc2kit check` reports for this program, built with the portal from the same files. Each finding names "
            "the file and line, the rule, and how to fix it."
        ),
        "",
        md.cards(
            [
                md.metric(str(counts["error"]), "Errors", name="findings-errors", kind="bad" if counts["error"] else "ok"),
                md.metric(str(counts["warning"]), "Warnings", name="findings-warnings", kind="warn" if counts["warning"] else ""),
                md.metric(str(counts["info"]), "Notes", name="findings-infos"),
            ]
        ),
        "",
    ]
    if not program.config_ok:
        parts += [
            '!!! danger "soc2kit.yml is not usable"',
            "",
            (
                "    The scope of the program is unknown, so the pages show a security-only scope. Fix the findings in "
                "`soc2kit.yml` first."
            ),
            "",
        ]
    if counts["error"]:
        parts += [
            (
                f'!!! danger "{counts["error"]} error{"s" if counts["error"] != 1 else ""}: this program does not pass '
                '`soc2kit check`"'
            ),
            "",
            "    `mkdocs build --strict` fails until they are fixed.",
            "",
        ]
    elif not diagnostics:
        parts += ['!!! success "No findings"', "", "    The program passes `soc2kit check` with nothing to report.", ""]
    if diagnostics:
        by_rule = Counter((d.code, d.severity.value) for d in diagnostics)
        rule_rows = [
            (
                md.link(f"{code} `{RULES_BY_CODE[code].name}`", portal.rel(FINDINGS, f"{RULES}#{code.lower()}")),
                md.badge(severity, SEVERITY_KIND[severity]),
                str(count),
                md.text_with_code(RULES_BY_CODE[code].summary),
            )
            for (code, severity), count in sorted(by_rule.items(), key=lambda item: (RANK[item[0][1]], -item[1], item[0][0]))
        ]
        parts += ["## By rule", "", md.table(["Rule", "Severity", "Findings", "What it finds"], rule_rows), ""]
    entity_pages = _entity_pages(program)
    for severity, heading in (("error", "Errors"), ("warning", "Warnings"), ("info", "Notes")):
        found = [d for d in diagnostics if d.severity.value == severity]
        if not found:
            continue
        rows = [
            (
                _file_link(portal, d.path, entity_pages.get(d.path)),
                _line_link(portal, d.path, d.line),
                md.link(d.code, portal.rel(FINDINGS, f"{RULES}#{d.code.lower()}")),
                md.text(d.message) + (f"<br><small>{md.text_with_code(d.hint)}</small>" if d.hint else ""),
            )
            for d in sorted(found, key=lambda d: (d.path, d.line, d.code))
        ]
        parts += [f"## {heading}", "", md.table(["File", "Line", "Rule", "Finding"], rows), ""]
    return GeneratedPage(FINDINGS, "Findings", "\n".join(parts) + "\n", source=None)


def _file_link(portal: Portal, path: str, page: str | None) -> str:
    if page is not None:
        return md.link(md.code(path), portal.rel(FINDINGS, page))
    return md.code(path)


def _line_link(portal: Portal, path: str, line: int) -> str:
    url = portal.file_url(path)
    return md.link(str(line), f"{url}#L{line}") if url else str(line)


def _entity_pages(program: Any) -> dict[str, str]:
    pages = {program.source("policy", pid).path: policy_page(pid) for pid in program.policies}
    pages.update({program.source("control", cid).path: control_page(cid) for cid in program.controls})
    return pages
