"""Redis, the broker and the cache, goes away and comes back: nothing the API stored is lost, and nothing
it was told fails because of it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from knowledge.models import DocumentVersion

from .stack import Producer, logs_dir

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def test_documents_stored_while_the_broker_is_down_are_kept_and_left_to_the_sweep(
    django_subprocess_env, tmp_path: Path
):
    """The API stores a document, then queues its embedding (or, when every chunk was embedded before,
    activates it and queues a recount of keyword statistics). With Redis down the call must still succeed,
    since the version is committed by then; the sweep queues what waits once Redis is back."""
    from knowledge import services

    env = {**django_subprocess_env, "REDIS_URL": f"unix://{tmp_path / 'nobody.sock'}"}

    def store(prefix: str) -> dict[str, Any]:
        log = logs_dir() / f"offline-{prefix}-producer.log"
        producer = Producer(prefix=prefix, count=1, interval=0, env=env, log=log, text="offline")
        try:
            [line] = producer.wait(timeout=120)
        finally:
            producer.stop()
        return line

    first = store("new")
    assert first["error"] is None
    version = DocumentVersion.objects.get(pk=first["version"])
    assert version.state == DocumentVersion.State.QUEUED
    assert services.versions_pending() == [version.pk]
    services.version_embed(version_id=version.pk)
    # The same text again: every chunk comes from the cache, so the version goes live at once.
    copy = store("copy")
    assert copy["error"] is None
    assert DocumentVersion.objects.get(pk=copy["version"]).state == DocumentVersion.State.ACTIVE
