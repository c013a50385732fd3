"""A precedent's vector is of the model named beside it, whatever its size: the column becomes untyped
(`vector`), so the sweep can store vectors of a new embedding model of another size than 384."""

import pgvector.django.vector
from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("console", "0004_suggestion_precedents_language_sent_flags"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticketvector",
            name="embedding",
            field=pgvector.django.vector.VectorField(),
        ),
    ]
