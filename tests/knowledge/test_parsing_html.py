"""HTML uploads become Markdown-like text without scripts, styles or page chrome.

Every fixture is built here, in memory: no binary files live in the repository.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge.parsing import ParseError, parse_document
from tests.knowledge.uploads import error_of

HELP_PAGE = b"""<!DOCTYPE html>
<html><head><title>Help centre</title><style>p { color: red }</style>
<script>document.write('<p>injected</p>')</script></head>
<body>
<nav><a href="/">Home</a> | <a href="/faq">FAQ</a></nav>
<header>Site banner</header>
<article>
<header><h1>Returns &amp; refunds</h1></header>
<p>You can return items within <b>30&nbsp;days</b>.<br>Keep the   receipt.
<p>Second <!-- a comment --> paragraph
<div hidden>hidden text</div><span style="display: none">invisible</span>
<h2>Steps</h2>
<ol start="3"><li>Pack it<li>Ship it<ul><li>Use tracking<li>Keep proof</ul><li>Wait</ol>
<table><caption>Fees</caption>
<tr><th>Item<th>Fee</tr>
<tr><td>Shoes<td>5 | 6</td></tr>
<tr><td colspan="2">Free in May</td></table>
<blockquote><p>Quote one</p><p>Quote two</p></blockquote>
<div><div><span>Unclosed <i>tags <b>here</div>
</article>
<footer>Copyright 2024</footer>
<noscript>Enable JavaScript</noscript><template><p>template</p></template>
<svg><title>icon</title><text>vector</text></svg>
<script>var secret = "</p>do not keep";</script>
</body></html>"""


def test_html_is_converted_to_markdown_without_scripts_styles_or_page_chrome() -> None:
    doc = parse_document("help.html", HELP_PAGE)
    assert doc.format == "html"
    assert doc.title == "Returns & refunds"
    assert doc.text == (
        "# Returns & refunds\n"
        "\n"
        "You can return items within 30 days.\n"
        "Keep the receipt.\n"
        "\n"
        "Second paragraph\n"
        "\n"
        "## Steps\n"
        "\n"
        "3. Pack it\n"
        "4. Ship it\n"
        "   - Use tracking\n"
        "   - Keep proof\n"
        "5. Wait\n"
        "\n"
        "Fees\n"
        "\n"
        "| Item | Fee |\n"
        "| --- | --- |\n"
        "| Shoes | 5 \\| 6 |\n"
        "| Free in May | |\n"
        "\n"
        "> Quote one\n"
        ">\n"
        "> Quote two\n"
        "\n"
        "Unclosed tags here"
    )


def test_html_title_falls_back_to_the_title_element() -> None:
    data = b"<html><head><title>  Shipping\n FAQ </title></head><body><h2>Sub</h2><p>Text</p></body></html>"
    doc = parse_document("page.htm", data)
    assert doc.title == "Shipping FAQ"
    assert doc.text == "## Sub\n\nText"


def test_html_without_any_title_uses_the_file_name() -> None:
    assert parse_document("opening-hours.html", b"<p>Nine to five</p>").title == "Opening hours"


def test_html_preformatted_text_keeps_its_lines_in_a_fence() -> None:
    doc = parse_document("code.html", b"<p>Run:</p><pre>make  test\n  --fast</pre>")
    assert doc.text == "Run:\n\n```\nmake  test\n  --fast\n```"


def test_html_layout_table_reads_as_paragraphs() -> None:
    data = b"<table><tr><td><p>Left column</p></td></tr><tr><td><h2>Below</h2></td></tr></table>"
    assert parse_document("layout.html", data).text == "Left column\n\n## Below"


def test_html_with_only_scripts_has_no_text() -> None:
    assert (
        error_of("blank.html", b"<script>alert(1)</script><style>x{}</style>") == "blank.html: no text found"
    )


def test_deeply_nested_html_is_flattened_not_a_crash() -> None:
    data = (
        b"<div>" * 20_000 + b"deep <script>x()</script>text" + b"</div>" * 20_000 + b"<li>" * 5_000 + b"item"
    )
    text = parse_document("deep.html", data).text
    assert text.startswith("deep text")
    assert "x()" not in text
    assert text.endswith("- item")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.sampled_from(
            [
                "<div>",
                "</div>",
                "<p>",
                "<li>",
                "<ul>",
                "</ol>",
                "<table>",
                "<tr>",
                "<td colspan=x>",
                "<th colspan=99999>",
                "</table>",
                "<h1>",
                "</h3>",
                "<br>",
                "<pre>",
                "<blockquote>",
                "<script>",
                "</script>",
                "<style>",
                "<!--",
                "-->",
                "<![CDATA[",
                "]]>",
                "<!DOCTYPE",
                "<?xml",
                "&amp;",
                "&#0;",
                "&#x110000;",
                "<ol start=-5>",
                "<a href='",
                "'>",
                "<",
                ">",
                "text",
                " ",
                "\n",
                "\x0c",
            ]
        ),
        max_size=60,
    )
)
def test_malformed_html_never_raises_anything_but_parse_error(pieces: list[str]) -> None:
    try:
        doc = parse_document("fuzz.html", "".join(pieces).encode())
    except ParseError:
        return
    assert doc.text == doc.text.strip()
    assert "\n\n\n" not in doc.text
