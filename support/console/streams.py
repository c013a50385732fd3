"""The relay of a draft from the worker generating it to the browsers watching it.

Celery results are switched off, and a server-sent-events reader may connect before, during or after the
generation. So the worker appends events to a Redis list per suggestion, and every reader walks that list
from its own offset: a late reader still gets the whole draft, and any number of readers can watch. The
list expires a while after its last event."""

from __future__ import annotations

import json
from typing import Any

import redis
from django.conf import settings

EVENTS_TTL_SECONDS = 600
TERMINAL = frozenset({"done", "error"})


def _key(suggestion_id: int) -> str:
    return f"openbook:suggestion:{suggestion_id}:events"


def _redis() -> redis.Redis:
    return redis.Redis.from_url(str(settings.REDIS_URL), socket_connect_timeout=5, socket_timeout=10)


def event_append(suggestion_id: int, event: str, data: dict[str, Any]) -> None:
    """Append one event (`token`, `done` or `error`) for the readers of a suggestion."""
    key = _key(suggestion_id)
    with _redis().pipeline() as pipe:
        pipe.rpush(key, json.dumps({"event": event, "data": data}))
        pipe.expire(key, EVENTS_TTL_SECONDS)
        pipe.execute()


def events_since(suggestion_id: int, offset: int) -> list[dict[str, Any]]:
    """The events from position `offset` on (empty when there are none yet, or they expired)."""
    raw = _redis().lrange(_key(suggestion_id), offset, -1)
    return [json.loads(item) for item in raw]  # type: ignore[union-attr]
