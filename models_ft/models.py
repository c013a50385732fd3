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


class TrainingRun(models.Model):
    """One LoRA training of the base model on a dataset snapshot, with its progress as it goes."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.PROTECT, related_name="runs")
    base_model = models.CharField(max_length=500)
    base_revision = models.CharField(max_length=200, blank=True)
    config = models.JSONField(default=dict, help_text="The LoraTrainingConfig it trains with.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED, db_index=True)
    active = models.BooleanField(
        null=True,
        default=True,
        editable=False,
        help_text="True while queued or running, else empty: unique, so one run at a time.",
    )
    step = models.PositiveIntegerField(default=0)
    total_steps = models.PositiveIntegerField(default=0)
    learning_rate = models.FloatField(null=True, blank=True)
    tokens_per_second = models.FloatField(null=True, blank=True)
    peak_memory_mb = models.FloatField(null=True, blank=True)
    losses = models.JSONField(default=list, blank=True, help_text="[[step, loss], ...] for the loss curve.")
    output_dir = models.CharField(max_length=500, blank=True)
    error = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    requested_by = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True, help_text="Last progress written.")
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["active"], name="models_ft_one_active_training_run")]

    def __str__(self) -> str:
        return f"Training run {self.pk} ({self.status})"


class Adapter(models.Model):
    """A trained LoRA adapter in the registry: files under ADAPTER_STORE/<name>/, never overwritten."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", "Candidate"
        ACTIVE = "active", "Active"
        RETIRED = "retired", "Retired"
        REJECTED = "rejected", "Rejected"

    name = models.SlugField(max_length=100, unique=True)
    base_model = models.CharField(max_length=500)
    base_revision = models.CharField(max_length=200, blank=True)
    snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.PROTECT, related_name="adapters")
    run = models.OneToOneField(
        TrainingRun, on_delete=models.SET_NULL, null=True, blank=True, related_name="adapter"
    )
    config = models.JSONField(default=dict)
    metrics = models.JSONField(default=dict, blank=True, help_text="Its evaluation, as the matrix stored it.")
    folder = models.CharField(max_length=300, help_text="Relative to ADAPTER_STORE.")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.CANDIDATE)
    promoted_by = models.CharField(max_length=150, blank=True)
    promoted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]
        # One active adapter at most: the database refuses a second.
        constraints = [
            models.UniqueConstraint(
                fields=["status"], condition=models.Q(status="active"), name="models_ft_one_active_adapter"
            )
        ]

    def __str__(self) -> str:
        return f"Adapter {self.name} ({self.status})"


class AdapterEvent(models.Model):
    """A promotion or roll-back, and every decision of the scheduled cycle, with its reason."""

    class Action(models.TextChoices):
        PROMOTED = "promoted", "Promoted"
        ROLLED_BACK = "rolled_back", "Rolled back"
        KEPT = "kept", "Kept the active model"
        SKIPPED = "skipped", "Cycle skipped"
        FAILED = "failed", "Cycle failed"

    action = models.CharField(max_length=12, choices=Action.choices)
    adapter = models.ForeignKey(
        Adapter, on_delete=models.SET_NULL, null=True, blank=True, related_name="events"
    )
    previous = models.ForeignKey(Adapter, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.TextField()
    details = models.JSONField(default=dict, blank=True)
    by = models.CharField(max_length=150, blank=True, help_text="Who, or 'schedule'.")
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.action}: {self.reason[:60]}"


class EvaluationMatrix(models.Model):
    """Scores of each configuration (model or adapter x with or without retrieval, and the extractive
    backend) on a snapshot's held-out examples."""

    snapshot = models.ForeignKey(DatasetSnapshot, on_delete=models.PROTECT, related_name="evaluations")
    candidate = models.ForeignKey(
        Adapter, on_delete=models.SET_NULL, null=True, blank=True, related_name="evaluations"
    )
    rows = models.JSONField(default=list, help_text='[{"model", "retrieval", "scores": {...}}, ...]')
    perplexity = models.JSONField(
        default=dict, help_text='Perplexity on general text by model: {"base": ..., "candidate": ...}.'
    )
    examples = models.PositiveIntegerField(default=0)
    seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"Evaluation {self.pk} on {self.snapshot_id}"
