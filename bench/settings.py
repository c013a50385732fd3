"""Benchmark settings (`make bench`, `python -m bench`): the same stack, kept apart from development.

The benchmarks load tens of thousands of documents and a 100k-chunk collection. In the development database
they would slow live search (one HNSW index spans every collection), so they run in a database of their own
on the same server (`BENCH_DATABASE`, created by `bench` when missing) and queue their Celery tasks
in a Redis database of their own (`BENCH_REDIS_DB`).
"""

import os

# A development secret key and plain HTTP, as for `make run`: nothing here serves requests.
os.environ.setdefault("DEBUG", "true")

from support.conf.env import env_int, env_str
from support.conf.settings import *  # noqa: F403
from support.conf.settings import DATABASES, REDIS_URL, broker_url, redis_with_db

BENCH_DATABASE = (
    env_str(
        "BENCH_DATABASE",
        "openbook_bench",
        help="Database `make bench` runs in, on the server of DATABASE_URL (or the embedded one).",
    )
    or "openbook_bench"
)
BENCH_REDIS_DB = env_int(
    "BENCH_REDIS_DB", 14, minimum=0, maximum=15, help="Redis database number used by `make bench`."
)

# The database DATABASE_URL names: only used to create the benchmark database next to it.
BENCH_SERVER_DATABASE = DATABASES["default"]["NAME"]
DATABASES["default"]["NAME"] = BENCH_DATABASE

# DEBUG keeps a log of every query, which would be timed along with the queries themselves.
DEBUG = False

REDIS_URL = redis_with_db(REDIS_URL, BENCH_REDIS_DB)
CELERY_BROKER_URL = broker_url(REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "openbook-bench",
    }
}
