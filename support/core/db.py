"""Database helpers shared by migrations."""

from __future__ import annotations

from typing import Any

from django.db.migrations.operations.base import Operation

PGVECTOR_MISSING = (
    "The Postgres server at DATABASE_URL does not have the pgvector extension installed, and Openbook "
    "stores embeddings in pgvector columns. Install pgvector 0.6 or newer on that server "
    "(https://github.com/pgvector/pgvector#installation), or unset DATABASE_URL to use the embedded Postgres."
)


class PgvectorMissing(RuntimeError):
    pass


class RequirePgvector(Operation):
    """Stop a migration with a clear message when the server cannot provide the `vector` extension."""

    reversible = True
    reduces_to_sql = False

    def state_forwards(self, app_label: str, state: Any) -> None:
        pass

    def database_forwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        with schema_editor.connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'")
            if cursor.fetchone() is None:
                raise PgvectorMissing(PGVECTOR_MISSING)

    def database_backwards(self, app_label: str, schema_editor: Any, from_state: Any, to_state: Any) -> None:
        pass

    def describe(self) -> str:
        return "Check that the pgvector extension is available"
