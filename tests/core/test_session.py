"""The browser's session endpoint: sign in with CSRF protection, who is signed in, sign out."""

import os

import pytest
from rest_framework.test import APIClient

from tests import factories

pytestmark = pytest.mark.django_db


def _client() -> APIClient:
    return APIClient(enforce_csrf_checks=True)


def test_anonymous_session_hands_out_a_csrf_token_and_no_user():
    client = _client()
    body = client.get("/api/v1/auth/session").json()
    assert body["authenticated"] is False
    assert body["user"] is None
    assert body["csrf_token"]
    assert "csrftoken" in client.cookies


def test_sign_in_needs_the_csrf_token_then_returns_the_user_with_roles_and_a_fresh_token(agent):
    agent.set_password("pw-123456")
    agent.save()
    client = _client()
    token = client.get("/api/v1/auth/session").json()["csrf_token"]
    refused = client.post(
        "/api/v1/auth/session", {"username": agent.username, "password": "pw-123456"}, format="json"
    )
    assert refused.status_code == 403
    signed = client.post(
        "/api/v1/auth/session",
        {"username": agent.username, "password": "pw-123456"},
        format="json",
        HTTP_X_CSRFTOKEN=token,
    )
    assert signed.status_code == 200, signed.content
    body = signed.json()
    assert body["authenticated"] is True
    assert body["user"]["username"] == agent.username
    assert body["user"]["roles"] == ["agent"]
    assert "assist" in body["user"]["scopes"]
    assert client.get("/api/v1/me").status_code == 200
    # Signing out needs the new token too, then the session is gone.
    fresh = body["csrf_token"]
    assert client.delete("/api/v1/auth/session").status_code == 403
    assert client.delete("/api/v1/auth/session", HTTP_X_CSRFTOKEN=fresh).status_code == 204
    assert client.get("/api/v1/me").status_code == 401


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ({"username": "nobody", "password": "x"}, "Wrong username or password."),
        ({"username": "", "password": ""}, None),
        ({"username": ["a"], "password": 3}, None),
    ],
)
def test_bad_sign_ins_are_400_with_a_message(payload, message):
    client = APIClient()
    response = client.post("/api/v1/auth/session", payload, format="json")
    assert response.status_code == 400
    if message:
        assert response.json()["detail"] == message


def test_an_inactive_user_cannot_sign_in():
    user = factories.user(is_active=False)
    user.set_password("pw-123456")
    user.save()
    response = APIClient().post(
        "/api/v1/auth/session", {"username": user.username, "password": "pw-123456"}, format="json"
    )
    assert response.status_code == 400


def test_the_console_page_is_served_at_its_addresses_or_says_how_to_build_it(
    client, settings, tmp_path, monkeypatch
):
    from support.core import pages

    monkeypatch.setattr(pages, "FRONTEND_INDEX", tmp_path / "dist" / "index.html")
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    unbuilt = client.get("/tickets/12")
    assert unbuilt.status_code == 503
    assert b"make frontend" in unbuilt.content
    pages.FRONTEND_INDEX.parent.mkdir()
    pages.FRONTEND_INDEX.write_text("<title>Openbook console</title>")
    for path in ("/", "/tickets/12", "/knowledge/search", "/models", "/integrations/outbound", "/login"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.content == b"<title>Openbook console</title>"
    assert client.get("/nothing-here").status_code == 404


def test_the_newest_built_page_is_served_collected_or_not(client, settings, tmp_path, monkeypatch):
    from support.core import pages

    build = tmp_path / "dist"
    build.mkdir()
    monkeypatch.setattr(pages, "FRONTEND_INDEX", build / "index.html")
    settings.STATIC_ROOT = tmp_path / "static"
    settings.STATIC_ROOT.mkdir()
    collected = settings.STATIC_ROOT / "index.html"
    collected.write_text("<title>Openbook collected</title>")
    # A deployment that ships only the collected files.
    assert client.get("/tickets/3").content == b"<title>Openbook collected</title>"
    # A rebuild after the last collectstatic wins.
    pages.FRONTEND_INDEX.write_text("<title>Openbook rebuilt</title>")
    os.utime(collected, (1, 1))
    response = client.get("/tickets/3")
    assert response.content == b"<title>Openbook rebuilt</title>"
    assert response["Cache-Control"] == "no-cache"
