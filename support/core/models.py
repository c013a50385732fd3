"""The shared kernel's tables: a timestamp base and API keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class ExternallyKeyed(models.Model):
    """A row that mirrors a record in another system, which `source` + `external_id` identify."""

    source = models.CharField(max_length=40, default="openbook")
    external_id = models.CharField(max_length=200, blank=True, default="")

    class Meta:
        abstract = True


def unique_external_id(name: str) -> models.UniqueConstraint:
    """One row per `source` + `external_id`; rows without an external id are not constrained."""
    return models.UniqueConstraint(
        fields=["source", "external_id"], condition=~models.Q(external_id=""), name=name
    )


class ApiKey(TimeStampedModel):
    """A secret an integration sends as `Authorization: Bearer <key>`.

    Only a SHA-256 digest is stored: keys are 256-bit random values, so a fast hash is as safe as a slow one
    and lets every request be checked with one indexed lookup. The prefix is kept to tell keys apart.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, db_index=True, editable=False)
    digest = models.CharField(max_length=64, unique=True, editable=False)
    scopes = ArrayField(models.CharField(max_length=32), default=list)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_keys",
        help_text="The account the key acts as; its rights bound the key's.",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)
