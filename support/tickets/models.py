"""Tickets, their messages, and the teams (queues) that own them."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.db import models
from django.utils import timezone

from support.core.models import ExternallyKeyed, TimeStampedModel, unique_external_id
from support.customers.models import Customer, Product


class Team(TimeStampedModel):
    """A queue of tickets and the agents who work it. Agents see only their teams' tickets."""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=60, unique=True)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="teams")
    products = models.ManyToManyField(
        Product, blank=True, related_name="teams", help_text="New tickets about these products route here."
    )
    is_default = models.BooleanField(default=False, help_text="Receives tickets no other team claims.")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=models.Q(is_default=True), name="team_single_default"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Ticket(TimeStampedModel, ExternallyKeyed):
    class Status(models.TextChoices):
        NEW = "new", "New"
        OPEN = "open", "Open"
        PENDING = "pending", "Pending"
        ON_HOLD = "on_hold", "On hold"
        SOLVED = "solved", "Solved"
        CLOSED = "closed", "Closed"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"
        URGENT = "urgent", "Urgent"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        CHAT = "chat", "Chat"
        PHONE = "phone", "Phone"
        WEB = "web", "Web form"
        API = "api", "API"

    subject = models.CharField(max_length=300)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW, db_index=True)
    priority = models.CharField(
        max_length=10, choices=Priority.choices, default=Priority.NORMAL, db_index=True
    )
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.EMAIL)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="tickets")
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    products = models.ManyToManyField(Product, blank=True, related_name="tickets")
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)
    sla_due_at = models.DateTimeField(null=True, blank=True, db_index=True)
    first_responded_at = models.DateTimeField(null=True, blank=True)
    solved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [unique_external_id("ticket_source_external_id_unique")]
        indexes = [
            GinIndex(fields=["tags"], name="ticket_tags_gin"),
            models.Index(fields=["team", "status", "-created_at"], name="ticket_team_status"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.subject}"


# Allowed status changes. `closed` is final: a follow-up after closing opens a new ticket.
TRANSITIONS: dict[str, frozenset[str]] = {
    Ticket.Status.NEW: frozenset({"open", "pending", "on_hold", "solved", "closed"}),
    Ticket.Status.OPEN: frozenset({"pending", "on_hold", "solved"}),
    Ticket.Status.PENDING: frozenset({"open", "on_hold", "solved"}),
    Ticket.Status.ON_HOLD: frozenset({"open", "pending", "solved"}),
    Ticket.Status.SOLVED: frozenset({"open", "closed"}),
    Ticket.Status.CLOSED: frozenset(),
}


class TicketMessage(models.Model):
    class AuthorKind(models.TextChoices):
        CUSTOMER = "customer", "Customer"
        AGENT = "agent", "Agent"
        SYSTEM = "system", "System"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(max_length=10, choices=AuthorKind.choices)
    author_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    author_name = models.CharField(max_length=200, blank=True)
    body = models.TextField()
    public = models.BooleanField(
        default=True, help_text="False for internal notes, which customers never see."
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    external_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["ticket", "external_id"],
                condition=~models.Q(external_id=""),
                name="message_ticket_external_id_unique",
            ),
            models.CheckConstraint(
                condition=~models.Q(author_kind="customer", public=False),
                name="message_customer_always_public",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.author_kind} on {self.ticket_id}"


class TicketRead(models.Model):
    """When a user last opened a ticket: a customer message after that makes the ticket unread for them."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="reads")
    read_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "ticket"], name="ticket_read_unique")]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.ticket_id}"
