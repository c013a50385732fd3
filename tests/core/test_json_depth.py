"""A JSON body nested deeper than JSON_MAX_DEPTH is refused with 400 in the error shape, on every path that
reads JSON, before any parser recurses into it (Python's would run out of stack: a 500)."""

from __future__ import annotations

import json

import pytest
from rest_framework.test import APIClient

from support.core.jsonbody import nesting_exceeds
from tests.api_walk import api_views
from tests.core.test_bad_input import NESTED_POSTS, WRITABLE_LISTS, _assert_error_shape, _ids, world  # noqa: F401
from tests.integrations.test_inbound import CREATED, _send, source  # noqa: F401

pytestmark = pytest.mark.django_db

# About 950 levels in 2 KB: far past the limit, and deep enough to exhaust Python's recursion in DRF's stack.
DEEP_LIST = b"[" * 950 + b"]" * 950
DEEP_OBJECT = b'{"a":' * 950 + b"1" + b"}" * 950


@pytest.mark.parametrize(
    ("text", "limit", "exceeds"),
    [
        ("{}", 1, False),
        ("[[]]", 1, True),
        ("[[]]", 2, False),
        ('{"a": {"b": [1, 2, {"c": []}]}}', 5, False),
        ('{"a": {"b": [1, 2, {"c": []}]}}', 4, True),
        # Brackets inside strings are text, escaped quotes included.
        ('["[[[[[[[[", "{{{{{{{{{{"]', 1, False),
        ('["\\"[[[[[[[[", "\\\\", "]]]]"]', 1, False),
        ('"[[[[[[["', 1, False),
        # Siblings are not depth.
        ("[" + "[],[]," * 100 + "[]]", 2, False),
        ("12", 0, False),
        ("[1]", 0, True),
    ],
)
def test_nesting_is_measured_without_recursion(text, limit, exceeds):
    assert nesting_exceeds(text.encode(), limit) is exceeds


def test_large_bodies_are_measured():
    body = b"[" * 1_000_000 + b"]" * 1_000_000
    assert nesting_exceeds(body, 32) is True
    assert nesting_exceeds(b"[" + b"[1]," * 400_000 + b"[1]]", 32) is False


@pytest.mark.parametrize("body", [DEEP_LIST, DEEP_OBJECT])
@pytest.mark.parametrize("path", WRITABLE_LISTS + NESTED_POSTS)
def test_a_deeply_nested_body_is_400_on_every_json_endpoint(admin_api, world, path, body):  # noqa: F811
    url = path.format(_ids(world).get(path, 0))
    response = admin_api.post(url, data=body, content_type="application/json")
    result = _assert_error_shape(response, 400)
    assert result["code"] == "too_deep"
    assert result["detail"] == "The JSON body is nested deeper than 32 levels."


def test_a_deeply_nested_sign_in_is_400():
    response = APIClient().post("/api/v1/auth/session", data=DEEP_OBJECT, content_type="application/json")
    assert _assert_error_shape(response, 400)["code"] == "too_deep"


def test_a_deeply_nested_signed_webhook_is_400(source):  # noqa: F811
    _, secret = source
    response = _send(DEEP_LIST, secret)
    assert _assert_error_shape(response, 400)["code"] == "too_deep"


def test_the_limit_is_a_setting_and_nesting_up_to_it_is_read(admin_api, settings, source):  # noqa: F811
    _, secret = source
    settings.JSON_MAX_DEPTH = 4
    # The event is 4 deep: object, ticket, messages list, message.
    assert _send(CREATED, secret).status_code == 200
    settings.JSON_MAX_DEPTH = 3
    assert _send(CREATED, secret, delivery="d-2").json()["code"] == "too_deep"
    response = admin_api.post(
        "/api/v1/tickets", data=json.dumps({"tags": [[[]]]}), content_type="application/json"
    )
    assert response.json()["code"] == "too_deep"


def test_every_api_view_parses_json_through_the_depth_check():
    from rest_framework import parsers

    from support.core.jsonbody import JSONParser

    for method, path, view in api_views():
        for parser in view.get_parsers():
            if isinstance(parser, parsers.JSONParser):
                assert isinstance(parser, JSONParser), (method, path)
