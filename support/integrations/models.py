"""Ticketing systems beside Openbook: each is a source with its own signing secret, and every event it sends
is a delivery, recorded once."""

from __future__ import annotations

from django.db import models

from support.core.models import TimeStampedModel


class IntegrationSource(TimeStampedModel):
    """A system that sends us events (a Zendesk account, a Freshdesk portal, a home-grown tool). Its `slug`
    is the `source` of the tickets and customers it creates, and names it in the webhook address."""

    class Kind(models.TextChoices):
        GENERIC = "generic", "Openbook's generic event format"

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
