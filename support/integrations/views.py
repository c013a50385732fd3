"""Integration endpoints: the signed inbound event webhook and the sources administrators manage; outbound
subscriptions and their deliveries. (A draft asked for by a tool's own ticket id is the console's:
`assist.views.drafts.TicketDraftApi`.)"""

from __future__ import annotations

import json
from typing import Any

from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from support.core import jsonbody, metrics, roles
from support.core.errors import DomainError
from support.core.events import EVENT_TYPES
from support.core.fields import InputSerializer

from . import outbound, services
from .adapters import ADAPTERS
from .events import Event
from .models import InboundDelivery, IntegrationSource, OutboundAttempt, OutboundDelivery, WebhookSubscription


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


class SourceInput(InputSerializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=40, required=False, help_text="Default: made from the name.")
    kind = serializers.ChoiceField(
        choices=IntegrationSource.Kind.choices,
        default=IntegrationSource.Kind.GENERIC,
        help_text="What its webhooks look like: generic signed events, Zendesk's or Freshdesk's.",
    )
    secret = serializers.CharField(
        min_length=16,
        max_length=128,
        required=False,
        help_text="The secret it signs with when the system makes its own (a Zendesk webhook's signing "
        "secret). Default: a new random one, answered once.",
    )


class SourceUpdate(InputSerializer):
    name = serializers.CharField(max_length=100, required=False)
    active = serializers.BooleanField(required=False)
    secret = serializers.CharField(min_length=16, max_length=128, required=False)


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


class SourceDetailApi(generics.RetrieveAPIView):
    """One integration source. PATCH renames it, switches it off (its events get 404) or on, or sets a new
    secret (rotation: requests signed with the old one are refused from then on)."""

    read_scope = roles.ADMIN
    write_scope = roles.ADMIN
    serializer_class = SourceOutput
    queryset = IntegrationSource.objects.all()

    @extend_schema(request=SourceUpdate, responses={200: SourceOutput})
    def patch(self, request: Request, pk: int) -> Response:
        source = self.get_object()
        data = SourceUpdate(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(SourceOutput(services.source_update(source=source, **data.validated_data)).data)


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

    @extend_schema(
        parameters=[OpenApiParameter("source", str, description="Only the events of this source (its slug).")]
    )
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

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


class EventApi(APIView):
    """Receive an event from the ticketing system `source`, authenticated with the source's secret.

    A `generic` source signs with `X-Openbook-Delivery` (a unique id per delivery), `X-Openbook-Timestamp`
    (Unix seconds, within 5 minutes of now) and `X-Openbook-Signature: sha256=<hex HMAC-SHA256(secret,
    timestamp + "." + raw body)>`. A `zendesk` source takes Zendesk's signed webhooks as they come
    (`X-Zendesk-Webhook-Signature`, `X-Zendesk-Webhook-Signature-Timestamp`; event-subscription payloads
    such as `zen:event-type:ticket.created`). A `freshdesk` source takes an automation rule's webhook with
    the secret in `X-Openbook-Token` (or basic auth). Zendesk and Freshdesk sources accept the generic format
    as well.

    Each delivery id is applied once: a replay answers 200 with `replay: true` and changes nothing. An event
    is applied whole or not at all; one that cannot be applied yet (an update to a ticket not created yet)
    answers 409, is recorded as failed, and may be delivered again. One that carries nothing Openbook keeps
    (an agent's profile) is recorded as `ignored` and answered 200."""

    authentication_classes: list[Any] = []  # the signature is the authentication
    permission_classes = [AllowAny]

    @extend_schema(
        auth=[],
        parameters=[
            OpenApiParameter(
                "X-Openbook-Delivery",
                {"type": "string", "minLength": 1, "maxLength": 200},
                OpenApiParameter.HEADER,
                description="generic sources: required",
            ),
            OpenApiParameter(
                "X-Openbook-Timestamp",
                str,
                OpenApiParameter.HEADER,
                pattern=r"^[0-9]{1,12}$",
                description="generic sources: required",
            ),
            OpenApiParameter(
                "X-Openbook-Signature",
                str,
                OpenApiParameter.HEADER,
                pattern=r"^sha256=[0-9a-f]{64}$",
                description="generic sources: required",
            ),
            OpenApiParameter("X-Zendesk-Webhook-Signature", str, OpenApiParameter.HEADER),
            OpenApiParameter("X-Zendesk-Webhook-Signature-Timestamp", str, OpenApiParameter.HEADER),
            OpenApiParameter(
                "X-Openbook-Token", str, OpenApiParameter.HEADER, description="freshdesk sources"
            ),
        ],
        request=Event,
        responses={
            200: ReceivedOutput,
            400: OpenApiResponse(
                description="Malformed JSON, JSON nested deeper than JSON_MAX_DEPTH, or an invalid event (a "
                "value of the wrong type or too long for its field)"
            ),
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
        try:
            received = _receive(source=found, request=request)
        except (DomainError, ValidationError) as exc:
            refused = isinstance(exc, DomainError) and exc.status_code == 401
            metrics.inbound_delivery_observed(kind=found.kind, status="refused" if refused else "failed")
            raise
        delivery = received.delivery
        metrics.inbound_delivery_observed(
            kind=found.kind, status="replay" if received.replay else delivery.status
        )
        return Response(
            {
                "delivery": delivery.delivery_id,
                "status": delivery.status,
                "replay": received.replay,
                "ticket": delivery.ticket_id,
                "customer": delivery.customer_id,
            }
        )


def _receive(*, source: IntegrationSource, request: Request) -> services.Received:
    """Authenticate, read and translate the request the source's way, then apply (or ignore) its event."""
    adapter = ADAPTERS[source.kind]
    body = request.body  # the raw bytes, as signed
    adapter.authenticate(source=source, headers=request.headers, body=body)
    try:
        payload = jsonbody.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise DomainError("The body is not valid JSON.", code="parse_error") from None
    inbound = adapter.translate(headers=request.headers, body=body, payload=payload)
    if inbound.event is None:
        return services.delivery_ignore(
            source=source, delivery_id=inbound.delivery_id, event_type=inbound.event_type
        )
    event = Event(data=inbound.event)
    event.is_valid(raise_exception=True)
    return services.delivery_receive(
        source=source, delivery_id=inbound.delivery_id, event=event.validated_data
    )


# --- outbound -----------------------------------------------------------------------------------------------


class WebhookSubscriptionOutput(serializers.ModelSerializer):
    source = serializers.SlugRelatedField(slug_field="slug", read_only=True, allow_null=True)
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_TYPES))

    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "active", "source", "created_at", "updated_at"]


class WebhookSubscriptionCreated(WebhookSubscriptionOutput):
    secret = serializers.CharField(read_only=True, help_text="The signing secret. Shown once; store it now.")

    class Meta(WebhookSubscriptionOutput.Meta):
        fields = [*WebhookSubscriptionOutput.Meta.fields, "secret"]


class WebhookSubscriptionInput(InputSerializer):
    name = serializers.CharField(max_length=100)
    url = serializers.URLField(max_length=500)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES), min_length=1, max_length=len(EVENT_TYPES)
    )
    secret = serializers.CharField(
        min_length=16,
        max_length=128,
        required=False,
        help_text="The key deliveries are signed with (default: a new random one, answered once).",
    )
    source = serializers.SlugRelatedField(
        slug_field="slug",
        queryset=IntegrationSource.objects.all(),
        required=False,
        allow_null=True,
        help_text="The integration source behind this address: changes it sent are not echoed back to it.",
    )
    active = serializers.BooleanField(default=True)


class WebhookSubscriptionUpdate(WebhookSubscriptionInput):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, partial=True, **kwargs)


SUBSCRIPTION_EXAMPLE = OpenApiExample(
    "A ticketing tool's endpoint",
    request_only=True,
    value={
        "name": "Helpdesk sync",
        "url": "https://desk.example.com/hooks/openbook",
        "events": ["suggestion.ready", "reply.sent"],
        "source": "zendesk",
    },
)


class SubscriptionListApi(generics.ListAPIView):
    """Outbound subscriptions (administrators): an address that receives the events it names, each signed
    like inbound events (`X-Openbook-Delivery`, `X-Openbook-Timestamp`, `X-Openbook-Signature`, plus
    `X-Openbook-Event`). POST creates one and answers with its secret, once."""

    read_scope = roles.ADMIN
    write_scope = roles.ADMIN
    serializer_class = WebhookSubscriptionOutput
    queryset = WebhookSubscription.objects.select_related("source")
    filterset_fields = ["active"]
    search_fields = ["name", "url"]

    @extend_schema(
        request=WebhookSubscriptionInput,
        responses={201: WebhookSubscriptionCreated},
        examples=[SUBSCRIPTION_EXAMPLE],
    )
    def post(self, request: Request) -> Response:
        data = WebhookSubscriptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = outbound.subscription_create(created_by=request.user, **data.validated_data)
        body: dict[str, Any] = dict(WebhookSubscriptionOutput(subscription).data)
        body["secret"] = secret
        return Response(body, status=status.HTTP_201_CREATED)


class SubscriptionDetailApi(generics.RetrieveAPIView):
    """One subscription. PATCH changes it (a new `secret` takes effect from the next attempt); DELETE
    removes it with its delivery history."""

    read_scope = roles.ADMIN
    write_scope = roles.ADMIN
    serializer_class = WebhookSubscriptionOutput
    queryset = WebhookSubscription.objects.select_related("source")

    @extend_schema(request=WebhookSubscriptionUpdate, responses={200: WebhookSubscriptionOutput})
    def patch(self, request: Request, pk: int) -> Response:
        subscription = self.get_object()
        data = WebhookSubscriptionUpdate(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = outbound.subscription_update(subscription=subscription, **data.validated_data)
        return Response(WebhookSubscriptionOutput(subscription).data)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        self.get_object().delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class AttemptOutput(serializers.ModelSerializer):
    class Meta:
        model = OutboundAttempt
        fields = ["number", "at", "status_code", "error", "duration_ms", "response_body"]


class OutboundDeliveryOutput(serializers.ModelSerializer):
    subscription = serializers.PrimaryKeyRelatedField(read_only=True)

    class Meta:
        model = OutboundDelivery
        fields = [
            "id",
            "subscription",
            "delivery_id",
            "event_id",
            "event_type",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]


class OutboundDeliveryDetail(OutboundDeliveryOutput):
    payload = serializers.JSONField(help_text="The body sent: `{id, type, occurred_at, data}`.")
    attempt_log = AttemptOutput(many=True, read_only=True, help_text="Every attempt, oldest first.")

    class Meta(OutboundDeliveryOutput.Meta):
        fields = [*OutboundDeliveryOutput.Meta.fields, "payload", "attempt_log"]


class OutboundDeliveryListApi(generics.ListAPIView):
    """Events sent (or being sent) to subscriptions, newest first, with their status (`pending`, `sending`,
    `retrying`, `delivered`, `dead`) and the receiver's last answer (administrators)."""

    read_scope = roles.ADMIN
    serializer_class = OutboundDeliveryOutput
    queryset = OutboundDelivery.objects.all()
    filterset_fields = ["subscription", "status", "event_type", "event_id"]
    search_fields: list[str] = []
    ordering_fields = ["created_at", "next_attempt_at"]


class OutboundDeliveryDetailApi(generics.RetrieveAPIView):
    """One outbound delivery with its body and every attempt."""

    read_scope = roles.ADMIN
    serializer_class = OutboundDeliveryDetail
    queryset = OutboundDelivery.objects.prefetch_related("attempt_log")


class OutboundRedeliverApi(APIView):
    """Send a delivery again now with a fresh round of attempts (same delivery id). Dead deliveries come
    back this way; 409 while a worker is sending it."""

    read_scope = roles.ADMIN
    write_scope = roles.ADMIN

    @extend_schema(
        request=None, responses={202: OutboundDeliveryOutput, 409: OpenApiResponse(description="Being sent")}
    )
    def post(self, request: Request, pk: int) -> Response:
        delivery = outbound.delivery_redeliver(delivery=get_object_or_404(OutboundDelivery, pk=pk))
        return Response(OutboundDeliveryOutput(delivery).data, status=status.HTTP_202_ACCEPTED)
