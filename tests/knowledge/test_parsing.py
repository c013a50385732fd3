"""Uploaded files become Markdown-like text with a title, or a ParseError a user can act on: format
detection, size limits, empty files and text decoding, whatever the format.

Every fixture is built here, in memory: no binary files live in the repository.
"""

from __future__ import annotations

import dataclasses

import pytest

from knowledge.parsing import (
    FORMATS,
    MAX_BYTES_DEFAULT,
    ParsedDocument,
    ParseError,
    detect_format,
    parse_document,
)
from tests.knowledge.uploads import error_of

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
