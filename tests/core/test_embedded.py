"""The embedded services and the pgvector requirement."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest
from django.conf import settings
from django.db import connection

from support import embedded
from support.conf.celery import broker_url

ROOT = Path(__file__).resolve().parents[2]
SYSTEM_PG = os.environ.get("OPENBOOK_PLAIN_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/postgres")


@pytest.mark.django_db
def test_database_has_pgvector_enabled_by_the_first_migration():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
        assert cursor.fetchone()[0] >= "0.6"
        cursor.execute("SELECT '[1,2,3]'::vector <=> '[1,2,4]'::vector")
        assert 0 < cursor.fetchone()[0] < 0.01


def test_unix_socket_redis_url_becomes_a_kombu_socket_url():
    assert broker_url("unix:///srv/redis.sock?db=3") == "redis+socket:///srv/redis.sock?virtual_host=3"
    assert broker_url("redis://h:6379/2") == "redis://h:6379/2"


def _plain_postgres_available() -> bool:
    try:
        with psycopg.connect(SYSTEM_PG, connect_timeout=3, autocommit=True) as conn:
            row = conn.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'").fetchone()
            return row is None
    except psycopg.Error:
        return False


@pytest.mark.skipif(not _plain_postgres_available(), reason="no Postgres without pgvector on this machine")
def test_migrating_a_server_without_pgvector_fails_with_a_clear_message():
    name = f"openbook_nopgv_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(SYSTEM_PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = SYSTEM_PG.rsplit("/", 1)[0] + f"/{name}"
        environ = {
            **os.environ,
            "DATABASE_URL": url,
            "DEBUG": "true",
            "DJANGO_SETTINGS_MODULE": "support.conf.settings",
        }
        result = subprocess.run(
            [sys.executable, "manage.py", "migrate"],
            cwd=ROOT,
            env=environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode != 0
        assert "does not have the pgvector extension installed" in result.stderr
    finally:
        with psycopg.connect(SYSTEM_PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_embedded_data_lives_under_the_data_folder():
    if os.environ.get("DATABASE_URL"):
        pytest.skip("external database configured")
    assert str(settings.DATA_DIR / "pg") in settings.DATABASES["default"]["HOST"]


@pytest.mark.django_db
def test_embedded_postgres_gets_shared_buffers_for_the_vector_index():
    if os.environ.get("DATABASE_URL"):
        pytest.skip("a configured server keeps its own settings")
    assert 128 <= embedded.shared_buffers_mb() <= 1024
    with connection.cursor() as cursor:
        cursor.execute("SELECT setting::int * 8 / 1024 FROM pg_settings WHERE name = 'shared_buffers'")
        assert cursor.fetchone()[0] == embedded.shared_buffers_mb()
