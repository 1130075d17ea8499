"""Escaping of program values for the place they land, one function per context.

Everything a program file holds (titles, owners, descriptions, file names, commit subjects and
author names) is text, never markup: whatever it spells, it is shown as written and cannot add an
element, an attribute, a link or a table cell. Every Markdown or HTML output (the portal, the
trail, `diff` and `status` in Markdown) escapes through this module.

    markdown(value)            inline Markdown: a paragraph, a heading, a table cell, a link label
    markdown_with_code(value)  the same, but `code spans` stay code (for soc2kit's own hints)
    html(value)                HTML element text or a double-quoted attribute value, also where that
                               HTML sits inside Markdown (Python-Markdown reads the text of inline HTML)
    code(value)                inline code (an HTML <code> element, safe in a table cell)
    url(value)                 a link target: http(s), mailto or relative; anything else becomes "#"
    url_path(path)             a repository path as the path part of a URL
    terminal(value)            plain text for a terminal: no escape sequence, no line of its own
    yaml_scalar(value)         a YAML scalar (a template's `key: {value}`) that reads back as exactly `value`

All of them return one line: a newline in a value would end a table row or an HTML block.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote, urlsplit

# Punctuation that is markup anywhere in a line, in any dialect we feed (Python-Markdown with the
# tables, attr_list, md_in_html, admonition and pymdownx extensions; GitHub Flavored Markdown), plus
# HTML's own. Written as numeric character references, they show as the character and are markup in
# no dialect; a backslash escape is not enough, since Python-Markdown does not treat `\<` as one.
_SPECIAL = frozenset("\\`*_{}[]()<>#!|~&\"'")
_ENTITY = {ord(char): f"&#{ord(char)};" for char in _SPECIAL}
# At the start of a line more is markup: a list (`- `, `+ `, `1. `), a setext underline (`===`), a
# definition (`: `). Values can land there (a paragraph), so their first character is written as a reference.
_LEADING = re.compile(r"^(?:[0-9]+[.)]|[^\w\s])")
_SPACE = re.compile(r"\s+")
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def _visible(value: object) -> str:
    """`value` as one line: runs of whitespace (newlines, tabs, U+2028) become one space; other
    control and format characters (which can hide text or reorder it) become U+FFFD."""
    if type(value) is str and value.isprintable() and "  " not in value:
        return value.strip()  # printable text holds no whitespace but the space: nothing to fold (most values)
    flat = _SPACE.sub(" ", str(value)).strip()
    if flat.isprintable():  # no control or format character: the common case, without a look at each one
        return flat
    return "".join("\ufffd" if unicodedata.category(char) in {"Cc", "Cf"} else char for char in flat)


def terminal(value: object) -> str:
    """`value` as one line of plain text, for a terminal or a log: no control character, so it can
    neither send an escape sequence nor start a line that reads as another finding."""
    return _visible(value)


def markdown(value: object) -> str:
    """`value` as literal inline Markdown text: one line, no markup, safe in a table cell."""
    return _escape(_visible(value))


def _escape(text: str) -> str:
    lead = _LEADING.match(text)
    if lead is None:
        return text.translate(_ENTITY)
    head = lead.group(0)
    mark = head[-1]
    return head[:-1] + f"&#{ord(mark)};" + text[len(head) :].translate(_ENTITY)


def markdown_with_code(value: object) -> str:
    """Like `markdown()`, but text between backticks becomes inline code (soc2kit's own hints and notes)."""
    parts = _visible(value).split("`")
    if len(parts) % 2 == 0:  # an unbalanced backtick: no code at all
        return markdown(value)
    return "".join(
        code(part) if index % 2 else _escape(part) if index == 0 else part.translate(_ENTITY) for index, part in enumerate(parts)
    )


def html(value: object) -> str:
    """`value` as HTML text or a double-quoted attribute value, inert as Markdown too."""
    return markdown(value)


def code(value: object) -> str:
    """`value` as inline code. An HTML element rather than backticks: a backtick or `|` in the value
    cannot end the span or split a table cell."""
    return f"<code>{markdown(value)}</code>"


def url(value: object) -> str:
    """`value` as a link target (Markdown or an HTML attribute): absolute http(s) and mailto URLs and
    relative references are kept, percent-encoded where Markdown or HTML would read them; any other
    scheme (`javascript:`, `data:`, `vbscript:`) becomes "#"."""
    text = str(value).strip()
    if not (text.isascii() and text.isprintable()):  # printable ASCII holds no control or format character
        text = "".join(char for char in text if unicodedata.category(char) not in {"Cc", "Cf"})
    probe = "".join(text.split())  # browsers drop tabs and newlines inside a scheme ("java\tscript:")
    try:
        scheme = urlsplit(probe).scheme.lower()
    except ValueError:
        return "#"
    if scheme and scheme not in _SAFE_SCHEMES:
        return "#"
    if not scheme and ":" in probe.split("/", 1)[0].split("#", 1)[0].split("?", 1)[0]:
        return "#"  # "javascript&colon;..." and friends: a colon before the first slash reads as a scheme somewhere
    # `&` is encoded too: "javascript&colon;" would otherwise reach an href as a character reference.
    return quote(text, safe="/#?=;:@!$,.~-_+%")


def url_path(path: str) -> str:
    """A repository path (any characters a file name may hold) as the path part of a URL."""
    return quote(path, safe="/-._~")


# A plain scalar is kept only for text that YAML 1.1 (PyYAML) and 1.2 (ruamel.yaml) both read as
# that string: it starts with a letter and holds no indicator (`:`, `#`, quotes, brackets, `&`, `*`,
# `!`, `|`, `>`, `%`, `@` first) and no line break; anything else is double-quoted.
_YAML_PLAIN = re.compile(r"[A-Za-z][A-Za-z0-9 _.,()/+-]*(?<! )")


_YAML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\n": "\\n", "\t": "\\t", "\r": "\\r"}


def _yaml_raw(char: str) -> bool:
    """Whether `char` may stand unescaped in a double-quoted scalar: printable for YAML and not a
    line break (NEL, U+2028 and U+2029 are line breaks to YAML and would fold to a space)."""
    point = ord(char)
    if 0x20 <= point <= 0x7E:
        return char not in '"\\'
    return (
        (0xA0 <= point <= 0xD7FF and point not in (0x2028, 0x2029))
        or (0xE000 <= point <= 0xFFFD and point != 0xFEFF)
        or 0x10000 <= point <= 0x10FFFF
    )


def yaml_scalar(value: str) -> str:
    """`value` as one YAML scalar on one line that every YAML reader reads back as exactly `value`
    (a string): plain when it is plain words, else double-quoted with every character YAML could
    read otherwise escaped. A value can never end its line, add a key, or become a tag, an anchor,
    an alias, a number or a date."""
    if _YAML_PLAIN.fullmatch(value):
        import yaml

        if yaml.safe_load(value) == value:  # not `yes`, `null`, `Off`: words YAML reads as other types
            return value
    escaped = []
    for char in value:
        if _yaml_raw(char):
            escaped.append(char)
        elif char in _YAML_ESCAPES:
            escaped.append(_YAML_ESCAPES[char])
        elif ord(char) <= 0xFF:
            escaped.append(f"\\x{ord(char):02x}")
        elif ord(char) <= 0xFFFF:
            escaped.append(f"\\u{ord(char):04x}")
        else:
            escaped.append(f"\\U{ord(char):08x}")
    return '"' + "".join(escaped) + '"'
