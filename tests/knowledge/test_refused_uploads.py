"""Uploads that would store something other than what was sent are refused, naming what is wrong, and store
nothing: a file that is not valid UTF-8 (no guess at another encoding), metadata longer than its field (never
cut to fit)."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge import ingest
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


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("language", "en-GB-oxendict-x"),  # 16 characters: was cut to "en-GB-oxendi"
        ("language", "english"),
        ("kind", "novel"),
        ("status", "burnt"),
        ("audience", "everyone-on-earth"),
    ],
)
def test_upload_metadata_that_does_not_fit_is_a_400_naming_the_field_and_stores_nothing(
    admin_api, field, value
):
    response = _upload(admin_api, "refunds.md", ORIGINAL.encode(), **{field: value})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert list(body["errors"]) == [field]
    assert not Document.objects.exists()


def test_upload_metadata_that_fits_is_kept(admin_api):
    response = _upload(admin_api, "refunds.md", ORIGINAL.encode(), language="en-GB", kind="policy")
    assert response.status_code == 201, response.content
    assert Document.objects.values_list("language", "kind").get() == ("en-GB", "policy")


def test_an_imported_record_with_an_over_long_language_is_refused_not_cut(tmp_path):
    lines = tmp_path / "library.jsonl"
    lines.write_text(json.dumps({"id": "r-1", "title": "Refunds", "text": ORIGINAL, "language": "x" * 13}))
    [record] = list(ingest.jsonl_records(lines))
    result = ingest.record_ingest(record)
    assert result.ok is False
    assert result.error == "language must be at most 12 characters (a language tag such as en or pt-BR)."
    assert not Document.objects.exists()
