"""Uploads that would store something other than what was sent are refused, naming what is wrong, and store
nothing: a file that is not valid UTF-8 (no guess at another encoding)."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge.models import Document, DocumentVersion
from knowledge.parsing import ParseError, parse_document

pytestmark = pytest.mark.django_db

UPLOAD = "/api/v1/knowledge/documents/upload"
ORIGINAL = "# Refunds\n\nAnnual plans are refundable within 30 days.\n"
# "Café – “smart quotes” cost 5 €" as a legacy Windows export (cp1252), not UTF-8.
LEGACY = "Refunds: Café – “smart quotes” cost 5 €".encode("cp1252")


def _upload(client, name: str, data: bytes, **fields: str):
    return client.post(UPLOAD, {"files": [SimpleUploadedFile(name, data)], **fields}, format="multipart")


def test_text_that_is_not_utf8_is_refused_with_the_file_and_the_byte_offset():
    with pytest.raises(ParseError) as refused:
        parse_document("legacy.txt", LEGACY)
    assert str(refused.value) == (
        "legacy.txt: the text is not valid UTF-8 (byte 0xe9 at offset 12); save the file as UTF-8 and "
        "upload it again"
    )


def test_the_offset_counts_from_the_start_of_the_file_byte_order_mark_included():
    with pytest.raises(ParseError, match=r"byte 0xff at offset 8\)"):
        parse_document("notes.md", b"\xef\xbb\xbf# Ok\n\xff")


def test_an_invalid_upload_of_a_known_file_leaves_the_document_and_its_versions_as_they_were(admin_api):
    first = _upload(admin_api, "refunds.md", ORIGINAL.encode())
    assert first.status_code == 201, first.content
    document = Document.objects.get()
    versions = list(DocumentVersion.objects.values_list("pk", "text"))

    again = _upload(admin_api, "refunds.md", LEGACY)
    assert again.status_code == 400
    [result] = again.json()
    assert result["ok"] is False
    assert result["error"].startswith("refunds.md: the text is not valid UTF-8 (byte 0xe9 at offset 12)")
    assert list(Document.objects.all()) == [document]
    assert list(DocumentVersion.objects.values_list("pk", "text")) == versions
