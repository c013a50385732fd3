"""Where a search query becomes a vector.

A process that holds the embedding model embeds the query itself: Celery worker processes (flagged by the
worker signals below), code running inside `local_query_embedding()` (retrieval evaluation, benchmarks), and
every process when `QUERY_EMBEDDING=local`. Anywhere else, which means the web process, must not import
torch. There the query goes to the embedding workers as a task, and the vector comes back through a Redis
list the caller blocks on, since Celery results are switched off. Vectors are cached in Redis for a few
minutes by model and text, so a repeated search sends no task at all, and a worker finds there the vectors
of queries embedded ahead of time (`api.query_vector_prepare`: a ticket's conversation, when the customer
writes).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import hashlib
import logging
import struct
import threading
import uuid
from collections.abc import Iterator
from typing import Any

import redis
from celery import current_app, signals
from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError

from support.core.queueing import task_send

from .indexing import active_model

log = logging.getLogger(__name__)

CACHE_PREFIX = "openbook:query-vector:"
REPLY_PREFIX = "openbook:query-vector-reply:"
# Long enough for a caller still blocked on the list to pop it; a reply nobody waits for any more (the caller
# timed out) then expires on its own.
REPLY_TTL_SECONDS = 60
# A broker that is down must not hold a web request for long: one quick retry, then keyword-only search.
_PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


class QueryEmbeddingUnavailable(Exception):
    """No embedding worker answered in time, or Redis or the broker could not be reached."""


_in_worker_process = False
_local: contextvars.ContextVar[bool] = contextvars.ContextVar("local_query_embedding", default=False)


def _mark_worker_process(**_: Any) -> None:
    global _in_worker_process
    _in_worker_process = True


# `worker_init` runs in the worker's main process (the one that runs tasks with the solo and thread pools);
# `worker_process_init` in each prefork child. Either way the process has the model at hand, and asking
# another worker (or itself) to embed would only add a round trip or, with one free slot, a deadlock.
signals.worker_init.connect(_mark_worker_process, weak=False)
signals.worker_process_init.connect(_mark_worker_process, weak=False)


def _warm_up_model(**_: Any) -> None:
    # A cold load (torch and the weights) takes seconds: without this, the first search after a worker
    # restart would wait it out and fall back to keywords. Only the processes of a worker that serves query
    # embeddings load it, and in a thread: a prefork child that takes over 4 s to start is killed.
    if settings.QUERY_EMBEDDING_QUEUE not in current_app.amqp.queues.consume_from:
        return
    from . import embedding

    threading.Thread(target=embedding.warm_up, name="embedding-warm-up", daemon=True).start()


signals.worker_process_init.connect(_warm_up_model, weak=False)


@contextlib.contextmanager
def local_query_embedding() -> Iterator[None]:
    """Embed queries in this process inside the block, whatever `QUERY_EMBEDDING` says. For management
    commands and scripts that load the model anyway (retrieval evaluation, benchmarks)."""
    token = _local.set(True)
    try:
        yield
    finally:
        _local.reset(token)


def embeds_locally() -> bool:
    """Whether a query is embedded in this process rather than by an embedding worker."""
    return _in_worker_process or _local.get() or settings.QUERY_EMBEDDING == "local"


def cache_key(*, model: str, text: str) -> str:
    digest = hashlib.sha256(f"{model}\0{text}".encode()).hexdigest()
    return CACHE_PREFIX + digest


# The model computes float32, so little-endian float32 round-trips every vector exactly at a quarter of the
# size of JSON.
def _pack(vector: list[float]) -> bytes:
    return struct.pack(f"<{len(vector)}f", *vector)


def _unpack(data: bytes | str) -> list[float]:
    assert isinstance(data, bytes), "the Redis client must not decode responses"
    return list(struct.unpack(f"<{len(data) // 4}f", data))


@functools.cache
def _client(url: str, socket_timeout: float) -> redis.Redis:
    return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=socket_timeout)


def _redis() -> redis.Redis:
    # Every call is bounded; the socket timeout outlasts the longest blocking pop this module makes.
    return _client(settings.REDIS_URL, settings.QUERY_EMBEDDING_TIMEOUT + 5)


def vector_cached(*, model: str, text: str) -> list[float] | None:
    """The cached vector of `text` under `model`, or None."""
    data = _redis().get(cache_key(model=model, text=text))
    return _unpack(data) if data else None


def vector_cache(*, model: str, text: str, vector: list[float], seconds: int | None = None) -> None:
    seconds = settings.QUERY_EMBEDDING_CACHE_SECONDS if seconds is None else seconds
    if seconds > 0:
        _redis().set(cache_key(model=model, text=text), _pack(vector), ex=seconds)


def query_embed_here(*, text: str, model: str) -> list[float]:
    """Embed `text` in this process (loads the model, and torch, on first use)."""
    from . import embedding

    return embedding.embed([text], model=model)[0]


def query_embed_cached(*, text: str, model: str, keep_seconds: int | None = None) -> list[float]:
    """In a process that holds the model: the cached vector of `text`, or embed it here and cache it (for
    `keep_seconds`, by default `QUERY_EMBEDDING_CACHE_SECONDS`). With Redis unreachable it still embeds."""
    try:
        vector = vector_cached(model=model, text=text)
    except redis.RedisError as exc:
        log.warning("query embedding: the vector cache is unreachable: %s", exc)
        return query_embed_here(text=text, model=model)
    if vector is None or keep_seconds is not None:
        vector = vector or query_embed_here(text=text, model=model)
        try:
            vector_cache(model=model, text=text, vector=vector, seconds=keep_seconds)
        except redis.RedisError as exc:
            log.warning("query embedding: the vector cache is unreachable: %s", exc)
    return vector


def texts_embed_cached(texts: list[str], *, model: str) -> list[list[float]]:
    """In a process that holds the model: vectors of several short texts, from the query cache where it has
    them, the rest embedded here in one batch and cached for QUERY_EMBEDDING_CACHE_SECONDS (customer text
    is not kept longer than a query is)."""
    from . import embedding

    found: list[list[float] | None]
    try:
        pipe = _redis().pipeline()
        for text in texts:
            pipe.get(cache_key(model=model, text=text))
        found = [_unpack(data) if data else None for data in pipe.execute()]
    except redis.RedisError as exc:
        log.warning("query embedding: the vector cache is unreachable: %s", exc)
        return embedding.embed(list(texts), model=model)
    missing = [i for i, vector in enumerate(found) if vector is None]
    if missing:
        vectors = embedding.embed([texts[i] for i in missing], model=model)
        seconds = settings.QUERY_EMBEDDING_CACHE_SECONDS
        try:
            pipe = _redis().pipeline()
            for i, vector in zip(missing, vectors, strict=True):
                found[i] = vector
                if seconds > 0:
                    pipe.set(cache_key(model=model, text=texts[i]), _pack(vector), ex=seconds)
            pipe.execute()
        except redis.RedisError as exc:
            log.warning("query embedding: the vector cache is unreachable: %s", exc)
    return [vector for vector in found if vector is not None]


def query_embed_and_reply(*, text: str, model: str, reply_to: str) -> None:
    """The worker's half of the round trip: the vector (from the cache, or embedded and cached), pushed onto
    the caller's reply list."""
    vector = query_embed_cached(text=text, model=model)
    with _redis().pipeline() as pipe:
        pipe.rpush(reply_to, _pack(vector))
        pipe.expire(reply_to, REPLY_TTL_SECONDS)
        pipe.execute()


def query_embed_by_worker(*, text: str, model: str) -> list[float]:
    """The caller's half: the cached vector, or one an embedding worker computes while this process waits
    at most `QUERY_EMBEDDING_TIMEOUT` seconds. Raises QueryEmbeddingUnavailable when no answer comes."""
    timeout = settings.QUERY_EMBEDDING_TIMEOUT
    try:
        cached = vector_cached(model=model, text=text)
        if cached is not None:
            return cached
        reply_to = REPLY_PREFIX + uuid.uuid4().hex
        # `expires`: a task still queued when the caller has given up is dropped, not embedded for nobody.
        # Sent by name: the task module imports this one.
        task_send(
            "knowledge.embed_query",
            args=[text, model, reply_to],
            queue=settings.QUERY_EMBEDDING_QUEUE,
            expires=timeout,
            retry_policy=_PUBLISH_RETRY,
        )
        answer = _redis().blpop([reply_to], timeout=timeout)
    except (redis.RedisError, BrokerError) as exc:
        log.warning("query embedding: Redis or the broker is unreachable: %s", exc)
        raise QueryEmbeddingUnavailable(
            f"The task queue could not be reached ({type(exc).__name__})."
        ) from exc
    if answer is None:
        log.warning(
            "query embedding: no worker on queue %r answered within %s s",
            settings.QUERY_EMBEDDING_QUEUE,
            timeout,
        )
        raise QueryEmbeddingUnavailable(f"No embedding worker answered within {timeout:g} s.")
    return _unpack(answer[1])


def query_embed(*, text: str, model: str) -> list[float]:
    """`text` as a vector of `model`, embedded here or by a worker (see the module docstring). A worker
    process looks in the cache first (a query embedded ahead of time, or a repeated one); code inside
    `local_query_embedding()` always embeds, so what evaluations and benchmarks time is the model."""
    if _in_worker_process and not _local.get():
        return query_embed_cached(text=text, model=model)
    if embeds_locally():
        return query_embed_here(text=text, model=model)
    return query_embed_by_worker(text=text, model=model)


def query_vector(text: str) -> list[float] | None:
    """`text` as a vector of the model search serves (see `query_embed`), or None when there is nothing to
    embed."""
    if not text.strip():
        return None
    return query_embed(text=text, model=active_model())


def vectors_forget() -> int:
    """Drop every cached query vector (of any model); returns how many were dropped."""
    client = _redis()
    dropped = 0
    for key in client.scan_iter(match=CACHE_PREFIX + "*", count=1000):
        dropped += int(client.delete(key))
    return dropped
