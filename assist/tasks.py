"""The console's Celery tasks, each named after what it runs: drafts on the `inference` queue (make sure a
failure is recorded), precedents and search queries embedded ahead, and the learning loop on the `training`
queue (backfill, the nightly fine-tuning cycle, the demo base model). Nothing in the app imports this module
back but what queues these tasks (`backfill`, `receivers`); the drafts are queued by name."""

from __future__ import annotations

import logging
import threading
from datetime import datetime
from typing import Any

from celery import shared_task, signals
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings

from knowledge import api as knowledge

from . import context, language, learning, precedents, relevance, services

log = logging.getLogger(__name__)


def _warm_up_language(**_: Any) -> None:
    # The language detector loads its models on first use (about 0.1 s): at start, not on the first draft.
    threading.Thread(target=language.warm_up, name="language-warm-up", daemon=True).start()


signals.worker_process_init.connect(_warm_up_language, weak=False)


@shared_task(name="console.generate_suggestion", acks_late=True)
def suggestion_generate(suggestion_id: int) -> None:
    """Generate a pending suggestion. A suggestion that is gone, or already claimed, is left alone."""
    try:
        services.suggestion_generate(suggestion_id=suggestion_id)
    except SoftTimeLimitExceeded:
        services.suggestion_fail(suggestion_id=suggestion_id, error="Drafting took too long and was stopped.")
    except Exception as exc:
        # An agent waits on this draft: whatever broke, the suggestion must not stay "running".
        log.exception("drafting suggestion %s failed", suggestion_id)
        services.suggestion_fail(
            suggestion_id=suggestion_id, error=f"Drafting failed unexpectedly ({type(exc).__name__})."
        )


@shared_task(name="console.precedents_sweep", acks_late=True)
def precedents_embed(limit: int = 200) -> int:
    """Embed solved tickets for precedent search, a bounded batch at a time (beat runs this every minute)."""
    return precedents.precedents_embed(limit=limit)


@shared_task(name="console.retrieval_query_prepare", acks_late=True)
def retrieval_query_prepare(ticket_ids: list[int]) -> int:
    """Embed tickets' draft search queries ahead of their drafts (queued when customers write, and for the
    open tickets of a bulk load). Returns how many were prepared."""
    return sum(
        context.retrieval_query_prepare(
            ticket_id=ticket_id, keep_seconds=settings.DRAFT_QUERY_PREPARE_SECONDS
        )
        for ticket_id in ticket_ids
    )


BACKFILL_RETRY_SECONDS = 15


@shared_task(name="console.examples_backfill", bind=True, acks_late=True, max_retries=80)
def examples_backfill(self: Any, since: str | None = None) -> dict[str, Any]:
    """Backfill training examples from solved tickets (queued by the demo seed on the `training` queue).
    Prompts include retrieval, so it waits while the library is still being embedded."""
    if knowledge.indexing_pending():
        raise self.retry(countdown=BACKFILL_RETRY_SECONDS)
    moment = datetime.fromisoformat(since) if since else None
    return learning.examples_backfill(since=moment).as_dict()


@shared_task(
    name="console.relevance_backfill",
    bind=True,
    acks_late=True,
    max_retries=80,
    soft_time_limit=6 * 3600,
    time_limit=6 * 3600 + 60,
)
def relevance_backfill(self: Any, since: str | None = None) -> dict[str, Any]:
    """The retriever's relevance pairs from solved tickets (queued by the demo seed on the `training` queue;
    the nightly step records new ones itself). It searches the library, so it waits while that is embedded."""
    if knowledge.indexing_pending():
        raise self.retry(countdown=BACKFILL_RETRY_SECONDS)
    moment = datetime.fromisoformat(since) if since else None
    return relevance.relevance_backfill(since=moment).as_dict()


@shared_task(
    name="console.finetune_cycle", acks_late=True, soft_time_limit=6 * 3600, time_limit=6 * 3600 + 60
)
def finetune_cycle(force: bool = False) -> dict[str, Any]:
    """The nightly cycle (beat, `training` queue): the generator's (snapshot, train, evaluate, decide), then
    the retriever's (relevance pairs from resolved tickets, adapt, judge). One failing leaves the other."""
    outcome = learning.finetune_cycle(force=force, by="schedule").as_dict()
    try:
        outcome["retriever"] = learning.retriever_cycle(by="schedule")
    except Exception as exc:  # the generator's outcome stands; the retriever's failure is on its run
        log.exception("the retriever's nightly step failed")
        outcome["retriever"] = {"action": "failed", "reason": f"{type(exc).__name__}: {exc}"}
    return outcome


@shared_task(name="console.demo_model_build", acks_late=True, soft_time_limit=3600, time_limit=3660)
def demo_model_build() -> str:
    """Build the demo base model at BASE_MODEL when nothing is there yet (queued by the demo seed, on the
    `training` queue): the fine-tuning loop then has a model to train."""
    from django.core.management import call_command

    call_command("make_demo_model", "--no-progress")
    return str(settings.BASE_MODEL)
