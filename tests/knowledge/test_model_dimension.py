"""Embedding models of another size than the stock 384: a switch retypes the chunks' vector column and
rebuilds its HNSW index in its final step, search keeps serving the old vectors until then, and vectors
that do not fit the column are refused. The other model is a tiny one built here (random weights, a
word-piece vocabulary trained on a few sentences): it ranks badly, which does not matter to the plumbing
under test."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction

from knowledge import api, embedding, indexing, model_switch, vector_column
from knowledge.contracts import RetrievalScope
from knowledge.models import Chunk, DocumentVersion, EmbeddingCache
from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)

STOCK = embedding.DEFAULT_MODEL
STOCK_DIMENSIONS = 384
TINY_DIMENSIONS = 48
SCOPE = RetrievalScope(language="en")

CORPUS = [
    "Monthly plans are refunded in full within fourteen days of the charge.",
    "Annual plans get back the unused whole months when cancelled early.",
    "Parcels leave the warehouse within two working days of the order.",
    "Reset two-factor authentication after we verify who owns the account.",
    "Invoices are sent by email on the first day of every month.",
]
LIBRARY = {
    "Refunds": "# Refunds\n\n## Monthly\n\n" + CORPUS[0] + "\n\n## Annual\n\n" + CORPUS[1],
    "Shipping": "# Shipping\n\n## Dispatch\n\n" + CORPUS[2],
    "Security": "# Security\n\n## Two-factor\n\n" + CORPUS[3],
}


def _tiny_model(folder: Path, *, hidden: int = TINY_DIMENSIONS) -> str:
    """Save a one-layer BERT with random weights and mean pooling as a sentence-transformers model; its
    vectors have `hidden` dimensions."""
    import torch
    from sentence_transformers import SentenceTransformer
    from sentence_transformers.sentence_transformer.modules import Pooling, Transformer
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
    from transformers import BertConfig, BertModel, PreTrainedTokenizerFast

    special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
    raw = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    raw.normalizer = normalizers.BertNormalizer(lowercase=True)
    raw.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    raw.train_from_iterator(CORPUS, trainers.WordPieceTrainer(vocab_size=400, special_tokens=special))
    raw.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]",
        pair="[CLS] $A [SEP] $B:1 [SEP]:1",
        special_tokens=[("[CLS]", raw.token_to_id("[CLS]")), ("[SEP]", raw.token_to_id("[SEP]"))],
    )
    raw.decoder = decoders.WordPiece()
    tokenizer = PreTrainedTokenizerFast(
        tokenizer_object=raw,
        unk_token="[UNK]",
        pad_token="[PAD]",
        cls_token="[CLS]",
        sep_token="[SEP]",
        mask_token="[MASK]",
        model_max_length=128,
    )
    base = folder / "bert"
    tokenizer.save_pretrained(base)
    torch.manual_seed(0)
    config = BertConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden,
        num_hidden_layers=1,
        num_attention_heads=2,
        intermediate_size=hidden * 2,
        max_position_embeddings=128,
    )
    BertModel(config).save_pretrained(base)
    model = SentenceTransformer(
        modules=[Transformer(str(base), max_seq_length=128), Pooling(hidden, "mean")], device="cpu"
    )
    path = folder / "model"
    model.save(str(path))
    return str(path)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    return _tiny_model(tmp_path_factory.mktemp("tiny-embedder"))


@pytest.fixture(autouse=True)
def _stock_column() -> Any:
    """Whatever a test leaves, the next one finds the column as the migrations make it."""
    yield
    with transaction.atomic(), connection.cursor() as cursor:
        if vector_column.column_dimension(cursor) != STOCK_DIMENSIONS:
            vector_column.column_resize(cursor, STOCK_DIMENSIONS)
            vector_column.hnsw_build(cursor)


def _hnsw_definition() -> str | None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s", [vector_column.HNSW_INDEX])
        row = cursor.fetchone()
    return row[0] if row else None


def _library() -> None:
    for title, text in LIBRARY.items():
        factories.indexed_document(title=title, text=text)


def _search(text: str, **options: Any) -> api.Retrieval:
    with api.local_query_embedding():
        return api.retrieve_with_status(text, scope=SCOPE, k=5, **options)


def _assert_vector_search_works(expected_model: str, dimensions: int) -> None:
    assert indexing.active_model() == expected_model
    assert vector_column.column_dimension() == dimensions
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {expected_model}
    assert not Chunk.objects.filter(dirty=True).exists()
    found = _search("refund of a monthly plan")
    assert found.vector_search == "used"
    assert len(found.vector or ()) == dimensions
    assert any(chunk.vector_rank is not None for chunk in found.chunks)


def test_a_switch_to_a_model_of_another_size_retypes_the_column_and_back(tiny_model, settings, monkeypatch):
    _library()
    index = _hnsw_definition()
    assert index is not None
    assert "WHERE" in index
    assert "vector_cosine_ops" in index
    old_query = _search("refund of a monthly plan")
    assert old_query.vector_search == "used"
    assert old_query.vector is not None
    assert len(old_query.vector) == STOCK_DIMENSIONS

    # While the library is re-embedded into the tiny model, search serves the stock vectors.
    during: list[tuple[str, int | None, str, bool]] = []
    real = embedding.embed

    def watched(texts: list[str], *, model: str | None = None, batch_size: int | None = None) -> Any:
        if model == tiny_model and not during:
            found = _search("refund of a monthly plan")
            ranked = any(chunk.vector_rank is not None for chunk in found.chunks)
            during.append(
                (indexing.active_model(), vector_column.column_dimension(), found.vector_search, ranked)
            )
        return real(texts, model=model, batch_size=batch_size)

    monkeypatch.setattr(embedding, "embed", watched)
    settings.EMBEDDING_MODEL = tiny_model
    assert model_switch.embedding_model_switch(model=tiny_model) == Chunk.objects.count()
    assert during == [(STOCK, STOCK_DIMENSIONS, "used", True)]

    _assert_vector_search_works(tiny_model, TINY_DIMENSIONS)
    assert _hnsw_definition() == index  # the same partial index, over vector(48) now
    assert api.embedding_dimension() == TINY_DIMENSIONS
    # The cache keeps both models' vectors in its untyped column.
    with connection.cursor() as cursor:
        cursor.execute("SELECT DISTINCT vector_dims(embedding) FROM knowledge_embeddingcache")
        assert {row[0] for row in cursor.fetchall()} == {STOCK_DIMENSIONS, TINY_DIMENSIONS}

    # A query vector of the old model (embedded just before the swap) ranks by keywords, never fails.
    stale = _search("refund of a monthly plan", vector=old_query.vector)
    assert stale.vector_search == "unavailable"
    assert stale.vector is None
    assert "keyword" in stale.notice
    assert stale.chunks
    assert all(chunk.vector_rank is None for chunk in stale.chunks)

    # Back to the stock model: its vectors are still cached, so nothing is embedded again.
    settings.EMBEDDING_MODEL = STOCK
    assert model_switch.embedding_model_switch(model=STOCK) == 0
    _assert_vector_search_works(STOCK, STOCK_DIMENSIONS)
    assert _hnsw_definition() == index


def test_vectors_of_another_size_than_the_column_are_refused(monkeypatch):
    _library()
    document = factories.indexed_document(title="Invoices", text="# Invoices\n\n" + CORPUS[4])
    version = document.versions.get()
    Chunk.objects.filter(version=version).update(dirty=True, embedding=None)
    EmbeddingCache.objects.filter(content_hash__in=version.chunks.values("content_hash")).delete()
    monkeypatch.setattr(embedding, "embed", lambda texts, **_: [[1.0] + [0.0] * 47 for _ in texts])

    # The library has vectors: the column keeps its size, and the wrong-sized ones are written nowhere.
    with pytest.raises(vector_column.VectorDimensionMismatch, match=r"48 dimensions.*holds 384"):
        indexing.chunks_embed_batch(version_id=version.pk)
    assert Chunk.objects.filter(version=version, dirty=True, embedding__isnull=True).count() == 1
    assert not EmbeddingCache.objects.filter(content_hash__in=version.chunks.values("content_hash")).exists()
    assert vector_column.column_dimension() == STOCK_DIMENSIONS


def test_a_fresh_install_configured_with_another_size_fits_the_column_to_it(tiny_model, settings):
    settings.EMBEDDING_MODEL = tiny_model
    document = factories.indexed_document(title="Refunds", text=LIBRARY["Refunds"])
    assert document.versions.get().state == DocumentVersion.State.ACTIVE
    assert vector_column.column_dimension() == TINY_DIMENSIONS
    assert _hnsw_definition() is not None
    _assert_vector_search_works(tiny_model, TINY_DIMENSIONS)


def test_the_migrations_leave_the_chunk_column_alone_and_untype_the_others():
    # `migrate` on a database whose column a switch retyped must not change it back.
    migration = next((Path(api.__file__).parent / "migrations").glob("*_embedding_dimension_free.py")).stem
    out = io.StringIO()
    call_command("sqlmigrate", "knowledge", migration, stdout=out)
    assert "knowledge_chunk" not in out.getvalue()
    assert "knowledge_embeddingcache" in out.getvalue()
    call_command("makemigrations", "--check", "--dry-run", stdout=io.StringIO())
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT attrelid::regclass::text, atttypmod FROM pg_attribute WHERE attname = 'embedding' "
            "AND attrelid IN ('knowledge_chunk'::regclass, 'knowledge_embeddingcache'::regclass, "
            "'console_ticketvector'::regclass)"
        )
        assert dict(cursor.fetchall()) == {
            "knowledge_chunk": STOCK_DIMENSIONS,
            "knowledge_embeddingcache": -1,
            "console_ticketvector": -1,
        }
        # Only the chunks' column is indexed by HNSW (the untyped ones could not be).
        cursor.execute("SELECT tablename FROM pg_indexes WHERE indexdef ILIKE '%% USING hnsw %%'")
        assert {row[0] for row in cursor.fetchall()} == {"knowledge_chunk"}


def test_a_bulk_load_refuses_vectors_of_another_size_and_keeps_the_index():
    from knowledge.contracts import LibraryChunk, LibraryDocument

    documents = [
        LibraryDocument(title="Shipping", slug="shipping", chunks=(LibraryChunk("Dispatch", CORPUS[2]),))
    ]
    with pytest.raises(vector_column.VectorDimensionMismatch, match=r"48 dimensions.*holds 384"):
        api.library_bulk_load(source="bench:sizes", documents=documents, vectors=[[1.0] + [0.0] * 47])
    assert not Chunk.objects.exists()
    assert _hnsw_definition() is not None  # dropped in the load's transaction, which rolled back
    api.library_bulk_load(source="bench:sizes", documents=documents, vectors=[[1.0] + [0.0] * 383])
    assert api.library_complete(source="bench:sizes", documents=1, chunks=1)
    assert _hnsw_definition() is not None
