"""The chunks' vector column, whose dimension follows the embedding model search serves.

The HNSW index needs a typed column (`vector(N)`), so `knowledge_chunk.embedding` keeps one: the migrations
create `vector(384)`, right for the default model, and a model switch to a model of another size retypes it
and rebuilds the index in its final transaction (`column_resize`, `hnsw_build`). Django's model state leaves
the dimension out, so `migrate` never touches the column, whatever size it has now. The embedding cache and
the precedents' vectors hold several models' vectors and are untyped."""

from __future__ import annotations

from collections.abc import Iterable, Sized
from typing import Any

from django.db import connection
from django.db.models import Index

from .models import Chunk

HNSW_INDEX = "chunk_embedding_hnsw"

_TABLE = Chunk._meta.db_table
_COLUMN = Chunk._meta.get_field("embedding").column

# pgvector keeps a column's dimension as its type modifier (-1 when untyped). Naming the table (in a clause
# that reads no row) takes its share lock to the end of the transaction, so a switch cannot retype the column
# between this read and the statements after it. Search reads it in a statement it sends anyway
# (`retrieval._search_settings`).
COLUMN_DIMENSION_SQL = (
    f"SELECT NULLIF(atttypmod, -1) FROM pg_attribute "  # noqa: S608
    f"WHERE attrelid = '{_TABLE}'::regclass AND attname = '{_COLUMN}' "
    f'AND NOT EXISTS (SELECT FROM "{_TABLE}" WHERE false)'
)


class VectorDimensionMismatch(ValueError):
    """Vectors of another size than the chunks' vector column holds: written, they would fail (or worse, be
    compared with vectors of another model), so they are refused with this."""

    def __init__(self, *, dimension: int, column: int | None, model: str = "") -> None:
        self.dimension = dimension
        self.column = column
        self.model = model
        source = f"The embedding model {model!r} gives" if model else "Got"
        super().__init__(
            f"{source} vectors of {dimension} dimensions, but the chunks' vector column holds {column}. "
            "Change models by setting EMBEDDING_MODEL: the model switch re-embeds the library and "
            "retypes the column."
        )


def column_dimension(cursor: Any | None = None) -> int | None:
    """The dimension `knowledge_chunk.embedding` is typed with now (None if untyped). With `cursor`, read
    on its connection (the read replica's, in a search)."""
    if cursor is None:
        with connection.cursor() as own:
            return column_dimension(own)
    cursor.execute(COLUMN_DIMENSION_SQL)
    row = cursor.fetchone()
    return int(row[0]) if row and row[0] is not None else None


def vectors_check(vectors: Iterable[Sized], *, column: int | None, model: str = "") -> None:
    """Raise VectorDimensionMismatch unless every vector has the column's dimension."""
    for vector in vectors:
        if len(vector) != column:
            raise VectorDimensionMismatch(dimension=len(vector), column=column, model=model)


def hnsw_index() -> Index:
    """The HNSW index as the model's Meta declares it (name, m, ef_construction, opclass, condition)."""
    return next(index for index in Chunk._meta.indexes if index.name == HNSW_INDEX)


def hnsw_build(cursor: Any) -> None:
    """Build the vector index exactly as the model declares it (and the migrations build it)."""
    cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
    with connection.schema_editor(atomic=False) as editor:
        editor.add_index(Chunk, hnsw_index())


def column_resize(cursor: Any, dimension: int) -> None:
    """Retype the column to `vector(dimension)`, every stored vector dropped, and drop the HNSW index (which
    cannot follow a change of type); `hnsw_build` rebuilds it once the column holds the new vectors. Only
    inside a transaction: the table is locked against reads and writes until it ends."""
    # Deferred foreign key checks pending on the table would make ALTER TABLE refuse.
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute(f'DROP INDEX IF EXISTS "{HNSW_INDEX}"')
    cursor.execute(
        f'ALTER TABLE "{_TABLE}" ALTER COLUMN "{_COLUMN}" TYPE vector({int(dimension)}) USING NULL'
    )
