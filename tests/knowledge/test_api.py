"""The knowledge API: create, upload, versions, publish, and who sees what."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from knowledge import services
from knowledge.models import Document, IndexState
from support.core import roles
from tests import factories
from tests.conftest import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor_api(api):
    api.force_authenticate(factories.user(role=roles.KNOWLEDGE_ADMIN))
    return api


def test_create_from_json_starts_as_a_draft_with_its_indexing_state(editor_api):
    factories.product(code="books")
    response = editor_api.post(
        "/api/v1/knowledge/documents",
        {
            "title": "Bank feeds",
            "text": "# Bank feeds\n\nFeeds sync every hour.",
            "kind": "troubleshooting",
            "products": ["books"],
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["status"], body["kind"], body["products"]) == ("draft", "troubleshooting", ["books"])
    assert body["indexing"]["state"] == "queued"
    assert body["indexing"]["total"] == 1


def test_unknown_product_code_is_a_clear_400(editor_api):
    response = editor_api.post(
        "/api/v1/knowledge/documents",
        {"title": "X", "text": "Some text.", "products": ["nope"]},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown product code(s): nope."
    assert not Document.objects.exists()


def test_upload_reports_each_file_and_keeps_the_good_ones(editor_api):
    good = SimpleUploadedFile("returns.md", b"# Returns\n\nReturn unused hardware within 30 days.")
    broken = SimpleUploadedFile("scan.pdf", b"%PDF-1.4 this is not really a pdf")
    empty = SimpleUploadedFile("empty.txt", b"")
    response = editor_api.post(
        "/api/v1/knowledge/documents/upload", {"files": [good, broken, empty]}, format="multipart"
    )
    assert response.status_code == 201
    results = {r["name"]: r for r in response.json()}
    assert results["returns.md"]["ok"] is True
    assert results["scan.pdf"]["ok"] is False
    assert results["scan.pdf"]["error"].startswith("scan.pdf:")
    assert results["empty.txt"]["ok"] is False
    assert list(Document.objects.values_list("title", flat=True)) == ["Returns"]
    assert Document.objects.get().versions.get().source_name == "returns.md"


def test_new_version_history_and_publish(editor_api):
    created = editor_api.post(
        "/api/v1/knowledge/documents", {"title": "Refunds", "text": "# R\n\n14 days."}, format="json"
    ).json()
    url = f"/api/v1/knowledge/documents/{created['id']}"
    second = editor_api.post(f"{url}/versions", {"text": "# R\n\n30 days.", "note": "longer"}, format="json")
    assert second.status_code == 201
    same = editor_api.post(f"{url}/versions", {"text": "# R\n\n30 days."}, format="json")
    assert same.status_code == 200
    history = editor_api.get(f"{url}/versions").json()
    assert [v["number"] for v in history] == [2, 1]
    assert editor_api.get(f"{url}/versions/1").json()["text"] == "# R\n\n14 days."
    published = editor_api.patch(url, {"status": "published", "valid_until": "2030-01-01"}, format="json")
    assert published.json()["status"] == "published"
    assert published.json()["valid_until"] == "2030-01-01"


def test_agents_see_only_published_documents_they_may_read(editor_api, agent_api):
    draft = editor_api.post(
        "/api/v1/knowledge/documents", {"title": "Draft", "text": "Draft text."}, format="json"
    ).json()
    internal = editor_api.post(
        "/api/v1/knowledge/documents",
        {
            "title": "Limits",
            "text": "Internal text.",
            "status": "published",
            "audience": "internal",
            "roles": ["knowledge_admin"],
        },
        format="json",
    ).json()
    public = editor_api.post(
        "/api/v1/knowledge/documents",
        {"title": "Public", "text": "Public text.", "status": "published"},
        format="json",
    ).json()
    seen = [d["id"] for d in agent_api.get("/api/v1/knowledge/documents").json()["results"]]
    assert seen == [public["id"]]
    assert agent_api.get(f"/api/v1/knowledge/documents/{draft['id']}").status_code == 404
    assert agent_api.get(f"/api/v1/knowledge/documents/{internal['id']}").status_code == 404
    assert (
        agent_api.post("/api/v1/knowledge/documents", {"title": "x", "text": "y"}, format="json").status_code
        == 403
    )


def test_index_status_reports_models_and_waiting_work(admin_api):
    services.document_create(title="Refunds", text="# Refunds\n\nWithin 14 days.", embed_async=False)
    IndexState.objects.update_or_create(
        pk=1,
        defaults={
            "active_model": "all-MiniLM-L6-v2",
            "target_model": "other",
            "target_done": 3,
            "target_total": 9,
        },
    )
    body = admin_api.get("/api/v1/knowledge/index").json()
    assert body["active_model"] == "all-MiniLM-L6-v2"
    assert body["switch"] == {"model": "other", "done": 3, "total": 9}
    assert body["chunks"] == body["chunks_waiting"] == 1
    assert body["versions"] == {"queued": 1}


def test_index_status_needs_knowledge_read(api):
    assert api.get("/api/v1/knowledge/index").status_code in (401, 403)
    assert key_client("tickets:read").get("/api/v1/knowledge/index").status_code == 403
