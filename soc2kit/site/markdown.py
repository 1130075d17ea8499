"""Small builders for the Markdown and inline HTML the portal pages are made of.

Every value from a program file goes through `text()` (Markdown), `html()` (inside HTML), `code()`
or `link()`'s target, all from `soc2kit.escaping`: a title with `|`, `*`, `<script>` or `" onmouseover=`
shows as written and cannot break a table or add markup.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from soc2kit import escaping

text = escaping.markdown
text_with_code = escaping.markdown_with_code
html = escaping.html
code = escaping.code


def hide_navigation() -> list[str]:
    """Front-matter lines that give a single page the full width (no left navigation)."""
    return ["---", "hide:", "  - navigation", "---", ""]


def link(label: str, target: str) -> str:
    """A Markdown link; `label` is already Markdown (use `text()` on raw values), `target` is escaped here."""
    return f"[{label}]({escaping.url(target)})"


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], *, empty: str = "") -> str:
    """A Markdown table (cells are Markdown already); `empty` is said instead when there are no rows."""
    lines = [f"| {' | '.join(row)} |" for row in rows]
    if not lines:
        return empty
    header = f"| {' | '.join(headers)} |\n| {' | '.join('---' for _ in headers)} |"
    return header + "\n" + "\n".join(lines)


def percent(part: float, whole: float) -> float:
    return 100.0 * part / whole if whole else 0.0


def tone(ratio_percent: float) -> str:
    """good / fair / poor: the colour of a bar or a score."""
    if ratio_percent >= 90:
        return "good"
    if ratio_percent >= 60:
        return "fair"
    return "poor"


def bar(part: float, whole: float, *, label: str = "", name: str = "", kind: str = "") -> str:
    """An inline progress bar with `part/whole` beside it (HTML, valid inside a table cell).

    `name` goes into `data-tally` on the label, so tests and scripts can read the numbers; `kind` (good, fair,
    poor) overrides the colour the ratio would give."""
    value = percent(part, whole)
    caption = label or f"{part:g}/{whole:g}"
    data = f' data-tally="{html(name)}"' if name else ""
    return (
        f'<span class="sk-bar" role="progressbar" aria-valuenow="{value:.0f}" aria-valuemin="0" aria-valuemax="100">'
        f'<span class="sk-bar__fill sk-bar__fill--{kind or (tone(value) if whole else "none")}" style="width:{value:.1f}%"></span>'
        f'</span><span class="sk-bar__label"{data}>{html(caption)}</span>'
    )


def badge(label: str, kind: str) -> str:
    """A coloured status pill: kind is ok, warn, bad, info or muted."""
    return f'<span class="sk-badge sk-badge--{kind}">{html(label)}</span>'


def metric(value: str, label: str, *, name: str, note: str = "", kind: str = "") -> str:
    """A dashboard card; `name` goes into `data-metric` so tests and scripts can read the number."""
    extra = f" sk-card--{kind}" if kind else ""
    note_html = f'<div class="sk-card__note">{note}</div>' if note else ""
    return (
        f'<div class="sk-card{extra}"><div class="sk-card__value" data-metric="{html(name)}">{html(value)}</div>'
        f'<div class="sk-card__label">{html(label)}</div>{note_html}</div>'
    )


def cards(items: Iterable[str]) -> str:
    return '<div class="sk-cards">\n' + "\n".join(items) + "\n</div>"


def definition_card(rows: Iterable[tuple[str, str]], *, title: str = "") -> str:
    """A metadata card: label/value rows (values are HTML already)."""
    head = f'<div class="sk-meta__title">{html(title)}</div>' if title else ""
    body = "".join(f"<div><dt>{html(label)}</dt><dd>{value}</dd></div>" for label, value in rows)
    return f'<div class="sk-meta">{head}<dl>{body}</dl></div>'


def strip_title(body: str, title: str) -> str:
    """The body without a leading `# Title` heading (the page prints its own title)."""
    lines = body.lstrip("\n").split("\n", 1)
    if lines and lines[0].startswith("# ") and lines[0][2:].strip().casefold() == title.strip().casefold():
        return lines[1] if len(lines) > 1 else ""
    return body


def shift_headings(body: str, *, minimum: int = 2) -> str:
    """Demote Markdown headings so none is above `minimum` (a body's `# X` would fight the page title)."""
    out = []
    fence = False
    for line in body.split("\n"):
        if line.startswith(("```", "~~~")):
            fence = not fence
        shifted = line
        if not fence and line.startswith("#"):
            level = len(line) - len(line.lstrip("#"))
            if level < minimum and line[level : level + 1] == " ":
                shifted = "#" * minimum + line[level:]
        out.append(shifted)
    return "\n".join(out)


def sections(body: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a body at its `## ` headings: (text before the first, [(heading, text), ...])."""
    preamble: list[str] = []
    found: list[tuple[str, list[str]]] = []
    fence = False
    for line in body.split("\n"):
        if line.startswith(("```", "~~~")):
            fence = not fence
        if not fence and line.startswith("## "):
            found.append((line[3:].strip(), []))
        elif found:
            found[-1][1].append(line)
        else:
            preamble.append(line)
    return "\n".join(preamble).strip(), [(heading, "\n".join(lines).strip()) for heading, lines in found]
