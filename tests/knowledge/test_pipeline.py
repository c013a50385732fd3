"""Indexing end to end: a new version is chunked at once, embedded by a real worker on the `embeddings`
queue, and activated only when complete; unchanged text is never embedded twice."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, transaction

from knowledge import indexing, keyword_stats, model_switch, services
from knowledge.models import Chunk, DocumentVersion, EmbeddingCache, KeywordCorpus, KeywordStat

pytestmark = pytest.mark.django_db(transaction=True)

SECTIONS = [
    ("Refund windows", "Monthly subscriptions are refundable in full within 14 days of the charge."),
    ("Annual plans", "Annual subscriptions get a pro-rated refund of unused whole months within 30 days."),
    ("How refunds are paid", "Refunds go back to the original payment method in 5 to 10 business days."),
]


def _text(sections=SECTIONS, extra: str = "") -> str:
    body = "\n\n".join(f"## {h}\n\n{p}" for h, p in sections)
    return f"# Refunds\n\n{body}{extra}"


def _wait_active(version: DocumentVersion, timeout: float = 60) -> DocumentVersion:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        version.refresh_from_db()
        if version.state in (DocumentVersion.State.ACTIVE, DocumentVersion.State.FAILED):
            return version
        time.sleep(0.2)
    raise AssertionError(f"version stayed {version.state}")


def test_new_document_is_embedded_by_the_worker_and_activated(celery_worker):
    document = services.document_create(title="Refund policy", text=_text(), status="published")
    version = document.versions.get()
    assert version.chunks_total == 3
    document.refresh_from_db()
    assert document.active_version is None  # nothing searchable before every chunk has a vector
    version = _wait_active(version)
    assert version.state == "active"
    assert version.chunks_embedded == version.chunks_total == 3
    document.refresh_from_db()
    assert document.active_version_id == version.pk
    assert not Chunk.objects.filter(version=version, dirty=True).exists()
    assert EmbeddingCache.objects.count() == 3
    # Going live queues a recount of the keyword statistics, which the worker runs a few seconds later.
    deadline = time.monotonic() + 30
    while not KeywordCorpus.objects.filter(collection="live", chunks=3).exists():
        assert time.monotonic() < deadline, "keyword statistics were not recounted"
        time.sleep(0.3)
    assert KeywordStat.objects.get(collection="live", lexeme="refund").df == 3


def test_editing_one_paragraph_embeds_only_the_changed_chunk(celery_worker):
    document = services.document_create(title="Refund policy", text=_text(), status="published")
    _wait_active(document.versions.get())
    cached = EmbeddingCache.objects.count()
    edited = [*SECTIONS[:1], (SECTIONS[1][0], SECTIONS[1][1].replace("30 days", "45 days")), *SECTIONS[2:]]
    version = services.version_create(document=document, text=_text(edited), note="longer window")
    assert Chunk.objects.filter(version=version, dirty=True).count() == 1
    _wait_active(version)
    assert EmbeddingCache.objects.count() - cached == 1
    document.refresh_from_db()
    assert document.active_version_id == version.pk
    assert DocumentVersion.objects.get(document=document, number=1).state == "superseded"


def test_identical_text_in_another_document_is_not_embedded_again(celery_worker):
    first = services.document_create(title="Refund policy", text=_text(), status="published")
    _wait_active(first.versions.get())
    cached = EmbeddingCache.objects.count()
    twin = services.document_create(title="Refund policy", text=_text(), status="published", slug="copy")
    version = twin.versions.get()
    # Every chunk came from the cache: the version is active without any worker.
    assert version.state == "active"
    assert EmbeddingCache.objects.count() == cached


def test_saving_the_same_text_again_stores_no_new_version():
    document = services.document_create(title="Refund policy", text=_text(), embed_async=False)
    again = services.version_create(document=document, text=_text())
    assert again.number == 1
    assert document.versions.count() == 1


def test_a_killed_batch_leaves_chunks_dirty_and_the_next_run_completes_without_duplicates():
    document = services.document_create(title="Refund policy", text=_text(), embed_async=False)
    version = document.versions.get()
    from knowledge import embedding

    original = embedding.embed

    def dying(*args, **kwargs):
        raise SystemExit("worker killed")

    embedding.embed = dying
    try:
        with pytest.raises(SystemExit):
            indexing.chunks_embed_batch(version_id=version.pk)
    finally:
        embedding.embed = original
    assert Chunk.objects.filter(version=version, dirty=True).count() == 3
    assert EmbeddingCache.objects.count() == 0
    assert indexing.version_embed(version_id=version.pk) is True
    assert EmbeddingCache.objects.count() == 3
    assert Chunk.objects.filter(version=version).count() == 3
    version.refresh_from_db()
    assert (version.state, version.chunks_embedded) == ("active", 3)


def test_small_versions_are_embedded_together_and_all_activated(monkeypatch):
    versions = [
        services.document_create(
            title=f"FAQ {i}", text=f"# FAQ {i}\n\nAnswer number {i}.", slug=f"faq-{i}", embed_async=False
        ).versions.get()
        for i in range(3)
    ]
    from knowledge import embedding

    calls: list[int] = []
    real = embedding.embed

    def counting(texts, **kwargs):
        calls.append(len(texts))
        return real(texts, **kwargs)

    monkeypatch.setattr(embedding, "embed", counting)
    assert indexing.version_embed(version_id=versions[1].pk) is True
    assert calls == [3]  # one batch: this version's chunk first, topped up with the other two
    assert [v.state for v in DocumentVersion.objects.order_by("pk")] == ["active"] * 3
    assert indexing.version_embed(version_id=versions[0].pk) is False  # already active, nothing embedded
    assert calls == [3]


def test_a_version_with_nothing_left_to_embed_claims_nothing_of_others():
    done = services.document_create(title="One", text="# One\n\nFirst text.", embed_async=False)
    indexing.version_embed(version_id=done.versions.get().pk)
    waiting = services.document_create(
        title="Two", text="# Two\n\nSecond text.", slug="two", embed_async=False
    )
    assert indexing.chunks_embed_batch(version_id=done.versions.get().pk) == 0
    assert Chunk.objects.get(document=waiting).dirty is True


def test_sweep_finds_versions_left_behind():
    document = services.document_create(title="Refund policy", text=_text(), embed_async=False)
    version = document.versions.get()
    assert indexing.versions_pending() == [version.pk]
    indexing.version_embed(version_id=version.pk)
    assert indexing.versions_pending() == []
    # Keyword statistics older than the latest activation are stale until recounted.
    assert keyword_stats.keyword_stats_stale() == ["live"]
    keyword_stats.keyword_stats_refresh(collection="live")
    assert keyword_stats.keyword_stats_stale() == []


def test_model_switch_serves_old_vectors_until_every_chunk_has_a_new_one(monkeypatch):
    document = services.document_create(title="Refund policy", text=_text(), embed_async=False)
    indexing.version_embed(version_id=document.versions.get().pk)
    old_model = indexing.active_model()
    from knowledge import embedding

    seen: list[str | None] = []
    real = embedding.embed

    def fake_model(texts, *, model=None, batch_size=None):
        seen.append(indexing.active_model())  # search still serves the old model while this runs
        return [[-x for x in v] for v in real(texts, model=old_model)]

    monkeypatch.setattr(embedding, "embed", fake_model)
    progress: list[tuple[int, int]] = []
    assert (
        model_switch.embedding_model_switch(
            model="negated-test-model", progress=lambda d, t: progress.append((d, t))
        )
        == 3
    )
    assert seen == [old_model]
    assert progress[-1] == (3, 3)
    assert indexing.active_model() == "negated-test-model"
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {"negated-test-model"}
    assert not Chunk.objects.filter(dirty=True).exists()


def test_a_second_model_switch_while_one_runs_embeds_nothing_and_progress_stays_within_the_total(
    monkeypatch,
):
    """The sweep queues a switch every minute while one runs, and a killed worker's switch comes back:
    only one may work at a time, or every text is embedded twice and the progress passes its total."""
    document = services.document_create(title="Refund policy", text=_text(), embed_async=False)
    indexing.version_embed(version_id=document.versions.get().pk)
    old_model = indexing.active_model()
    from knowledge import embedding
    from knowledge.models import IndexState

    real = embedding.embed
    first_inside, second_done = threading.Event(), threading.Event()
    embedded: list[int] = []

    def slow_model(texts, *, model=None, batch_size=None):
        embedded.append(len(texts))
        if threading.current_thread().name == "first-switch":
            first_inside.set()
            second_done.wait(timeout=30)
        return [[-x for x in v] for v in real(texts, model=old_model)]

    monkeypatch.setattr(embedding, "embed", slow_model)
    results: list[int] = []

    def first() -> None:
        try:
            results.append(model_switch.embedding_model_switch(model="negated-test-model"))
        finally:
            connection.close()

    thread = threading.Thread(target=first, name="first-switch")
    thread.start()
    assert first_inside.wait(timeout=30)
    try:
        assert model_switch.embedding_model_switch(model="negated-test-model") == 0
        state = IndexState.objects.get(pk=1)
        assert (state.target_done, state.target_total) == (0, 3)
    finally:
        second_done.set()
        thread.join(timeout=60)
    assert results == [3]
    assert embedded == [3]
    assert indexing.active_model() == "negated-test-model"


def test_a_version_stored_while_the_model_switch_runs_is_switched_too_and_never_leaves_search(monkeypatch):
    """Documents keep arriving during a switch, embedded with the model search still serves: the switch
    re-embeds them too before it flips, so none of them has chunks that search drops (dirty) afterwards."""
    document = services.document_create(title="Refund policy", text=_text(), embed_async=False)
    indexing.version_embed(version_id=document.versions.get().pk)
    old_model = indexing.active_model()
    from knowledge import embedding

    real = embedding.embed
    late: list[DocumentVersion] = []

    def fake_model(texts, *, model=None, batch_size=None):
        if model == "negated-test-model" and not late:
            # Arrives after the switch listed the texts to re-embed, and is embedded with the old model.
            text = "# Shipping\n\n## Times\n\nParcels ship within two days."
            shipping = services.document_create(title="Shipping", text=text, embed_async=False)
            late.append(shipping.versions.get())
            assert indexing.version_embed(version_id=late[0].pk) is True
        vectors = real(texts, model=old_model)
        return [[-x for x in v] for v in vectors] if model == "negated-test-model" else vectors

    monkeypatch.setattr(embedding, "embed", fake_model)
    progress: list[tuple[int, int]] = []
    assert (
        model_switch.embedding_model_switch(
            model="negated-test-model", progress=lambda d, t: progress.append((d, t))
        )
        == 4
    )
    assert not Chunk.objects.filter(dirty=True).exists()
    assert set(Chunk.objects.values_list("embedding_model", flat=True)) == {"negated-test-model"}
    late[0].refresh_from_db()
    assert (late[0].state, late[0].chunks_embedded, late[0].chunks_total) == ("active", 1, 1)
    assert progress[-1] == (4, 4)


def test_while_a_switch_changes_over_documents_are_stored_at_once_and_embedded_after():
    """A switch's final step holds the index state row while it rewrites every chunk (minutes, for a large
    library). Storing a document must not wait for it: its chunks are left without vectors, and the
    workers embed them with the new model afterwards."""
    first = services.document_create(title="Refund policy", text=_text(), embed_async=False)
    indexing.version_embed(version_id=first.versions.get().pk)
    from knowledge.models import IndexState

    held, release = threading.Event(), threading.Event()

    def change_over() -> None:
        try:
            with transaction.atomic():
                IndexState.objects.select_for_update().get(pk=1)
                held.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    thread = threading.Thread(target=change_over)
    thread.start()
    assert held.wait(timeout=30)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '3s'")
        # The same text as the first document: every chunk could come from the cache, but not now.
        twin = services.document_create(title="Refund policy", text=_text(), slug="twin", embed_async=False)
        version = twin.versions.get()
        assert (version.state, version.chunks_embedded) == ("queued", 0)
        assert Chunk.objects.filter(version=version, dirty=True, embedding__isnull=True).count() == 3
        assert indexing.chunks_embed_batch(version_id=version.pk) == 0
    finally:
        release.set()
        thread.join(timeout=60)
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = 0")
    assert indexing.version_embed(version_id=version.pk) is True
    assert not Chunk.objects.filter(dirty=True).exists()
