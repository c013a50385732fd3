"""The retriever that learns, for administrators: the pairs it learns from, its adaptation runs with their
held-out figures and the gate's verdict, promotion (a recorded reason overrides the gate) and rollback."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import roles
from support.core.fields import InputSerializer

from .. import api
from ..models import RetrieverRun


class AdminOnly:
    read_scope = roles.ADMIN
    write_scope = roles.ADMIN


@extend_schema_field(
    {
        "type": "object",
        "additionalProperties": {"type": "number"},
        "description": "recall@1, recall@5, mrr@10, n",
    }
)
class ScoresField(serializers.JSONField):
    pass


class RetrieverMetricsOutput(serializers.Serializer):
    current = ScoresField(required=False, help_text="The model search served when the run was judged.")
    adapted = ScoresField(required=False)
    current_model = serializers.CharField(required=False)


class RetrieverGateOutput(serializers.Serializer):
    passed = serializers.BooleanField()
    reasons = serializers.ListField(child=serializers.CharField())
    margin = serializers.FloatField(required=False)


class RetrieverProgressOutput(serializers.Serializer):
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class RetrieverRunOutput(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    state = serializers.ChoiceField(choices=RetrieverRun.State.choices)
    base_model = serializers.CharField()
    data_hash = serializers.CharField()
    config = serializers.JSONField(help_text="The training settings (AdaptConfig).")
    pairs_train = serializers.IntegerField()
    pairs_held_out = serializers.IntegerField()
    metrics = serializers.SerializerMethodField()
    gate = serializers.SerializerMethodField()
    progress = serializers.SerializerMethodField()
    training_seconds = serializers.FloatField(allow_null=True)
    error = serializers.CharField()
    requested_by = serializers.CharField()
    created_at = serializers.DateTimeField()
    finished_at = serializers.DateTimeField(allow_null=True)
    promoted_at = serializers.DateTimeField(allow_null=True)
    promoted_by = serializers.CharField()
    override_reason = serializers.CharField()

    @extend_schema_field(RetrieverMetricsOutput(allow_null=True))
    def get_metrics(self, run: RetrieverRun) -> dict[str, Any] | None:
        return run.metrics or None

    @extend_schema_field(RetrieverGateOutput(allow_null=True))
    def get_gate(self, run: RetrieverRun) -> dict[str, Any] | None:
        return run.gate or None

    @extend_schema_field(RetrieverProgressOutput(allow_null=True))
    def get_progress(self, run: RetrieverRun) -> dict[str, int] | None:
        if run.state != RetrieverRun.State.TRAINING or not run.progress_total:
            return None
        return {"done": run.progress_done, "total": run.progress_total}


class RelevancePairsOutput(serializers.Serializer):
    total = serializers.IntegerField()
    positive = serializers.IntegerField()
    negative = serializers.IntegerField()
    by_source = serializers.DictField(child=serializers.IntegerField())


class RetrieverSwitchOutput(serializers.Serializer):
    target_model = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField()


class RetrieverOutput(serializers.Serializer):
    active_model = serializers.CharField(help_text="The model whose vectors search serves now.")
    chosen_model = serializers.CharField(help_text="The model search is to serve (after a switch completes).")
    stock_model = serializers.CharField(help_text="EMBEDDING_MODEL: what every run adapts.")
    switch = RetrieverSwitchOutput(allow_null=True, help_text="A re-embedding in progress.")
    pairs = RelevancePairsOutput()
    min_pairs = serializers.IntegerField(help_text="Relevant pairs needed before a run.")
    runs = RetrieverRunOutput(many=True, help_text="The newest runs first.")


class RetrieverTrainInput(InputSerializer):
    config = serializers.DictField(required=False, help_text="Training settings over RETRIEVER_CONFIG.")


class RetrieverPromoteInput(InputSerializer):
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=2000,
        default="",
        help_text="Required to promote a run the gate did not pass; recorded with it.",
    )


def _summary() -> dict[str, Any]:
    return api.retriever_summary() | {"runs": api.retriever_runs()}


class RetrieverApi(AdminOnly, APIView):
    """The retriever: the model search serves and the one chosen, a re-embedding's progress, the relevance
    pairs by source, and the adaptation runs (newest first)."""

    @extend_schema(responses=RetrieverOutput)
    def get(self, request: Request) -> Response:
        return Response(RetrieverOutput(_summary()).data)


class RetrieverTrainApi(AdminOnly, APIView):
    """Queue an adaptation run on the `training` workers (400: too few relevant pairs; 409: a run is
    already queued or training)."""

    @extend_schema(
        request=RetrieverTrainInput,
        responses={202: RetrieverRunOutput, 409: OpenApiResponse(description="A run is already in progress")},
    )
    def post(self, request: Request) -> Response:
        data = RetrieverTrainInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = api.retriever_run_start(
            by=request.user.get_username(), config=data.validated_data.get("config")
        )
        return Response(RetrieverRunOutput(run).data, status=status.HTTP_202_ACCEPTED)


class RetrieverPromoteApi(AdminOnly, APIView):
    """Make this run's model the one search serves (the library is re-embedded in the background; search
    serves the current vectors until then). 409 `gate_failed` for a run the gate did not pass, unless an
    `override_reason` is given."""

    @extend_schema(
        request=RetrieverPromoteInput,
        responses={
            200: RetrieverRunOutput,
            409: OpenApiResponse(description="Gate failed, or not promotable"),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = RetrieverPromoteInput(data=request.data)
        data.is_valid(raise_exception=True)
        run = api.retriever_promote(
            run_id=pk, by=request.user.get_username(), override_reason=data.validated_data["override_reason"]
        )
        return Response(RetrieverRunOutput(run).data)


class RetrieverRollbackApi(AdminOnly, APIView):
    """Go back to the model search served before the active retriever (an earlier one, or the stock model)."""

    @extend_schema(
        request=None,
        responses={200: RetrieverOutput, 409: OpenApiResponse(description="No adapted retriever is active")},
    )
    def post(self, request: Request) -> Response:
        api.retriever_rollback(by=request.user.get_username())
        return Response(RetrieverOutput(_summary()).data)
