"""Ticketing systems beside Openbook: each is a source with its own signing secret, and every event it sends
is a delivery, recorded once. The other way round, a subscription asks for Openbook's events, and each one
sent to it is an outbound delivery with its attempts."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from support.core.events import EVENT_TYPES
from support.core.models import TimeStampedModel


class IntegrationSource(TimeStampedModel):
    """A system that sends us events (a Zendesk account, a Freshdesk portal, a home-grown tool). Its `slug`
    is the `source` of the tickets and customers it creates, and names it in the webhook address."""

    class Kind(models.TextChoices):
        GENERIC = "generic", "Openbook's generic event format"
        ZENDESK = "zendesk", "Zendesk webhooks (event subscriptions, signed by Zendesk)"
        FRESHDESK = "freshdesk", "Freshdesk automation webhooks"

    name = models.CharField(max_length=100)
    slug = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.GENERIC)
    # The HMAC key deliveries are signed with. Kept as given: verifying a signature needs the key itself.
    secret = models.CharField(max_length=128)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self) -> str:
        return self.slug


class InboundDelivery(models.Model):
    """One event received from a source, by its delivery id: a replay finds this row and changes nothing."""

    class Status(models.TextChoices):
        PROCESSED = "processed"
        FAILED = "failed"  # nothing was written; the sender may deliver it again
        IGNORED = "ignored"  # nothing Openbook keeps (an agent's profile, say): answered 200, not retried

    source = models.ForeignKey(IntegrationSource, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.CharField(max_length=200)
    event_type = models.CharField(max_length=40)
    status = models.CharField(max_length=10, choices=Status.choices)
    error = models.TextField(blank=True)
    attempts = models.PositiveIntegerField(default=1)
    ticket = models.ForeignKey(
        "tickets.Ticket", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["source", "delivery_id"], name="inbound_delivery_once"),
        ]

    def __str__(self) -> str:
        return f"{self.source_id}:{self.delivery_id}"


class WebhookSubscription(TimeStampedModel):
    """An address that wants some of Openbook's events, signed with its own secret."""

    name = models.CharField(max_length=100)
    url = models.URLField(max_length=500)
    secret = models.CharField(max_length=128)  # kept as given: signing needs the key itself
    events = ArrayField(models.CharField(max_length=40, choices=[(e, e) for e in EVENT_TYPES]))
    active = models.BooleanField(default=True)
    source = models.ForeignKey(
        IntegrationSource,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="subscriptions",
        help_text="The ticketing system behind this address: changes it sent itself are not echoed back.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name", "id"]

    def __str__(self) -> str:
        return self.name


class OutboundDelivery(models.Model):
    """One event for one subscription. Its `delivery_id` stays the same over every attempt, so a receiver
    can tell a retry from a new event."""

    class Status(models.TextChoices):
        PENDING = "pending"  # waiting for its first attempt
        SENDING = "sending"  # a worker is sending it (until `next_attempt_at`, when another may take over)
        RETRYING = "retrying"  # the last attempt failed; the next is due at `next_attempt_at`
        DELIVERED = "delivered"
        DEAD = "dead"  # every attempt failed; an administrator may redeliver it

    subscription = models.ForeignKey(WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries")
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_id = models.UUIDField(editable=False, help_text="The event's id, shared by its deliveries.")
    event_type = models.CharField(max_length=40)
    payload = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveIntegerField(default=0, help_text="Attempts since it was (re)queued.")
    next_attempt_at = models.DateTimeField()
    last_status_code = models.PositiveIntegerField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweep's question: what is due and not finished?
            models.Index(
                fields=["next_attempt_at"],
                name="outbound_due",
                condition=models.Q(status__in=["pending", "sending", "retrying"]),
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_type} → {self.subscription_id} ({self.status})"


class OutboundAttempt(models.Model):
    """One try at sending a delivery: what the receiver answered, or why there was no answer."""

    delivery = models.ForeignKey(OutboundDelivery, on_delete=models.CASCADE, related_name="attempt_log")
    number = models.PositiveIntegerField()
    at = models.DateTimeField()
    status_code = models.PositiveIntegerField(null=True, blank=True)
    error = models.TextField(blank=True)
    duration_ms = models.FloatField()
    response_body = models.TextField(blank=True, help_text="The first kilobyte of the answer.")

    class Meta:
        ordering = ["delivery_id", "number"]
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="outbound_attempt_once")]

    def __str__(self) -> str:
        return f"{self.delivery_id}#{self.number}"
