"""The fine-tuning loop over the API, for administrators: training examples (reject), dataset snapshots,
training runs (start, follow, cancel), the adapter registry (promote, roll back), evaluation matrices and
the cycle's decisions."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.errors import DomainError

from .datasets import DatasetError, snapshot_build
from .models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingExample, TrainingRun
from .registry import adapter_promote, adapter_rollback
from .runs import run_cancel, run_create
from .training.demo_model import demo_label


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


class AdapterOutput(serializers.ModelSerializer):
    dataset_hash = serializers.CharField(source="snapshot.content_hash", read_only=True)
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


class EvaluationOutput(serializers.ModelSerializer):
    candidate = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = EvaluationMatrix
        fields = ["id", "snapshot", "candidate", "rows", "perplexity", "examples", "seconds", "created_at"]


class EventOutput(serializers.ModelSerializer):
    adapter = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    previous = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)

    class Meta:
        model = AdapterEvent
        fields = ["id", "action", "adapter", "previous", "reason", "details", "by", "created_at"]


class ExampleOutput(serializers.ModelSerializer):
    class Meta:
        model = TrainingExample
        fields = [
            "id",
            "outcome",
            "backfilled",
            "rejected",
            "rejected_reason",
            "ticket_id",
            "customer_id",
            "suggestion_id",
            "message_id",
            "draft",
            "sent",
            "sent_at",
            "created_at",
        ]


class RunInput(serializers.Serializer):
    snapshot = serializers.IntegerField(required=False, help_text="Snapshot id (default: the newest).")
    config = serializers.DictField(required=False, help_text="LoraTrainingConfig fields.")


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RejectInput(serializers.Serializer):
    rejected = serializers.BooleanField(required=False, default=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


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
        try:
            current_app.send_task(
                "models_ft.train_run", args=[run.pk], queue="training", retry_policy={"max_retries": 1}
            )
        except BrokerError as exc:
            run_cancel(run=run)  # nobody would ever start it
            raise DomainError(
                f"The task queue cannot be reached, so the run was not started ({exc}).",
                code="broker_unavailable",
                status_code=503,
            ) from exc
        return Response(RunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RunDetailApi(_Admin, generics.RetrieveAPIView):
    serializer_class = RunOutput
    queryset = TrainingRun.objects.select_related("adapter")


class RunCancelApi(_Admin, APIView):
    """Stop a run: a queued one at once, a running one at its next step (it keeps a checkpoint)."""

    @extend_schema(request=None, responses=RunOutput)
    def post(self, request: Request, pk: int) -> Response:
        run = get_object_or_404(TrainingRun, pk=pk)
        return Response(RunOutput(run_cancel(run=run)).data)


class AdapterListApi(_Admin, generics.ListAPIView):
    """The adapter registry, newest first; `is_active` marks the one drafts are generated with."""

    serializer_class = AdapterOutput
    queryset = Adapter.objects.select_related("snapshot")
    filter_backends: list[Any] = []


class AdapterDetailApi(_Admin, generics.RetrieveAPIView):
    serializer_class = AdapterOutput
    queryset = Adapter.objects.select_related("snapshot")


class AdapterPromoteApi(_Admin, APIView):
    """Make this adapter the active one (the current one is retired; workers switch within seconds)."""

    @extend_schema(request=ReasonInput, responses=AdapterOutput)
    def post(self, request: Request, pk: int) -> Response:
        adapter = get_object_or_404(Adapter, pk=pk)
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


class ExampleListApi(_Admin, generics.ListAPIView):
    """Training examples, newest first (`?rejected=true|false`, `?backfilled=true|false` filter them). The
    prompt is left out here: it holds the customer's data unredacted."""

    serializer_class = ExampleOutput
    filter_backends: list[Any] = []

    def get_queryset(self) -> Any:
        examples = TrainingExample.objects.order_by("-sent_at", "-id")
        for name in ("rejected", "backfilled"):
            value = self.request.query_params.get(name)
            if value is not None:
                if value not in ("true", "false"):
                    raise DomainError(f"{name} must be true or false.", field=name)
                examples = examples.filter(**{name: value == "true"})
        return examples


class ExampleRejectApi(_Admin, APIView):
    """Leave an example out of every future dataset (`{"reason": ...}`); `{"rejected": false}` takes it
    back."""

    @extend_schema(request=RejectInput, responses=ExampleOutput)
    def post(self, request: Request, pk: int) -> Response:
        example = get_object_or_404(TrainingExample, pk=pk)
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        example.rejected = data.validated_data["rejected"]
        example.rejected_reason = data.validated_data["reason"] if example.rejected else ""
        example.save(update_fields=["rejected", "rejected_reason"])
        return Response(ExampleOutput(example).data)
