"""`make run`: the whole stack in one command.

Starts (or reuses) the embedded Postgres and Redis when DATABASE_URL / REDIS_URL are unset, migrates, loads
the demo company, then runs a Celery worker for every queue, Celery beat and the web server as children
(Django's development server when DEBUG is true, else gunicorn as in production).
Ctrl-C (or SIGTERM) stops every process it started, including embedded servers it had to start itself.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import FrameType

BASE_DIR = Path(__file__).resolve().parent.parent


def _port_free(host: str, port: int) -> bool:
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def _wait_for_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=1):
                return True
        except OSError:
            time.sleep(0.2)
    return False


def web_command(*, debug: bool, host: str, port: int) -> list[str]:
    """Django's development server in development; otherwise the production one (gunicorn, as the images
    run it), which reads HOST and PORT itself."""
    if debug:
        return [sys.executable, "manage.py", "runserver", f"{host}:{port}", "--noreload"]
    from support.serve import web_command as production

    return production()


def main() -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.conf.settings")
    from support.conf import web

    host, port = web.HOST, web.PORT
    if not _port_free(host, port):
        print(
            f"Port {port} on {host} is taken. Stop what uses it, or run: PORT=8001 make run", file=sys.stderr
        )
        return 2

    from support import embedded

    data_dir = Path(os.environ.get("DATA_DIR") or BASE_DIR / "var").resolve()
    pg_was_running = embedded._running_postgres_socket(data_dir / "pg") is not None
    redis_was_running = embedded._redis_answers(embedded._redis_socket_path((data_dir / "redis").resolve()))

    import django
    from django.conf import settings
    from django.core.management import call_command

    from support.celery import worker_command

    print("Openbook: preparing the database…", flush=True)
    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    call_command("seed_demo")
    if not settings.DEBUG:
        call_command("collectstatic", interactive=False, verbosity=0)

    python = sys.executable
    concurrency = settings.WORKER_CONCURRENCY
    commands = {
        "worker": worker_command(
            queues=settings.CELERY_QUEUES_ALL, concurrency=concurrency, name="openbook@%h"
        ),
        "beat": [
            python,
            "-m",
            "celery",
            "-A",
            "support",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(data_dir / "celerybeat-schedule"),
        ],
        "web": web_command(debug=settings.DEBUG, host=host, port=port),
    }
    children: dict[str, subprocess.Popen[bytes]] = {}
    stopping = False

    def stop(signum: int | None = None, frame: FrameType | None = None) -> None:
        nonlocal stopping
        if stopping:
            return
        stopping = True
        print("\nOpenbook: stopping…", flush=True)
        for child in children.values():
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for name, child in children.items():
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} did not stop in time; killing it", flush=True)
                child.kill()
        if settings.DATABASE_EMBEDDED and not pg_was_running:
            embedded.postgres_stop(data_dir)
        if settings.REDIS_EMBEDDED and not redis_was_running:
            embedded.redis_stop(data_dir)
        print("Openbook: stopped.", flush=True)

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    # The worker processes and the web server share the cores: one torch thread per core in each of them
    # oversubscribes the machine (see EMBEDDING_THREADS).
    env.setdefault("EMBEDDING_THREADS", str(max(1, (os.cpu_count() or 1) // concurrency)))
    # The demo company's own domain: its links and addresses may appear in drafts.
    env.setdefault("DRAFT_ALLOWED_DOMAINS", "quillfeather.example")
    for name, command in commands.items():
        children[name] = subprocess.Popen(command, cwd=BASE_DIR, env=env, start_new_session=True)

    if not _wait_for_port(host, port, 60):
        print("Openbook: the web server did not start; see the messages above.", file=sys.stderr)
        stop()
        return 1
    url = f"http://{host}:{port}"
    password = settings.DEMO_PASSWORD if settings.DEBUG else "the value of DEMO_PASSWORD"
    print(
        "\n"
        f"  Openbook is running at {url}\n"
        f"  Demo logins (password: {password}):\n"
        "    agent      support agent (Billing & Accounts, Technical Support)\n"
        "    knowledge  knowledge admin\n"
        "    admin      administrator\n"
        f"  API docs: {url}/api/docs/   Health: {url}/api/v1/health\n"
        "  API key:  .venv/bin/python manage.py create_api_key my-tool --scopes tickets:read\n"
        "  Press Ctrl-C to stop everything.\n",
        flush=True,
    )
    while not stopping:
        for name, child in children.items():
            if child.poll() is not None and not stopping:
                print(
                    f"Openbook: {name} exited with code {child.returncode}; stopping the rest.",
                    file=sys.stderr,
                )
                stop()
                return 1
        time.sleep(0.5)
    return 0


if __name__ == "__main__":
    sys.exit(main())
