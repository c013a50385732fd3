"""The web server: where it listens and how many requests it serves at once (support/conf/gunicorn.py).

Imported by gunicorn's configuration before Django is set up, so it reads the environment only.
"""

from __future__ import annotations

from .env import env_int, env_str

HOST = (
    env_str("HOST", "127.0.0.1", help="Address the web server listens on (0.0.0.0 in the images).")
    or "127.0.0.1"
)
PORT = env_int("PORT", 8000, minimum=1, maximum=65535, help="Port the web server listens on.")
WEB_WORKERS = env_int(
    "WEB_WORKERS", 2, minimum=1, maximum=64, help="gunicorn worker processes (about one per core)."
)
WEB_THREADS = env_int(
    "WEB_THREADS",
    32,
    minimum=1,
    maximum=512,
    help="Threads per gunicorn worker: requests (an open draft stream holds one) each process serves at "
    "once. Each may keep a database connection open.",
)
