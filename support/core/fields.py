"""Serializer fields, and the base of every input serializer, stricter than DRF's defaults.

DRF converts what it is sent: `"subject": 123` becomes the text "123", `"customer": 1.5` customer 1,
`"public": "no"` false, `"k": "5"` five. A JSON client that sends the wrong type has a bug, and a guess at
what it meant stores something it did not say. `InputSerializer` checks each value's JSON type against its
field before DRF converts anything, and answers 400 naming the field.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models
from rest_framework import serializers
from rest_framework.fields import _UnvalidatedField, empty
from rest_framework.relations import MANY_RELATION_KWARGS
from rest_framework.utils import html

# The JSON types a field takes, as the OpenAPI schema names them; ANY: the field takes any JSON value.
STRING, INTEGER, NUMBER, BOOLEAN, ARRAY, OBJECT, ANY = (
    "string",
    "integer",
    "number",
    "boolean",
    "array",
    "object",
    "any",
)
_NAMES = {
    STRING: "a string",
    INTEGER: "an integer",
    NUMBER: "a number",
    BOOLEAN: "true or false",
    ARRAY: "a list",
    OBJECT: "an object",
}


def _choice_type(field: serializers.ChoiceField) -> str:
    kinds = {type(key) for key in field.choices}
    if kinds <= {str}:
        return STRING
    if kinds <= {int}:
        return INTEGER
    return ANY


def json_type(field: serializers.Field) -> str | None:
    """The JSON type `field` reads (STRING, INTEGER, ...), or None for a field class this module does not
    know (a test fails on any such field in an input serializer, so none slips back to DRF's conversions)."""
    if isinstance(field, serializers.ListSerializer | serializers.ManyRelatedField | serializers.ListField):
        return ARRAY
    if isinstance(field, serializers.MultipleChoiceField):
        return ARRAY
    if isinstance(field, serializers.BaseSerializer | serializers.DictField | serializers.HStoreField):
        return OBJECT
    if isinstance(field, serializers.JSONField | _UnvalidatedField):  # the latter: a DictField's values
        return ANY
    if isinstance(field, serializers.BooleanField):
        return BOOLEAN
    if isinstance(field, serializers.IntegerField):
        return INTEGER
    if isinstance(field, serializers.FloatField | serializers.DecimalField):
        return NUMBER
    if isinstance(field, serializers.ChoiceField):  # FilePathField too
        return _choice_type(field)
    if isinstance(field, serializers.PrimaryKeyRelatedField):
        target = field.pk_field or (field.queryset.model._meta.pk if field.queryset is not None else None)
        integer = isinstance(target, models.IntegerField | serializers.IntegerField)
        return INTEGER if integer else STRING
    if isinstance(
        field,
        serializers.CharField  # EmailField, RegexField, SlugField, URLField, IPAddressField
        | serializers.SlugRelatedField
        | serializers.DateTimeField
        | serializers.DateField
        | serializers.TimeField
        | serializers.DurationField
        | serializers.UUIDField,
    ):
        return STRING
    return None


def _is(kind: str, value: Any) -> bool:
    if kind == STRING:
        return isinstance(value, str)
    if kind == INTEGER:
        return isinstance(value, int) and not isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == ARRAY:
        return isinstance(value, list)
    if kind == OBJECT:
        return isinstance(value, dict)
    return True


def _described(value: Any) -> str:
    if isinstance(value, bool):
        return "true or false"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a decimal number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "an object"


def type_errors(field: serializers.Field, value: Any) -> Any:
    """What is wrong with the JSON type of `value` for `field`, in DRF's error shape (a list of messages, or
    messages by list index), or None. Null is left to the field (`allow_null`); nested input serializers
    check their own fields."""
    if value is None:
        return None
    kind = json_type(field)
    if kind is None or kind == ANY:
        return None
    if not _is(kind, value):
        return [f"Must be {_NAMES[kind]}, not {_described(value)}."]
    child = getattr(field, "child", None) or getattr(field, "child_relation", None)
    if isinstance(field, serializers.ListSerializer) or child is None:
        return None
    items = enumerate(value) if kind == ARRAY else value.items()
    found = {key: errors for key, item in items if (errors := type_errors(child, item))}
    return found or None


TEXT_INPUT = "openbook_text_input"
"""Context key: the data's values are text (a query string), to be converted as DRF does."""


class InputSerializer(serializers.Serializer):
    """The base of every serializer that reads a request: a JSON value of the wrong type for its field is
    refused (400, naming the field) instead of converted. Text fields take strings only; integer fields and
    ids integers only (not 1.5, not 1.0, not "1", not true); booleans true or false only; lists lists only.

    Values from a form, a multipart upload or a query string are text by nature: DRF converts those as
    usual. That is a QueryDict as data, or `context={TEXT_INPUT: True}` for text in a plain dict."""

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping) and not html.is_html_input(data) and not self.context.get(TEXT_INPUT):
            errors = {}
            for field in self._writable_fields:
                value = field.get_value(data)
                if value is not empty and (found := type_errors(field, value)):
                    errors[field.field_name] = found
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text, in any serializer
    (an InputSerializer does this for all its fields)."""

    default_error_messages = {"not_a_string": "Must be a string."}

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("not_a_string")
        return super().to_internal_value(data)


class ListOnlyManyRelatedField(serializers.ManyRelatedField):
    """A to-many relation that takes a JSON list only. DRF's iterates anything iterable, so an object sent
    instead (`{"products": {}}`) was read as the list of its keys, and quietly cleared the relation."""

    def to_internal_value(self, data: Any) -> list[Any]:
        if not isinstance(data, list):
            self.fail("not_a_list", input_type=type(data).__name__)
        return super().to_internal_value(data)


class SlugRelatedField(serializers.SlugRelatedField):
    """DRF's SlugRelatedField, whose `many=True` form takes a JSON list only."""

    @classmethod
    def many_init(cls, *args: Any, **kwargs: Any) -> ListOnlyManyRelatedField:
        list_kwargs = {"child_relation": cls(*args, **kwargs)}
        list_kwargs.update({k: v for k, v in kwargs.items() if k in MANY_RELATION_KWARGS})
        return ListOnlyManyRelatedField(**list_kwargs)


class CallerPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A reference by id to a row the caller may refer to: `scope(user)` gives those rows (the serializer's
    context holds the request). Any other id is answered as one that does not exist, so the answer tells
    nothing of rows beyond the caller's rights. `queryset` names the model (for the schema)."""

    def __init__(self, *, scope: Any, **kwargs: Any) -> None:
        self.scope = scope
        super().__init__(**kwargs)

    def get_queryset(self) -> Any:
        request = self.context.get("request")
        if request is None:
            raise RuntimeError(f"{type(self).__name__} needs the request in the serializer's context.")
        return self.scope(request.user)
