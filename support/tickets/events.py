"""What the tickets app tells subscribers (see support.core.events): a ticket changed, a reply was sent."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from support.core import events

from .models import Ticket, TicketMessage


def _when(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def ticket_data(ticket: Ticket) -> dict[str, Any]:
    """A ticket as events carry it: its ids here and in its source, and its workflow fields."""
    assignee = ticket.assignee
    return {
        "id": ticket.pk,
        "source": ticket.source,
        "external_id": ticket.external_id,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": ticket.priority,
        "tags": list(ticket.tags),
        "team": ticket.team.slug if ticket.team_id else None,
        "assignee": None if assignee is None else {"id": assignee.pk, "username": assignee.get_username()},
        "customer": {"id": ticket.customer_id},
        "updated_at": _when(ticket.updated_at),
    }


def message_data(message: TicketMessage) -> dict[str, Any]:
    return {
        "id": message.pk,
        "external_id": message.external_id,
        "author_kind": message.author_kind,
        "author_name": message.author_name,
        "body": message.body,
        "public": message.public,
        "created_at": _when(message.created_at),
    }


def ticket_updated(*, ticket: Ticket, changes: Iterable[str]) -> None:
    changed = sorted(set(changes))
    events.event_publish(events.TICKET_UPDATED, lambda: {"ticket": ticket_data(ticket), "changes": changed})


def reply_sent(*, message: TicketMessage, extra: dict[str, Any] | None = None) -> None:
    """An agent's public reply was stored; `extra` adds what the caller knows of it (the draft it came
    from)."""

    def data() -> dict[str, Any]:
        ticket = Ticket.objects.select_related("team", "assignee").get(pk=message.ticket_id)
        described = {"ticket": ticket_data(ticket), "message": message_data(message), "suggestion": None}
        return {**described, **(extra or {})}

    events.event_publish(events.REPLY_SENT, data)
