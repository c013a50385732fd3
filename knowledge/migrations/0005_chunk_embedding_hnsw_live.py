"""The HNSW index again, over live chunks only: evaluation collections are searched exactly."""

import pgvector.django.indexes
from django.contrib.postgres.operations import AddIndexConcurrently
from django.db import migrations, models


class Migration(migrations.Migration):
    # Built concurrently so that a large chunk table stays writable while the index builds.
    atomic = False

    dependencies = [
        ("knowledge", "0004_chunk_collection"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="chunk",
            index=pgvector.django.indexes.HnswIndex(
                condition=models.Q(("collection", "live")),
                ef_construction=64,
                fields=["embedding"],
                m=16,
                name="chunk_embedding_hnsw",
                opclasses=["vector_cosine_ops"],
            ),
        ),
    ]
