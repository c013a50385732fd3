"""What the console does when something happens elsewhere: a customer's new message gets the ticket's draft
search query embedded at once by the embedding workers, so the draft an agent asks for next finds it ready
(bulk loads, which insert messages without the tickets services, call `query_prepare_queue` themselves); an
erased customer's drafts lose what quoted them, and their relevance pairs go (as on consent
withdrawn)."""

from __future__ import annotations

import logging

from django.conf import settings
from kombu.exceptions import OperationalError as BrokerError

from support.core import events
from support.core.queueing import task_send
from support.tickets.models import TicketMessage

from . import relevance, services

log = logging.getLogger(__name__)

# Embedding ahead is only a head start: a broker that is down must not hold up the message being saved.
PUBLISH_RETRY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


# The task that runs `context.retrieval_query_prepare`, queued by its stable name: this module never imports
# the tasks module, which depends on it.
RETRIEVAL_QUERY_PREPARE_TASK = "console.retrieval_query_prepare"


def query_prepare_queue(ticket_ids: list[int]) -> None:
    """Have the embedding workers embed these tickets' draft search queries, as one task."""
    if not ticket_ids or settings.DRAFT_QUERY_PREPARE_SECONDS <= 0:
        return
    try:
        task_send(
            RETRIEVAL_QUERY_PREPARE_TASK,
            args=[list(ticket_ids)],
            queue=settings.QUERY_EMBEDDING_QUEUE,
            retry_policy=PUBLISH_RETRY,
        )
    except BrokerError as exc:
        log.warning("could not queue %d ticket search queries for embedding: %s", len(ticket_ids), exc)


def ticket_message_created(event: events.TicketMessageCreated) -> None:
    """Subscribed after commit: the worker must find the message."""
    if event.author_kind != TicketMessage.AuthorKind.CUSTOMER or not event.public:
        return
    query_prepare_queue([event.ticket_id])


def customer_erased(event: events.CustomerErased) -> None:
    services.suggestions_erase(customer_id=event.customer_id)
    relevance.relevance_forget(customer_id=event.customer_id)


def customer_consent_withdrawn(event: events.CustomerConsentWithdrawn) -> None:
    """Their questions no longer teach the retriever either (training examples go on the training side)."""
    relevance.relevance_forget(customer_id=event.customer_id)
