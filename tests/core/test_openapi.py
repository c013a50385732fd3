import pytest
from django.core.management import call_command

pytestmark = pytest.mark.django_db


def test_schema_generates_without_warnings(capsys, tmp_path):
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--validate", "--fail-on-warn")
    text = (tmp_path / "schema.yml").read_text()
    assert "/api/v1/tickets/{id}/messages:" in text
    assert "ApiKey" in text


def test_schema_and_docs_need_authentication(api, admin_api):
    assert api.get("/api/schema/").status_code == 401
    assert admin_api.get("/api/schema/").status_code == 200
    docs = admin_api.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger" in docs.content.lower()
