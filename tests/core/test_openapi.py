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


# Open to anyone on purpose: the signed webhook (its signature is its authentication) and signing in.
PUBLIC = {
    ("post", "/api/v1/integrations/{source}/events"),
    ("get", "/api/v1/auth/session"),
    ("post", "/api/v1/auth/session"),
}


def _operations():
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, methods in schema["paths"].items():
        for method, operation in methods.items():
            yield method, path, operation, schema


def test_every_operation_but_the_public_ones_names_its_authentication():
    for method, path, operation, schema in _operations():
        security = operation.get("security", [])
        if (method, path) in PUBLIC:
            assert not [s for s in security if s], (method, path, security)
            assert "**Access:**" in operation["description"]
            continue
        schemes = {name for requirement in security for name in requirement}
        assert schemes, (method, path)
        assert schemes <= set(schema["components"]["securitySchemes"]), (method, path, schemes)
        if path != "/api/v1/auth/session":  # signing out needs only the session
            assert "ApiKey" in schemes, (method, path)


def test_the_webhook_says_it_authenticates_by_signature():
    operation = next(
        o for m, p, o, _ in _operations() if (m, p) == ("post", "/api/v1/integrations/{source}/events")
    )
    assert "signature" in operation["description"]
    assert operation["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorOutput"
    }


def test_every_operation_documents_its_4xx_answers_with_the_common_error_body():
    for method, path, operation, _ in _operations():
        errors = {code: r for code, r in operation["responses"].items() if "400" <= code < "500"}
        assert "400" in errors, (method, path)
        if {} not in operation.get("security", [{}]):  # authentication required
            assert "401" in errors, (method, path)
        if "{" in path:
            assert "404" in errors, (method, path)
        for code, response in errors.items():
            schema = response["content"]["application/json"]["schema"]
            refs = [schema, *schema.get("oneOf", [])]
            assert {"$ref": "#/components/schemas/ErrorOutput"} in refs, (method, path, code)


def test_every_scoped_operation_names_its_scope():
    from support.core import roles

    for method, path, operation, _ in _operations():
        scope = operation.get("x-openbook-scope")
        if scope is None:
            continue
        assert scope in roles.SCOPES, (method, path, scope)
        assert f"`{scope}` scope" in operation["description"]
        assert "403" in operation["responses"], (method, path)
    scoped = {(m, p): o.get("x-openbook-scope") for m, p, o, _ in _operations()}
    assert scoped[("get", "/api/v1/tickets")] == "tickets:read"
    assert scoped[("post", "/api/v1/tickets")] == "tickets:write"
    assert scoped[("delete", "/api/v1/api-keys/{id}")] == "admin"
    assert scoped[("post", "/api/v1/tickets/{id}/suggestions")] == "assist"
