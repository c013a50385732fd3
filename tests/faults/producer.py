"""A producer child process for the fault tests: creates small published documents through the product's
own service (`knowledge.services.document_create`, which queues the embedding once it commits), one every
INTERVAL seconds, until it has made COUNT or is sent SIGTERM (it finishes the document in hand first), and
prints one JSON line per document: its version id, when, and the error the call raised, if any (what an
API client would have got as a 500).

Run as `python -m tests.faults.producer PREFIX COUNT INTERVAL [TEXT]` with the test settings and the
environment of the workers it feeds (DATABASE_URL, REDIS_URL). Slugs come from PREFIX, titles and texts
from TEXT (PREFIX by default): another PREFIX with the same TEXT stores documents whose every chunk was
embedded before."""

from __future__ import annotations

import json
import os
import signal
import sys
import time

_stopping = False


def _stop(signum: int, frame: object) -> None:
    global _stopping
    _stopping = True


def main(prefix: str, count: int, interval: float, text: str) -> None:
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "support.conf.testing")
    django.setup()
    from knowledge import services
    from knowledge.models import DocumentVersion
    from tests.faults.library import section_text

    signal.signal(signal.SIGTERM, _stop)
    for n in range(count):
        if _stopping:
            break
        started = time.monotonic()
        title = f"{text} document {n}"
        body = "\n\n".join(f"## Part {j}\n\n{section_text(f'{text}-{n}', j)}" for j in range(3))
        line: dict[str, object] = {"n": n, "at": time.time(), "version": None, "error": None}
        try:
            document = services.document_create(
                title=title, text=f"# {title}\n\n{body}", status="published", slug=f"{prefix}-{n}"
            )
        except Exception as exc:  # the test counts these: each would have been a 500
            line["error"] = f"{type(exc).__name__}: {exc}"
            # The document may well be stored even though the call failed (an error after the commit).
            version = DocumentVersion.objects.filter(document__slug=f"{prefix}-{n}").first()
            line["version"] = version.pk if version else None
        else:
            line["version"] = document.versions.get().pk
        print(json.dumps(line), flush=True)  # noqa: T201 - the parent reads these lines
        pause = interval - (time.monotonic() - started)
        while pause > 0 and not _stopping:
            time.sleep(min(pause, 0.05))
            pause = interval - (time.monotonic() - started)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else sys.argv[1])
