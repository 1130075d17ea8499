"""soc2kit.escaping and soc2kit.site.sanitize: hostile values rendered by the real Markdown
processor the portal uses stay text, in every context."""

from __future__ import annotations

import html

import markdown as python_markdown
import pytest

from soc2kit import escaping
from soc2kit.site.sanitize import sanitize

HOSTILE = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    '" onmouseover="alert(1)',
    "[click](javascript:alert(1))",
    "![i](javascript:alert(1))",
    "a | b",
    "line\nbreak\r\n\u2028more",
    "{: onclick=alert(1) }",
    "*emphasis* _under_ `code` ~~strike~~",
    "# heading",
    "- list item",
    "1. ordered",
    "> quote",
    "&lt;script&gt; &amp; &#60;",
    "\\<b\\>",
]
EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition", "toc"]


def render(text: str) -> str:
    return python_markdown.markdown(text, extensions=EXTENSIONS)


@pytest.mark.parametrize("value", HOSTILE)
def test_markdown_text_renders_as_the_value_itself_in_a_paragraph_and_a_table_cell(value):
    flat = " ".join(value.split())
    paragraph = render(escaping.markdown(value))
    assert paragraph.count("<") == 2  # <p> and </p>: no element of its own
    assert html.unescape(paragraph[3:-4]) == flat
    table = render(f"| A | B |\n| --- | --- |\n| {escaping.markdown(value)} | end |")
    assert table.count("<td>") == 2
    assert "<td>end</td>" in table


@pytest.mark.parametrize("value", HOSTILE)
def test_html_text_stays_text_inside_inline_html_and_attributes(value):
    rendered = render(f'<span class="x" title="{escaping.html(value)}">{escaping.html(value)}</span> tail')
    assert rendered.count("<") == 4  # <p>, <span ...>, </span>, </p>
    assert "onmouseover=" not in rendered.replace("&#34; onmouseover=&#34;", "")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("javascript:alert(1)", "#"),
        (" JaVaScRiPt:alert(1)", "#"),
        ("java\tscript:alert(1)", "#"),
        ("java\x00script:alert(1)", "#"),
        ("data:text/html,<script>", "#"),
        ("vbscript:x", "#"),
        ("javascript&colon;alert(1)", "javascript%26colon;alert%281%29"),
        ("https://example.com/a b/(c)", "https://example.com/a%20b/%28c%29"),
        ("../controls/TC-01.md#evidence", "../controls/TC-01.md#evidence"),
        ("mailto:a@example.com", "mailto:a@example.com"),
    ],
)
def test_link_targets_keep_safe_schemes_and_encode_what_markdown_reads(target, expected):
    assert escaping.url(target) == expected


def test_a_markdown_link_with_a_hostile_target_has_no_script_href():
    rendered = render(f"[x]({escaping.url('javascript:alert(1)')}) [y]({escaping.url('a) [z](javascript:alert(2)')})")
    assert "javascript:" not in rendered.replace("javascript%3A", "")


def test_sanitize_keeps_content_markup_and_drops_what_can_run():
    dirty = (
        '<p onclick="x">Hi <script>alert(1)</script><img src="x" onerror="alert(2)">'
        '<a href="javascript:alert(3)" title="t">a</a><a href="jav&#x09;ascript:alert(4)">b</a>'
        '<a href="../x/">ok</a></p><div id="__config" data-md-component="x" data-tally="3" style="width:3%">'
        '<svg><script>alert(5)</script><path d="M0"/></svg><iframe srcdoc="<script>alert(6)</script>"></iframe>'
        '<form action="javascript:alert(7)"><button formaction="javascript:alert(8)">go</button></form>'
        '<div style="background:url(javascript:alert(9))">s</div><!-- <script>alert(10)</script> --></div>'
        "<pre><code>&lt;script&gt;alert(11)&lt;/script&gt;</code></pre>"
    )
    clean = sanitize(dirty)
    assert "alert(1" not in clean.replace("&lt;script&gt;alert(11)&lt;/script&gt;", "")
    assert "javascript" not in clean
    assert "<script" not in clean
    assert " on" not in clean
    assert "__config" not in clean
    assert "data-md-component" not in clean
    assert '<a href="../x/">ok</a>' in clean
    assert 'data-tally="3"' in clean
    assert 'style="width:3%"' in clean
    assert "<pre><code>&lt;script&gt;alert(11)&lt;/script&gt;</code></pre>" in clean


@pytest.mark.parametrize(
    "dirty",
    [
        '<p><a HREF="javascript:alert(1)">x</a></p>',
        '<p><a href="#ok" href="javascript:alert(1)">x</a></p>',
        '<p><a href="jav&#x61;script&colon;alert(1)">x</a></p>',
        "<p><a href=javascript:alert(1)>x</a></p>",
        '<p><a href="java\tscript:alert(1)">x</a></p>',
        '<p><img src="x"/onerror="alert(1)"></p>',
        '<p><a title="a>b" onclick="alert(1)">x</a></p>',
        '<p><span id="__config">{"search": "evil.js"}</span></p>',
        "<p><svg><animate onbegin=alert(1) attributeName=x dur=1s></svg></p>",
        "<p><a href='data:text/html,&lt;script&gt;alert(1)&lt;/script&gt;'>x</a></p>",
    ],
)
def test_sanitize_removes_script_however_the_tag_is_spelled(dirty):
    clean = sanitize(dirty).lower()
    assert "javascript" not in clean
    assert "data:" not in clean
    assert " on" not in clean.replace(">x<", "")
    assert "__config" not in clean


@pytest.mark.parametrize("where", ["first", "middle", "last", "repeated"])
def test_one_unsafe_tag_anywhere_on_a_long_clean_page_sends_the_page_through_the_cleaner(where):
    """The fast path judges each distinct tag of a page once (a set of every match): a page of hundreds of
    allowed tags with one unsafe or malformed tag anywhere, even one written twice, must not pass as clean."""
    from soc2kit.site import sanitize as module

    clean_rows = "".join(f'<tr><td class="c{n % 7}"><a href="../p{n}/">P{n}</a></td></tr>\n' for n in range(300))
    for bad in ('<img src="x" onerror="alert(1)">', "<script>alert(2)</script>", "<a href=javascript:alert(3)>x</a>", "<!--x-->"):
        rows = clean_rows.splitlines(keepends=True)
        spot = {"first": 0, "middle": 150, "last": len(rows), "repeated": 75}[where]
        rows.insert(spot, bad)
        if where == "repeated":
            rows.insert(225, bad)
        page = "<table>" + "".join(rows) + "</table>"
        assert not module._already_clean(page)
        out = sanitize(page).lower()
        for unsafe in ("onerror", "<script", "javascript", "<!--"):
            assert unsafe not in out
    assert module._already_clean("<table>" + clean_rows + "</table>")
    assert sanitize("<table>" + clean_rows + "</table>") == "<table>" + clean_rows + "</table>"
