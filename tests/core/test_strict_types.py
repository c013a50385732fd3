"""Every write takes each value in its field's JSON type only: a wrong type is a 400 naming the field, never
converted (`"subject": 123` stored as "123", `"customer": 1.5` read as customer 1).

The serializers are found by walking the API schema, so a new endpoint or field is checked without being
listed here: each must be an InputSerializer, each field of a type it knows, agreeing with the type the
OpenAPI schema documents, and every wrong type for that documented type refused at that field."""

from __future__ import annotations

import json
from typing import Any

import pytest
from drf_spectacular.plumbing import ComponentRegistry
from rest_framework import serializers
from rest_framework.test import APIRequestFactory

from support.core.errors import _flatten
from support.core.fields import ANY, InputSerializer, json_type
from support.core.schema import OpenbookAutoSchema
from support.tickets.models import Ticket
from tests import factories
from tests.api_walk import nested_serializers, request_serializers

pytestmark = pytest.mark.django_db

# Values of every JSON type but the one named.
WRONG: dict[str, list[Any]] = {
    "string": [123, 1.5, True, ["a"], {"a": "b"}],
    "integer": [1.5, 1.0, "1", True, [1], {"a": 1}],
    "number": ["1.5", True, [1.5]],
    "boolean": ["true", "false", 1, 0, "yes", [True]],
    "array": ["a", 1, {"0": "a"}, True],
    "object": ["a", 1, ["a"], True],
}

SERIALIZERS = request_serializers()


def _documented_type(field: serializers.Field) -> str:
    """The JSON type the OpenAPI schema gives the field (drf-spectacular's mapping, not ours)."""
    if isinstance(field, serializers.BaseSerializer):  # a component of its own, referred to
        return "array" if isinstance(field, serializers.ListSerializer) else "object"
    auto = OpenbookAutoSchema()
    auto.registry, auto.method, auto.path = ComponentRegistry(), "POST", "/"
    mapped = auto._map_serializer_field(field, "request")
    if "type" in mapped:
        return str(mapped["type"])
    if "$ref" in mapped or "allOf" in mapped or "oneOf" in mapped:
        return "object"
    return ANY


def _fields(serializer: serializers.BaseSerializer) -> list[tuple[serializers.Field, str]]:
    """Writable fields of the serializer and of its nested serializers, with their paths."""
    if isinstance(serializer, serializers.ListSerializer):
        serializer = serializer.child
    return [(field, name) for name, field in serializer.fields.items() if not field.read_only]


def test_the_walk_finds_the_input_serializers():
    assert len(SERIALIZERS) >= 30
    assert type(SERIALIZERS["POST /api/v1/tickets"]).__name__ == "TicketInput"


@pytest.mark.parametrize("operation", sorted(SERIALIZERS))
def test_every_input_serializer_is_strict_and_knows_its_field_types(operation):
    for serializer in nested_serializers(SERIALIZERS[operation]):
        assert isinstance(serializer, InputSerializer), f"{operation}: {type(serializer).__name__}"
        for field, name in _fields(serializer):
            kind = json_type(field)
            where = f"{operation}: {type(serializer).__name__}.{name} ({type(field).__name__})"
            assert kind is not None, f"{where}: a field class fields.json_type does not know"
            documented = _documented_type(field)
            assert kind == documented or ANY in (kind, documented), (
                f"{where}: {kind}, documented {documented}"
            )


def _cases(serializer: serializers.BaseSerializer, prefix: str = "") -> list[tuple[str, Any]]:
    """(error path, body) for every wrong value of every writable field, nested ones inside a
    body of their own."""
    cases = []
    for field, name in _fields(serializer):
        kind = _documented_type(field)
        for wrong in WRONG.get(kind, []):
            cases.append((f"{prefix}{name}", {name: wrong}))
        nested = field.child if isinstance(field, serializers.ListSerializer) else field
        if isinstance(nested, serializers.BaseSerializer):
            many = isinstance(field, serializers.ListSerializer)
            for path, body in _cases(nested, f"{prefix}{name}[0]." if many else f"{prefix}{name}."):
                cases.append((path, {name: [body] if many else body}))
        item = getattr(field, "child", None) or getattr(field, "child_relation", None)
        if (
            kind == "array"
            and isinstance(item, serializers.Field)
            and not isinstance(item, serializers.BaseSerializer)
        ):
            for wrong in WRONG.get(_documented_type(item), []):
                cases.append((f"{prefix}{name}[0]", {name: [wrong]}))
    return cases


@pytest.mark.parametrize("operation", sorted(SERIALIZERS))
def test_every_wrong_type_is_refused_at_its_field(operation, admin_user):
    serializer = SERIALIZERS[operation]
    request = APIRequestFactory().post("/", {}, format="json")
    request.user = admin_user
    cases = _cases(serializer)
    assert cases
    for path, body in cases:
        checked = type(serializer)(data=body, context={"request": request})
        checked.partial = True  # only the field under test is sent
        assert not checked.is_valid(), (operation, body)
        errors = _flatten(checked.errors)
        assert path in errors, (operation, json.dumps(body), errors)
        assert errors[path][0].startswith("Must be "), (operation, body, errors[path])


# --- what was reported ------------------------------------------------------------------------------------


@pytest.fixture
def customer(admin_user):
    team = factories.team()
    team.members.add(admin_user)
    return factories.customer()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("subject", 123, "Must be a string, not an integer."),
        ("customer", 1.5, "Must be an integer, not a decimal number."),
        ("customer", "1", "Must be an integer, not a string."),
        ("customer", True, "Must be an integer, not true or false."),
        ("tags", ["ok", 7], None),
        ("messages", [{"body": "hi", "public": "false"}], None),
    ],
)
def test_a_ticket_with_a_wrong_type_is_refused_and_nothing_is_stored(
    admin_api, customer, field, value, message
):
    body = {"subject": "Help", "customer": customer.pk, field: value}
    response = admin_api.post("/api/v1/tickets", body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    if message:
        assert errors == {field: [message]}
    else:
        assert list(errors) == [{"tags": "tags[1]", "messages": "messages[0].public"}[field]]
    assert not Ticket.objects.exists()


def test_the_same_values_in_their_right_types_are_taken(admin_api, customer):
    body = {
        "subject": "Help",
        "customer": customer.pk,
        "tags": ["ok"],
        "messages": [{"body": "hi", "public": True}],
    }
    assert admin_api.post("/api/v1/tickets", body, format="json").status_code == 201


def test_query_strings_and_forms_are_text_by_nature(admin_api):
    response = admin_api.get("/api/v1/knowledge/search?query=refund&k=3&max_per_document=1")
    assert response.status_code == 200, response.content
    assert admin_api.get("/api/v1/knowledge/versions?id=1&id=2").status_code == 200
