"""Query embedding: the web process sends queries to the embedding workers and never loads torch; vectors
are cached in Redis; a worker process embeds in-process; without a worker, search ranks by keywords."""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from celery import signals
from django.conf import settings
from django.test import override_settings

from knowledge import api, indexing, query_embedding, services
from support.core import roles
from tests import factories

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
SEARCH = "/api/v1/knowledge/search"
# Where a worker is expected to answer, give it time for a cold model load on a slow machine.
VIA_WORKER = {"QUERY_EMBEDDING": "worker", "QUERY_EMBEDDING_TIMEOUT": 60}
LIBRARY = {
    "twofa": (
        "Two-factor reset",
        "# Lost phone\n\nTo reset two-factor authentication we verify the account owner's identity first.",
    ),
    "refunds": (
        "Refunds for software",
        "# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge.",
    ),
}


def _library() -> None:
    for slug, (title, text) in LIBRARY.items():
        document = services.document_create(
            title=title, text=text, slug=slug, status="published", embed_async=False
        )
        indexing.version_embed(version_id=document.versions.get().pk)


@pytest.fixture
def library() -> None:
    _library()


def _query(words: str) -> str:
    """A query text no earlier search has cached."""
    return f"{words} {uuid.uuid4().hex[:8]}"


@pytest.fixture
def published() -> Iterator[list[str]]:
    """Names of the tasks this process publishes while the test runs."""
    names: list[str] = []

    def record(sender: str | None = None, **_: object) -> None:
        names.append(str(sender))

    signals.before_task_publish.connect(record, weak=False)
    yield names
    signals.before_task_publish.disconnect(record)


@pytest.fixture
def idle_queue() -> Iterator[str]:
    """A queue no worker consumes; its messages are removed afterwards."""
    name = f"test-idle-{uuid.uuid4().hex[:8]}"
    yield name
    redis.Redis.from_url(settings.REDIS_URL).delete(name, f"_kombu.binding.{name}")


def test_search_through_the_worker_reports_vector_scores_and_caches_the_exact_vector(
    library, admin_api, celery_worker, published
):
    text = _query("I lost my phone and cannot log in with my authenticator")
    with override_settings(**VIA_WORKER):
        response = admin_api.post(SEARCH, {"query": text, "k": 2}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["vector_search"], body["notice"]) == ("used", None)
    assert body["results"][0]["document_slug"] == "twofa"
    assert body["results"][0]["vector_rank"] == 1
    assert all(r["vector_score"] is not None for r in body["results"])
    assert published == ["knowledge.embed_query"]
    model = indexing.active_model()
    # float32 on the wire loses nothing: the worker's vector is the one this process would compute.
    assert query_embedding.vector_cached(model=model, text=text) == query_embedding.query_embed_here(
        text=text, model=model
    )


@pytest.mark.django_db(transaction=True)
def test_a_search_in_a_web_process_goes_to_the_worker_and_never_imports_torch(
    celery_worker, django_subprocess_env
):
    _library()
    user = factories.user(role=roles.ADMINISTRATOR)
    script = textwrap.dedent(
        """
        import json, sys
        import django
        django.setup()
        from django.test import override_settings
        from django.test.utils import setup_test_environment
        from rest_framework.test import APIClient
        from django.contrib.auth import get_user_model

        setup_test_environment()
        client = APIClient()
        client.force_authenticate(get_user_model().objects.get(pk=int(sys.argv[1])))
        with override_settings(QUERY_EMBEDDING="worker", QUERY_EMBEDDING_TIMEOUT=60):
            response = client.post("/api/v1/knowledge/search", {"query": sys.argv[2], "k": 2}, format="json")
        heavy = sorted(m for m in ("torch", "sentence_transformers", "transformers") if m in sys.modules)
        print(json.dumps({"status": response.status_code, "body": response.json(), "heavy": heavy}))
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script, str(user.pk), _query("refundable within 14 days")],
        cwd=ROOT,
        env=django_subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    outcome = json.loads(child.stdout.strip().splitlines()[-1])
    assert outcome["status"] == 200, outcome
    assert outcome["heavy"] == []
    assert outcome["body"]["vector_search"] == "used"
    assert outcome["body"]["results"][0]["document_slug"] == "refunds"
    assert outcome["body"]["results"][0]["vector_rank"] is not None


def test_a_repeated_query_is_answered_from_the_cache_without_a_task(
    library, admin_api, celery_worker, published, idle_queue
):
    text = _query("refundable within 14 days")
    with override_settings(**VIA_WORKER):
        first = admin_api.post(SEARCH, {"query": text, "k": 2}, format="json").json()
    assert published == ["knowledge.embed_query"]
    # Nobody consumes the queue now: only the cache can answer.
    with override_settings(QUERY_EMBEDDING="worker", QUERY_EMBEDDING_QUEUE=idle_queue):
        second = admin_api.post(SEARCH, {"query": text, "k": 2}, format="json").json()
    assert published == ["knowledge.embed_query"]
    assert second["vector_search"] == "used"
    assert second["results"] == first["results"]
    assert redis.Redis.from_url(settings.REDIS_URL).llen(idle_queue) == 0


def test_without_a_worker_in_time_search_ranks_by_keywords_and_says_so(library, admin_api, idle_queue):
    text = _query("refundable within 14 days")
    with override_settings(
        QUERY_EMBEDDING="worker", QUERY_EMBEDDING_QUEUE=idle_queue, QUERY_EMBEDDING_TIMEOUT=0.3
    ):
        response = admin_api.get(SEARCH, {"query": text, "k": 2})
        retrieved = api.retrieve(text, scope=api.RetrievalScope(), k=2)
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["vector_search"] == "unavailable"
    assert body["notice"] == (
        "No embedding worker answered within 0.3 s. Results are ranked by keyword match only."
    )
    assert [r["document_slug"] for r in body["results"]] == ["refunds"]
    assert body["results"][0]["vector_rank"] is None
    assert body["results"][0]["keyword_rank"] == 1
    assert [r.document_slug for r in retrieved] == ["refunds"]
    # Both tasks wait in the queue with an expiry, so a worker that turns up later drops them.
    queued = [json.loads(m) for m in redis.Redis.from_url(settings.REDIS_URL).lrange(idle_queue, 0, -1)]
    assert [m["headers"]["task"] for m in queued] == ["knowledge.embed_query"] * 2
    assert all(m["headers"]["expires"] for m in queued)


def test_a_celery_worker_process_embeds_queries_itself_and_warms_the_model_up(django_subprocess_env):
    # The child runs Celery's own prefork child initializer, so it is a worker process the way every pool
    # child is; with the default queues it serves query embeddings, so it starts loading the model at once.
    script = textwrap.dedent(
        """
        import json, os, sys, threading
        import django
        django.setup()
        from celery.concurrency.prefork import process_initializer
        from django.test import override_settings
        from knowledge import query_embedding
        from support.celery import app

        with override_settings(QUERY_EMBEDDING="worker"):
            before = query_embedding.embeds_locally()
            process_initializer(app, "query-embedding-test@localhost")
            after = query_embedding.embeds_locally()
        warming = [t.name for t in threading.enumerate() if t.name == "embedding-warm-up"]
        print(json.dumps({"before": before, "after": after, "warming": warming}), flush=True)
        os._exit(0)  # not waiting for the warm-up thread to finish importing torch
        """
    )
    child = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=django_subprocess_env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert child.returncode == 0, child.stderr[-3000:]
    assert json.loads(child.stdout.strip().splitlines()[-1]) == {
        "before": False,
        "after": True,
        "warming": ["embedding-warm-up"],
    }


@pytest.mark.parametrize("where", ["worker process", "local_query_embedding()"])
def test_a_process_that_embeds_locally_sends_no_task(where, monkeypatch, published, idle_queue):
    text = _query("reset two-factor authentication")
    with override_settings(
        QUERY_EMBEDDING="worker", QUERY_EMBEDDING_QUEUE=idle_queue, QUERY_EMBEDDING_TIMEOUT=0.3
    ):
        assert not query_embedding.embeds_locally()
        with contextlib.ExitStack() as stack:
            if where == "worker process":
                # What Celery's worker signals set (previous test), restored by monkeypatch afterwards.
                monkeypatch.setattr(query_embedding, "_in_worker_process", True)
            else:
                stack.enter_context(api.local_query_embedding())
            vector = api.query_vector(text)
    assert vector == query_embedding.query_embed_here(text=text, model=indexing.active_model())
    assert published == []


@contextlib.contextmanager
def _as_worker_process(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(query_embedding, "_in_worker_process", True)
    yield


def test_a_query_embedded_ahead_is_taken_from_the_cache_by_a_worker(monkeypatch):
    text = _query("refund for my monthly plan")
    with _as_worker_process(monkeypatch):
        assert api.query_vector_prepare(text, keep_seconds=3600)
        key = query_embedding.cache_key(model=indexing.active_model(), text=text)
        # Kept for as long as asked, not just the few minutes of an ordinary cached query.
        assert query_embedding._redis().ttl(key) > settings.QUERY_EMBEDDING_CACHE_SECONDS
        prepared = api.query_vector(text)

        def no_model(**_: object) -> list[float]:
            raise AssertionError("a prepared query must not be embedded again")

        monkeypatch.setattr(query_embedding, "query_embed_here", no_model)
        assert api.query_vector(text) == prepared
    assert not api.query_vector_prepare("   ", keep_seconds=3600)
    assert not api.query_vector_prepare(text, keep_seconds=0)


def test_a_worker_embeds_when_the_vector_cache_is_unreachable(monkeypatch):
    def unreachable() -> redis.Redis:
        raise redis.ConnectionError("no Redis here")

    with _as_worker_process(monkeypatch):
        monkeypatch.setattr(query_embedding, "_redis", unreachable)
        assert len(api.query_vector(_query("where is my invoice"))) == api.embedding_dimension()


def test_local_embedding_never_reads_the_cache(monkeypatch):
    # Evaluations and benchmarks embed inside `local_query_embedding()`: they time the model, never Redis.
    text = _query("reset two-factor")
    model = indexing.active_model()
    query_embedding.vector_cache(model=model, text=text, vector=[0.0] * api.embedding_dimension(), seconds=60)
    with api.local_query_embedding():
        assert any(api.query_vector(text))
    with _as_worker_process(monkeypatch):
        assert not any(api.query_vector(text))  # a worker does take it from the cache
