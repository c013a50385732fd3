"""What the console does when something happens elsewhere: a customer's new message gets the ticket's draft
search query embedded at once by the embedding workers, so the draft an agent asks for next finds it ready
(bulk loads, which create messages without signals, call `query_prepare_queue` themselves); an erased
customer's drafts lose what quoted them."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_save
from kombu.exceptions import OperationalError as BrokerError

from support.customers.signals import ERASED_TEXT
from support.customers.signals import customer_erased as erased
from support.tickets.models import TicketMessage

log = logging.getLogger(__name__)

# Embedding ahead is only a head start: a broker that is down must not hold up the message being saved.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def query_prepare_queue(ticket_ids: list[int]) -> None:
    """Have the embedding workers embed these tickets' draft search queries, as one task."""
    from .tasks import retrieval_query_prepare

    if not ticket_ids or settings.DRAFT_QUERY_PREPARE_SECONDS <= 0:
        return
    try:
        retrieval_query_prepare.apply_async(
            args=[list(ticket_ids)], queue=settings.QUERY_EMBEDDING_QUEUE, retry_policy=PUBLISH_RETRY
        )
    except BrokerError as exc:
        log.warning("could not queue %d ticket search queries for embedding: %s", len(ticket_ids), exc)


def customer_message_saved(
    sender: Any, instance: TicketMessage, created: bool, raw: bool = False, **_: Any
) -> None:
    if raw or not created or settings.DRAFT_QUERY_PREPARE_SECONDS <= 0:
        return
    if instance.author_kind != TicketMessage.AuthorKind.CUSTOMER or not instance.public:
        return
    ticket_id = instance.ticket_id
    transaction.on_commit(lambda: query_prepare_queue([ticket_id]))


def customer_erased(*, customer_id: int, **_: Any) -> None:
    """An erased customer's drafts lose what quoted them: the prompt, the passages, the query and the text
    (sent replies stay on the ticket, as the agent wrote them)."""
    from .models import Suggestion

    Suggestion.objects.filter(ticket__customer_id=customer_id).update(
        prompt_messages=[], passages=[], retrieval_query="", raw_text="", text=ERASED_TEXT, citations=[]
    )


def connect() -> None:
    post_save.connect(customer_message_saved, sender=TicketMessage, dispatch_uid="console-query-prepare")
    erased.connect(customer_erased, dispatch_uid="console.customer_erased")
