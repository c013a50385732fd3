"""The images' HEALTHCHECK: exit 0 when the container's own server answers `/healthz`.

A Celery worker with METRICS_PORT answers there (its exporter runs in the worker's main process); anything
else is the web server on PORT. Only the standard library: it runs every 30 seconds and must not load
Django.
"""

from __future__ import annotations

import os
import sys
import urllib.request


def probe_url(environ: dict[str, str]) -> str:
    metrics_port = environ.get("METRICS_PORT", "").strip()
    port = metrics_port if metrics_port not in ("", "0") else environ.get("PORT", "").strip() or "8000"
    return f"http://127.0.0.1:{port}/healthz"


def main() -> int:
    url = probe_url(dict(os.environ))
    try:
        with urllib.request.urlopen(url, timeout=4) as response:  # noqa: S310 - loopback, fixed scheme
            return 0 if response.status == 200 else 1
    except OSError as exc:
        sys.stderr.write(f"{url}: {exc}\n")
        return 1


if __name__ == "__main__":
    sys.exit(main())
