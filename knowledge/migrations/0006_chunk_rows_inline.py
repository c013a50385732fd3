"""Keep a chunk's row whole in the table, embedding included.

A chunk row (text, full-text vector and a 1.5 kB embedding) is usually a little over 2 kB, the size at which
Postgres starts moving values out to the TOAST table, and the embedding, the largest value, went first. Then
every distance computed on the heap (the exact scans, the re-scoring of candidates) fetched it from there,
which cost more than the distance itself. With a target of half a page, rows up to about 4 kB stay whole.
Rows already stored are rewritten so that their embeddings come back inline."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0005_chunk_embedding_hnsw_live"),
    ]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE knowledge_chunk SET (toast_tuple_target = 4080)",
            reverse_sql="ALTER TABLE knowledge_chunk RESET (toast_tuple_target)",
        ),
        # A new value (not the stored pointer) so the row is written again under the new target.
        migrations.RunSQL(
            "UPDATE knowledge_chunk SET embedding = embedding::real[]::vector WHERE embedding IS NOT NULL",
            reverse_sql=migrations.RunSQL.noop,
        ),
    ]
