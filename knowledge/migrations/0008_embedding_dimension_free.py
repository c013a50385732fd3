"""Embedding vectors of any size.

The embedding cache holds the vectors of several models, so its column becomes untyped (`vector`). The chunks'
column stays typed (the HNSW index needs a dimension) but leaves Django's state: its dimension follows the
model search serves, and a model switch to a model of another size retypes it (`knowledge.vector_column`).
So this migration changes the state only for it, and `migrate` never touches a column retyped to 768."""

import pgvector.django.vector
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0007_version_warnings"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="chunk",
                    name="embedding",
                    field=pgvector.django.vector.VectorField(blank=True, null=True),
                ),
            ],
            database_operations=[],
        ),
        migrations.AlterField(
            model_name="embeddingcache",
            name="embedding",
            field=pgvector.django.vector.VectorField(),
        ),
    ]
