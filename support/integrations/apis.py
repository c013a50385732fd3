"""Integration endpoints: the signed inbound event webhook, and the sources administrators manage."""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.console.apis import SuggestionOutput, draft_response
from support.core import roles
from support.core.errors import DomainError
from support.tickets.selectors import ticket_scope_for_user

from . import services
from .events import Event
from .models import InboundDelivery, IntegrationSource


class SourceOutput(serializers.ModelSerializer):
    events_url = serializers.SerializerMethodField()

    class Meta:
        model = IntegrationSource
        fields = ["id", "name", "slug", "kind", "active", "events_url", "created_at"]

    def get_events_url(self, source: IntegrationSource) -> str:
        return f"/api/v1/integrations/{source.slug}/events"


class SourceCreated(SourceOutput):
    secret = serializers.CharField(read_only=True, help_text="The signing secret. Shown once; store it now.")

    class Meta(SourceOutput.Meta):
        fields = [*SourceOutput.Meta.fields, "secret"]


class SourceInput(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=40, required=False, help_text="Default: made from the name.")


class SourceListApi(generics.ListAPIView):
    """Integration sources (administrators). POST creates one and answers with its secret, once."""

    read_scope = roles.ADMIN
    write_scope = roles.ADMIN
    serializer_class = SourceOutput
    queryset = IntegrationSource.objects.all()
    filterset_fields = ["slug", "kind", "active"]
    search_fields = ["name", "slug"]

    @extend_schema(
        request=SourceInput, responses={201: SourceCreated, 409: OpenApiResponse(description="Taken")}
    )
    def post(self, request: Request) -> Response:
        data = SourceInput(data=request.data)
        data.is_valid(raise_exception=True)
        source, secret = services.source_create(**data.validated_data)
        body: dict[str, Any] = dict(SourceOutput(source).data)
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)


class DeliveryOutput(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True)

    class Meta:
        model = InboundDelivery
        fields = [
            "id",
            "source",
            "delivery_id",
            "event_type",
            "status",
            "error",
            "attempts",
            "ticket",
            "customer",
            "received_at",
            "processed_at",
        ]


class DeliveryListApi(generics.ListAPIView):
    """Events received, newest first, with what became of each (administrators)."""

    read_scope = roles.ADMIN
    serializer_class = DeliveryOutput
    queryset = InboundDelivery.objects.select_related("source")
    filterset_fields = ["status", "event_type", "delivery_id"]
    search_fields: list[str] = []
    ordering_fields = ["received_at"]

    def get_queryset(self) -> Any:
        queryset = super().get_queryset()
        slug = self.request.query_params.get("source")
        return queryset.filter(source__slug=slug) if slug else queryset


class ReceivedOutput(serializers.Serializer):
    delivery = serializers.CharField(help_text="The X-Openbook-Delivery id.")
    status = serializers.ChoiceField(choices=InboundDelivery.Status.choices)
    replay = serializers.BooleanField(
        help_text="True when this delivery was processed before: nothing changed."
    )
    ticket = serializers.IntegerField(allow_null=True)
    customer = serializers.IntegerField(allow_null=True)


def _header(request: Request, name: str) -> str:
    return (request.headers.get(name) or "").strip()


class EventApi(APIView):
    """Receive an event from the ticketing system `source`, signed with the source's secret.

    Headers: `X-Openbook-Delivery` (a unique id per delivery), `X-Openbook-Timestamp` (Unix seconds, within
    5 minutes of now) and `X-Openbook-Signature: sha256=<hex HMAC-SHA256(secret, timestamp + "." + raw
    body)>`. Each delivery id is applied once: a replay answers 200 with `replay: true` and changes nothing.
    An event is applied whole or not at all; one that cannot be applied yet (an update to a ticket not
    created yet) answers 409, is recorded as failed, and may be delivered again."""

    authentication_classes: list[Any] = []  # the signature is the authentication
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter("X-Openbook-Delivery", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Openbook-Timestamp", str, OpenApiParameter.HEADER, required=True),
            OpenApiParameter("X-Openbook-Signature", str, OpenApiParameter.HEADER, required=True),
        ],
        request=Event,
        responses={
            200: ReceivedOutput,
            400: OpenApiResponse(description="Malformed JSON or an invalid event"),
            401: OpenApiResponse(description="Missing or bad signature, or a stale timestamp"),
            404: OpenApiResponse(description="Unknown source"),
            409: OpenApiResponse(description="Cannot be applied yet (recorded as failed; deliver it again)"),
        },
        examples=[
            OpenApiExample(
                "ticket.created",
                request_only=True,
                value={
                    "type": "ticket.created",
                    "ticket": {
                        "external_id": "ZD-1042",
                        "subject": "Refund for my annual plan",
                        "priority": "normal",
                        "customer": {"external_id": "U-77", "email": "dana@example.com", "name": "Dana"},
                        "messages": [
                            {
                                "external_id": "M-1",
                                "author": "customer",
                                "body": "Can I get a refund?",
                                "created_at": "2026-01-31T12:00:00Z",
                            }
                        ],
                    },
                },
            )
        ],
    )
    def post(self, request: Request, source: str) -> Response:
        found = IntegrationSource.objects.filter(slug=source, active=True).first()
        if found is None:
            raise Http404
        body = request.body  # the raw bytes, as signed
        services.signature_check(
            source=found,
            timestamp=_header(request, "X-Openbook-Timestamp"),
            signature_header=_header(request, "X-Openbook-Signature"),
            body=body,
        )
        delivery_id = _header(request, "X-Openbook-Delivery")
        if not delivery_id or len(delivery_id) > 200:
            raise DomainError("X-Openbook-Delivery must carry the delivery's id (at most 200 characters).")
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise DomainError("The body is not valid JSON.", code="parse_error") from None
        event = Event(data=payload)
        event.is_valid(raise_exception=True)
        received = services.delivery_receive(
            source=found, delivery_id=delivery_id, event=event.validated_data
        )
        delivery = received.delivery
        return Response(
            {
                "delivery": delivery.delivery_id,
                "status": delivery.status,
                "replay": received.replay,
                "ticket": delivery.ticket_id,
                "customer": delivery.customer_id,
            }
        )


class TicketDraftApi(APIView):
    """Ask for a draft of a ticket by its id in the ticketing tool (`source` + `external_id`), for tools
    whose agents work there. Answers as `POST /api/v1/tickets/{id}/suggestions`: 202 with the pending draft,
    or with `?wait=N` (seconds, at most 60) the finished one. Report what was finally sent with
    `POST /api/v1/suggestions/{id}/send` and that tool's message id as `external_id`."""

    read_scope = roles.ASSIST
    write_scope = roles.ASSIST

    @extend_schema(
        parameters=[OpenApiParameter("wait", int, description="Seconds to wait for the draft (0-60).")],
        request=None,
        responses={
            202: SuggestionOutput,
            200: SuggestionOutput,
            404: OpenApiResponse(description="No such ticket (or not one the caller may see)"),
        },
    )
    def post(self, request: Request, source: str, external_id: str) -> Response:
        ticket = (
            ticket_scope_for_user(user=request.user).filter(source=source, external_id=external_id).first()
        )
        if ticket is None:
            raise Http404
        return draft_response(request, ticket)
