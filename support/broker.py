"""One correction to kombu's Redis transport, so that a worker survives Redis going away.

When the broker connection is lost, Celery (5.7) collects the broken connection, which closes its
transport, and then closes it. A kombu Redis channel whose read failed mid-BRPOP is still open at that
point, and so is the message of every task still running (late acknowledgement): closing the channel
tries to give its unacknowledged messages back, and a finished task later acknowledges through it. Both
need a Redis client, which the channel builds from its transport's connection details, and those are gone:
AttributeError ('NoneType' object has no attribute 'hostname'). Celery treats that as unrecoverable and the
worker exits instead of reconnecting (tests/faults/test_redis_restart.py caught it).

Here a channel of a closed transport raises a connection error instead, which kombu and Celery already
handle at both places: the give-back is skipped and the acknowledgement logged as failed. Nothing is lost
by that: the messages stay in Redis's unacknowledged set until the visibility timeout restores them, the
tasks are safe to run twice, and beat's sweeps queue whatever the database says still waits.
"""

from __future__ import annotations

from typing import Any


def redis_closed_transport_raises_connection_error() -> None:
    """Make a Redis channel whose transport was closed raise redis's ConnectionError when it needs a client
    (idempotent)."""
    from kombu.transport import redis as transport
    from redis.exceptions import ConnectionError as RedisConnectionError

    original = transport.Channel._connparams
    if getattr(original, "openbook_closed_transport_check", False):
        return

    def _connparams(self: Any, asynchronous: bool = False) -> Any:
        if self.connection is None or self.connection.client is None:
            raise RedisConnectionError("the connection to the broker was closed")
        return original(self, asynchronous=asynchronous)

    _connparams.openbook_closed_transport_check = True  # type: ignore[attr-defined]
    transport.Channel._connparams = _connparams  # type: ignore[method-assign]
