"""Liveness: beat sends each queue a ping; whichever worker consumes it records the time in Redis."""

from __future__ import annotations

from celery import shared_task

from .health import worker_ping_record


@shared_task(name="core.worker_ping", ignore_result=True, acks_late=False)
def worker_ping(queue: str = "default") -> None:
    worker_ping_record(queue=queue)
