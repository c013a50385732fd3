"""Word (.docx) uploads: headings, lists and tables in document order, titles, damaged files.

Every fixture is built here, in memory: no binary files live in the repository.
"""

from __future__ import annotations

import io
import zipfile

import docx
import pytest
from docx.document import Document as DocxDocument
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls

from knowledge.parsing import docx as docx_format
from knowledge.parsing import parse_document
from tests.knowledge.uploads import error_of


def docx_bytes(document: DocxDocument) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


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
