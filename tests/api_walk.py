"""The API as the OpenAPI schema generator sees it: every operation's view, and the serializers that read
request bodies. Tests walk these so that a new endpoint or field is checked without being listed."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from rest_framework import serializers

WRITES = ("POST", "PUT", "PATCH")


def api_views() -> Iterator[tuple[str, str, Any]]:
    """(method, path, view instance) of every operation in the API schema, each view made as it is
    reached (its schema inspector refers back to it weakly: use it before asking for the next one)."""
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator()
    generator._initialise_endpoints()
    for path, _regex, method, callback in generator.endpoints:
        yield method, path, generator.create_view(callback, method)


def request_serializers() -> dict[str, serializers.BaseSerializer]:
    """The serializer that reads the JSON body of each write operation, by "METHOD path"."""
    found: dict[str, serializers.BaseSerializer] = {}
    for method, path, view in api_views():
        if method not in WRITES:
            continue
        schema = view.schema
        schema.method, schema.path = method, path
        request = schema.get_request_serializer()
        if isinstance(request, dict):  # by media type: JSON only (a multipart upload is form fields)
            request = request.get("application/json")
        if isinstance(request, type) and issubclass(request, serializers.BaseSerializer):
            request = request()
        if isinstance(request, serializers.BaseSerializer):
            found[f"{method} {path}"] = request
    return found


def nested_serializers(serializer: serializers.BaseSerializer) -> list[serializers.BaseSerializer]:
    """The serializer and every serializer nested in its fields (lists of them included), depth first."""
    if isinstance(serializer, serializers.ListSerializer):
        return nested_serializers(serializer.child)
    out = [serializer]
    for field in serializer.fields.values():
        if isinstance(field, serializers.BaseSerializer):
            out += nested_serializers(field)
    return out
