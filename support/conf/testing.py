"""Test settings: the same stack, isolated from a development run on the same machine.

Tests use their own Redis database number (so a `make run` worker never takes a test's task) and the
database pytest-django creates (`test_<name>`).
"""

import os

# Tests talk plain HTTP to the test client: development security defaults (no HTTPS redirect, a generated
# secret key). Production settings are tested separately through `check --deploy`.
os.environ.setdefault("DEBUG", "true")

from .env import env_int
from .settings import *  # noqa: F403
from .settings import REDIS_URL, broker_url, redis_with_db

TEST_REDIS_DB = env_int(
    "TEST_REDIS_DB", 15, minimum=0, maximum=15, help="Redis database number used by tests."
)
REDIS_URL = redis_with_db(REDIS_URL, TEST_REDIS_DB)
CELERY_BROKER_URL = broker_url(REDIS_URL)
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": "openbook-test",
    }
}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Tests sign in often from one address; the throttles' own tests set low limits.
SIGN_IN_ATTEMPTS_PER_MINUTE = 1000
SIGN_IN_FAILURES_PER_USERNAME_PER_HOUR = 1000
# The test process loads the embedding model anyway (fixtures are embedded in-process), so searches embed
# their query here too. Tests of the worker round trip, the web's path, ask for QUERY_EMBEDDING="worker".
QUERY_EMBEDDING = "local"

# Training files of tests, apart from a development run's (the test worker reads these settings too).
from .settings import DATA_DIR  # noqa: E402

TEST_FILES_DIR = DATA_DIR / "test-files"
DATASET_STORE = TEST_FILES_DIR / "datasets"
ADAPTER_STORE = TEST_FILES_DIR / "adapters"
TRAINING_RUNS_DIR = TEST_FILES_DIR / "runs"
RETRIEVER_STORE = TEST_FILES_DIR / "retrievers"
BASE_MODEL = str(TEST_FILES_DIR / "demo-model")

# Outbound webhook retries come back within a test's patience (the test worker reads these settings too).
OUTBOUND_RETRY_SECONDS = 0.3
OUTBOUND_MAX_ATTEMPTS = 3
OUTBOUND_TIMEOUT_SECONDS = 3.0

# The demo company's own domain: its links and addresses may appear in drafts (tests check the screening).
DRAFT_ALLOWED_DOMAINS = ["quillfeather.example"]
