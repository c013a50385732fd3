"""A Suggestion is one draft reply for one ticket, and the audit record of how it was made: who asked,
what the model saw (the exact prompt messages), which passages were retrieved (chunk and version ids), which
backend and adapter answered, how long each step took, what the agent finally sent and how it was judged."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from pgvector.django import VectorField


class Suggestion(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending"
        RUNNING = "running"
        READY = "ready"
        FAILED = "failed"

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted"  # sent as drafted
        EDITED = "edited"  # sent with changes to at most half of its words
        REWRITTEN = "rewritten"  # sent with most of it replaced

    class Rating(models.TextChoices):
        UP = "up"
        DOWN = "down"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="suggestions")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="suggestions"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    error = models.TextField(blank=True)
    # What generation produced, and the draft after the citation checks.
    raw_text = models.TextField(blank=True)
    text = models.TextField(blank=True)
    prompt_messages = models.JSONField(default=list, blank=True)
    passages = models.JSONField(
        default=list,
        blank=True,
        help_text="The retrieved passages by marker: chunk, version and document ids, title, heading, text.",
    )
    citations = models.JSONField(default=list, blank=True)
    flags = models.JSONField(default=list, blank=True)
    agent_note = models.TextField(
        blank=True,
        help_text="For the agent only, never sent: what internal documents say about the question.",
    )
    precedents = models.JSONField(
        default=list,
        blank=True,
        help_text="The similar solved tickets the draft was given: ticket id, subject, similarity, "
        "the redacted reply, and whether the draft was composed from it.",
    )
    language = models.CharField(
        max_length=12,
        blank=True,
        help_text="The language the reply is written in (the customer's, detected).",
    )
    retrieval_query = models.TextField(blank=True)
    vector_search = models.CharField(max_length=12, blank=True)
    backend = models.CharField(max_length=20, blank=True)
    model = models.CharField(max_length=300, blank=True)
    adapter = models.CharField(max_length=200, blank=True)
    timings = models.JSONField(
        default=dict,
        blank=True,
        help_text="Milliseconds: context, retrieval, generation, first_token, total.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    # What happened to the draft.
    sent_text = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_message = models.ForeignKey(
        "tickets.TicketMessage", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    sent_flags = models.JSONField(
        default=list,
        blank=True,
        help_text="The claims checks on the text as sent: what was still flagged when the agent sent it.",
    )
    flags_confirmed = models.BooleanField(
        default=False, help_text="The agent confirmed sending with the flags in sent_flags still open."
    )
    edit_distance = models.PositiveIntegerField(null=True, blank=True, help_text="In words.")
    outcome = models.CharField(max_length=10, choices=Outcome.choices, blank=True)
    rating = models.CharField(max_length=4, choices=Rating.choices, blank=True)
    feedback_reason = models.TextField(blank=True)
    example_id = models.BigIntegerField(
        null=True, blank=True, help_text="The training example the send made."
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["ticket", "-created_at"], name="suggestion_ticket_recent")]

    def __str__(self) -> str:
        return f"suggestion {self.pk} for ticket {self.ticket_id} ({self.status})"


class TicketVector(models.Model):
    """A solved ticket's conversation as a vector, so that later tickets find it as a precedent. Made by a
    sweep on the `embeddings` workers, again when the ticket changes or the embedding model does."""

    ticket = models.OneToOneField(
        "tickets.Ticket", on_delete=models.CASCADE, primary_key=True, related_name="precedent_vector"
    )
    embedding = VectorField()  # untyped (`vector`): vectors of the model in `model`, whatever its size
    model = models.CharField(max_length=200)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"vector of ticket {self.ticket_id}"
