"""The fine-tuning loop over the API, for administrators: dataset snapshots, training runs (start, follow,
cancel), the adapter registry (promote, roll back), evaluation matrices and the cycle's decisions."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.errors import DomainError

from .datasets import DatasetError, snapshot_build
from .models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingRun
from .registry import adapter_promote, adapter_rollback
from .runs import run_cancel, run_create


class _Admin:
    read_scope = roles.ADMIN
    write_scope = roles.ADMIN


class SnapshotOutput(serializers.ModelSerializer):
    class Meta:
        model = DatasetSnapshot
        fields = [
            "id",
            "content_hash",
            "folder",
            "train_count",
            "eval_count",
            "preference_count",
            "stats",
            "config",
            "newest_example_at",
            "withdrawn_at",
            "created_at",
        ]


class RunOutput(serializers.ModelSerializer):
    adapter = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = TrainingRun
        fields = [
            "id",
            "snapshot",
            "base_model",
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


class AdapterOutput(serializers.ModelSerializer):
    class Meta:
        model = Adapter
        fields = [
            "id",
            "name",
            "base_model",
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


class EvaluationOutput(serializers.ModelSerializer):
    candidate = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = EvaluationMatrix
        fields = ["id", "snapshot", "candidate", "rows", "examples", "seconds", "created_at"]


class EventOutput(serializers.ModelSerializer):
    adapter = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    previous = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = AdapterEvent
        fields = ["id", "action", "adapter", "previous", "reason", "details", "by", "created_at"]


class RunInput(serializers.Serializer):
    snapshot = serializers.IntegerField(required=False, help_text="Snapshot id (default: the newest).")
    config = serializers.DictField(required=False, help_text="LoraTrainingConfig fields.")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


def _username(request: Request) -> str:
    return str(request.user.get_username())


class SnapshotListApi(_Admin, generics.ListAPIView):
    """Dataset snapshots, newest first. POST builds one from the examples now (200 with the existing one when
    nothing changed, 201 when new)."""

    serializer_class = SnapshotOutput
    queryset = DatasetSnapshot.objects.all()
    filter_backends: list[Any] = []

    @extend_schema(request=None, responses={201: SnapshotOutput, 200: SnapshotOutput})
    def post(self, request: Request) -> Response:
        try:
            snapshot, created = snapshot_build()
        except DatasetError as exc:
            raise DomainError(str(exc), code="dataset") from exc
        return Response(
            SnapshotOutput(snapshot).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )


class RunListApi(_Admin, generics.ListAPIView):
    """Training runs, newest first, with their progress. POST queues a run on the `training` workers (409
    while another is queued or running)."""

    serializer_class = RunOutput
    queryset = TrainingRun.objects.select_related("adapter")
    filter_backends: list[Any] = []

    @extend_schema(request=RunInput, responses={202: RunOutput})
    def post(self, request: Request) -> Response:
        data = RunInput(data=request.data)
        data.is_valid(raise_exception=True)
        snapshots = DatasetSnapshot.objects.filter(withdrawn_at=None)
        wanted = data.validated_data.get("snapshot")
        snapshot = (snapshots.filter(pk=wanted) if wanted else snapshots.order_by("-created_at")).first()
        if snapshot is None:
            raise DomainError("No such dataset snapshot (build one first).", field="snapshot")
        run = run_create(
            snapshot=snapshot, config=data.validated_data.get("config"), requested_by=_username(request)
        )
        current_app.send_task("console.training_run", args=[run.pk], queue="training")
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(_Admin, generics.RetrieveAPIView):
    serializer_class = RunOutput
    queryset = TrainingRun.objects.select_related("adapter")


class RunCancelApi(_Admin, APIView):
    """Stop a run: a queued one at once, a running one at its next step (it keeps a checkpoint)."""

    @extend_schema(request=None, responses=RunOutput)
    def post(self, request: Request, pk: int) -> Response:
        run = TrainingRun.objects.filter(pk=pk).first()
        if run is None:
            raise Http404
        return Response(RunOutput(run_cancel(run=run)).data)


class AdapterListApi(_Admin, generics.ListAPIView):
    """The adapter registry, newest first; `is_active` marks the one drafts are generated with."""

    serializer_class = AdapterOutput
    queryset = Adapter.objects.all()
    filter_backends: list[Any] = []


class AdapterDetailApi(_Admin, generics.RetrieveAPIView):
    serializer_class = AdapterOutput
    queryset = Adapter.objects.all()


class AdapterPromoteApi(_Admin, APIView):
    """Make this adapter the active one (the current one is retired; workers switch within seconds)."""

    @extend_schema(request=ReasonInput, responses=AdapterOutput)
    def post(self, request: Request, pk: int) -> Response:
        adapter = Adapter.objects.filter(pk=pk).first()
        if adapter is None:
            raise Http404
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        promoted = adapter_promote(
            adapter=adapter, by=_username(request), reason=data.validated_data["reason"]
        )
        return Response(AdapterOutput(promoted).data)


class AdapterRollbackApi(_Admin, APIView):
    """Go back to the adapter active before the current one (or to the bare base model)."""

    @extend_schema(request=ReasonInput, responses=AdapterOutput)
    def post(self, request: Request) -> Response:
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        before = adapter_rollback(by=_username(request), reason=data.validated_data["reason"])
        return Response(AdapterOutput(before).data if before is not None else None)


class EvaluationListApi(_Admin, generics.ListAPIView):
    """Evaluation matrices, newest first."""

    serializer_class = EvaluationOutput
    queryset = EvaluationMatrix.objects.select_related("candidate")
    filter_backends: list[Any] = []


class EvaluationDetailApi(_Admin, generics.RetrieveAPIView):
    serializer_class = EvaluationOutput
    queryset = EvaluationMatrix.objects.select_related("candidate")


class EventListApi(_Admin, generics.ListAPIView):
    """Promotions, roll-backs and every decision of the scheduled cycle, with the reasons, newest first."""

    serializer_class = EventOutput
    queryset = AdapterEvent.objects.select_related("adapter", "previous")
    filter_backends: list[Any] = []
