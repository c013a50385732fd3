"""The registry's events: promotions, roll-backs and every decision of the scheduled cycle."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, serializers

from ..models import AdapterEvent
from .common import AdminOnly


class EventDetails(serializers.Serializer):
    snapshot = serializers.CharField(required=False, allow_null=True, help_text="The snapshot's hash.")
    run = serializers.IntegerField(required=False, allow_null=True)
    adapter = serializers.CharField(required=False, allow_null=True)
    matrix = serializers.IntegerField(required=False, allow_null=True, help_text="The evaluation's id.")
    decision = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)


@extend_schema_field(EventDetails)
class _DetailsField(serializers.JSONField):
    pass


class EventOutput(serializers.ModelSerializer):
    adapter = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    previous = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    details = _DetailsField(read_only=True)

    class Meta:
        model = AdapterEvent
        fields = ["id", "action", "adapter", "previous", "reason", "details", "by", "created_at"]


class EventListApi(AdminOnly, generics.ListAPIView):
    """Promotions, roll-backs and every decision of the scheduled cycle, with the reasons, newest first."""

    serializer_class = EventOutput
    queryset = AdapterEvent.objects.select_related("adapter", "previous")
    filter_backends: list[Any] = []
