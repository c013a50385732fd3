"""Training examples: the list (without prompts) and leaving one out of future datasets."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core.errors import DomainError
from support.core.fields import InputSerializer

from ..examples import example_reject
from ..models import TrainingExample
from .common import AdminOnly


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


class RejectInput(InputSerializer):
    rejected = serializers.BooleanField(required=False, default=True)
    reason = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")


class ExampleListApi(AdminOnly, generics.ListAPIView):
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


class ExampleRejectApi(AdminOnly, APIView):
    """Leave an example out of every future dataset (`{"reason": ...}`); `{"rejected": false}` takes it
    back."""

    @extend_schema(request=RejectInput, responses=ExampleOutput)
    def post(self, request: Request, pk: int) -> Response:
        example = get_object_or_404(TrainingExample, pk=pk)
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        rejected = example_reject(
            example=example, rejected=data.validated_data["rejected"], reason=data.validated_data["reason"]
        )
        return Response(ExampleOutput(rejected).data)
