"""The benchmark database: created next to the configured one when missing, then migrated."""

from __future__ import annotations

from typing import Any

from .report import say


def database_prepare() -> None:
    """Create the benchmark database next to the configured one when missing, set Django up, migrate."""
    import django
    from django.conf import settings
    from django.core.management import call_command

    name = settings.DATABASES["default"]["NAME"]
    _database_create(
        settings.DATABASES["default"], getattr(settings, "BENCH_SERVER_DATABASE", "postgres"), name
    )
    django.setup()
    say(f"benchmark database: {name}")
    call_command("migrate", interactive=False, verbosity=0)


def _database_create(database: dict[str, Any], server_database: str, name: str) -> None:
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    params: dict[str, Any] = {
        "dbname": server_database,
        "user": database.get("USER") or None,
        "password": database.get("PASSWORD") or None,
        "host": database.get("HOST") or None,
        "port": database.get("PORT") or None,
        "connect_timeout": 10,
    }
    conninfo = make_conninfo("", **{k: v for k, v in params.items() if v is not None})
    with psycopg.connect(conninfo, autocommit=True) as admin:
        if admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        say(f"creating the benchmark database {name}")
        try:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        except psycopg.errors.InsufficientPrivilege as exc:
            raise SystemExit(
                f"Cannot create the benchmark database {name!r} on this server ({exc}). Create it (with the "
                "vector extension) yourself, or set BENCH_DATABASE to a database you may use."
            ) from None
