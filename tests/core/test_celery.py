"""A real worker consumes from every queue; the health endpoint sees it."""

from __future__ import annotations

import time

import pytest
import redis
from django.conf import settings

from support.celery import app
from support.core.health import PING_KEY
from support.core.tasks import worker_ping_record

pytestmark = pytest.mark.worker


def test_celery_is_configured_for_json_late_acks_and_time_limits():
    conf = app.conf
    assert conf.task_serializer == "json"
    assert conf.accept_content == ["json"]
    assert conf.task_acks_late is True
    assert conf.task_soft_time_limit < conf.task_time_limit
    assert {q.name for q in conf.task_queues} == {"default", "embeddings", "inference", "training"}
    pings = [e for e in conf.beat_schedule.values() if e["task"] == "core.worker_ping"]
    assert {entry["args"][0] for entry in pings} == set(settings.CELERY_QUEUES_ALL)
    assert conf.beat_schedule["knowledge-sweep"]["options"] == {"queue": "embeddings"}


def _wait_for_ping(client: redis.Redis, queue: str, timeout: float = 30) -> float:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = client.get(PING_KEY.format(queue=queue))
        if value:
            return float(value)
        time.sleep(0.1)
    raise AssertionError(f"no worker consumed the ping on queue {queue}")


@pytest.mark.django_db(transaction=True)
def test_worker_consumes_a_ping_on_every_queue_and_health_turns_green(celery_worker, admin_api):
    client = redis.Redis.from_url(settings.REDIS_URL)
    for queue in settings.CELERY_QUEUES_ALL:
        client.delete(PING_KEY.format(queue=queue))
    before = time.time()
    for queue in settings.CELERY_QUEUES_ALL:
        worker_ping_record.apply_async(args=[queue], queue=queue)
    for queue in settings.CELERY_QUEUES_ALL:
        assert _wait_for_ping(client, queue) >= before - 1
    health = admin_api.get("/api/v1/health")
    assert health.status_code == 200, health.json()
    body = health.json()
    assert body["ok"] is True
    assert body["pgvector"]["ok"] is True
    assert body["database"]["version"].startswith("PostgreSQL")
    assert all(body["workers"]["queues"][q]["ok"] for q in settings.CELERY_QUEUES_ALL)


@pytest.mark.django_db
def test_health_is_503_when_no_worker_pinged(admin_api):
    client = redis.Redis.from_url(settings.REDIS_URL)
    for queue in settings.CELERY_QUEUES_ALL:
        client.delete(PING_KEY.format(queue=queue))
    response = admin_api.get("/api/v1/health")
    assert response.status_code == 503
    assert response.json()["workers"]["ok"] is False
    assert response.json()["database"]["ok"] is True


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_to_one_queue_is_delivered_to_that_queue_only(celery_worker):
    client = redis.Redis.from_url(settings.REDIS_URL)
    for queue in settings.CELERY_QUEUES_ALL:
        client.delete(PING_KEY.format(queue=queue))
    worker_ping_record.apply_async(args=["training"], queue="training")
    _wait_for_ping(client, "training")
    time.sleep(1.5)  # a mis-routed copy would be consumed by now
    others = [
        q for q in settings.CELERY_QUEUES_ALL if q != "training" and client.get(PING_KEY.format(queue=q))
    ]
    assert others == []


def test_a_channel_of_a_dropped_broker_connection_raises_a_connection_error_when_it_needs_redis():
    """Celery drops a connection it lost (closing its transport) while tasks still run; the channel then
    gives back unacknowledged messages and acknowledges finished tasks, and needs a Redis client for it.
    That must fail as a connection error, which Celery handles, and not as AttributeError, which stops
    the worker (see support/broker.py)."""
    with app.connection_for_write() as connection:
        channel = connection.channel()
        connection.collect()
        with pytest.raises(redis.exceptions.ConnectionError), channel.conn_or_acquire():
            pass
