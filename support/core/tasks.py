"""Liveness: beat sends each queue a ping; whichever worker consumes it records the time in Redis."""

from __future__ import annotations

from celery import Task, shared_task

from . import health


@shared_task(name="core.worker_ping", bind=True, ignore_result=True, acks_late=False)
def worker_ping_record(self: Task, queue: str = "default") -> None:
    # Record the queue the message really came from, so a routing mistake shows up as a missing ping.
    delivered = (self.request.delivery_info or {}).get("routing_key") or queue
    health.worker_ping_record(queue=delivered)
