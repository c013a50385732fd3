"""PDF uploads: lines joined into paragraphs, headings by font size, page furniture dropped, damaged and
locked files refused.

Every fixture is built here, in memory: no binary files live in the repository.
"""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter

from knowledge.parsing import ParseError, parse_document
from tests.knowledge.uploads import error_of

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
