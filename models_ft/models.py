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
        BACKFILLED = "backfilled", "An earlier reply, written without a draft"

    messages = models.JSONField(
        help_text='The prompt exactly as the model saw it: [{"role", "content"}, ...].'
    )
    draft = models.TextField(help_text="What the model drafted.")
    sent = models.TextField(help_text="What the agent sent.")
    outcome = models.CharField(max_length=12, choices=Outcome.choices)
    ticket_id = models.BigIntegerField(db_index=True)
    customer_id = models.BigIntegerField(db_index=True)
    suggestion_id = models.BigIntegerField(null=True, blank=True)
    message_id = models.BigIntegerField(
        null=True, blank=True, help_text="The reply as posted on the ticket (one example per reply)."
    )
    person = models.JSONField(
        default=dict,
        blank=True,
        help_text='The customer\'s {"name", "email", "phone"} as on record when the reply was sent: what the '
        "redaction looks for besides the patterns.",
    )
    backfilled = models.BooleanField(
        default=False, help_text="Rebuilt from a reply sent before Openbook (backfill_examples)."
    )
    rejected = models.BooleanField(default=False, help_text="Left out of every dataset.")
    rejected_reason = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(default=timezone.now, db_index=True, help_text="When the reply was sent.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # A send retried by a worker records its example once.
            models.UniqueConstraint(
                fields=["suggestion_id"],
                condition=models.Q(suggestion_id__isnull=False),
                name="models_ft_example_one_per_suggestion",
            ),
            # A reply is one example, whether recorded when it was sent or backfilled later.
            models.UniqueConstraint(
                fields=["message_id"],
                condition=models.Q(message_id__isnull=False),
                name="models_ft_example_one_per_message",
            ),
        ]

    def __str__(self) -> str:
        return f"Example {self.pk} ({self.outcome}) for ticket {self.ticket_id}"


class DatasetSnapshot(models.Model):
    """A frozen training set: JSONL files under DATASET_STORE, named by the hash of their content, never
    rewritten. Built by `build_dataset` from the examples at that moment."""

    content_hash = models.CharField(max_length=64, unique=True, help_text="sha256 of the files, in order.")
    folder = models.CharField(max_length=300, help_text="Relative to DATASET_STORE.")
    train_count = models.PositiveIntegerField()
    eval_count = models.PositiveIntegerField()
    preference_count = models.PositiveIntegerField()
    stats = models.JSONField(default=dict, help_text="What was kept, what was left out and why, lengths.")
    config = models.JSONField(default=dict, help_text="The filters and split it was built with.")
    newest_example_at = models.DateTimeField(
        null=True, blank=True, help_text="When the newest example it considered was sent."
    )
    withdrawn_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Its files were deleted because a customer in it was erased or withdrew consent.",
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Dataset {self.content_hash[:12]} ({self.train_count} train, {self.eval_count} eval)"
