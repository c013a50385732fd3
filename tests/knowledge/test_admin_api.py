"""The knowledge admin pages' API: list filters, indexing state, owners, restore, version lookup, options."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge import indexing, services
from knowledge.models import Document, DocumentVersion
from support.core import roles
from tests import factories
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

DOCUMENTS = "/api/v1/knowledge/documents"


@pytest.fixture
def editor():
    return factories.user(role=roles.KNOWLEDGE_ADMIN, username="kim", first_name="Kim", last_name="Knowledge")


@pytest.fixture
def editor_api(api, editor):
    api.force_authenticate(editor)
    return api


def _create(client, **fields):
    body = {"title": "Refunds", "text": "# Refunds\n\nWithin 14 days.", **fields}
    response = client.post(DOCUMENTS, body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_indexing_is_typed_and_names_the_newest_and_the_active_version(editor_api):
    document = factories.indexed_document(title="Refunds", text="# Refunds\n\nWithin 14 days.")
    services.version_create(document=document, text="# Refunds\n\nWithin 30 days.", embed_async=False)
    body = editor_api.get(f"{DOCUMENTS}/{document.pk}").json()
    assert body["latest_version"] == 2
    assert body["active_version_number"] == 1
    assert body["indexing"] == {"version": 2, "state": "queued", "embedded": 0, "total": 1, "error": None}


def test_failed_indexing_shows_the_error(editor_api):
    document = services.document_create(title="Broken", text="# Broken\n\nText.", embed_async=False)
    indexing.version_fail(version_id=document.versions.get().pk, error="model exploded")
    row = editor_api.get(DOCUMENTS).json()["results"][0]
    assert row["indexing"]["state"] == "failed"
    assert row["indexing"]["error"] == "model exploded"
    assert row["active_version_number"] is None


def test_state_filter_follows_the_newest_version(editor_api):
    live = factories.indexed_document(title="Live", text="# Live\n\nOne.")
    changed = factories.indexed_document(title="Changed", text="# Changed\n\nOne.")
    services.version_create(document=changed, text="# Changed\n\nTwo.", embed_async=False)

    def titles(state):
        response = editor_api.get(DOCUMENTS, {"state": state})
        assert response.status_code == 200
        return [d["title"] for d in response.json()["results"]]

    assert titles("active") == [live.title]
    assert titles("queued") == [changed.title]
    assert editor_api.get(DOCUMENTS, {"state": "sleeping"}).status_code == 400


def test_list_filters_combine(editor_api):
    factories.product(code="books")
    factories.product(code="payroll")
    _create(editor_api, title="Bank feeds", kind="troubleshooting", products=["books"])
    _create(editor_api, title="Payslips", kind="faq", products=["payroll"], language="de")
    _create(editor_api, title="Feeds for payroll", kind="faq", products=["payroll"], audience="internal")
    _create(editor_api, title="Published feeds", status="published")

    def titles(**params):
        response = editor_api.get(DOCUMENTS, params)
        assert response.status_code == 200, response.json()
        return [d["title"] for d in response.json()["results"]]

    assert titles(kind="faq") == ["Feeds for payroll", "Payslips"]
    assert titles(kind="faq", language="de") == ["Payslips"]
    assert titles(product="payroll", audience="internal") == ["Feeds for payroll"]
    assert titles(search="feeds", status="draft") == ["Bank feeds", "Feeds for payroll"]
    assert titles(status="published") == ["Published feeds"]
    assert editor_api.get(DOCUMENTS, {"kind": "novel"}).status_code == 400


def test_the_list_reads_a_fixed_number_of_statements_and_never_version_text(editor_api):
    _create(editor_api, title="One")
    with CaptureQueriesContext(connection) as one:
        assert editor_api.get(DOCUMENTS).status_code == 200
    for title in ("Two", "Three", "Four"):
        _create(editor_api, title=title)
    with CaptureQueriesContext(connection) as four:
        assert len(editor_api.get(DOCUMENTS).json()["results"]) == 4
    assert len(four.captured_queries) == len(one.captured_queries)
    version_reads = [
        q["sql"] for q in four.captured_queries if 'FROM "knowledge_documentversion"' in q["sql"]
    ]
    assert version_reads
    assert all('"knowledge_documentversion"."text"' not in sql for sql in version_reads)


def test_owner_is_set_by_username_and_cleared_with_null(editor_api, editor, agent):
    other = factories.user(role=roles.ADMINISTRATOR, username="ada")
    created = _create(editor_api, owner="ada")
    assert created["owner"] == "ada"
    assert Document.objects.get(pk=created["id"]).versions.get().author == editor
    url = f"{DOCUMENTS}/{created['id']}"
    assert editor_api.patch(url, {"owner": "kim"}, format="json").json()["owner"] == "kim"
    refused = editor_api.patch(url, {"owner": agent.username}, format="json")
    assert refused.status_code == 400
    assert refused.json()["errors"] == {
        "owner": [f"No knowledge admin or administrator is called '{agent.username}'."]
    }
    assert editor_api.patch(url, {"owner": None}, format="json").json()["owner"] is None
    assert Document.objects.get(pk=created["id"]).owner is None
    assert other.username == "ada"


def test_a_refused_change_changes_nothing(editor_api):
    created = _create(editor_api)
    url = f"{DOCUMENTS}/{created['id']}"
    response = editor_api.patch(
        url, {"kind": "faq", "valid_from": "2030-01-02", "valid_until": "2030-01-01"}, format="json"
    )
    assert response.status_code == 400
    assert "valid_until" in response.json()["errors"]
    assert Document.objects.get(pk=created["id"]).kind == "policy"
    assert editor_api.patch(url, ["not", "an", "object"], format="json").status_code == 400


def test_publish_archive_and_restore_to_draft(editor_api):
    url = f"{DOCUMENTS}/{_create(editor_api)['id']}"
    for status in ("published", "archived", "draft", "published"):
        response = editor_api.patch(url, {"status": status}, format="json")
        assert response.status_code == 200
        assert response.json()["status"] == status


def test_restore_an_earlier_version_as_the_newest(editor_api, agent_api):
    created = _create(editor_api, title="Refunds")
    url = f"{DOCUMENTS}/{created['id']}/versions"
    editor_api.post(url, {"text": "# Refunds\n\nWithin 30 days.", "title": "Refund policy"}, format="json")
    restored = editor_api.post(f"{url}/1/restore", {}, format="json")
    assert restored.status_code == 201, restored.json()
    assert (restored.json()["number"], restored.json()["title"]) == (3, "Refunds")
    assert restored.json()["note"] == "Restored version 1"
    assert editor_api.get(f"{url}/3").json()["text"] == "# Refunds\n\nWithin 14 days."
    assert editor_api.get(f"{DOCUMENTS}/{created['id']}").json()["title"] == "Refunds"
    again = editor_api.post(f"{url}/1/restore", {"note": "again"}, format="json")
    assert (again.status_code, again.json()["number"]) == (200, 3)
    missing = editor_api.post(f"{url}/9/restore", {}, format="json")
    assert missing.status_code == 404
    assert missing.json()["detail"] == "Version 9 does not exist."
    assert editor_api.post(f"{url}/1/restore", ["x"], format="json").status_code == 400
    assert editor_api.post(f"{url}/1/restore", {"note": "x" * 501}, format="json").status_code == 400
    assert editor_api.post(f"{url}/{2**40}/restore", {}, format="json").status_code in (400, 404)
    assert agent_api.post(f"{url}/1/restore", {}, format="json").status_code == 403
    assert DocumentVersion.objects.filter(document_id=created["id"]).count() == 3


def test_version_lookup_links_ids_to_numbers_within_the_callers_rights(editor_api, agent_api):
    public = factories.indexed_document(title="Public", text="# Public\n\nOne.")
    services.version_create(document=public, text="# Public\n\nTwo.", embed_async=False)
    draft = _create(editor_api, title="Draft")
    ids = list(DocumentVersion.objects.order_by("id").values_list("id", flat=True))
    refs = editor_api.get("/api/v1/knowledge/versions", {"id": ids}).json()
    assert [(r["document"], r["number"]) for r in refs] == [(public.pk, 1), (public.pk, 2), (draft["id"], 1)]
    assert set(refs[0]) == {"id", "document", "number", "title", "state"}
    seen = agent_api.get("/api/v1/knowledge/versions", {"id": ids}).json()
    assert [r["document"] for r in seen] == [public.pk, public.pk]
    assert editor_api.get("/api/v1/knowledge/versions").status_code == 400
    bad = editor_api.get("/api/v1/knowledge/versions", {"id": ["x"]})
    assert bad.status_code == 400
    assert "id[0]" in bad.json()["errors"]
    assert editor_api.get("/api/v1/knowledge/versions", {"id": list(range(1, 102))}).status_code == 400
    assert editor_api.get("/api/v1/knowledge/versions", {"id": [2**40]}).status_code == 400
    assert key_client("tickets:read").get("/api/v1/knowledge/versions", {"id": ids}).status_code == 403


def test_options_give_editors_organizations_and_owners(editor_api, agent_api, editor):
    factories.product(code="books", name="Books")
    factories.plan("enterprise")
    factories.plan("starter")
    factories.organization(slug="hobsons", name="Hobsons House")
    _create(editor_api, language="fr")
    body = editor_api.get("/api/v1/knowledge/options").json()
    assert {"value": "books", "label": "Books"} in body["products"]
    assert [p["value"] for p in body["plans"]] == ["starter", "enterprise"]
    assert body["organizations"] == [{"value": "hobsons", "label": "Hobsons House"}]
    assert {"value": "kim", "label": "Kim Knowledge"} in body["owners"]
    assert body["languages"] == ["en", "fr"]
    assert [k["value"] for k in body["kinds"]] == [k for k, _ in Document.Kind.choices]
    assert "administrator" in [r["value"] for r in body["roles"]]
    read_only = agent_api.get("/api/v1/knowledge/options").json()
    assert read_only["organizations"] == read_only["owners"] == []
    assert read_only["products"] == body["products"]
    assert key_client("tickets:read").get("/api/v1/knowledge/options").status_code == 403


def test_upload_with_only_bad_files_answers_400_with_each_files_result(editor_api):
    response = editor_api.post(
        f"{DOCUMENTS}/upload",
        {
            "files": [
                SimpleUploadedFile("empty.txt", b""),
                SimpleUploadedFile("scan.pdf", b"%PDF-1.4 not a pdf"),
            ]
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert [(r["name"], r["ok"]) for r in response.json()] == [("empty.txt", False), ("scan.pdf", False)]
    assert all(r["error"] for r in response.json())


def test_upload_again_adds_a_version_or_reports_unchanged(editor_api):
    def upload(data):
        return editor_api.post(
            f"{DOCUMENTS}/upload", {"files": [SimpleUploadedFile("faq.md", data)]}, format="multipart"
        ).json()[0]

    first = upload(b"# FAQ\n\nOne.")
    assert (first["created"], first["unchanged"]) == (True, False)
    same = upload(b"# FAQ\n\nOne.")
    assert (same["document_id"], same["created"], same["unchanged"]) == (first["document_id"], False, True)
    changed = upload(b"# FAQ\n\nTwo.")
    assert (changed["created"], changed["unchanged"]) == (False, False)
    assert Document.objects.get(pk=first["document_id"]).versions.count() == 2
