"""Integrations: outbound webhook deliveries (attempts, backoff, timeouts, which addresses may be called)."""

from __future__ import annotations

from datetime import timedelta

from .base import DEBUG
from .celery import CELERY_BEAT_SCHEDULE
from .env import env_bool, env_float, env_int

OUTBOUND_MAX_ATTEMPTS = env_int(
    "OUTBOUND_MAX_ATTEMPTS",
    8,
    minimum=1,
    maximum=50,
    help="Attempts at sending an event to a subscription before it is dead-lettered.",
)
OUTBOUND_RETRY_SECONDS = env_float(
    "OUTBOUND_RETRY_SECONDS",
    30.0,
    minimum=0.1,
    help="Wait before the first retry of a failed outbound delivery; it doubles with every attempt.",
)
OUTBOUND_RETRY_MAX_SECONDS = env_float(
    "OUTBOUND_RETRY_MAX_SECONDS", 3600.0, minimum=1, help="Longest wait between two outbound attempts."
)
OUTBOUND_TIMEOUT_SECONDS = env_float(
    "OUTBOUND_TIMEOUT_SECONDS",
    10.0,
    minimum=0.5,
    maximum=120,
    help="How long a subscriber has to answer an outbound delivery.",
)
OUTBOUND_ALLOW_PRIVATE_ADDRESSES = env_bool(
    "OUTBOUND_ALLOW_PRIVATE_ADDRESSES",
    DEBUG,
    help="Allow subscriptions to loopback, private and link-local addresses (default: only when DEBUG).",
)
OUTBOUND_SWEEP_SECONDS = env_int(
    "OUTBOUND_SWEEP_SECONDS",
    30,
    minimum=1,
    help="How often outbound deliveries that are due (or whose worker died) are queued again.",
)
CELERY_BEAT_SCHEDULE["outbound-sweep"] = {
    "task": "integrations.outbound_sweep",
    "schedule": timedelta(seconds=OUTBOUND_SWEEP_SECONDS),
    "options": {"queue": "default", "expires": OUTBOUND_SWEEP_SECONDS * 2},
}
