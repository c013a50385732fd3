"""Training examples from replies sent before Openbook: each agent reply on a solved ticket becomes an example
whose prompt is the one the console would have assembled just before it was posted (the conversation up to
it, the customer's context of that moment, retrieval over the knowledge base as it is now).

Replies to customers who did not agree to training are left out, as are replies already recorded (sent
through the console, or backfilled before): running it again adds only what is new.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q

from knowledge import api as knowledge
from models_ft import api as models_api
from support.core import roles
from support.core.errors import DomainError
from support.tickets.models import Ticket, TicketMessage

from .context import ticket_context_assemble
from .prompts import prompt_messages
from .services import customer_person

log = logging.getLogger(__name__)

SOLVED_STATUSES = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


@dataclass
class BackfillResult:
    replies: int = 0
    created: int = 0
    already: int = 0
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def backfill_replies(*, since: datetime | None = None) -> Any:
    """The replies a backfill would turn into examples: public agent replies on solved or closed tickets of
    customers who agreed to training, oldest first."""
    replies = TicketMessage.objects.filter(
        ticket__status__in=SOLVED_STATUSES,
        ticket__customer__training_consent=True,
        author_kind=TicketMessage.AuthorKind.AGENT,
        public=True,
    )
    if since is not None:
        replies = replies.filter(created_at__gte=since)
    return replies.select_related("ticket__customer", "author_user").order_by("created_at", "id")


def examples_backfill(
    *,
    since: datetime | None = None,
    acting_user: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> BackfillResult:
    """Turn the replies of `backfill_replies` into training examples. A reply's prompt is assembled with the
    rights of the agent who wrote it; replies without a known author (imported history) use `acting_user`
    (by default the first active administrator)."""
    replies = list(backfill_replies(since=since))
    result = BackfillResult(replies=len(replies))
    recorded = models_api.examples_recorded(message_ids=[r.pk for r in replies])
    fallback = acting_user or _first_administrator()
    with knowledge.local_query_embedding():
        for done, reply in enumerate(replies, start=1):
            if reply.pk in recorded:
                result.already += 1
            else:
                _one(reply, fallback, result)
            if progress is not None:
                progress(done, len(replies))
    return result


def _one(reply: TicketMessage, fallback: Any, result: BackfillResult) -> None:
    user = reply.author_user if reply.author_user is not None and reply.author_user.is_active else fallback
    if user is None:
        result.skipped.append({"message_id": reply.pk, "reason": "no author and no administrator to act as"})
        return
    try:
        context = ticket_context_assemble(ticket=Ticket(pk=reply.ticket_id), user=user, before=reply)
    except DomainError as exc:
        # The agent wrote first (nothing to answer yet), or the author may no longer see the ticket.
        result.skipped.append({"message_id": reply.pk, "reason": exc.message})
        return
    customer = reply.ticket.customer
    models_api.example_record(
        messages=prompt_messages(context),
        draft="",
        sent=reply.body,
        outcome="backfilled",
        ticket_id=reply.ticket_id,
        customer_id=customer.pk,
        message_id=reply.pk,
        person=customer_person(customer),
        sent_at=reply.created_at,
        backfilled=True,
    )
    result.created += 1


def _first_administrator() -> Any:
    administrators = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__name=roles.ADMINISTRATOR), is_active=True
    )
    return administrators.order_by("id").first()


def backfill_queue(*, since: datetime | None = None) -> bool:
    """Queue a backfill for the `training` workers (it waits there until the library is embedded), and the
    demo base model's build after it; False when the broker cannot be reached (run `manage.py
    backfill_examples` and `manage.py make_demo_model` instead)."""
    from kombu.exceptions import OperationalError as BrokerError

    from .receivers import PUBLISH_RETRY
    from .tasks import demo_model_build
    from .tasks import examples_backfill as task

    try:
        task.apply_async(args=[since.isoformat() if since else None], retry_policy=PUBLISH_RETRY)
        demo_model_build.apply_async(retry_policy=PUBLISH_RETRY)
    except BrokerError as exc:
        log.warning("could not queue the training examples backfill: %s", exc)
        return False
    return True
