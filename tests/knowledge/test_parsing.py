"""Uploaded files become Markdown-like text with a title, or a ParseError a user can act on.

Every fixture is built here, in memory: no binary files live in the repository.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pypdf import PdfReader, PdfWriter

from knowledge.parsing import (
    FORMATS,
    MAX_BYTES_DEFAULT,
    ParsedDocument,
    ParseError,
    detect_format,
    parse_document,
)
from knowledge.parsing import docx as docx_format

PdfLine = tuple[float, float, float, str]  # font size, x, y, text


def build_pdf(pages: list[list[PdfLine]], *, title: str | None = None) -> bytes:
    """A minimal valid PDF: one Helvetica font, one content stream per page, a byte-exact xref table."""

    def pdf_string(text: str) -> bytes:
        escaped = text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")
        return b"(" + escaped.encode("cp1252") + b")"

    objects: dict[int, bytes] = {
        1: b"<< /Type /Catalog /Pages 2 0 R >>",
        3: b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    kids: list[int] = []
    number = 4
    for lines in pages:
        stream = b"\n".join(
            b"BT /F1 %g Tf %g %g Td " % (size, x, y) + pdf_string(text) + b" Tj ET"
            for size, x, y, text in lines
        )
        objects[number] = (
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            b"/Resources << /Font << /F1 3 0 R >> >> /Contents %d 0 R >>" % (number + 1)
        )
        objects[number + 1] = b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream)
        kids.append(number)
        number += 2
    objects[2] = b"<< /Type /Pages /Kids [%s] /Count %d >>" % (
        b" ".join(b"%d 0 R" % kid for kid in kids),
        len(kids),
    )
    info = b""
    if title is not None:
        objects[number] = b"<< /Title " + pdf_string(title) + b" >>"
        info = b" /Info %d 0 R" % number

    out = bytearray(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}
    for key in sorted(objects):
        offsets[key] = len(out)
        out += b"%d 0 obj\n%s\nendobj\n" % (key, objects[key])
    xref_at = len(out)
    size = max(objects) + 1
    out += b"xref\n0 %d\n0000000000 65535 f \n" % size
    for key in range(1, size):
        out += b"%010d 00000 n \n" % offsets[key]
    out += b"trailer\n<< /Size %d /Root 1 0 R%s >>\nstartxref\n%d\n%%%%EOF\n" % (size, info, xref_at)
    return bytes(out)


def docx_bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def error_of(filename: str, data: bytes, *, max_bytes: int = MAX_BYTES_DEFAULT) -> str:
    """The message of the ParseError that parsing this upload must raise."""
    with pytest.raises(ParseError) as caught:
        parse_document(filename, data, max_bytes=max_bytes)
    return str(caught.value)


# --- format detection -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("notes.md", "markdown"),
        ("NOTES.MARKDOWN", "markdown"),
        ("page.html", "html"),
        ("page.HTM", "html"),
        ("policy.pdf", "pdf"),
        ("policy.docx", "docx"),
        ("readme.txt", "text"),
        ("readme.text", "text"),
    ],
)
def test_detect_format_uses_the_extension_case_insensitively(filename: str, expected: str) -> None:
    assert detect_format(filename) == expected


def test_detect_format_prefers_the_extension_over_the_content_type() -> None:
    assert detect_format("policy.pdf", "text/html") == "pdf"


@pytest.mark.parametrize(
    ("content_type", "expected"),
    [
        ("text/markdown", "markdown"),
        ("text/html; charset=utf-8", "html"),
        ("application/pdf", "pdf"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
        ("TEXT/PLAIN", "text"),
    ],
)
def test_detect_format_falls_back_to_the_content_type(content_type: str, expected: str) -> None:
    assert detect_format("upload", content_type) == expected


def test_detect_format_rejects_an_unsupported_type_naming_the_supported_ones() -> None:
    with pytest.raises(ParseError) as caught:
        detect_format("tools/setup.exe", "application/octet-stream")
    assert str(caught.value) == (
        "setup.exe: unsupported file type (.exe, application/octet-stream); "
        "supported: .md, .html, .pdf, .docx, .txt"
    )


def test_detect_format_suggests_saving_a_legacy_word_file_as_docx() -> None:
    with pytest.raises(ParseError, match=r"^old\.doc: unsupported file type \(\.doc\); save it as \.docx"):
        detect_format("old.doc")


def test_formats_table_lists_every_supported_extension() -> None:
    assert set(FORMATS) == {".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".txt", ".text"}
    assert set(FORMATS.values()) == {"markdown", "html", "pdf", "docx", "text"}


# --- limits and empty files -------------------------------------------------------------------------------


def test_empty_file_is_refused() -> None:
    assert error_of("notes.txt", b"") == "notes.txt: the file is empty"


def test_whitespace_only_file_has_no_text() -> None:
    assert error_of("notes.md", b" \r\n\t\n  ") == "notes.md: no text found"


def test_markdown_with_only_front_matter_has_no_text() -> None:
    assert error_of("notes.md", b"---\ntitle: Draft\n---\n\n") == "notes.md: no text found"


def test_file_over_the_limit_is_refused_with_both_sizes() -> None:
    assert error_of("notes.txt", b"x" * 26, max_bytes=10) == (
        "notes.txt: the file is 26 bytes, over the limit of 10 bytes"
    )


def test_sizes_over_a_megabyte_are_shown_in_megabytes() -> None:
    data = b"a" * (3 * 1024 * 1024 // 2)
    assert error_of("big.txt", data, max_bytes=1024 * 1024) == (
        "big.txt: the file is 1.5 MB, over the limit of 1 MB"
    )


def test_sizes_that_round_to_the_limit_are_shown_exactly() -> None:
    assert error_of("big.txt", b"a" * 2049, max_bytes=2048) == (
        "big.txt: the file is 2,049 bytes, over the limit of 2,048 bytes"
    )


def test_default_limit_is_ten_megabytes() -> None:
    assert MAX_BYTES_DEFAULT == 10 * 1024 * 1024


# --- text decoding and plain text -------------------------------------------------------------------------


def test_plain_text_is_normalised_and_titled_from_the_file_name() -> None:
    data = b"\r\n\r\nFirst line   \r\nsecond line\r\n\r\n\r\n\r\nThird\tpart \n\n"
    doc = parse_document("refund_policy-2024.txt", data)
    assert doc == ParsedDocument(
        title="Refund policy 2024", text="First line\nsecond line\n\nThird\tpart", format="text"
    )


def test_text_that_is_not_utf8_is_refused_not_guessed() -> None:
    assert error_of("legacy.txt", "Café – “smart quotes” cost 5 €".encode("cp1252")) == (
        "legacy.txt: the text is not valid UTF-8 (byte 0xe9 at offset 3); save the file as UTF-8 and upload "
        "it again"
    )


def test_utf8_byte_order_mark_is_dropped() -> None:
    doc = parse_document("guide.md", b"\xef\xbb\xbf# Guide\n\nBody")
    assert doc.title == "Guide"
    assert doc.text == "# Guide\n\nBody"


def test_utf16_text_with_a_byte_order_mark_is_decoded() -> None:
    doc = parse_document("notes.txt", "Ünïcode notes\r\nline two".encode("utf-16"))
    assert doc.text == "Ünïcode notes\nline two"


def test_nul_bytes_in_a_text_format_mean_it_is_not_a_text_file() -> None:
    assert error_of("image.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR") == (
        "image.txt: not a text file (it contains binary data)"
    )


def test_path_components_in_the_file_name_are_ignored() -> None:
    doc = parse_document("C:\\Users\\sam\\faq_page.txt", b"Hello")
    assert doc.title == "Faq page"
    assert error_of("uploads/2024/empty.txt", b"") == "empty.txt: the file is empty"


def test_title_fallback_keeps_the_case_of_the_rest_of_the_name() -> None:
    assert parse_document("FAQ-for_EU.txt", b"text").title == "FAQ for EU"


def test_parsed_document_is_immutable() -> None:
    doc = parse_document("a.txt", b"text")
    with pytest.raises(dataclasses.FrozenInstanceError):
        doc.title = "changed"  # type: ignore[misc]


# --- Markdown ---------------------------------------------------------------------------------------------


def test_markdown_front_matter_is_stripped_and_supplies_the_title() -> None:
    data = (
        b'---\r\ntitle: "Refunds: how they work"\r\ntags: [billing]\r\n---\r\n'
        b"# Refund policy   \r\n\r\n\r\n\r\nWe refund within **30 days**.\r\n\r\n- Keep the receipt\r\n"
    )
    doc = parse_document("refunds.md", data)
    assert doc == ParsedDocument(
        title="Refunds: how they work",
        text="# Refund policy\n\nWe refund within **30 days**.\n\n- Keep the receipt",
        format="markdown",
    )


def test_markdown_title_comes_from_the_first_level_one_heading_outside_code() -> None:
    data = b"Intro line\n\n```bash\n# not a heading\n```\n\n## Section\n\n# The *real* title #\n"
    assert parse_document("notes.md", data).title == "The *real* title"


def test_markdown_setext_heading_is_a_title() -> None:
    assert parse_document("notes.md", b"Shipping rules\n==============\n\nText").title == "Shipping rules"


def test_markdown_heading_closing_hashes_and_inline_markup_are_left_out_of_the_title() -> None:
    assert (
        parse_document("x.md", b"# See the [**guide**](https://example.com/g) ##\n").title == "See the guide"
    )


def test_very_long_heading_gives_a_capped_title() -> None:
    title = parse_document("x.md", b"# " + b"word " * 100).title
    assert title == " ".join(["word"] * 39) + "…"


def test_hostile_long_lines_are_handled_in_linear_time() -> None:
    spaces = b" " * 300_000
    data = b"---\ntitle: a" + spaces + b"b\n---\n# c" + spaces + b"d\n# " + b"[" * 300_000
    doc = parse_document("x.md", data)
    assert doc.title == "a b"
    assert doc.text.startswith("# c" + " " * 300_000 + "d\n# [[[")


def test_markdown_opening_horizontal_rule_is_not_front_matter() -> None:
    data = b"---\nJust a paragraph between rules.\n---\nMore text\n"
    doc = parse_document("rules.md", data)
    assert doc.text == "---\nJust a paragraph between rules.\n---\nMore text"
    assert doc.title == "Rules"


def test_markdown_front_matter_without_title_falls_back_to_the_heading() -> None:
    doc = parse_document("x.md", b"---\nauthor: Sam\n---\n# Heading title\n")
    assert doc.title == "Heading title"
    assert doc.text == "# Heading title"


# --- HTML -------------------------------------------------------------------------------------------------

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


# --- DOCX -------------------------------------------------------------------------------------------------


def test_docx_headings_lists_and_tables_come_out_in_document_order() -> None:
    document = docx.Document()
    document.core_properties.title = "Core title"
    document.add_paragraph("Refund handbook", style="Title")
    document.add_paragraph("Intro with  extra   spaces.")
    document.add_heading("Eligibility", level=1)
    document.add_paragraph("Unworn items", style="List Bullet")
    document.add_paragraph("With tags attached", style="List Bullet 2")
    document.add_paragraph("Receipt", style="List Bullet")
    document.add_heading("Process", level=2)
    document.add_paragraph("Open a ticket", style="List Number")
    document.add_paragraph("Ship the item", style="List Number")
    table = document.add_table(rows=3, cols=2)
    for r, row in enumerate([("Item", "Window"), ("Shoes", "30 days"), ("Gift | card", "")]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.add_paragraph("")
    document.add_paragraph("After the table.")
    paragraph = document.add_paragraph("Line one")
    paragraph.add_run().add_break()
    paragraph.add_run("line two")

    doc = parse_document("handbook.docx", docx_bytes(document))
    assert doc.format == "docx"
    assert doc.title == "Refund handbook"
    assert doc.text == (
        "# Refund handbook\n"
        "\n"
        "Intro with extra spaces.\n"
        "\n"
        "# Eligibility\n"
        "\n"
        "- Unworn items\n"
        "  - With tags attached\n"
        "- Receipt\n"
        "\n"
        "## Process\n"
        "\n"
        "1. Open a ticket\n"
        "2. Ship the item\n"
        "\n"
        "| Item | Window |\n"
        "| --- | --- |\n"
        "| Shoes | 30 days |\n"
        "| Gift \\| card | |\n"
        "\n"
        "After the table.\n"
        "\n"
        "Line one\n"
        "line two"
    )


def test_docx_title_falls_back_to_the_core_properties_title() -> None:
    document = docx.Document()
    document.core_properties.title = "Warranty terms"
    document.add_heading("Scope", level=2)
    document.add_paragraph("Two years.")
    doc = parse_document("w.docx", docx_bytes(document))
    assert doc.title == "Warranty terms"
    assert doc.text == "## Scope\n\nTwo years."


def test_docx_title_falls_back_to_the_file_name() -> None:
    document = docx.Document()
    document.add_paragraph("Only body text.")
    assert parse_document("shipping_times.docx", docx_bytes(document)).title == "Shipping times"


def test_docx_list_paragraphs_take_bullets_or_numbers_from_the_numbering_definitions() -> None:
    document = docx.Document()
    bullets = document.styles["List Bullet"].element.pPr.numPr.numId.val
    numbers = document.styles["List Number"].element.pPr.numPr.numId.val
    for text, num_id, level in [
        ("Alpha", bullets, 0),
        ("Beta", bullets, 1),
        ("First", numbers, 0),
        ("Second", numbers, 0),
    ]:
        paragraph = document.add_paragraph(text, style="List Paragraph")
        paragraph._p.get_or_add_pPr().append(
            parse_xml(
                f'<w:numPr {nsdecls("w")}><w:ilvl w:val="{level}"/><w:numId w:val="{num_id}"/></w:numPr>'
            )
        )
    document.add_paragraph("After.")
    doc = parse_document("lists.docx", docx_bytes(document))
    assert doc.text == "- Alpha\n  - Beta\n1. First\n2. Second\n\nAfter."


def test_docx_reads_content_controls_and_tracked_changes_as_accepted() -> None:
    document = docx.Document()
    paragraph = document.add_paragraph("Kept ")
    paragraph._p.append(
        parse_xml(f'<w:ins {nsdecls("w")} w:id="1" w:author="A"><w:r><w:t>inserted</w:t></w:r></w:ins>')
    )
    paragraph._p.append(
        parse_xml(
            f'<w:del {nsdecls("w")} w:id="2" w:author="A"><w:r><w:delText> deleted</w:delText></w:r></w:del>'
        )
    )
    control = parse_xml(
        f"<w:sdt {nsdecls('w')}><w:sdtPr/><w:sdtContent>"
        "<w:p><w:r><w:t>Inside a content control</w:t></w:r></w:p>"
        "</w:sdtContent></w:sdt>"
    )
    document.element.body[-1].addprevious(control)  # the last child is the section properties
    assert (
        parse_document("tracked.docx", docx_bytes(document)).text
        == "Kept inserted\n\nInside a content control"
    )


def test_docx_that_unpacks_too_large_is_refused_before_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    document = docx.Document()
    document.add_paragraph("Small text, large limit check.")
    monkeypatch.setattr(docx_format, "_DOCX_MAX_UNPACKED", 1000)
    assert error_of("big.docx", docx_bytes(document)).startswith("big.docx: the document unpacks to ")


def test_docx_with_no_text_is_refused() -> None:
    document = docx.Document()
    document.add_paragraph("   ")
    assert error_of("blank.docx", docx_bytes(document)) == "blank.docx: no text found"


@pytest.mark.parametrize(
    "data",
    [
        b"this is not a zip archive at all",
        b"PK\x03\x04" + b"\x00" * 40,
    ],
    ids=["not-a-zip", "truncated-zip"],
)
def test_corrupt_docx_is_refused(data: bytes) -> None:
    assert error_of("broken.docx", data).startswith("broken.docx: not a valid Word document (.docx)")


def test_zip_that_is_not_a_word_document_is_refused() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("notes.txt", "hello")
    assert error_of("archive.docx", buffer.getvalue()).startswith("archive.docx: not a valid Word document")


# --- PDF --------------------------------------------------------------------------------------------------

POLICY_PAGES: list[list[PdfLine]] = [
    [
        (18, 72, 720, "Refund Policy"),
        (12, 72, 690, "Customers may request a refund within thirty days of"),
        (12, 72, 676, "purchase. Refunds follow the poli-"),
        (12, 72, 662, "cy described below."),
        (12, 72, 630, "Approved refunds go back to the original card."),
        (12, 300, 40, "1"),
    ],
    [
        (14, 72, 720, "Exceptions"),
        (12, 72, 700, "Gift cards (and vouchers) cannot be refunded."),
        (12, 72, 680, "\u2022 Opened software"),
        (12, 72, 666, "\u2022 Digital downloads"),
        (12, 300, 40, "Page 2 of 2"),
    ],
]


def test_pdf_text_is_joined_dehyphenated_and_structured() -> None:
    doc = parse_document("refunds.pdf", build_pdf(POLICY_PAGES, title="Metadata title"))
    assert doc.format == "pdf"
    assert doc.title == "Refund Policy"
    assert doc.text == (
        "# Refund Policy\n"
        "\n"
        "Customers may request a refund within thirty days of purchase. "
        "Refunds follow the policy described below.\n"
        "\n"
        "Approved refunds go back to the original card.\n"
        "\n"
        "## Exceptions\n"
        "\n"
        "Gift cards (and vouchers) cannot be refunded.\n"
        "\n"
        "- Opened software\n"
        "- Digital downloads"
    )


def test_pdf_pages_are_separated_by_a_blank_line() -> None:
    pages: list[list[PdfLine]] = [[(12, 72, 720, "first page text")], [(12, 72, 720, "second page text")]]
    assert parse_document("two.pdf", build_pdf(pages)).text == "first page text\n\nsecond page text"


def test_pdf_title_falls_back_to_the_metadata_title() -> None:
    pages: list[list[PdfLine]] = [[(12, 72, 720, "Plain body text only.")]]
    assert parse_document("p.pdf", build_pdf(pages, title="Returns guide")).title == "Returns guide"
    assert parse_document("returns_guide.pdf", build_pdf(pages)).title == "Returns guide"


def test_pdf_without_text_is_probably_a_scan() -> None:
    assert error_of("scan.pdf", build_pdf([[], []])) == (
        "scan.pdf: the PDF has no extractable text (is it a scan?)"
    )


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\nthis is not really a pdf",
        b"\x00\x01\x02 random bytes",
    ],
    ids=["garbage-after-header", "random-bytes"],
)
def test_corrupt_pdf_is_refused(data: bytes) -> None:
    assert error_of("broken.pdf", data) == (
        "broken.pdf: the file is not a readable PDF (it may be damaged or incomplete)"
    )


def test_truncated_pdf_is_refused_or_read_but_never_crashes() -> None:
    data = build_pdf(POLICY_PAGES)
    messages = []
    for cut in range(0, len(data), 97):
        try:
            parse_document("cut.pdf", data[:cut])
        except ParseError as error:
            messages.append(str(error))
    assert messages
    assert all(message.startswith("cut.pdf: ") for message in messages)


def test_pdf_restricted_by_an_owner_password_only_is_read() -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(build_pdf([[(12, 72, 720, "Readable text.")]]))))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert parse_document("restricted.pdf", buffer.getvalue()).text == "Readable text."


def test_password_protected_pdf_is_refused() -> None:
    writer = PdfWriter()
    writer.add_blank_page(width=200, height=200)
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    buffer = io.BytesIO()
    writer.write(buffer)
    assert error_of("locked.pdf", buffer.getvalue()) == (
        "locked.pdf: the PDF is password-protected; remove the password and upload it again"
    )
