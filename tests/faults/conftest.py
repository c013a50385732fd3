"""Fixtures of the fault tests: a Redis server of their own, so that no other worker of the test session
(the shared `celery_worker` consumes every queue of the test Redis database) takes their tasks, and the
environment their Celery processes and producer run with."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from .stack import RedisServer


@pytest.fixture
def fault_redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    yield server
    server.close()


@pytest.fixture
def fault_env(django_subprocess_env: dict[str, str], fault_redis: RedisServer) -> dict[str, Any]:
    """Environment of the workers, beat and producer: the test database, the private Redis, a sweep every
    5 s, and one torch thread per process (two pool processes share the machine)."""
    return {
        **django_subprocess_env,
        "REDIS_URL": fault_redis.url,
        "KNOWLEDGE_SWEEP_SECONDS": "5",
        "EMBEDDING_THREADS": "1",
        "EMBEDDING_BATCH_SIZE": "32",
        "HF_HUB_OFFLINE": "1",
        "TRANSFORMERS_OFFLINE": "1",
    }
