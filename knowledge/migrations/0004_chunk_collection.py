"""Chunks carry their document's collection, and the full-text index is split into live and the rest.

The old indexes are dropped before the collection is copied onto every chunk, so the copy does not update
them row by row; the vector index comes back, over live chunks only, in the next migration."""

import django.contrib.postgres.indexes
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0003_keyword_stats"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="chunk", name="chunk_embedding_hnsw"),
        migrations.RemoveIndex(model_name="chunk", name="chunk_search_vector_gin"),
        migrations.AddField(
            model_name="chunk",
            name="collection",
            field=models.CharField(
                default="live",
                help_text="The document's collection, copied here so the search indexes can be split by it.",
                max_length=80,
            ),
            preserve_default=False,
        ),
        migrations.RunSQL(
            "UPDATE knowledge_chunk AS c SET collection = d.collection FROM knowledge_document AS d "
            "WHERE d.id = c.document_id AND c.collection <> d.collection",
            migrations.RunSQL.noop,
        ),
        migrations.AddIndex(
            model_name="chunk",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("collection", "live")),
                fastupdate=False,
                fields=["search_vector"],
                name="chunk_search_live_gin",
            ),
        ),
        migrations.AddIndex(
            model_name="chunk",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("collection", "live"), _negated=True),
                fields=["search_vector"],
                name="chunk_search_other_gin",
            ),
        ),
    ]
