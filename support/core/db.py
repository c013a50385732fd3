"""Database helpers: for migrations, and for reading whole model rows with plain statements on hot paths
(where building the statement with the ORM costs more than running it)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

from django.db import connection
from django.db.migrations.operations.base import Operation
from django.db.models import Field, Model

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


def model_columns(model: type[Model], alias: str = "") -> str:
    """The model's columns, in field order, for a SELECT or RETURNING list read by `model_from_row`."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + connection.ops.quote_name(str(f.column)) for f in model._meta.concrete_fields)


def model_from_row(model: type[Model], row: Sequence[Any]) -> Any:
    """An instance of `model` from a row whose first values are its columns (`model_columns`), converted as
    the ORM converts them (JSON decoded, and so on)."""
    fields = model._meta.concrete_fields
    values = [
        field.from_db_value(value, None, connection) if hasattr(field, "from_db_value") else value
        for field, value in zip(fields, row, strict=False)
    ]
    return model.from_db(connection.alias, [f.attname for f in fields], values)


def fields_update(instance: Model, names: Sequence[str]) -> None:
    """`instance.save(update_fields=names)` as one plain statement (no signals, no `pre_save` hooks: for
    fields set explicitly)."""
    meta = instance._meta
    fields = [cast(Field, meta.get_field(name)) for name in names]
    assignments = ", ".join(f"{connection.ops.quote_name(str(field.column))} = %s" for field in fields)
    params = [field.get_db_prep_save(getattr(instance, field.attname), connection) for field in fields]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {meta.db_table} SET {assignments} WHERE {meta.pk.column} = %s",  # noqa: S608
            [*params, instance.pk],
        )
