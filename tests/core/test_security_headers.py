"""Every page carries a strict Content-Security-Policy, in development and in production alike; no API answer
(they hold personal data) may be stored by a browser or a proxy."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db

EXPECTED_DIRECTIVES = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "img-src": "'self' data:",
    "font-src": "'self'",
    "connect-src": "'self'",
    "object-src": "'none'",
    "base-uri": "'none'",
    "frame-ancestors": "'none'",
    "form-action": "'self'",
}


def _directives(header: str) -> dict[str, str]:
    parts = [part.strip().split(" ", 1) for part in header.split(";") if part.strip()]
    return {name: value for name, value in parts}


def _assert_strict(header: str) -> None:
    directives = _directives(header)
    assert {name: directives.get(name) for name in EXPECTED_DIRECTIVES} == EXPECTED_DIRECTIVES
    assert "unsafe" not in header


@pytest.mark.parametrize("path", ["/", "/login", "/tickets/1", "/admin/login/", "/api/docs/", "/api/v1/me"])
def test_pages_and_answers_carry_the_strict_policy(admin_client, path):
    response = admin_client.get(path)
    assert response.status_code in (200, 503), (path, response.status_code)  # 503: console not built
    _assert_strict(response["Content-Security-Policy"])


def test_production_sends_the_same_policy():
    """The policy does not depend on DEBUG: production (DEBUG=false) answers with the same header."""
    script = (
        "from django.test import Client; "
        "r = Client().get('/login', secure=True, HTTP_HOST='support.example.com'); "
        "print(r['Content-Security-Policy'])"
    )
    base = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "DJANGO_SETTINGS_MODULE")}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", script],
        cwd=ROOT,
        env={
            **base,
            "DEBUG": "false",
            "SECRET_KEY": secrets.token_urlsafe(64),
            "ALLOWED_HOSTS": "support.example.com",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    _assert_strict(result.stdout.strip().splitlines()[-1])


def test_the_api_docs_need_no_inline_script_or_style(admin_client):
    page = admin_client.get("/api/docs/").content.decode()
    scripts = re.findall(r"<script([^>]*)>", page)
    assert scripts
    assert all("src=" in attributes for attributes in scripts), scripts
    assert "<style" not in page
    assert " style=" not in page
    for url in re.findall(r'(?:src|href)="([^"]+)"', page):
        if url.startswith("/static/"):
            assert finders.find(url.removeprefix("/static/")), url
        else:  # the start-up script
            script = admin_client.get(url.replace("&amp;", "&"))
            assert script.status_code == 200, url
            assert script["Content-Type"].startswith("application/javascript")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/me"),
        ("get", "/api/v1/auth/session"),
        ("get", "/api/v1/tickets"),
        ("get", "/api/v1/tickets/999999"),
        ("get", "/api/v1/nowhere"),
        ("post", "/api/v1/tickets"),
        ("get", "/api/schema/"),
        ("get", "/api/docs/"),
    ],
)
def test_no_api_answer_may_be_stored(admin_client, method, path):
    response = getattr(admin_client, method)(path, content_type="application/json")
    assert response["Cache-Control"] == "no-store", (path, response.status_code)


def test_unauthenticated_and_session_answers_are_not_stored_either(client):
    assert client.get("/api/v1/me")["Cache-Control"] == "no-store"
    signed = client.post(
        "/api/v1/auth/session", {"username": "x", "password": "y"}, content_type="application/json"
    )
    assert signed["Cache-Control"] == "no-store"


def test_an_early_refusal_is_not_stored_either(admin_client, settings):
    settings.MAX_REQUEST_BYTES = 2048
    response = admin_client.post("/api/v1/tickets", data="x" * 4096, content_type="application/json")
    assert response.status_code == 413
    assert response["Cache-Control"] == "no-store"


def test_the_page_shown_before_the_console_is_built_needs_no_inline_style(
    client, settings, tmp_path, monkeypatch
):
    from support.core import pages

    monkeypatch.setattr(pages, "FRONTEND_INDEX", tmp_path / "dist" / "index.html")
    settings.STATIC_ROOT = tmp_path / "static"
    response = client.get("/")
    assert response.status_code == 503
    page = response.content.decode()
    assert "<style" not in page
    assert "<script" not in page
    assert finders.find("openbook/landing.css")
    _assert_strict(response["Content-Security-Policy"])
