"""Probes, request ids, JSON logs and metrics, through the real middleware and the test Redis."""

from __future__ import annotations

import io
import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.test import Client

from support.celery import _request_id_forward
from support.core import metrics
from support.core.health import PING_KEY, worker_ping_record
from support.core.logs import JsonFormatter, RequestIdFilter, request_id_bound, request_id_from

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def pings() -> redis.Redis:
    """The test Redis with no worker pings in it; the ones there before are put back afterwards."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    keys = [PING_KEY.format(queue=q) for q in settings.CELERY_QUEUES_ALL]
    saved = {key: client.get(key) for key in keys}
    client.delete(*keys)
    yield client
    client.delete(*keys)
    for key, value in saved.items():
        if value is not None:
            client.set(key, value, ex=600)


def test_healthz_answers_without_touching_anything(django_assert_num_queries, settings):
    settings.SECURE_SSL_REDIRECT = True
    # A kubelet calls the pod by its address, over plain HTTP: no host check, no redirect.
    with django_assert_num_queries(0):
        response = Client().get("/healthz", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200
    assert response.json() == {"ok": True}
    assert response["Cache-Control"] == "no-store"


def test_readyz_is_503_until_a_worker_consumed_a_ping_then_200(pings, settings):
    settings.SECURE_SSL_REDIRECT = True
    response = Client().get("/readyz", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert (body["database"], body["pgvector"], body["redis"]) == (True, True, True)
    assert body["workers"]["ok"] is False
    worker_ping_record(queue="inference")
    response = Client().get("/readyz", HTTP_HOST="10.0.3.17:8000")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["workers"]["queues"]["inference"]["ok"] is True
    assert body["workers"]["queues"]["training"] == {"ok": False, "last_ping_seconds_ago": None}
    # Unauthenticated: says what is up, not which versions run.
    assert "version" not in json.dumps(body)


def test_probes_take_only_get(settings):
    response = Client().post("/healthz")
    assert response.status_code == 405
    assert response["Allow"] == "GET, HEAD"


def test_a_sane_request_id_is_kept_and_anything_else_replaced():
    client = Client()
    assert client.get("/api/v1/me", HTTP_X_REQUEST_ID="ticket-7f3a.2")["X-Request-ID"] == "ticket-7f3a.2"
    for bad in ("two words", "x" * 200, "line\nbreak", ""):
        made = client.get("/api/v1/me", HTTP_X_REQUEST_ID=bad)["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made), bad
    assert request_id_from(None) != request_id_from(None)


@pytest.fixture
def json_log() -> io.StringIO:
    """What the access logger writes, formatted as in production."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    logger = logging.getLogger("openbook.access")
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_each_request_logs_one_json_line_with_its_id_route_and_status(json_log, agent_api):
    agent_api.get("/api/v1/tickets/123456", HTTP_X_REQUEST_ID="req-42")
    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert len(entries) == 1
    entry = entries[0]
    assert entry["request_id"] == "req-42"
    assert entry["logger"] == "openbook.access"
    assert entry["route"] == "api/v1/tickets/<int:pk>"
    assert entry["status"] == 404
    assert entry["method"] == "GET"
    assert isinstance(entry["duration_ms"], float)
    assert entry["time"].endswith("+00:00")


def test_log_records_outside_a_request_carry_no_id_and_exceptions_are_kept():
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed %s", ("here",), None)
    RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["message"] == "failed here"
    assert "request_id" not in entry
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "oops", (), sys.exc_info())
    with request_id_bound("r-1"):
        RequestIdFilter().filter(record)
    entry = json.loads(JsonFormatter().format(record))
    assert entry["request_id"] == "r-1"
    assert "ValueError: boom" in entry["exception"]


def test_tasks_queued_during_a_request_carry_its_id():
    headers: dict[str, str] = {}
    with request_id_bound("req-99"):
        _request_id_forward(headers=headers)
    assert headers == {"request_id": "req-99"}
    outside: dict[str, str] = {}
    _request_id_forward(headers=outside)
    assert outside == {}


def test_metrics_are_off_in_production_without_a_token(settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = ""
    response = Client().get("/metrics", HTTP_HOST="10.0.3.17:9100")
    assert response.status_code == 404
    assert "METRICS_TOKEN" in response.json()["detail"]


def test_metrics_need_the_bearer_token(settings):
    settings.DEBUG = False
    settings.METRICS_TOKEN = "s3cret-token"
    client = Client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Basic s3cret-token").status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer s3cret-token")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")


def _sample(text: str, name: str, **labels: str) -> float | None:
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return None


def test_metrics_show_request_latency_by_route_queue_depth_and_training_runs(settings, agent_api):
    settings.METRICS_TOKEN = "t"
    settings.QUERY_EMBEDDING_QUEUE = "metrics-test-queries"
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("metrics-test-queries")
    client.rpush("metrics-test-queries", "a", "b", "c")
    try:
        before = _sample(
            metrics.exposition(include_scrape=False).decode(),
            "openbook_http_request_duration_seconds_count",
            route="api/v1/tickets/<int:pk>",
            status="404",
        )
        agent_api.get("/api/v1/tickets/987654")
        text = Client().get("/metrics", HTTP_AUTHORIZATION="Bearer t").content.decode()
    finally:
        client.delete("metrics-test-queries")
    count = _sample(
        text, "openbook_http_request_duration_seconds_count", route="api/v1/tickets/<int:pk>", status="404"
    )
    assert count == (before or 0) + 1
    assert _sample(text, "openbook_celery_queue_depth", queue="metrics-test-queries") == 3.0
    for queue in settings.CELERY_QUEUES_ALL:
        assert _sample(text, "openbook_celery_queue_depth", queue=queue) is not None
    assert _sample(text, "openbook_training_runs", status="queued") == 0.0
    assert _sample(text, "openbook_scrape_error", collector="training_runs") == 0.0
    assert _sample(text, "openbook_scrape_error", collector="celery_queues") == 0.0
    # The process's own counts, and the help for draft acceptance and retrieval latency.
    assert "# HELP openbook_drafts_sent_total" in text
    assert "# HELP openbook_retrieval_duration_seconds" in text


def test_a_scrape_answers_when_redis_is_down(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    text = metrics.exposition(include_scrape=True).decode()
    assert _sample(text, "openbook_scrape_error", collector="celery_queues") == 1.0
    assert _sample(text, "openbook_training_runs", status="queued") == 0.0


def test_draft_outcomes_and_edit_ratio_are_counted():
    text = metrics.exposition(include_scrape=False).decode()
    accepted = _sample(text, "openbook_drafts_sent_total", outcome="accepted") or 0
    edited = _sample(text, "openbook_drafts_sent_total", outcome="edited") or 0
    ratio = _sample(text, "openbook_draft_edit_ratio_count") or 0
    metrics.draft_sent(outcome="accepted", edit_distance=0, draft_words=40)
    metrics.draft_sent(outcome="edited", edit_distance=10, draft_words=40)
    text = metrics.exposition(include_scrape=False).decode()
    assert _sample(text, "openbook_drafts_sent_total", outcome="accepted") == accepted + 1
    assert _sample(text, "openbook_drafts_sent_total", outcome="edited") == edited + 1
    assert _sample(text, "openbook_draft_edit_ratio_count") == ratio + 2


def test_metric_access_rules():
    assert metrics.metrics_access(authorization="", token="", debug=True) == 200
    assert metrics.metrics_access(authorization="", token="", debug=False) == 404
    assert metrics.metrics_access(authorization="Bearer abc", token="abc", debug=False) == 200
    assert metrics.metrics_access(authorization="bearer abc ", token="abc", debug=False) == 200
    assert metrics.metrics_access(authorization="Bearer abd", token="abc", debug=True) == 401


def _check(**environ: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if k not in ("PROMETHEUS_MULTIPROC_DIR", "METRICS_PORT")}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**base, "DEBUG": "true", **environ},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_metric_settings_that_cannot_work_stop_the_process():
    # prometheus_client would go into multiprocess mode and write its files into the working folder.
    empty = _check(PROMETHEUS_MULTIPROC_DIR="")
    assert empty.returncode != 0
    assert "PROMETHEUS_MULTIPROC_DIR is set but empty" in empty.stderr
    # A prefork worker's exporter would show none of its pool's counts.
    alone = _check(METRICS_PORT="9100")
    assert alone.returncode != 0
    assert "METRICS_PORT needs PROMETHEUS_MULTIPROC_DIR" in alone.stderr


def test_gunicorn_runs_threaded_workers_for_the_draft_streams():
    from support.conf import gunicorn, web

    assert gunicorn.worker_class == "gthread"
    assert gunicorn.threads == web.WEB_THREADS
    assert gunicorn.workers == web.WEB_WORKERS
    assert gunicorn.bind == [f"{web.HOST}:{web.PORT}"]
    assert gunicorn.preload_app is False
    assert gunicorn.control_socket_disable is True
