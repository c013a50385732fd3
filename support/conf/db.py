"""Databases: `DATABASE_URL`, or the embedded Postgres with pgvector under the data folder."""

from __future__ import annotations

from typing import Any

import dj_database_url

from support import embedded

from .base import DATA_DIR
from .env import env_int, env_url

_database_env = env_url(
    "DATABASE_URL",
    ["postgres", "postgresql", "pgsql"],
    help="Postgres with pgvector. Unset: an embedded server under DATA_DIR/pg.",
)
DATABASE_EMBEDDED = _database_env is None
DATABASE_URL: str = _database_env or embedded.postgres_url(DATA_DIR)

DATABASE_CONN_MAX_AGE = env_int(
    "DATABASE_CONN_MAX_AGE", 60, minimum=0, help="Seconds a database connection is kept open."
)

_default: dict[str, Any] = dict(
    dj_database_url.parse(DATABASE_URL, conn_max_age=DATABASE_CONN_MAX_AGE, conn_health_checks=True)
)
_default.setdefault("OPTIONS", {})
_default["OPTIONS"].setdefault("connect_timeout", 10)
# Every statement is bounded; a runaway query fails instead of holding a worker forever.
_statement_timeout_ms = env_int(
    "DATABASE_STATEMENT_TIMEOUT_MS", 30_000, minimum=0, help="Postgres statement_timeout in ms (0 = none)."
)
if _statement_timeout_ms:
    _default["OPTIONS"]["options"] = f"-c statement_timeout={_statement_timeout_ms}"

DATABASES = {"default": _default}

_replica_env = env_url(
    "DATABASE_REPLICA_URL",
    ["postgres", "postgresql", "pgsql"],
    help="A streaming replica of DATABASE_URL that knowledge retrieval reads from (empty: the primary).",
)
if _replica_env:
    _replica: dict[str, Any] = dict(
        dj_database_url.parse(_replica_env, conn_max_age=DATABASE_CONN_MAX_AGE, conn_health_checks=True)
    )
    _replica["OPTIONS"] = {**_default["OPTIONS"], **_replica.get("OPTIONS", {})}
    # Tests run against the primary's test database; there is no second one to create.
    _replica["TEST"] = {"MIRROR": "default"}
    DATABASES["replica"] = _replica
# Retrieval reads go to the replica when there is one (support.core.replica); a no-op without it.
DATABASE_ROUTERS = ["support.core.replica.ReplicaRouter"]
