"""The fine-tuning loop over the API, for administrators: training examples (reject), dataset snapshots,
training runs (start, follow, cancel), the adapter registry (promote, roll back), evaluation matrices and
the cycle's decisions."""

from __future__ import annotations

from typing import Any

from celery import current_app
from django.conf import settings
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from kombu.exceptions import OperationalError as BrokerError
from rest_framework import generics, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.errors import DomainError
from support.core.fields import InputSerializer

from .datasets import DatasetError, snapshot_build
from .models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingExample, TrainingRun
from .registry import adapter_promote, adapter_rollback
from .runs import run_cancel, run_create
from .selectors import evaluation_decisions, evaluation_gate
from .training.demo_model import demo_label


class _Admin:
    read_scope = roles.ADMIN
    write_scope = roles.ADMIN


# The JSON columns are served as stored; these describe their shape in the schema (every key optional: an
# empty object is a valid value of each).


class _Counts(serializers.DictField):
    child = serializers.IntegerField()


class SnapshotReplyChars(serializers.Serializer):
    mean = serializers.FloatField(required=False)
    median = serializers.FloatField(required=False)
    max = serializers.IntegerField(required=False)


class SnapshotStats(serializers.Serializer):
    examples = serializers.IntegerField(required=False, help_text="Examples considered.")
    kept = serializers.IntegerField(required=False, help_text="Examples left after filtering.")
    left_out = _Counts(required=False, help_text="Examples left out, by why: rejected, too_short, stale...")
    train = serializers.IntegerField(required=False)
    eval = serializers.IntegerField(required=False)
    preference = serializers.IntegerField(required=False)
    outcomes = _Counts(required=False, help_text="Kept examples by outcome: accepted, edited, rewritten...")
    backfilled = serializers.IntegerField(required=False)
    eval_from = serializers.DateTimeField(required=False, allow_null=True)
    reply_chars = SnapshotReplyChars(required=False)
    redacted = _Counts(required=False, help_text="Placeholders the redaction put in, by kind.")


class MatrixRowOutput(serializers.Serializer):
    model = serializers.CharField(help_text="base, active, candidate or extractive.")
    retrieval = serializers.BooleanField()
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Mean scores over the examples: chrf (the primary metric), rouge_l, semantic_similarity, "
        "citation_validity, grounded_rate, style; null when not measured.",
    )


class _Perplexity(serializers.DictField):
    child = serializers.FloatField()


class AdapterMetrics(serializers.Serializer):
    rows = MatrixRowOutput(many=True, required=False)
    perplexity = _Perplexity(required=False)
    examples = serializers.IntegerField(required=False)
    seconds = serializers.FloatField(required=False)


class EventDetails(serializers.Serializer):
    snapshot = serializers.CharField(required=False, allow_null=True, help_text="The snapshot's hash.")
    run = serializers.IntegerField(required=False, allow_null=True)
    adapter = serializers.CharField(required=False, allow_null=True)
    matrix = serializers.IntegerField(required=False, allow_null=True, help_text="The evaluation's id.")
    decision = serializers.CharField(required=False)
    reason = serializers.CharField(required=False)


@extend_schema_field(SnapshotStats)
class _StatsField(serializers.JSONField):
    pass


@extend_schema_field(MatrixRowOutput(many=True))
class _MatrixRowsField(serializers.JSONField):
    pass


@extend_schema_field(_Perplexity())
class _PerplexityField(serializers.JSONField):
    pass


@extend_schema_field(AdapterMetrics)
class _MetricsField(serializers.JSONField):
    pass


@extend_schema_field(EventDetails)
class _DetailsField(serializers.JSONField):
    pass


@extend_schema_field({"type": "object", "additionalProperties": True})
class _SettingsField(serializers.JSONField):
    pass


@extend_schema_field(
    {"type": "array", "items": {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2}}
)
class _LossCurveField(serializers.JSONField):
    pass


class SnapshotOutput(serializers.ModelSerializer):
    stats = _StatsField(read_only=True, help_text="What was kept, what was left out and why, lengths.")
    config = _SettingsField(read_only=True, help_text="The filters and split it was built with.")

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
    snapshot_hash = serializers.CharField(source="snapshot.content_hash", read_only=True)
    config = _SettingsField(read_only=True, help_text="The LoraTrainingConfig it trains with.")
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


class AdapterOutput(serializers.ModelSerializer):
    dataset_hash = serializers.CharField(source="snapshot.content_hash", read_only=True)
    config = _SettingsField(read_only=True)
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


class EventOutput(serializers.ModelSerializer):
    adapter = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    previous = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    details = _DetailsField(read_only=True)

    class Meta:
        model = AdapterEvent
        fields = ["id", "action", "adapter", "previous", "reason", "details", "by", "created_at"]


class GateCheckOutput(serializers.Serializer):
    name = serializers.CharField(help_text="chrf, grounding or forgetting.")
    passed = serializers.BooleanField(allow_null=True, help_text="Null when it could not be measured.")
    detail = serializers.CharField()


class GateOutput(serializers.Serializer):
    promote = serializers.BooleanField()
    reason = serializers.CharField()
    checks = GateCheckOutput(many=True)
    margin = serializers.FloatField(help_text="FINETUNE_PROMOTE_MARGIN now.")
    forgetting_limit = serializers.FloatField(help_text="FINETUNE_MAX_PERPLEXITY_RATIO now.")


class EvaluationOutput(serializers.ModelSerializer):
    candidate = serializers.SlugRelatedField(slug_field="name", read_only=True, allow_null=True)
    snapshot_hash = serializers.CharField(source="snapshot.content_hash", read_only=True)
    rows = _MatrixRowsField(read_only=True)
    perplexity = _PerplexityField(
        read_only=True,
        help_text="Perplexity on general text by model (base, active, candidate): lower is better.",
    )
    decision = serializers.SerializerMethodField(
        help_text="The nightly cycle's decision on this matrix (promoted or kept), with its reason; null "
        "when it was evaluated by hand."
    )
    gate = serializers.SerializerMethodField(
        help_text="What the promotion gate says of this matrix with the current settings, every check with "
        "what it found; null when the matrix has no candidate to judge."
    )

    @extend_schema_field(EventOutput(allow_null=True))
    def get_decision(self, matrix: EvaluationMatrix) -> dict[str, Any] | None:
        decisions = self.context.get("decisions")
        if decisions is None:
            decisions = evaluation_decisions([matrix.pk])
        event = decisions.get(matrix.pk)
        return EventOutput(event).data if event is not None else None

    @extend_schema_field(GateOutput(allow_null=True))
    def get_gate(self, matrix: EvaluationMatrix) -> dict[str, Any] | None:
        decision = evaluation_gate(matrix)
        if decision is None or not decision.checks:
            return None
        return GateOutput(
            {
                "promote": decision.promote,
                "reason": decision.reason,
                "checks": decision.checks,
                "margin": settings.FINETUNE_PROMOTE_MARGIN,
                "forgetting_limit": settings.FINETUNE_MAX_PERPLEXITY_RATIO,
            }
        ).data

    class Meta:
        model = EvaluationMatrix
        fields = [
            "id",
            "snapshot",
            "snapshot_hash",
            "candidate",
            "rows",
            "perplexity",
            "examples",
            "seconds",
            "decision",
            "gate",
            "created_at",
        ]


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


class RunInput(InputSerializer):
    snapshot = serializers.IntegerField(
        required=False, min_value=1, help_text="Snapshot id (default: the newest)."
    )
    config = serializers.DictField(required=False, help_text="LoraTrainingConfig fields.")


class ReasonInput(InputSerializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000, default="")


class RejectInput(InputSerializer):
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
    queryset = TrainingRun.objects.select_related("adapter", "snapshot")


class RunCancelApi(_Admin, APIView):
    """Stop a run: a queued one at once, a running one at its next step (it keeps a checkpoint)."""

    @extend_schema(
        request=None,
        responses={200: RunOutput, 409: OpenApiResponse(description="The run has already ended")},
    )
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

    @extend_schema(
        request=ReasonInput,
        responses={200: AdapterOutput, 409: OpenApiResponse(description="The adapter is already active")},
    )
    def post(self, request: Request, pk: int) -> Response:
        adapter = get_object_or_404(Adapter, pk=pk)
        data = ReasonInput(data=request.data)
        data.is_valid(raise_exception=True)
        promoted = adapter_promote(
            adapter=adapter, by=_username(request), reason=data.validated_data["reason"]
        )
        return Response(AdapterOutput(promoted).data)


class AdapterRollbackApi(_Admin, APIView):
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
        before = adapter_rollback(by=_username(request), reason=data.validated_data["reason"])
        if before is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        return Response(AdapterOutput(before).data)


class EvaluationListApi(_Admin, generics.ListAPIView):
    """Evaluation matrices, newest first, each with the cycle's decision on it and the promotion gate's
    checks."""

    serializer_class = EvaluationOutput
    queryset = EvaluationMatrix.objects.select_related("candidate", "snapshot")
    filter_backends: list[Any] = []

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        matrices = list(page if page is not None else self.get_queryset())
        # One query for the decisions of the whole page.
        context = {**self.get_serializer_context(), "decisions": evaluation_decisions(m.pk for m in matrices)}
        data = EvaluationOutput(matrices, many=True, context=context).data
        return self.get_paginated_response(data) if page is not None else Response(data)


class EvaluationDetailApi(_Admin, generics.RetrieveAPIView):
    serializer_class = EvaluationOutput
    queryset = EvaluationMatrix.objects.select_related("candidate", "snapshot")


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
