"""Training examples: what the model was shown for a draft, what it drafted, and what the agent sent.

Tickets and customers are referred to by plain integer ids, not foreign keys: `models_ft` imports nothing
from `support` but `support.core`, so the example table knows the ids and nothing else about them.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class TrainingExample(models.Model):
    """One sent reply and the prompt behind it, in TRL's conversational `messages` format."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Sent as drafted"
        EDITED = "edited", "Edited before sending"
        REWRITTEN = "rewritten", "Rewritten before sending"

    messages = models.JSONField(
        help_text='The prompt exactly as the model saw it: [{"role", "content"}, ...].'
    )
    draft = models.TextField(help_text="What the model drafted.")
    sent = models.TextField(help_text="What the agent sent.")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    ticket_id = models.BigIntegerField(db_index=True)
    customer_id = models.BigIntegerField(db_index=True)
    suggestion_id = models.BigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A send retried by a worker records its example once.
            models.UniqueConstraint(
                fields=["suggestion_id"],
                condition=models.Q(suggestion_id__isnull=False),
                name="models_ft_example_one_per_suggestion",
            )
        ]

    def __str__(self) -> str:
        return f"Example {self.pk} ({self.outcome}) for ticket {self.ticket_id}"
