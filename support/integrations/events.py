"""The generic event format: what a ticketing system sends to `/api/v1/integrations/{source}/events`.

    {"type": "ticket.created",
     "ticket": {"external_id": "…", "subject": "…", "priority": "normal",
                "customer": {"external_id": "…", "email": "…", "name": "…"},
                "messages": [{"external_id": "…", "author": "customer", "body": "…",
                              "created_at": "2026-01-31T12:00:00Z"}]}}

`ticket.updated` and `message.added` nest the same way; `customer.upserted` carries a top-level `customer`.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from support.core.fields import InputSerializer
from support.tickets.models import Ticket

EVENT_TYPES = ("ticket.created", "ticket.updated", "message.added", "customer.upserted")
MAX_MESSAGES = 100


class CustomerEvent(InputSerializer):
    external_id = serializers.CharField(max_length=200)
    email = serializers.EmailField(max_length=254, required=False)
    name = serializers.CharField(max_length=200, required=False)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    language = serializers.CharField(max_length=10, required=False)


class MessageEvent(InputSerializer):
    external_id = serializers.CharField(max_length=200)
    author = serializers.ChoiceField(choices=["customer", "agent", "system"], default="customer")
    author_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    body = serializers.CharField(max_length=100_000, trim_whitespace=False)
    public = serializers.BooleanField(default=True)
    created_at = serializers.DateTimeField(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["body"].strip():
            raise serializers.ValidationError({"body": ["A message needs a body."]})
        if attrs["author"] == "customer" and not attrs["public"]:
            raise serializers.ValidationError({"public": ["Customer messages are always public."]})
        return attrs


class TicketEvent(InputSerializer):
    external_id = serializers.CharField(max_length=200)
    subject = serializers.CharField(max_length=300, required=False)
    priority = serializers.ChoiceField(choices=Ticket.Priority.choices, required=False)
    status = serializers.ChoiceField(choices=Ticket.Status.choices, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=50)
    customer = CustomerEvent(required=False)
    messages = MessageEvent(many=True, required=False, max_length=MAX_MESSAGES)


class Event(InputSerializer):
    type = serializers.ChoiceField(choices=EVENT_TYPES)
    ticket = TicketEvent(required=False)
    customer = CustomerEvent(required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        kind = attrs["type"]
        if kind == "customer.upserted":
            customer = attrs.get("customer")
            if customer is None:
                raise serializers.ValidationError({"customer": ["customer.upserted needs a customer."]})
            return attrs
        ticket = attrs.get("ticket")
        if ticket is None:
            raise serializers.ValidationError({"ticket": [f"{kind} needs a ticket."]})
        if kind == "ticket.created":
            missing = [name for name in ("subject", "customer") if name not in ticket]
            if missing:
                raise serializers.ValidationError(
                    {f"ticket.{name}": ["ticket.created needs this field."] for name in missing}
                )
        if kind == "message.added" and not ticket.get("messages"):
            raise serializers.ValidationError(
                {"ticket.messages": ["message.added needs at least one message."]}
            )
        return attrs
