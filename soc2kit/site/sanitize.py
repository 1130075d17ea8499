"""The HTML of a generated page, reduced to elements and attributes that cannot run anything.

Policy and control bodies are Markdown written by whoever can open a pull request, and Markdown
passes raw HTML through (`<script>`, `<img onerror=...>`, `<a href="javascript:...">`, attr_list's
`{: onclick=...}`). Values soc2kit puts into pages are escaped where they land (soc2kit.escaping);
this is the second wall, run on the rendered HTML of every generated page: an allowlist of elements
and attributes, and link targets limited to http(s), mailto and relative URLs. The theme's own
scripts are added by the template afterwards and are not touched.
"""

from __future__ import annotations

import functools
import html
import re
from html.parser import HTMLParser

from soc2kit import escaping

# What Python-Markdown, its usual extensions (tables, toc, admonition, details, attr_list,
# md_in_html, tasklist, emoji icons) and soc2kit's own snippets produce. Word lists read better than
# a hundred one-name lines.
ALLOWED_ELEMENTS = frozenset(
    "a abbr b blockquote br caption cite code col colgroup dd del details dfn div dl dt em figcaption figure "  # noqa: SIM905
    "h1 h2 h3 h4 h5 h6 hr i img input ins kbd label li mark ol p pre q s samp small span strong sub summary sup "
    "table tbody td tfoot th thead time tr u ul var wbr svg path g".split()
)
# Elements dropped with everything inside them: their content is code, a document or not text.
DROPPED_WITH_CONTENT = frozenset(
    "script style template iframe frame frameset object embed applet noscript noembed noframes xmp "  # noqa: SIM905
    "textarea title select option math".split()
)
ALLOWED_ATTRIBUTES = frozenset(
    "class id title role alt width height colspan rowspan align valign open start reversed type checked disabled "  # noqa: SIM905
    "name lang dir scope headers datetime abbr span value viewbox d fill xmlns rel aria-hidden aria-label "
    "aria-valuenow aria-valuemin aria-valuemax aria-describedby aria-labelledby".split()
)
URL_ATTRIBUTES = frozenset({"href", "src", "cite"})
_RESERVED_NAMES = ("__", "md-", "md_")
VOID_ELEMENTS = frozenset({"br", "col", "hr", "img", "input", "wbr"})
_STYLE_FORBIDDEN = ("url(", "expression", "position", "@import", "\\", "behavior", "-moz-binding", "<")


# A start or end tag exactly as the HTML tokenizer reads it when it is well formed: attributes
# separated by whitespace, values double-quoted, single-quoted or bare.
_NAME = r"[a-zA-Z][a-zA-Z0-9-]*"
_ATTRIBUTES = r"""(?:\s+[^\s"'>/=]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'=<>`]+))?)*"""
_WELL_FORMED = rf"<(/?)({_NAME})({_ATTRIBUTES})\s*/?>"
_TAG = re.compile(_WELL_FORMED)
# Every place the tokenizer may open a tag, a comment or a declaration: a well-formed tag, or a bare
# opening. Without groups, so that `findall` returns each whole match (the list and set built in C).
_TAGS = re.compile(rf"</?{_NAME}{_ATTRIBUTES}\s*/?>|<[a-zA-Z/!?]")
_ATTRIBUTE = re.compile(r"""([^\s"'>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?""")


def sanitize(markup: str) -> str:
    """`markup` with only allowed elements and attributes; text and attribute values re-escaped."""
    if _already_clean(markup):
        return markup
    cleaner = _Cleaner()
    cleaner.feed(markup)
    cleaner.close()
    return "".join(cleaner.out)


def _already_clean(markup: str) -> bool:
    """True when every tag is well formed, allowed and has only allowed attributes: the markup is then
    safe as it is, and a page costs a scan instead of a parse (most tags repeat, so each is judged once)."""
    return all(map(_clean_tag, set(_TAGS.findall(markup))))


@functools.lru_cache(maxsize=8192)
def _clean_tag(text: str) -> bool:
    tag = _TAG.fullmatch(text)
    if tag is None:
        return False
    closing, name, attributes = tag.group(1), tag.group(2).lower(), tag.group(3)
    if name not in ALLOWED_ELEMENTS or name == "input":
        return False
    if closing:
        return not attributes
    for attribute in _ATTRIBUTE.finditer(attributes):
        bare, double, single, unquoted = attribute.groups()
        raw = double if double is not None else single if single is not None else unquoted
        if _attribute(bare.lower(), None if raw is None else html.unescape(raw)) is None:
            return False
    return True


def _attribute(name: str, value: str | None) -> str | None:
    """The attribute as it may be written, or None to drop it."""
    if value is None:
        return name if name in ALLOWED_ATTRIBUTES else None
    if name in URL_ATTRIBUTES:
        target = escaping.url(value)
        if target == "#" and value.strip() != "#":
            return None
        return f'{name}="{html.escape(target)}"'
    if name in {"id", "name"} and value.lower().startswith(_RESERVED_NAMES):
        return None  # the theme finds its own elements by id (`__config`): content must not stand in for them
    if name == "style":
        lowered = "".join(value.lower().split())
        if any(marker in lowered for marker in _STYLE_FORBIDDEN):
            return None
        return f'style="{html.escape(value)}"'
    if name in ALLOWED_ATTRIBUTES or (name.startswith("data-") and not name.startswith("data-md")):
        return f'{name}="{html.escape(value)}"'
    return None


class _Cleaner(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.dropping: list[str] = []

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], *, closed: bool) -> None:
        if self.dropping:
            if tag in DROPPED_WITH_CONTENT and not closed and tag not in VOID_ELEMENTS:
                self.dropping.append(tag)
            return
        if tag in DROPPED_WITH_CONTENT:
            if not closed:
                self.dropping.append(tag)
            return
        if tag not in ALLOWED_ELEMENTS:
            return
        kept = [written for name, value in attrs if (written := _attribute(name, value)) is not None]
        if tag == "input" and ('type="checkbox"' not in kept):
            return
        self.out.append(f"<{tag}{''.join(' ' + a for a in kept)}{' /' if closed else ''}>")

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, closed=True)

    def handle_endtag(self, tag: str) -> None:
        if self.dropping:
            if tag == self.dropping[-1]:
                self.dropping.pop()
            return
        if tag in ALLOWED_ELEMENTS and tag not in VOID_ELEMENTS:
            self.out.append(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        if not self.dropping:
            self.out.append(html.escape(data, quote=False))
