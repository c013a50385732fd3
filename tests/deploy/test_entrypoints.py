"""The images' entrypoints for real: `python -m support.serve web` (gunicorn, production settings, two
worker processes) and `python -m support.serve worker`, on the test database and a Redis database of their
own. /readyz turns 200 once the worker consumed a ping; the request id travels from the publisher into the
worker's JSON log; metrics add up across gunicorn's processes; the images' health check answers."""

from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import Celery
from django.conf import settings

from support.conf.celery import broker_url, redis_with_db
from support.core.logs import request_id_bound

ROOT = Path(__file__).resolve().parents[2]
REDIS_DB = 13  # apart from the tests' own (15): the session's worker must not take this test's ping
TOKEN = "entrypoint-test-token"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - loopback only
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def _wait(predicate, what: str, logs: list[Path], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if predicate():
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError(f"{what} within {timeout}s\n" + "\n".join(p.read_text()[-3000:] for p in logs))


@pytest.fixture
def stack(django_subprocess_env, tmp_path) -> Iterator[dict]:
    client = redis.Redis.from_url(redis_with_db(settings.REDIS_URL, REDIS_DB))
    client.flushdb()
    web_port, metrics_port = _free_port(), _free_port()
    production = {
        **django_subprocess_env,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(64),
        "TEST_REDIS_DB": str(REDIS_DB),
        "LOG_FORMAT": "json",
        "METRICS_TOKEN": TOKEN,
        "TRUST_X_FORWARDED_PROTO": "true",
        "HOST": "127.0.0.1",
    }
    web_env = {
        **production,
        "PORT": str(web_port),
        "WEB_WORKERS": "2",
        "WEB_THREADS": "4",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics-web"),
    }
    worker_env = {
        **production,
        "METRICS_PORT": str(metrics_port),
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics-worker"),
    }
    logs = {"web": tmp_path / "web.log", "worker": tmp_path / "worker.log"}
    commands = {
        "web": [sys.executable, "-m", "support.serve", "web"],
        "worker": [
            sys.executable,
            "-m",
            "support.serve",
            "worker",
            "--queues",
            "default",
            "--concurrency",
            "1",
        ],
    }
    processes = {}
    for name, environment in (("web", web_env), ("worker", worker_env)):
        with open(logs[name], "wb") as log:
            processes[name] = subprocess.Popen(
                commands[name], cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
    try:
        yield {
            "web": f"http://127.0.0.1:{web_port}",
            "worker": f"http://127.0.0.1:{metrics_port}",
            "web_port": web_port,
            "metrics_port": metrics_port,
            "logs": logs,
            "processes": processes,
            "redis": client,
        }
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes.values():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        client.flushdb()


def _sample(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        head, _, value = line.rpartition(" ")
        if head.split("{")[0] == name and all(f'{k}="{v}"' in head for k, v in labels.items()):
            total += float(value)
    return total


def _json_lines(path: Path) -> list[dict]:
    entries = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            entries.append(json.loads(line))
    return entries


def _children(pid: int) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


# django_db: so that the session's subprocess environment names the test database (see conftest).
@pytest.mark.django_db
def test_gunicorn_and_a_worker_start_from_the_entrypoint_and_the_stack_turns_ready(stack):
    web, worker, logs = stack["web"], stack["worker"], list(stack["logs"].values())
    _wait(lambda: _get(f"{web}/healthz")[0] == 200, "the web server did not answer /healthz", logs)
    _wait(lambda: _get(f"{worker}/healthz")[0] == 200, "the worker's exporter did not answer", logs)

    # Up, but no worker has consumed a ping yet (no beat here): not ready.
    status, _, body = _get(f"{web}/readyz")
    assert status == 503, body
    ready = json.loads(body)
    assert (ready["database"], ready["pgvector"], ready["redis"], ready["workers"]["ok"]) == (
        True,
        True,
        True,
        False,
    )

    # A ping, published the way beat or a request would, with a request id bound.
    # Not the current app: the tests after this one must keep publishing to their own Redis database.
    publisher = Celery(
        "entrypoint-test",
        broker=broker_url(redis_with_db(settings.REDIS_URL, REDIS_DB)),
        set_as_current=False,
    )
    request_id = f"e2e-{uuid.uuid4().hex[:12]}"
    try:
        with request_id_bound(request_id):
            publisher.send_task("core.worker_ping", args=["default"], queue="default")
    finally:
        publisher.close()
    _wait(lambda: _get(f"{web}/readyz")[0] == 200, "/readyz did not turn 200", logs)
    ready = json.loads(_get(f"{web}/readyz")[2])
    assert ready["ok"] is True
    assert ready["workers"]["queues"]["default"]["ok"] is True

    # The worker ran the task in the request's context: its JSON log lines say so.
    def task_logged() -> bool:
        return any(
            e.get("request_id") == request_id and e.get("task") == "core.worker_ping"
            for e in _json_lines(stack["logs"]["worker"])
        )

    _wait(task_logged, "no worker log line carried the request id", logs, timeout=30)

    # Requests through the proxy (X-Forwarded-Proto), each answered with its id and logged with it.
    for n in range(6):
        status, headers, _ = _get(
            f"{web}/api/v1/me", {"X-Forwarded-Proto": "https", "X-Request-ID": f"{request_id}-{n}"}
        )
        assert status in (401, 403)
        assert headers["X-Request-ID"] == f"{request_id}-{n}"
    _wait(
        lambda: (
            sum(e.get("request_id", "").startswith(request_id) for e in _json_lines(stack["logs"]["web"]))
            >= 6
        ),
        "the access log lines did not appear",
        logs,
        timeout=10,
    )

    # /metrics: the token, and counts added up over both gunicorn processes.
    assert _get(f"{web}/metrics")[0] == 401
    status, _, body = _get(f"{web}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    text = body.decode()
    # Prometheus refuses an exposition that declares a metric twice.
    declared = [line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")]
    assert len(declared) == len(set(declared))
    assert _sample(text, "openbook_http_request_duration_seconds_count", route="api/v1/me") == 6
    assert _sample(text, "openbook_celery_queue_depth", queue="default") == 0
    assert "openbook_training_runs{" in text
    assert _sample(text, "openbook_worker_ping_timestamp_seconds", queue="default") > 0

    # The worker's own metrics: the task it ran, by name and state.
    assert _get(f"{worker}/metrics")[0] == 401
    status, _, body = _get(f"{worker}/metrics", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert (
        _sample(
            body.decode(), "openbook_task_duration_seconds_count", task="core.worker_ping", state="success"
        )
        == 1
    )

    # Two gunicorn workers, and neither loaded torch.
    workers = _children(stack["processes"]["web"].pid)
    assert len(workers) == 2
    for pid in workers:
        assert "libtorch" not in Path(f"/proc/{pid}/maps").read_text()

    # The images' HEALTHCHECK script, for each role.
    check = [sys.executable, str(ROOT / "deploy" / "docker" / "healthcheck.py")]
    base = {k: v for k, v in os.environ.items() if k not in ("PORT", "METRICS_PORT")}
    assert subprocess.run(check, env={**base, "PORT": str(stack["web_port"])}, timeout=30).returncode == 0
    assert (
        subprocess.run(check, env={**base, "METRICS_PORT": str(stack["metrics_port"])}, timeout=30).returncode
        == 0
    )
    closed = subprocess.run(check, env={**base, "PORT": str(_free_port())}, capture_output=True, timeout=30)
    assert closed.returncode == 1

    # SIGTERM stops both gracefully.
    for process in stack["processes"].values():
        process.send_signal(signal.SIGTERM)
    for name, process in stack["processes"].items():
        assert process.wait(timeout=30) == 0, stack["logs"][name].read_text()[-2000:]
