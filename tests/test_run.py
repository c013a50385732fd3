"""`make run` end to end: a fresh data folder, the whole stack up, health green, the demo tickets listed
with an API key, and Ctrl-C stopping every process it started (embedded servers included)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _get(url: str, key: str) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {key}"})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_make_run_serves_the_demo_and_stops_everything_on_ctrl_c(tmp_path):
    # A short path: Unix socket paths are limited to about 100 characters.
    data_dir = Path(tempfile.gettempdir()) / f"ob-run-{os.getpid()}"
    port = _free_port()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")
    }
    env.update(
        DATA_DIR=str(data_dir), PORT=str(port), DEBUG="true", WORKER_PING_SECONDS="5", PYTHONUNBUFFERED="1"
    )
    log_path = tmp_path / "run.log"
    with open(log_path, "w") as log:
        stack = subprocess.Popen(
            [sys.executable, "-m", "support.run"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 240
        while "Openbook is running at" not in log_path.read_text():
            assert stack.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, log_path.read_text()[-3000:]
            time.sleep(0.5)
        text = log_path.read_text()
        assert f"http://127.0.0.1:{port}" in text
        assert "agent" in text
        assert "openbook-demo" in text

        key = subprocess.run(
            [
                sys.executable,
                "manage.py",
                "create_api_key",
                "run-test",
                "--scopes",
                "tickets:read",
                "--quiet",
            ],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        base = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 90
        while True:
            status, health = _get(f"{base}/health", key)
            if status == 200:
                break
            assert time.monotonic() < deadline, health
            time.sleep(1)
        assert health["pgvector"]["ok"] is True
        status, tickets = _get(f"{base}/tickets?status=open", key)
        assert status == 200
        assert tickets["count"] > 0
        assert _get(f"{base}/tickets", key)[1]["count"] >= 600
    finally:
        stack.send_signal(signal.SIGINT)
        try:
            code = stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            stack.kill()
            raise
    assert code == 0, log_path.read_text()[-3000:]
    assert "Openbook: stopped." in log_path.read_text()
    assert not (data_dir / "pg" / "postmaster.pid").exists()
    assert not (data_dir / "redis" / "redis.pid").exists() or not _alive(data_dir / "redis" / "redis.pid")
    with pytest.raises(ConnectionRefusedError):  # the web server is gone
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    leftovers = subprocess.run(["pgrep", "-f", str(data_dir)], capture_output=True, text=True).stdout.split()
    assert leftovers == []
    subprocess.run(["rm", "-rf", str(data_dir)], check=False)


def _alive(pidfile: Path) -> bool:
    try:
        os.kill(int(pidfile.read_text().strip()), 0)
    except (ProcessLookupError, ValueError, FileNotFoundError):
        return False
    return True


def test_make_run_serves_with_runserver_in_development_and_gunicorn_otherwise():
    from support.run import web_command

    development = web_command(debug=True, host="127.0.0.1", port=8123)
    assert development[1:] == ["manage.py", "runserver", "127.0.0.1:8123", "--noreload"]
    production = web_command(debug=False, host="127.0.0.1", port=8123)
    assert production[1:] == [
        "-m",
        "gunicorn",
        "--config",
        "python:support.conf.gunicorn",
        "support.wsgi:application",
    ]
