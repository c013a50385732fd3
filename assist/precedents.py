"""Precedents: solved tickets whose conversation is close to the one an agent is answering.

A solved ticket's conversation (subject, then the public messages) is embedded by a bounded sweep on the
`embeddings` workers and kept as a `TicketVector`; a ticket being answered is embedded as a query (through
`knowledge.api.query_vector`, so the web process never loads the model) and compared with the solved ones
the agent may see."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import F, Func, IntegerField, OuterRef, Q, QuerySet, Subquery
from pgvector.django import CosineDistance

from knowledge import api as knowledge_api
from models_ft import api as models_api
from support.tickets.models import Ticket, TicketMessage
from support.tickets.selectors import ticket_scope_for_user

from .contracts import PrecedentReply
from .models import TicketVector

MAX_CONVERSATION_CHARS = 2000  # the opening of a conversation says what it is about
SOLVED = (Ticket.Status.SOLVED, Ticket.Status.CLOSED)


def conversation_text(ticket: Ticket) -> str:
    """The subject and the public messages, oldest first, cut at MAX_CONVERSATION_CHARS."""
    lines = [ticket.subject]
    messages = ticket.messages.filter(public=True).order_by("created_at", "id")
    for message in messages.values_list("author_kind", "body"):
        speaker = "Customer" if message[0] == TicketMessage.AuthorKind.CUSTOMER else "Agent"
        lines.append(f"{speaker}: {message[1]}")
    return "\n".join(lines)[:MAX_CONVERSATION_CHARS]


def precedents_embed(*, limit: int = 200) -> int:
    """Embed up to `limit` solved tickets that have no vector yet, or changed since theirs was made, or
    whose vector is of another embedding model than search serves now.
    Returns how many were embedded. Safe to run concurrently: the last writer of a ticket wins."""
    # A ticket changed after its vector was made (reopened and solved again) is embedded anew.
    missing = list(
        Ticket.objects.filter(status__in=SOLVED)
        .filter(
            Q(precedent_vector__isnull=True)
            | Q(precedent_vector__updated_at__lt=F("updated_at"))
            | ~Q(precedent_vector__model=knowledge_api.embedding_model())
        )
        .order_by("-id")[:limit]
    )
    if not missing:
        return 0
    model, vectors = knowledge_api.text_vectors([conversation_text(ticket) for ticket in missing])
    for ticket, vector in zip(missing, vectors, strict=True):
        TicketVector.objects.update_or_create(
            ticket=ticket,
            defaults={"embedding": vector, "model": model},
        )
    return len(missing)


@dataclass(frozen=True)
class Precedent:
    ticket: Ticket
    similarity: float
    reply: str


def _comparable(vector: Sequence[float]) -> QuerySet[TicketVector]:
    """The solved tickets' vectors that may be compared with `vector`: of the model search serves (the sweep
    re-embeds the others after a model switch) and of its size (a query embedded by the old model just before
    a switch to a model of another size then finds none, rather than failing the comparison)."""
    size = Func("embedding", function="vector_dims", output_field=IntegerField())
    return (
        TicketVector.objects.filter(model=knowledge_api.embedding_model())
        .alias(size=size)
        .filter(size=len(vector))
    )


def precedents_for(*, ticket: Ticket, user: Any, limit: int = 5) -> tuple[list[Precedent], str]:
    """The solved tickets the user may see that are closest to `ticket`, best first, and a notice when
    they could not be looked up (no embedding worker answered)."""
    try:
        vector = knowledge_api.query_vector(conversation_text(ticket))
    except knowledge_api.QueryEmbeddingUnavailable as exc:
        return [], f"{exc} Precedents are not available right now."
    if vector is None:
        return [], ""
    last_reply = TicketMessage.objects.filter(
        ticket_id=OuterRef("ticket_id"), public=True, author_kind=TicketMessage.AuthorKind.AGENT
    ).order_by("-created_at", "-id")
    rows = (
        _comparable(vector)
        .filter(
            ticket__in=ticket_scope_for_user(user=user)
            .filter(status__in=SOLVED)
            .exclude(pk=ticket.pk)
            .values("pk")
        )
        .annotate(distance=CosineDistance("embedding", vector), reply=Subquery(last_reply.values("body")[:1]))
        .order_by("distance")
        .select_related("ticket")[:limit]
    )
    return [
        Precedent(ticket=row.ticket, similarity=1.0 - float(row.distance), reply=(row.reply or "")[:500])
        for row in rows
    ], ""


MAX_PRECEDENT_REPLY_CHARS = 2000


def precedent_replies(
    *,
    ticket_id: int,
    user: Any,
    vector: Sequence[float] | None,
    before: datetime | None = None,
    keep: Iterable[str] = (),
    limit: int = 3,
    follow_up_of: Sequence[float] | None = None,
) -> list[PrecedentReply]:
    """The first replies agents sent on the solved tickets closest to `vector` (the draft's search query) that
    `user` may see, closest first, each redacted so no other customer's name, contact, order or account
    number reaches a draft. With `before`, only tickets solved before that moment and replies sent before
    it count: a draft rebuilt for an old reply learns nothing from the future. `keep` names public contact
    details (the company's, from its documents) left in.

    With `follow_up_of` (the vector of a follow-up question, in a conversation that had an answer already),
    each ticket's reply is instead the later one that answered the customer message closest to it ("still
    no lights" is answered as the team answered "still no lights" before), with that closeness."""
    if vector is None:
        return []
    solved = ticket_scope_for_user(user=user).filter(status__in=SOLVED).exclude(pk=ticket_id)
    if before is not None:
        solved = solved.filter(solved_at__lt=before)
    # The nearest tickets first, on the vectors alone; their messages are read for those few only.
    nearest = list(
        _comparable(vector)
        .filter(ticket__in=solved.values("pk"))
        .annotate(distance=CosineDistance("embedding", list(vector)))
        .order_by("distance")
        .values_list("ticket_id", "distance")[: limit * 2]
    )
    if not nearest:
        return []
    ids = [pk for pk, _ in nearest]
    tickets = {t.pk: t for t in Ticket.objects.filter(pk__in=ids).select_related("customer")}
    conversations = _conversations(ids, before=before)
    follow_ups = _closest_follow_ups(conversations, follow_up_of) if follow_up_of is not None else {}
    found = []
    for pk, distance in nearest:
        ticket = tickets.get(pk)
        messages = conversations.get(pk, [])
        opening = next((body for kind, body in messages if kind == TicketMessage.AuthorKind.CUSTOMER), "")
        first = next((body for kind, body in messages if kind == TicketMessage.AuthorKind.AGENT), "")
        # The first reply answers the question the ticket opened with; later ones answer follow-ups.
        question, reply, turn, closeness = opening, first, 0, None
        if follow_up_of is not None:
            later = follow_ups.get(pk)
            if later is None:
                continue
            question, reply, turn, closeness = later
        if ticket is None or not reply or _quotes_planted_text(reply):
            # A reply that quotes text written to a model (a customer's, pasted back) is no example.
            continue
        customer = ticket.customer
        person = {"name": customer.name, "email": customer.email, "phone": customer.phone}
        found.append(
            PrecedentReply(
                ticket_id=pk,
                subject=ticket.subject,
                similarity=round(1.0 - float(distance), 4),
                question=models_api.reply_redact(
                    question[:MAX_PRECEDENT_REPLY_CHARS], person=person, keep=keep
                ),
                reply=models_api.reply_redact(reply[:MAX_PRECEDENT_REPLY_CHARS], person=person, keep=keep),
                turn=turn,
                question_similarity=closeness,
            )
        )
        if len(found) == limit and follow_up_of is None:
            break
    if follow_up_of is not None:
        # Among the close tickets, the follow-ups closest to this one first.
        found.sort(key=lambda p: -(p.question_similarity or 0.0))
    return found[:limit]


def _conversations(ticket_ids: Sequence[int], *, before: datetime | None) -> dict[int, list[tuple[str, str]]]:
    """The public messages (author kind, body) of each ticket, oldest first, sent before `before`: one
    query for all."""
    messages = TicketMessage.objects.filter(ticket_id__in=list(ticket_ids), public=True)
    if before is not None:
        messages = messages.filter(created_at__lt=before)
    found: dict[int, list[tuple[str, str]]] = {}
    for ticket_id, kind, body in messages.order_by("ticket_id", "created_at", "id").values_list(
        "ticket_id", "author_kind", "body"
    ):
        found.setdefault(ticket_id, []).append((kind, body))
    return found


def _follow_up_pairs(ordered: Sequence[tuple[str, str]]) -> list[tuple[str, str, int]]:
    """A conversation's follow-ups: each customer message after the first answer, the agent reply that
    answered it, and which reply that was (1: the second)."""
    pairs: list[tuple[str, str, int]] = []
    answers = 0
    for index, (kind, body) in enumerate(ordered):
        if kind != TicketMessage.AuthorKind.AGENT:
            continue
        answers += 1
        asked = ordered[index - 1] if index else None
        if answers >= 2 and asked is not None and asked[0] == TicketMessage.AuthorKind.CUSTOMER:
            pairs.append((asked[1], body, answers - 1))
    return pairs


def _closest_follow_ups(
    conversations: dict[int, list[tuple[str, str]]], vector: Sequence[float]
) -> dict[int, tuple[str, str, int, float]]:
    """Per ticket, the follow-up closest in meaning to `vector` and how close. The messages are embedded in
    one batch and cached only as briefly as search queries are: they are customer text."""
    flat = [(pk, pair) for pk, messages in conversations.items() for pair in _follow_up_pairs(messages)]
    if not flat:
        return {}
    vectors = knowledge_api.short_text_vectors([pair[0] for _, pair in flat])
    if vectors is None:
        return {}
    best: dict[int, tuple[str, str, int, float]] = {}
    for (pk, (question, reply, turn)), v in zip(flat, vectors, strict=True):
        closeness = round(float(sum(a * b for a, b in zip(v, vector, strict=True))), 4)
        if pk not in best or closeness > best[pk][3]:
            best[pk] = (question, reply, turn, closeness)
    return best


@functools.lru_cache(maxsize=4096)
def _quotes_planted_text(reply: str) -> bool:
    """Whether a sent reply holds text written to a model (checked once per reply text and process: the
    same precedents come back draft after draft)."""
    return bool(knowledge_api.planted_instructions(reply))
