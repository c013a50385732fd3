"""Shared fixtures. Tests run against the real stack: Postgres with pgvector (embedded unless DATABASE_URL
is set), Redis (a separate database number from development) and, where behaviour is asynchronous, a real
Celery worker process."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
import redis
from django.conf import settings
from rest_framework.test import APIClient

from support.core import roles
from support.core.services import api_key_create
from tests import factories

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session", autouse=True)
def _clean_test_redis() -> None:
    redis.Redis.from_url(settings.REDIS_URL).flushdb()


@pytest.fixture(scope="session", autouse=True)
def _clean_test_files() -> None:
    """Datasets, adapters and runs of earlier test sessions go (they live apart from development data)."""
    shutil.rmtree(settings.TEST_FILES_DIR, ignore_errors=True)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def team() -> Any:
    return factories.team()


@pytest.fixture
def agent(team: Any) -> Any:
    return factories.user(role=roles.AGENT, teams=(team,), first_name="Alex", last_name="Agent")


@pytest.fixture
def admin_user() -> Any:
    return factories.user(role=roles.ADMINISTRATOR)


@pytest.fixture
def knowledge_admin() -> Any:
    return factories.user(role=roles.KNOWLEDGE_ADMIN)


@pytest.fixture
def agent_api(agent: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(agent)
    return client


@pytest.fixture
def admin_api(admin_user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def key_client(*scopes: str, user: Any = None) -> APIClient:
    """A client that authenticates with a freshly made API key holding `scopes`."""
    _, raw = api_key_create(name="test", scopes=scopes, user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def _database_url() -> str:
    db = settings.DATABASES["default"]
    host = db.get("HOST") or db.get("OPTIONS", {}).get("host") or "localhost"
    auth = quote(db["USER"] or "", safe="")
    if db.get("PASSWORD"):
        auth += ":" + quote(db["PASSWORD"], safe="")
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"postgresql://{auth}@{quote(host, safe='')}{port}/{db['NAME']}"


@pytest.fixture(scope="session")
def django_subprocess_env(django_db_setup: Any) -> dict[str, str]:
    """The environment for a child Python process running Django on the test settings, database and Redis."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "support.conf.testing",
        "DATABASE_URL": _database_url(),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def celery_worker(
    django_subprocess_env: dict[str, str], django_db_blocker: Any
) -> Iterator[subprocess.Popen[bytes]]:
    """A real Celery worker process consuming every queue, on the test database and test Redis."""
    from support.celery import worker_command

    env = django_subprocess_env
    log = open(Path(settings.DATA_DIR) / "test-worker.log", "wb")  # noqa: SIM115 - closed below
    worker = subprocess.Popen(
        worker_command(
            queues=settings.CELERY_QUEUES_ALL,
            concurrency=2,
            name=f"test-{os.getpid()}@%h",
            quiet_cluster=True,
        ),
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    from support.celery import app

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if worker.poll() is not None:
            raise RuntimeError(f"Celery worker exited early; see {log.name}")
        if app.control.ping(timeout=0.5):
            break
    else:
        worker.kill()
        raise RuntimeError(f"Celery worker did not come up; see {log.name}")
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()
