"""Evaluation matrices, each with the cycle's decision on it and what the promotion gate says of it now."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from drf_spectacular.utils import extend_schema_field
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from ..evaluation.selectors import evaluation_decisions, evaluation_gate
from ..models import EvaluationMatrix
from .common import AdminOnly
from .events import EventOutput


class MatrixRowOutput(serializers.Serializer):
    model = serializers.CharField(help_text="base, active, candidate or extractive.")
    retrieval = serializers.BooleanField()
    scores = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        help_text="Mean scores over the examples: chrf (the primary metric), rouge_l, semantic_similarity, "
        "citation_validity, grounded_rate, style; null when not measured.",
    )


class Perplexity(serializers.DictField):
    child = serializers.FloatField()


@extend_schema_field(MatrixRowOutput(many=True))
class _MatrixRowsField(serializers.JSONField):
    pass


@extend_schema_field(Perplexity())
class _PerplexityField(serializers.JSONField):
    pass


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


class EvaluationListApi(AdminOnly, generics.ListAPIView):
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


class EvaluationDetailApi(AdminOnly, generics.RetrieveAPIView):
    serializer_class = EvaluationOutput
    queryset = EvaluationMatrix.objects.select_related("candidate", "snapshot")
