"""The relay of a draft from the worker generating it to the browsers watching it.

Celery results are switched off, and a server-sent-events reader may connect before, during or after the
generation. So the worker appends events to a Redis stream per suggestion, and every reader reads it from
the id of the last event it saw: a late reader still gets the whole draft, any number of readers can watch,
and a reader waiting for the next event blocks in Redis (`XREAD BLOCK`) instead of polling. Event ids are
what a browser sends back as `Last-Event-ID` when it reconnects. The stream expires a while after its last
event."""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings

EVENTS_TTL_SECONDS = 600
# A draft is a few hundred events at most; the bound only guards Redis against a runaway backend.
MAX_EVENTS = 20_000
TERMINAL = frozenset({"done", "error"})
START = "0-0"
# The longest single blocking read; the socket timeout outlasts it.
MAX_BLOCK_SECONDS = 5.0
_EVENT_ID = re.compile(r"^\d{1,20}-\d{1,20}$")


@dataclass(frozen=True)
class Event:
    id: str
    event: str
    data: dict[str, Any]

    @property
    def terminal(self) -> bool:
        return self.event in TERMINAL


def _key(suggestion_id: int) -> str:
    return f"openbook:suggestion:{suggestion_id}:events"


@functools.cache
def _client(url: str) -> redis.Redis:
    # One connection pool per process (redis-py makes a fresh one after a fork), shared by its threads.
    return redis.Redis.from_url(
        url, socket_connect_timeout=5, socket_timeout=MAX_BLOCK_SECONDS + 5, decode_responses=True
    )


def _redis() -> redis.Redis:
    return _client(str(settings.REDIS_URL))


def event_id_valid(value: str) -> bool:
    """Whether `value` has the shape of an event id (a reconnecting browser's Last-Event-ID is untrusted)."""
    return bool(_EVENT_ID.match(value))


def event_append(suggestion_id: int, event: str, data: dict[str, Any]) -> None:
    """Append one event (`token`, `done` or `error`) for the readers of a suggestion."""
    events_append(suggestion_id, [(event, data)])


def events_append(suggestion_id: int, events: Sequence[tuple[str, dict[str, Any]]]) -> None:
    """Append events in order, in one round trip."""
    key = _key(suggestion_id)
    # One round trip; no MULTI/EXEC: the commands are sent in order and only this worker writes the key.
    with _redis().pipeline(transaction=False) as pipe:
        for event, data in events:
            pipe.xadd(key, {"event": event, "data": json.dumps(data)}, maxlen=MAX_EVENTS, approximate=True)
        pipe.expire(key, EVENTS_TTL_SECONDS)
        pipe.execute()


def events_after(suggestion_id: int, after: str = START, *, block_seconds: float = 0) -> list[Event]:
    """The events after the one with id `after` (from the start by default). With `block_seconds`, waits
    up to that long (at most MAX_BLOCK_SECONDS) for one when there is none yet."""
    # BLOCK 0 would wait for ever: a wait is at least a millisecond.
    block = max(1, int(min(block_seconds, MAX_BLOCK_SECONDS) * 1000)) if block_seconds > 0 else None
    # [[key, [(id, fields), ...]]] with this client (RESP2, decoded); the stubs allow every protocol's shape.
    answer: Any = _redis().xread({_key(suggestion_id): after}, block=block)
    if not answer:
        return []
    _, entries = answer[0]
    return [Event(id=i, event=f["event"], data=json.loads(f["data"])) for i, f in entries]


def finished_wait(suggestion_id: int, seconds: float) -> bool:
    """Wait up to `seconds` for the suggestion's `done` or `error` event; whether it came."""
    deadline = time.monotonic() + seconds
    after = START
    while (left := deadline - time.monotonic()) > 0:
        events = events_after(suggestion_id, after, block_seconds=left)
        if any(e.terminal for e in events):
            return True
        if events:
            after = events[-1].id
    return False
