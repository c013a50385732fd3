"""Outbound deliveries on the `default` queue. Thin: the service claims, sends and records."""

from __future__ import annotations

from celery import shared_task

from . import outbound


@shared_task(name="integrations.outbound_deliver", acks_late=True, soft_time_limit=120, time_limit=150)
def delivery_attempt(delivery_id: int) -> str | None:
    """One attempt at an outbound delivery, if it is due and no other worker has it."""
    delivery = outbound.delivery_attempt(delivery_id=delivery_id)
    return None if delivery is None else delivery.status


@shared_task(name="integrations.outbound_sweep", acks_late=True)
def deliveries_sweep(limit: int = 500) -> int:
    """Queue the outbound deliveries that are due (beat runs this every OUTBOUND_SWEEP_SECONDS)."""
    return outbound.deliveries_sweep(limit=limit)
