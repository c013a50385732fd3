"""Reads of drafts, always through the tickets the caller may see."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from support.tickets import rights
from support.tickets.models import TicketMessage
from support.tickets.selectors import ticket_scope_for_user

from .models import Suggestion


def suggestion_list_for_user(*, user: Any) -> QuerySet[Suggestion]:
    """Drafts of tickets the user may see, asked for by someone whose roles the user's cover (a draft quotes
    what its requester may read: an agents-only document must not reach an integration through it), each
    annotated `stale` when the customer wrote after it was asked for (the draft answers an older state of
    the conversation)."""
    newer = TicketMessage.objects.filter(
        ticket_id=OuterRef("ticket_id"),
        author_kind=TicketMessage.AuthorKind.CUSTOMER,
        public=True,
        created_at__gt=OuterRef("created_at"),
    )
    return (
        Suggestion.objects.filter(
            rights.made_within_rights(user=user, field="requested_by"),
            ticket__in=ticket_scope_for_user(user=user).values("pk"),
        )
        .annotate(stale=Exists(newer))
        .select_related("ticket", "requested_by", "sent_by")
    )
