"""Every endpoint names the scope it needs, and a key holding only other scopes gets 403 from it — before
any lookup, so it cannot even learn whether a record exists."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import URLPattern

from support.core import roles
from support.urls import api_v1
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

# Endpoints with a rule of their own: health and "who am I" answer any signed-in caller, the session endpoint
# is how one signs in, and inbound events are authenticated by their signature.
OWN_RULES = {"health", "me", "session", "integration-events"}
METHODS = ("get", "post", "put", "patch", "delete")


def _operations() -> list[tuple[str, str, str]]:
    """(method, path, scope needed) for every operation of every /api/v1 endpoint."""
    found = []
    for pattern in api_v1:
        assert isinstance(pattern, URLPattern)
        if pattern.name in OWN_RULES:
            continue
        view = pattern.callback.cls  # type: ignore[attr-defined]
        path = "/api/v1/" + re.sub(
            r"<int:\w+>", "1", re.sub(r"<(?:str|slug):\w+>", "x", str(pattern.pattern))
        )
        for method in METHODS:
            if not hasattr(view, method):
                continue
            scope = getattr(view, "read_scope" if method == "get" else "write_scope", None)
            assert scope in roles.SCOPES, f"{view.__name__}.{method} declares no scope"
            found.append((method, path, scope))
    return found


OPERATIONS = _operations()


def test_every_endpoint_outside_the_own_rules_declares_its_scopes():
    assert len(OPERATIONS) > 60
    names = {p.name for p in api_v1 if isinstance(p, URLPattern)}
    assert names >= OWN_RULES


@pytest.mark.parametrize("scope", roles.SCOPES)
def test_a_key_is_refused_by_every_endpoint_of_another_scope(scope):
    client = key_client(scope)
    leaks: list[Any] = []
    for method, path, needed in OPERATIONS:
        if needed == scope:
            continue
        response = getattr(client, method)(path, {}, format="json")
        if response.status_code != 403:
            leaks.append((method.upper(), path, needed, response.status_code))
    assert leaks == []
