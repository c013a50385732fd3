"""Queueing the training examples backfill (see `learning.examples_backfill`) and the retriever's relevance
pairs (`relevance.relevance_backfill`) for the `training` workers, as the demo seed does after loading the
demo company."""

from __future__ import annotations

import logging
from datetime import datetime

from kombu.exceptions import OperationalError as BrokerError

from .receivers import PUBLISH_RETRY
from .tasks import demo_model_build, examples_backfill, relevance_backfill

log = logging.getLogger(__name__)


def backfill_queue(*, since: datetime | None = None) -> bool:
    """Queue a backfill for the `training` workers (it waits there until the library is embedded), and the
    demo base model's build after it; False when the broker cannot be reached (run `manage.py
    backfill_examples` and `manage.py make_demo_model` instead)."""
    try:
        moment = [since.isoformat() if since else None]
        examples_backfill.apply_async(args=moment, retry_policy=PUBLISH_RETRY)
        relevance_backfill.apply_async(args=moment, retry_policy=PUBLISH_RETRY)
        demo_model_build.apply_async(retry_policy=PUBLISH_RETRY)
    except BrokerError as exc:
        log.warning("could not queue the training examples backfill: %s", exc)
        return False
    return True
