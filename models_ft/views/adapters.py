"""The adapter registry: the list, promoting an adapter and rolling back."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core.fields import InputSerializer

from ..models import Adapter
from ..registry import adapter_promote, adapter_rollback
from ..training.demo_model import demo_label
from .common import AdminOnly, SettingsField, username
from .evaluations import MatrixRowOutput, Perplexity


class AdapterMetrics(serializers.Serializer):
    rows = MatrixRowOutput(many=True, required=False)
    perplexity = Perplexity(required=False)
    examples = serializers.IntegerField(required=False)
    seconds = serializers.FloatField(required=False)


@extend_schema_field(AdapterMetrics)
class _MetricsField(serializers.JSONField):
    pass


class AdapterOutput(serializers.ModelSerializer):
    dataset_hash = serializers.CharField(source="snapshot.content_hash", read_only=True)
    config = SettingsField(read_only=True)
    metrics = _MetricsField(read_only=True, help_text="Its evaluation, as the matrix stored it.")
    is_active = serializers.SerializerMethodField(help_text="Whether drafts are generated with it now.")
    base_model_label = serializers.SerializerMethodField(
        help_text="Set when the base model is the locally trained demo model: say so in the UI."
    )

    def get_base_model_label(self, adapter: Adapter) -> str | None:
        return demo_label(adapter.base_model)

    def get_is_active(self, adapter: Adapter) -> bool:
        return adapter.status == Adapter.Status.ACTIVE

    class Meta:
        model = Adapter
        fields = [
            "id",
            "name",
            "base_model",
            "base_model_label",
            "base_revision",
            "snapshot",
            "run",
            "dataset_hash",
            "config",
            "metrics",
            "status",
            "is_active",
            "promoted_by",
            "promoted_at",
            "created_at",
        ]


class ReasonInput(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class AdapterListApi(AdminOnly, generics.ListAPIView):
    """The adapter registry, newest first; `is_active` marks the one drafts are generated with."""

    serializer_class = AdapterOutput
    queryset = Adapter.objects.select_related("snapshot")
    filter_backends: list[Any] = []


class AdapterDetailApi(AdminOnly, generics.RetrieveAPIView):
    serializer_class = AdapterOutput
    queryset = Adapter.objects.select_related("snapshot")


class AdapterPromoteApi(AdminOnly, APIView):
    """Make this adapter the active one (the current one is retired; workers switch within seconds)."""

    @extend_schema(
        request=ReasonInput,
        responses={200: AdapterOutput, 409: OpenApiResponse(description="The adapter is already active")},
    )
    def post(self, request: Request, pk: int) -> Response:
        adapter = get_object_or_404(Adapter, pk=pk)
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        promoted = adapter_promote(
            adapter=adapter, by=username(request), reason=data.validated_data["reason"]
        )
        return Response(AdapterOutput(promoted).data)


class AdapterRollbackApi(AdminOnly, APIView):
    """Go back to the adapter active before the current one: 200 with it, or 204 when drafts go back to the
    bare base model (no adapter was active before)."""

    @extend_schema(
        request=ReasonInput,
        responses={
            200: AdapterOutput,
            204: OpenApiResponse(description="Back to the bare base model"),
            409: OpenApiResponse(description="No adapter is active: there is nothing to roll back"),
        },
    )
    def post(self, request: Request) -> Response:
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        before = adapter_rollback(by=username(request), reason=data.validated_data["reason"])
        if before is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(AdapterOutput(before).data)
