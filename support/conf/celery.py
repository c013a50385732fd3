"""Redis and Celery: broker, queues, time limits and the beat schedule."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from celery.schedules import crontab

from support import embedded

from .base import DATA_DIR
from .env import env_bool, env_int, env_url
from .training import FINETUNE_HOUR

_redis_env = env_url(
    "REDIS_URL", ["redis", "rediss", "unix"], help="Redis for the Celery broker and cache. Unset: embedded."
)
REDIS_EMBEDDED = _redis_env is None
REDIS_URL: str = _redis_env or embedded.redis_url(DATA_DIR)


def broker_url(redis_url: str) -> str:
    """Kombu spells a Unix-socket Redis `redis+socket://`; redis-py spells it `unix://`."""
    parts = urlsplit(redis_url)
    if parts.scheme != "unix":
        return redis_url
    query = parts.query.replace("db=", "virtual_host=")
    return f"redis+socket://{parts.path}" + (f"?{query}" if query else "")


def redis_with_db(redis_url: str, db: int) -> str:
    """The same Redis server, another database number (tests and benchmarks keep their queues apart)."""
    parts = urlsplit(redis_url)
    if parts.scheme == "unix":
        return f"unix://{parts.path}?db={db}"
    return urlunsplit(parts._replace(path=f"/{db}"))


CELERY_BROKER_URL = broker_url(REDIS_URL)
CELERY_RESULT_BACKEND = None  # results live in our own tables; nothing waits on Celery results
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = "UTC"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = env_int(
    "CELERY_TASK_SOFT_TIME_LIMIT", 300, minimum=1, help="Seconds before a task is asked to stop."
)
CELERY_TASK_TIME_LIMIT = env_int(
    "CELERY_TASK_TIME_LIMIT", 360, minimum=2, help="Seconds before a task is killed (> the soft limit)."
)
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", False, help="Run tasks inline (debugging only; tests use a real worker)."
)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A task that is not acknowledged within this time is handed to another worker (acks_late).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_TASK_TIME_LIMIT * 2}
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_QUEUES_ALL = ("default", "embeddings", "inference", "training")
CELERY_TASK_ROUTES = {
    # Long and not urgent: away from the draft workers.
    "console.examples_backfill": {"queue": "training"},
    "console.relevance_backfill": {"queue": "training"},
    "knowledge.retriever_adapt": {"queue": "training"},
    "console.finetune_cycle": {"queue": "training"},
    "console.demo_model_build": {"queue": "training"},
    "knowledge.*": {"queue": "embeddings"},
    "console.*": {"queue": "inference"},
    "models_ft.train*": {"queue": "training"},
}

WORKER_CONCURRENCY = env_int(
    "WORKER_CONCURRENCY",
    2,
    minimum=1,
    maximum=256,
    help="Processes of a Celery worker (make run's, and the images' unless --concurrency says otherwise).",
)
WORKER_PING_SECONDS = env_int(
    "WORKER_PING_SECONDS", 20, minimum=5, help="How often beat sends each queue a liveness ping."
)
CELERY_BEAT_SCHEDULE = {
    f"ping-{queue}": {
        "task": "core.worker_ping",
        "schedule": timedelta(seconds=WORKER_PING_SECONDS),
        "args": [queue],
        "options": {"queue": queue, "expires": WORKER_PING_SECONDS * 2},
    }
    for queue in CELERY_QUEUES_ALL
}
CELERY_BEAT_SCHEDULE["knowledge-sweep"] = {
    "task": "knowledge.sweep",
    "schedule": timedelta(
        seconds=env_int("KNOWLEDGE_SWEEP_SECONDS", 60, minimum=5, help="How often dirty chunks are swept up.")
    ),
    "options": {"queue": "embeddings"},
}
SUGGESTION_PENDING_SECONDS = env_int(
    "SUGGESTION_PENDING_SECONDS",
    120,
    minimum=5,
    help="A draft no inference worker has started after this long is failed (is any worker running?).",
)
DRAFT_QUERY_PREPARE_SECONDS = env_int(
    "DRAFT_QUERY_PREPARE_SECONDS",
    86400,
    minimum=0,
    help="When a customer writes, an embedding worker embeds the ticket's search query at once and keeps "
    "the vector in Redis this long, so a draft asked for later skips that step (0: embed when drafting).",
)
CELERY_BEAT_SCHEDULE["precedents-sweep"] = {
    "task": "console.precedents_sweep",
    "schedule": timedelta(
        seconds=env_int(
            "PRECEDENTS_SWEEP_SECONDS",
            60,
            minimum=5,
            help="How often solved tickets are embedded as precedents.",
        )
    ),
    "options": {"queue": "embeddings"},
}

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "openbook",
    }
}
# Nightly: snapshot, train, evaluate, decide (when enough new examples arrived; see FINETUNE_*).
CELERY_BEAT_SCHEDULE["finetune-cycle"] = {
    "task": "console.finetune_cycle",
    "schedule": crontab(hour=FINETUNE_HOUR, minute=0),
    "options": {"queue": "training", "expires": 6 * 3600},
}
