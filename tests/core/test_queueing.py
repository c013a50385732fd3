"""task_send: a task queued by its registered name goes to the broker with its options, and runs inline when
CELERY_TASK_ALWAYS_EAGER is on, as `.delay()` would."""

from __future__ import annotations

from celery import current_app

from support.core import health
from support.core.queueing import task_send


def test_a_task_is_sent_by_name_with_its_options(monkeypatch):
    sent = []
    monkeypatch.setattr(current_app, "send_task", lambda name, **kwargs: sent.append((name, kwargs)))
    task_send("core.worker_ping", args=["default"], queue="default", countdown=5)
    assert sent == [("core.worker_ping", {"args": ["default"], "queue": "default", "countdown": 5})]


def test_in_eager_mode_the_task_runs_inline(monkeypatch):
    monkeypatch.setitem(current_app.conf, "task_always_eager", True)
    key = health.PING_KEY.format(queue="eager-queue")
    health._redis().delete(key)
    result = task_send("core.worker_ping", args=["eager-queue"], queue="default")
    assert result.successful()
    assert health._redis().get(key) is not None
    health._redis().delete(key)
