"""Each chunk is analysed for keyword search in its document's language.

Chunks get the text-search configuration of their document's language (`text_config`, a regconfig so the
generated column stays immutable) and the character pairs of their Chinese and Japanese runs
(`cjk_bigrams`, a line each for title, heading and text, weighted as their words are); `search_vector` is
rebuilt on both. Postgres cannot change a generated column's expression,
so it is dropped with its two full-text indexes and added again; existing chunks are filled in first, so the
new column is computed once, in the right language. Documents remember whether their language was detected.

The language -> configuration table is a copy of `knowledge.languages.TEXT_CONFIGS` as of this migration, so
that later changes there do not change what this migration does."""

import re

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

import knowledge.models

TEXT_CONFIGS = {
    "ar": "arabic",
    "ca": "catalan",
    "da": "danish",
    "de": "german",
    "el": "greek",
    "en": "english",
    "es": "spanish",
    "eu": "basque",
    "fi": "finnish",
    "fr": "french",
    "ga": "irish",
    "hi": "hindi",
    "hu": "hungarian",
    "hy": "armenian",
    "id": "indonesian",
    "it": "italian",
    "lt": "lithuanian",
    "nb": "norwegian",
    "ne": "nepali",
    "nl": "dutch",
    "nn": "norwegian",
    "no": "norwegian",
    "pt": "portuguese",
    "ro": "romanian",
    "ru": "russian",
    "sr": "serbian",
    "sv": "swedish",
    "ta": "tamil",
    "tr": "turkish",
    "yi": "yiddish",
}
CJK_CLASS = "\u3040-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f\uac00-\ud7af"
BATCH = 2000


def _configs_fill(apps, schema_editor):
    """Every chunk gets the configuration of its document's language; a configuration this server lacks
    (an older Postgres) falls back to `simple`."""
    cases = " ".join(f"WHEN '{code}' THEN '{config}'" for code, config in TEXT_CONFIGS.items())
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH wanted AS (
                SELECT d.id, CASE lower(split_part(replace(d.language, '_', '-'), '-', 1)) {cases}
                       ELSE 'simple' END AS name
                FROM knowledge_document d
            )
            UPDATE knowledge_chunk c
            SET text_config = coalesce(
                (
                    SELECT t.oid::regconfig FROM pg_ts_config t
                    WHERE t.cfgname = w.name AND t.cfgnamespace = 'pg_catalog'::regnamespace
                ),
                'simple'::regconfig
            )
            FROM wanted w
            WHERE w.id = c.document_id AND w.name <> 'english'
            """  # noqa: S608 - only the constant table above is formatted in
        )


def _bigrams(text):
    terms = []
    for run in re.findall(f"[{CJK_CLASS}]+", text or ""):
        terms.extend([run] if len(run) == 1 else [run[i : i + 2] for i in range(len(run) - 1)])
    return " ".join(terms)


def _bigram_lines(title, heading, text):
    lines = [_bigrams(part) for part in (title, heading, text)]
    return "\n".join(lines) if any(lines) else ""


def _cjk_line(number):
    return models.Func(
        models.F("cjk_bigrams"),
        models.Value("\n"),
        models.Value(number),
        function="split_part",
        output_field=models.TextField(),
    )


def _bigrams_fill(apps, schema_editor):
    """The character pairs of the chunks that hold Chinese, Japanese or Korean text (few, usually none)."""
    pattern = f"[{CJK_CLASS}]"
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, title, heading, text FROM knowledge_chunk "
            "WHERE title ~ %s OR heading ~ %s OR text ~ %s ORDER BY id",
            [pattern, pattern, pattern],
        )
        rows = [(_bigram_lines(*parts), chunk_id) for chunk_id, *parts in cursor.fetchall()]
        for start in range(0, len(rows), BATCH):
            cursor.executemany(
                "UPDATE knowledge_chunk SET cjk_bigrams = %s WHERE id = %s", rows[start : start + BATCH]
            )


class Migration(migrations.Migration):
    dependencies = [
        ("knowledge", "0009_retriever"),
    ]

    operations = [
        migrations.AlterField(
            model_name="document",
            name="language",
            field=models.CharField(
                default="en",
                help_text="A language tag (en, de, pt-BR): as given, or detected from the text when none was.",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="document",
            name="language_detected",
            field=models.BooleanField(
                default=False,
                help_text="The language was detected from the text, not given: a new version's text is "
                "detected again.",
            ),
        ),
        migrations.AddField(
            model_name="chunk",
            name="text_config",
            field=knowledge.models.RegConfigField(
                db_default="english",
                default="english",
                help_text="The text-search configuration of the document's language (`languages.text_config`).",
                max_length=63,
            ),
        ),
        migrations.AddField(
            model_name="chunk",
            name="cjk_bigrams",
            field=models.TextField(
                blank=True,
                db_default="",
                default="",
                help_text="The CJK runs of title, heading and text as character pairs, one line each "
                "(`languages.cjk_bigram_lines`).",
            ),
        ),
        migrations.RunPython(_configs_fill, migrations.RunPython.noop),
        migrations.RunPython(_bigrams_fill, migrations.RunPython.noop),
        migrations.RemoveIndex(model_name="chunk", name="chunk_search_live_gin"),
        migrations.RemoveIndex(model_name="chunk", name="chunk_search_other_gin"),
        migrations.RemoveField(model_name="chunk", name="search_vector"),
        migrations.AddField(
            model_name="chunk",
            name="search_vector",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.contrib.postgres.search.SearchVector(
                    "title", config=models.F("text_config"), weight="A"
                )
                + django.contrib.postgres.search.SearchVector(
                    "heading", config=models.F("text_config"), weight="B"
                )
                + django.contrib.postgres.search.SearchVector(
                    "text", config=models.F("text_config"), weight="C"
                )
                + django.contrib.postgres.search.SearchVector(_cjk_line(1), config="simple", weight="A")
                + django.contrib.postgres.search.SearchVector(_cjk_line(2), config="simple", weight="B")
                + django.contrib.postgres.search.SearchVector(_cjk_line(3), config="simple", weight="C"),
                output_field=django.contrib.postgres.search.SearchVectorField(),
            ),
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
