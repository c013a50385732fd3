"""Retrieval reads on a read replica (`DATABASE_REPLICA_URL`), everything else on the primary.

Search is most of the database's read load and can live with a replica's lag of a moment: a version that
went live a second ago is found a second later. Everything else (the console's lists, a document an admin
just saved, the claims and writes of the workers) keeps reading the primary, so nobody misses their own
write. Retrieval code marks its reads with `retrieval_reads()`: ORM reads inside go where
`ReplicaRouter` says, and raw SQL takes its connection from `read_alias()`.

Without a replica configured every call here names the primary, so the same code runs everywhere.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.backends.base.base import BaseDatabaseWrapper

REPLICA = "replica"

_READ_MODE: ContextVar[str] = ContextVar("openbook_read_mode", default="")
_RETRIEVAL = "retrieval"
_PRIMARY = "primary"


def replica_configured() -> bool:
    return REPLICA in settings.DATABASES


def read_alias() -> str:
    """The database the current reads go to: the replica inside `retrieval_reads()` when one is
    configured, unless the primary connection is inside a transaction (its uncommitted writes are
    visible there only) or `primary_reads()` asked for the primary; else the primary."""
    if _READ_MODE.get() != _RETRIEVAL or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA


def read_connection() -> BaseDatabaseWrapper:
    """The connection for raw SQL reads (see `read_alias`)."""
    return connections[read_alias()]


@contextmanager
def retrieval_reads() -> Iterator[str]:
    """Reads inside may be served by the replica; yields the alias they go to for raw SQL."""
    token = _READ_MODE.set(_RETRIEVAL)
    try:
        yield read_alias()
    finally:
        _READ_MODE.reset(token)


@contextmanager
def primary_reads() -> Iterator[str]:
    """Reads inside go to the primary, inside `retrieval_reads()` too: for reading back what was just
    written, which a replica may not have yet."""
    token = _READ_MODE.set(_PRIMARY)
    try:
        yield DEFAULT_DB_ALIAS
    finally:
        _READ_MODE.reset(token)


class ReplicaRouter:
    """Django's database router (DATABASE_ROUTERS): ORM reads inside `retrieval_reads()` go to the
    replica; writes, migrations and every other read go to the primary."""

    def db_for_read(self, model: type[Any], **hints: Any) -> str | None:
        alias = read_alias()
        return alias if alias == REPLICA else None

    def db_for_write(self, model: type[Any], **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        # The replica holds the same rows: an object read there may point at one from the primary.
        aliases = {obj1._state.db, obj2._state.db}
        return True if aliases <= {DEFAULT_DB_ALIAS, REPLICA} else None

    def allow_migrate(
        self, db: str, app_label: str, model_name: str | None = None, **hints: Any
    ) -> bool | None:
        return False if db == REPLICA else None  # it replicates the primary's schema
