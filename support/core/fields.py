"""Serializer fields stricter than DRF's defaults."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers
from rest_framework.relations import MANY_RELATION_KWARGS


class StrictCharField(serializers.CharField):
    """A CharField that refuses numbers and booleans instead of turning them into text: `{"text": 5}` is
    a client bug to report, not a reply to post."""

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
