"""Queueing a Celery task by its registered name.

A service that queues a task cannot import the task's module: that module imports the service to run it, and
the two would form a cycle. The task's stable `name=` is the contract between them instead."""

from __future__ import annotations

from typing import Any

from celery import current_app
from celery.result import AsyncResult, EagerResult


def task_send(name: str, *, args: list[Any], **options: Any) -> AsyncResult | EagerResult:
    """Queue the task registered as `name` with `args` and Celery's sending options (queue, countdown,
    expires, retry_policy). With CELERY_TASK_ALWAYS_EAGER it runs inline, as `.delay()` would."""
    if current_app.conf.task_always_eager:
        # The web process has not imported the apps' task modules; the worker has.
        current_app.loader.import_default_modules()
        return current_app.tasks[name].apply(args=args)
    return current_app.send_task(name, args=args, **options)
