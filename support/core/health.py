"""Health of the stack: database, pgvector, Redis, and workers that consumed a ping recently."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis
from django.conf import settings
from django.db import connection

PING_KEY = "openbook:worker-ping:{queue}"
WORKER_FRESH_SECONDS = 60


def _redis() -> redis.Redis:
    return redis.Redis.from_url(str(settings.REDIS_URL), socket_timeout=3, socket_connect_timeout=3)


def worker_ping_record(*, queue: str) -> None:
    _redis().set(PING_KEY.format(queue=queue), f"{time.time():.3f}", ex=WORKER_FRESH_SECONDS * 10)


@dataclass
class Health:
    database: dict[str, Any] = field(default_factory=dict)
    pgvector: dict[str, Any] = field(default_factory=dict)
    redis: dict[str, Any] = field(default_factory=dict)
    workers: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return all(part.get("ok") for part in (self.database, self.pgvector, self.redis, self.workers))

    def as_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, **asdict(self)}


def health_check() -> Health:
    health = Health()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT version()")
            health.database = {"ok": True, "version": cursor.fetchone()[0].split(" on ")[0]}
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
        health.pgvector = {"ok": row is not None, "version": row[0] if row else None}
    except Exception as exc:  # any failure is the answer, not an error
        health.database = {"ok": False, "error": str(exc)[:200]}
        health.pgvector = {"ok": False, "version": None}
    try:
        client = _redis()
        client.ping()
        health.redis = {"ok": True, "version": client.info("server").get("redis_version")}
        now = time.time()
        queues: dict[str, Any] = {}
        for queue in settings.CELERY_QUEUES_ALL:
            raw = client.get(PING_KEY.format(queue=queue))
            age = round(now - float(raw), 1) if raw else None
            queues[queue] = {
                "last_ping_seconds_ago": age,
                "ok": age is not None and age <= WORKER_FRESH_SECONDS,
            }
        # The stack is healthy when a worker consumed a ping within the last minute; per-queue detail
        # tells an operator which queue has nobody listening.
        health.workers = {"ok": any(q["ok"] for q in queues.values()), "queues": queues}
    except (redis.exceptions.RedisError, OSError) as exc:
        health.redis = {"ok": False, "error": str(exc)[:200]}
        health.workers = {"ok": False, "queues": {}}
    return health
