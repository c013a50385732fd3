"""Training runs: the list with their progress, starting one on the `training` workers, following and
cancelling it."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core.fields import InputSerializer

from ..models import TrainingRun
from ..runs import run_cancel, run_start
from ..training.demo_model import demo_label
from .common import AdminOnly, SettingsField, username


@extend_schema_field(
    {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}}
)
class _LossCurveField(serializers.JSONField):
    pass


class RunOutput(serializers.ModelSerializer):
    adapter = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    snapshot_hash = serializers.CharField(source="snapshot.content_hash", read_only=True)
    config = SettingsField(read_only=True, help_text="The LoraTrainingConfig it trains with.")
    losses = _LossCurveField(read_only=True, help_text="[[step, loss], ...] for the loss curve.")
    loss = serializers.SerializerMethodField(help_text="The latest step's loss.")
    base_model_label = serializers.SerializerMethodField(
        help_text="Set when the base model is the locally trained demo model: say so in the UI."
    )

    def get_base_model_label(self, run: TrainingRun) -> str | None:
        return demo_label(run.base_model)

    def get_loss(self, run: TrainingRun) -> float | None:
        return float(run.losses[-1][1]) if run.losses else None

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "snapshot",
            "snapshot_hash",
            "base_model",
            "base_model_label",
            "base_revision",
            "config",
            "status",
            "step",
            "total_steps",
            "loss",
            "learning_rate",
            "tokens_per_second",
            "peak_memory_mb",
            "losses",
            "error",
            "cancel_requested",
            "requested_by",
            "adapter",
            "created_at",
            "started_at",
            "heartbeat_at",
            "finished_at",
        ]


class RunInput(InputSerializer):
    snapshot = serializers.IntegerField(
        required=False, min_value=1, help_text="Snapshot id (default: the newest)."
    )
    config = serializers.DictField(required=False, help_text="LoraTrainingConfig fields.")


class RunListApi(AdminOnly, generics.ListAPIView):
    """Training runs, newest first, with their progress. POST queues a run on the `training` workers (409
    while another is queued or running)."""

    serializer_class = RunOutput
    queryset = TrainingRun.objects.select_related("adapter", "snapshot")
    filter_backends: list[Any] = []

    @extend_schema(
        request=RunInput,
        responses={
            202: RunOutput,
            409: OpenApiResponse(description="Another run is queued or running: one run at a time"),
            503: OpenApiResponse(description="The task queue cannot be reached; no run was started"),
        },
    )
    def post(self, request: Request) -> Response:
        data = RunInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = run_start(
            snapshot_id=data.validated_data.get("snapshot"),
            config=data.validated_data.get("config"),
            requested_by=username(request),
        )
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(AdminOnly, generics.RetrieveAPIView):
    serializer_class = RunOutput
    queryset = TrainingRun.objects.select_related("adapter", "snapshot")


class RunCancelApi(AdminOnly, APIView):
    """Stop a run: a queued one at once, a running one at its next step (it keeps a checkpoint)."""

    @extend_schema(
        request=None,
        responses={200: RunOutput, 409: OpenApiResponse(description="The run has already ended")},
    )
    def post(self, request: Request, pk: int) -> Response:
        run = get_object_or_404(TrainingRun, pk=pk)
        return Response(RunOutput(run_cancel(run=run)).data)
