"""The production entrypoint (the images' ENTRYPOINT; compose and Kubernetes pick the role):

    python -m support.serve web                          gunicorn (support/conf/gunicorn.py) on HOST:PORT
    python -m support.serve worker --queues embeddings   a Celery worker for those queues
    python -m support.serve beat                         Celery beat (exactly one per deployment)
    python -m support.serve migrate                      apply migrations, then exit

Each role replaces this process with the server's own (exec), so the container's stop signal reaches
gunicorn or Celery directly and they shut down gracefully.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
import tempfile
from collections.abc import Sequence

_QUEUE_NAME = re.compile(r"^[A-Za-z0-9_.-]+$")


def web_command() -> list[str]:
    return [
        sys.executable,
        "-m",
        "gunicorn",
        "--config",
        "python:support.conf.gunicorn",
        "support.wsgi:application",
    ]


def beat_command() -> list[str]:
    from django.conf import settings

    # Beat's state is when each entry last ran; losing it on a restart only means the pings go out at
    # once. A temporary folder keeps the image's file system read-only.
    schedule = os.path.join(tempfile.gettempdir(), "openbook-celerybeat-schedule")
    return [
        sys.executable,
        *("-m", "celery", "-A", "support", "beat"),
        *("--schedule", schedule, "--loglevel", settings.LOG_LEVEL),
    ]


def _queues(text: str) -> list[str]:
    queues = [q.strip() for q in text.split(",") if q.strip()]
    bad = [q for q in queues if not _QUEUE_NAME.match(q)]
    if not queues or bad:
        raise argparse.ArgumentTypeError(f"expected comma-separated queue names, got {text!r}")
    return queues


def main(argv: Sequence[str] | None = None) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.conf.settings")
    parser = argparse.ArgumentParser(prog="python -m support.serve", description=__doc__.splitlines()[0])
    roles = parser.add_subparsers(dest="role", required=True)
    roles.add_parser("web", help="the web server (gunicorn)")
    worker = roles.add_parser("worker", help="a Celery worker")
    worker.add_argument(
        "--queues", "-Q", type=_queues, required=True, help="comma-separated: default,embeddings,..."
    )
    worker.add_argument("--concurrency", "-c", type=int, help="processes (default: WORKER_CONCURRENCY)")
    worker.add_argument("--name", "-n", help="node name (default: openbook-<queues>@<host>)")
    roles.add_parser("beat", help="Celery beat")
    roles.add_parser("migrate", help="apply database migrations and exit")
    args = parser.parse_args(argv)

    if args.role == "web":
        command = web_command()
    elif args.role == "worker":
        from django.conf import settings

        from support.celery import worker_command

        known = set(settings.CELERY_QUEUES_ALL) | {settings.QUERY_EMBEDDING_QUEUE}
        unknown = sorted(set(args.queues) - known)
        if unknown:
            parser.error(f"unknown queue {', '.join(unknown)}: known are {', '.join(sorted(known))}")
        concurrency = args.concurrency or settings.WORKER_CONCURRENCY
        if concurrency < 1:
            parser.error("--concurrency must be at least 1")
        name = args.name or f"openbook-{'-'.join(args.queues)}@%h"
        command = worker_command(queues=args.queues, concurrency=concurrency, name=name)
    elif args.role == "beat":
        command = beat_command()
    else:
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", interactive=False)
        return 0
    sys.stdout.flush()
    os.execv(command[0], command)  # noqa: S606 - our own interpreter, fixed arguments


if __name__ == "__main__":
    sys.exit(main())
