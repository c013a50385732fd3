"""The Celery application. Queues: default, embeddings, inference, training (see support/conf/celery.py)."""

from __future__ import annotations

import os

from celery import Celery
from kombu import Queue

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.conf.settings")

app = Celery("openbook")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.conf.task_queues = [Queue(name) for name in ("default", "embeddings", "inference", "training")]
app.autodiscover_tasks()
