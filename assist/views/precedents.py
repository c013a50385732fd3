"""Precedents over the API: the solved tickets closest to a ticket."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core.errors import DomainError

from .. import precedents
from .access import AssistScoped, visible_ticket


class PrecedentOutput(serializers.Serializer):
    id = serializers.IntegerField(source="ticket.id")
    subject = serializers.CharField(source="ticket.subject")
    status = serializers.CharField(source="ticket.status")
    resolution = serializers.CharField(source="ticket.resolution", allow_blank=True)
    solved_at = serializers.DateTimeField(source="ticket.solved_at", allow_null=True)
    similarity = serializers.FloatField()
    reply = serializers.CharField(
        allow_blank=True, help_text="The last public reply, at most 500 characters."
    )


class PrecedentsOutput(serializers.Serializer):
    notice = serializers.CharField(allow_null=True)
    results = PrecedentOutput(many=True)


class TicketPrecedentsApi(AssistScoped, APIView):
    """Solved tickets (that the caller may see) closest to this one by the embedding of their conversation,
    best first. When no embedding worker answers in time the list is empty and `notice` says why."""

    @extend_schema(
        parameters=[OpenApiParameter("limit", int, description="How many (1-20, default 5).")],
        responses=PrecedentsOutput,
    )
    def get(self, request: Request, pk: int) -> Response:
        ticket = visible_ticket(request, pk)
        try:
            limit = int(request.query_params.get("limit", "5"))
        except ValueError:
            raise DomainError("limit must be a whole number.", field="limit") from None
        if not 1 <= limit <= 20:
            raise DomainError("limit must be between 1 and 20.", field="limit")
        found, notice = precedents.precedents_for(ticket=ticket, user=request.user, limit=limit)
        return Response({"notice": notice or None, "results": PrecedentOutput(found, many=True).data})
