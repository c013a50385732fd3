"""Training on the `training` queue (the route `models_ft.train*`)."""

from __future__ import annotations

from celery import shared_task

from . import runs


@shared_task(name="models_ft.train_run", acks_late=True, soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60)
def run_execute(run_id: int) -> str | None:
    """Train a queued run (asked for over the API); the name of the adapter it registered."""
    adapter = runs.run_execute(run_id=run_id)
    return adapter.name if adapter is not None else None
