"""Reads of drafts, always through the tickets the caller may see."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from knowledge import api as knowledge_api
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


def suggestions_policy_updates(suggestions: Iterable[Suggestion]) -> dict[int, list[str]]:
    """For each of `suggestions` that cites a document now serving a newer version than the one it cited,
    the titles of those documents, by draft id: the draft quotes a policy text that has since changed, so it
    is stale as one the customer wrote after is. Drafts whose documents are unchanged are left out. One
    query for them all."""
    cited = [
        (suggestion.pk, citation)
        for suggestion in suggestions
        for citation in suggestion.citations
        if isinstance(citation, dict) and "document_id" in citation
    ]
    if not cited:
        return {}
    active = knowledge_api.documents_active_versions({int(c["document_id"]) for _, c in cited})
    updated: dict[int, list[str]] = {}
    for suggestion_id, citation in cited:
        now = active.get(int(citation["document_id"]))
        if now is None or now <= int(citation.get("version_id") or 0):
            continue
        titles = updated.setdefault(suggestion_id, [])
        if citation.get("title", "") not in titles:
            titles.append(str(citation.get("title", "")))
    return updated
