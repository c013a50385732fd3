"""The Celery application. Queues: default, embeddings, inference, training (see support/conf/celery.py)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Exchange, Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.conf.settings")

app = Celery("openbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each queue gets its own exchange and routing key: a task sent to one queue must land in that queue only.
app.conf.task_queues = [
    Queue(name, Exchange(name, type="direct"), routing_key=name)
    for name in ("default", "embeddings", "inference", "training")
]
app.autodiscover_tasks()
