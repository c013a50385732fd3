"""What a draft knows about its ticket: budgeted, allow-listed sections and the passages it may cite.

Every section has a budget in characters, named below. When something does not fit, the newest material is
kept and the section says in words what was left out, so neither the model nor a reviewer reading the
recorded prompt mistakes a cut for the whole story. Customer fields are read one by one from an allow-list:
a field added to Customer later never reaches a prompt by accident.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection

from knowledge import api as knowledge
from models_ft import api as models_api
from support.core import roles
from support.core.errors import DomainError
from support.core.text import contradicts, stems
from support.customers.models import Customer, Incident, IncidentUpdate, Organization, Plan, Product
from support.tickets.models import Ticket, TicketMessage
from support.tickets.selectors import ticket_visible_sql

from .contracts import CitedPassage, Section, TicketContext
from .language import reply_language
from .precedents import precedent_replies
from .safety import passages_screen
from .scope import retrieval_scope

MAX_CONVERSATION_CHARS = 6000
"""The public conversation: subject and messages, newest kept."""
MAX_MESSAGE_CHARS = 2000
"""One message, so a single pasted log cannot crowd out the rest of the conversation."""
MAX_STAFF_NOTES_CHARS = 2000
"""Internal notes, newest kept."""
MAX_CUSTOMER_CHARS = 600
"""The allow-listed customer profile."""
MAX_HISTORY_CHARS = 1500
MAX_HISTORY_TICKETS = 5
"""The customer's other tickets, newest first, at most this many."""
MAX_INCIDENTS_CHARS = 1200
"""Incidents now affecting the customer's products."""
MAX_PASSAGE_CHARS = 1500
"""One retrieved passage (chunks are smaller than this; the bound guards against a change of chunk size)."""

ASSIST_PASSAGES = 6
"""Passages retrieved for a draft."""
PASSAGES_PER_DOCUMENT = 2
"""So one long document cannot fill every passage slot."""
CANDIDATE_PASSAGES = 2 * ASSIST_PASSAGES
"""Passages ranked before the reply's language breaks ties among them."""
SAME_LANGUAGE_TIE = 0.1
"""Passages whose relevance differs by less than this share of the candidates' score range answer equally
well: between those, one in the reply's language goes first. A more relevant passage in another language
stays ahead of a less relevant one in the reply's language."""
PRECEDENTS = 3
"""Similar solved tickets, with what the agent sent, given to a draft."""


_FAR_FUTURE = datetime(9999, 1, 1, tzinfo=UTC)

NO_CUSTOMER_MESSAGE = "This ticket has no message from the customer yet, so there is nothing to reply to."


def ticket_context_assemble(
    *, ticket: Ticket, user: Any, before: TicketMessage | None = None
) -> TicketContext:
    """Assemble the context for drafting a reply to `ticket` on behalf of `user` (an agent).

    Retrieval runs with the customer's rights (plan, organization, products, language) and the agent's staff
    roles. With `before` (a message of the ticket), the context is the one the console would have assembled
    just before that message was posted: the conversation up to it, the customer's earlier tickets, the
    incidents of that moment; retrieval is over the knowledge base as it is now (backfilling training
    examples from old replies). Raises DomainError when the user cannot see the ticket, or when the ticket
    has no message from the customer to answer."""
    started = time.perf_counter()
    read = _ticket_read(ticket_id=ticket.pk, user=user)
    if read is None:
        raise DomainError("Ticket not found.", code="not_found", status_code=404)
    ticket = read
    customer = ticket.customer
    messages = _messages_read(ticket_id=ticket.pk)
    moment = None
    if before is not None:
        moment = before.created_at
        messages = [m for m in messages if (m.created_at, m.pk) < (before.created_at, before.pk)]
    public = [m for m in messages if m.public]
    from_customer = [m for m in public if m.author_kind == TicketMessage.AuthorKind.CUSTOMER]
    if not from_customer:
        raise DomainError(
            NO_CUSTOMER_MESSAGE,
            code="no_customer_message",
        )
    question, _ = _clip(from_customer[-1].body.strip(), MAX_MESSAGE_CHARS)

    products = _products(customer=customer, ticket=ticket)
    situation = tuple(_active_incidents(products=products, at=moment))
    sections = (
        _conversation_section(ticket=ticket, customer=customer, messages=public),
        _staff_notes_section(customer=customer, messages=[m for m in messages if not m.public]),
        _customer_section(customer=customer, products=products),
        _history_section(ticket=ticket, user=user, before=moment),
        _list_section(
            "incidents",
            MAX_INCIDENTS_CHARS,
            [f"- {line}" for line in situation],
            total=len(situation),
            empty="No active incidents.",
            noun="incident",
        ),
    )

    language = reply_language([m.body for m in from_customer], profile=customer.language)
    retrieval_started = time.perf_counter()
    passages, query, vector_search, notice, vector = _passages(
        ticket=ticket, user=user, messages=public, products=products, language=language
    )
    public_passages = [p for p in passages if not p.internal]
    relevance, question_vector = question_relevance(passages, question=question, subject=ticket.subject)
    follow_up = any(m.author_kind == TicketMessage.AuthorKind.AGENT for m in public)
    precedents = tuple(
        precedent_replies(
            ticket_id=ticket.pk,
            user=user,
            vector=vector,
            before=moment,
            keep=models_api.public_contact_details([p.chunk.text for p in public_passages]),
            limit=PRECEDENTS,
            follow_up_of=question_vector if follow_up else None,
        )
    )
    retrieval_ms = (time.perf_counter() - retrieval_started) * 1000

    return TicketContext(
        ticket_id=ticket.pk,
        customer_id=customer.pk,
        customer_name=customer.name,
        language=customer.language,
        question=question,
        sections=sections,
        passages=passages,
        retrieval_query=query,
        vector_search=vector_search,
        retrieval_ms=retrieval_ms,
        context_ms=(time.perf_counter() - started) * 1000,
        situation=situation,
        retrieval_notice=notice,
        staff_notes=tuple(m.body for m in messages if not m.public),
        precedents=precedents,
        reply_language=language,
        agent_name=_agent_name(user),
        agent_turns=tuple(m.body for m in public if m.author_kind == TicketMessage.AuthorKind.AGENT)[-3:],
        relevance=relevance,
        subject=ticket.subject,
    )


def customer_person(customer: Customer) -> dict[str, str]:
    """What a training example keeps of its customer for redaction: name, e-mail and phone."""
    return {"name": customer.name, "email": customer.email, "phone": customer.phone}


def reply_context(reply: TicketMessage, fallback: Any) -> TicketContext | str:
    """The context the console would have assembled just before `reply` was posted, with its author's rights
    (or `fallback`'s, for imported history without a known author); or why there is none: no one to act
    as, the agent wrote first (nothing to answer yet), or the author may no longer see the ticket."""
    user = reply.author_user if reply.author_user is not None and reply.author_user.is_active else fallback
    if user is None:
        return "no author and no administrator to act as"
    try:
        return ticket_context_assemble(ticket=Ticket(pk=reply.ticket_id), user=user, before=reply)
    except DomainError as exc:
        return exc.message


def _agent_name(user: Any) -> str:
    """How the requesting agent signs a reply: their first name, else their full name, else nothing (the
    team signs)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return (user.first_name or user.get_full_name() or "").strip()


def _question_text(question: str, subject: str) -> str:
    # "Still looping, any idea?" says little without the subject that says what the ticket is about.
    return question if len(question.split()) >= 12 else f"{subject}\n{question}"


def _question_vector(question: str) -> list[float] | None:
    """The customer's question as a vector (prepared ahead when they wrote), or None when it cannot be
    embedded now."""
    try:
        return knowledge.query_vector(question)
    except knowledge.QueryEmbeddingUnavailable:
        return None


def _relevance(passages: Sequence[CitedPassage], vector: Sequence[float] | None) -> dict[str, float]:
    """How close in meaning each quotable sentence of the passages is to the customer's question, for the
    extractive composer; empty when the question could not be embedded."""
    if not passages or vector is None:
        return {}
    sentences = [s for p in passages for s in models_api.passage_sentences(p.chunk.text)]
    return knowledge.sentence_similarities(sentences, vector) or {}


# A draft reads its ticket, customer and messages on every run, so these are plain statements: building
# them with the ORM cost more than running them. What they return are model instances holding the columns
# the context uses, and nothing else.


def _ticket_read(*, ticket_id: int, user: Any) -> Ticket | None:
    """The ticket, if `user` may see it, with its customer and the customer's plan and organization."""
    visible, params = ticket_visible_sql(user=user)
    sql = f"""
        SELECT t.id, t.subject, c.id, c.name, c.language, c.account_status, p.id, p.code, p.name,
            o.id, o.slug, o.name
        FROM {Ticket._meta.db_table} t
        JOIN {Customer._meta.db_table} c ON c.id = t.customer_id
        LEFT JOIN {Plan._meta.db_table} p ON p.id = c.plan_id
        LEFT JOIN {Organization._meta.db_table} o ON o.id = c.organization_id
        WHERE t.id = %s AND {visible}
    """  # noqa: S608 - table names and the rights condition only; the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket_id, *params])
        row = cursor.fetchone()
    if row is None:
        return None
    pk, subject, customer_id, name, language, account_status, *plan, org_id, org_slug, org_name = row
    customer = Customer(
        pk=customer_id,
        name=name,
        language=language,
        account_status=account_status,
        plan=Plan(pk=plan[0], code=plan[1], name=plan[2]) if plan[0] is not None else None,
        organization=Organization(pk=org_id, slug=org_slug, name=org_name) if org_id is not None else None,
    )
    return Ticket(pk=pk, subject=subject, customer=customer)


def _messages_read(*, ticket_id: int) -> list[TicketMessage]:
    """Every message of the ticket, oldest first, with the name of its author."""
    user_model = get_user_model()
    sql = f"""
        SELECT m.id, m.author_kind, m.author_name, m.body, m.public, m.created_at,
            u.id, u.{user_model.USERNAME_FIELD}, u.first_name, u.last_name
        FROM {TicketMessage._meta.db_table} m
        LEFT JOIN {user_model._meta.db_table} u ON u.id = m.author_user_id
        WHERE m.ticket_id = %s
        ORDER BY m.created_at, m.id
    """  # noqa: S608 - table and column names only; the id is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, [ticket_id])
        rows = cursor.fetchall()
    return [
        TicketMessage(
            pk=pk,
            ticket_id=ticket_id,
            author_kind=kind,
            author_name=author_name,
            body=body,
            public=public,
            created_at=created_at,
            author_user=None
            if user_id is None
            else user_model(
                pk=user_id, **{user_model.USERNAME_FIELD: username}, first_name=first, last_name=last
            ),
        )
        for pk, kind, author_name, body, public, created_at, user_id, username, first, last in rows
    ]


def _clip(text: str, limit: int) -> tuple[str, bool]:
    """`text` within `limit` characters, the cut said at its end."""
    if len(text) <= limit:
        return text, False
    # The note's length depends on the count it states; the whole text's length is an upper bound for it.
    kept = text[: max(0, limit - len(_cut_note(len(text))))].rstrip()
    return kept + _cut_note(len(text) - len(kept)), True


def _cut_note(characters: int) -> str:
    return f" [… {characters} more characters left out]"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _newest_that_fit(
    *, blocks: Sequence[str], budget: int, head: str, noun: str, separator: str = "\n\n"
) -> tuple[str, bool]:
    """`head`, then as many of `blocks` (oldest first) as fit in `budget`, keeping the newest, with a line
    saying how many earlier ones were left out."""

    def render(kept: list[str], left_out: int) -> str:
        parts = [head] if head else []
        if left_out:
            parts.append(f"[… {_plural(left_out, 'earlier ' + noun)} left out]")
        return separator.join([*parts, *kept])

    kept: list[str] = []
    for block in reversed(blocks):
        candidate = [block, *kept]
        if len(render(candidate, len(blocks) - len(candidate))) > budget:
            break
        kept = candidate
    clipped = False
    if not kept and blocks:
        # Not even the newest fits whole: keep its beginning.
        room = budget - len(render([], len(blocks) - 1)) - len(separator)
        kept, clipped = [_clip(blocks[-1], max(0, room))[0]], True
    left_out = len(blocks) - len(kept)
    return render(kept, left_out), left_out > 0 or clipped


def _author(message: TicketMessage, customer: Customer) -> str:
    if message.author_name:
        return message.author_name
    if message.author_kind == TicketMessage.AuthorKind.CUSTOMER:
        return customer.name
    if message.author_user is not None:
        return message.author_user.get_full_name() or message.author_user.get_username()
    return ""


def _message_block(message: TicketMessage, customer: Customer) -> str:
    body, _ = _clip(message.body.strip(), MAX_MESSAGE_CHARS)
    author = " ".join(
        part for part in (message.get_author_kind_display(), _author(message, customer)) if part
    )
    return f"{author}, {_when(message.created_at)}:\n{body}"


def _conversation_section(
    *, ticket: Ticket, customer: Customer, messages: Sequence[TicketMessage]
) -> Section:
    blocks = [_message_block(m, customer) for m in messages]
    was_clipped = any(len(m.body.strip()) > MAX_MESSAGE_CHARS for m in messages)
    text, truncated = _newest_that_fit(
        blocks=blocks, budget=MAX_CONVERSATION_CHARS, head=f"Subject: {ticket.subject}", noun="message"
    )
    return Section("conversation", MAX_CONVERSATION_CHARS, text, truncated or was_clipped)


def _staff_notes_section(*, customer: Customer, messages: Sequence[TicketMessage]) -> Section:
    if not messages:
        return Section("staff_notes", MAX_STAFF_NOTES_CHARS, "No internal notes.", False)
    blocks = [_message_block(m, customer) for m in messages]
    was_clipped = any(len(m.body.strip()) > MAX_MESSAGE_CHARS for m in messages)
    text, truncated = _newest_that_fit(blocks=blocks, budget=MAX_STAFF_NOTES_CHARS, head="", noun="note")
    return Section("staff_notes", MAX_STAFF_NOTES_CHARS, text, truncated or was_clipped)


def _customer_section(*, customer: Customer, products: Sequence[_Product]) -> Section:
    # The allow-list. E-mail, phone, payment and consent fields stay out: the draft needs none of them, and
    # a prompt is recorded and may become training data.
    on_record = ", ".join(sorted(p.name for p in products if p.on_record)) or "none on record"
    lines = [
        f"Name: {customer.name}",
        f"Language: {customer.language}",
        f"Plan: {customer.plan.name if customer.plan else 'none'}",
        f"Organization: {customer.organization.name if customer.organization else 'none'}",
        f"Products: {on_record}",
        f"Account status: {customer.get_account_status_display()}",
    ]
    text, truncated = _clip("\n".join(lines), MAX_CUSTOMER_CHARS)
    return Section("customer", MAX_CUSTOMER_CHARS, text, truncated)


def _history_section(*, ticket: Ticket, user: Any, before: datetime | None = None) -> Section:
    # Through the agent's own ticket visibility: a draft shows the agent nothing they could not open.
    visible, params = ticket_visible_sql(user=user)
    sql = f"""
        SELECT t.id, t.created_at, t.subject, t.status, t.resolution, count(*) OVER ()
        FROM {Ticket._meta.db_table} t
        WHERE t.customer_id = %s AND t.id <> %s AND {visible} AND t.created_at < %s
        ORDER BY t.created_at DESC, t.id DESC
        LIMIT %s
    """  # noqa: S608 - table names and the rights condition only; the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(
            sql, [ticket.customer_id, ticket.pk, *params, before or _FAR_FUTURE, MAX_HISTORY_TICKETS]
        )
        rows = cursor.fetchall()
    lines = []
    for pk, created_at, subject, status, resolution, _ in rows:
        outcome = f"; outcome: {resolution}" if resolution else ""
        label = Ticket.Status(status).label
        lines.append(f"- #{pk} ({created_at:%Y-%m-%d}) {subject} — {label}{outcome}")
    total = rows[0][-1] if rows else 0
    return _list_section(
        "history", MAX_HISTORY_CHARS, lines, total=total, empty="No other tickets.", noun="ticket"
    )


def _list_section(
    name: str, budget: int, lines: Sequence[str], *, total: int, empty: str, noun: str
) -> Section:
    """As many of `lines` (most relevant first) as fit in `budget`, then how many of `total` were left out."""
    if not lines:
        return Section(name, budget, empty, False)

    def note(left_out: int) -> str:
        return f"\n[… {_plural(left_out, 'more ' + noun)} left out]" if left_out else ""

    kept: list[str] = []
    for line in lines:
        if len("\n".join([*kept, line])) + len(note(total - len(kept) - 1)) > budget:
            break
        kept.append(line)
    clipped = False
    if not kept:
        kept, clipped = [_clip(lines[0], budget - len(note(total - 1)))[0]], True
    left_out = total - len(kept)
    return Section(name, budget, "\n".join(kept) + note(left_out), left_out > 0 or clipped)


@dataclasses.dataclass(frozen=True)
class _Product:
    pk: int
    code: str
    name: str
    on_record: bool  # on the customer's record (else only named on the ticket)


def _products(*, customer: Customer, ticket: Ticket) -> list[_Product]:
    """The customer's products and the ticket's own, in one statement: a customer may ask about a product
    not (yet) on their record, and that one counts too for incidents and retrieval."""
    sql = f"""
        SELECT p.id, p.code, p.name, bool_or(x.on_record)
        FROM (
            SELECT product_id, true AS on_record FROM {Customer.products.through._meta.db_table}
            WHERE customer_id = %s
            UNION ALL
            SELECT product_id, false FROM {Ticket.products.through._meta.db_table} WHERE ticket_id = %s
        ) x
        JOIN {Product._meta.db_table} p ON p.id = x.product_id
        GROUP BY p.id, p.code, p.name
        ORDER BY p.code
    """  # noqa: S608 - table names only; the ids are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [customer.pk, ticket.pk])
        return [_Product(*row) for row in cursor.fetchall()]


def _active_incidents(*, products: Sequence[_Product], at: datetime | None = None) -> list[str]:
    """One line per incident now (or `at` that moment) affecting any of `products`, newest first: title,
    status, since when, and its latest update (or its customer summary)."""
    if not products:
        return []
    params: list[Any]
    if at is None:
        active, params = "i.status = ANY(%s)", [[str(s.value) for s in Incident.ACTIVE_STATUSES]]
        status = "i.status"
    else:
        # Started by then and not resolved yet; its status as its latest update by then gave it.
        active, params = "i.started_at <= %s AND (i.resolved_at IS NULL OR i.resolved_at > %s)", [at, at]
        status = "coalesce(u.status, i.status)"
    sql = f"""
        SELECT i.title, {status}, i.started_at, i.customer_summary, u.message
        FROM {Incident._meta.db_table} i
        LEFT JOIN LATERAL (
            SELECT u.message, u.status FROM {IncidentUpdate._meta.db_table} u
            WHERE u.incident_id = i.id AND u.created_at <= %s
            ORDER BY u.created_at DESC, u.id DESC LIMIT 1
        ) u ON true
        WHERE {active}
          AND i.id IN (SELECT incident_id FROM {Incident.products.through._meta.db_table}
                       WHERE product_id = ANY(%s))
        ORDER BY i.started_at DESC, i.id DESC
    """  # noqa: S608 - table names and fixed conditions only; the values are parameters
    with connection.cursor() as cursor:
        cursor.execute(sql, [at or _FAR_FUTURE, *params, [p.pk for p in products]])
        rows = cursor.fetchall()
    lines = []
    for title, status, started_at, summary, latest in rows:
        update = " ".join((latest or summary).split())
        line = f"{title} — {Incident.Status(status).label} since {_when(started_at)}"
        lines.append(f"{line}: {update}" if update else line)
    return lines


def _turns(messages: Sequence[TicketMessage]) -> list[knowledge.Turn]:
    return [
        knowledge.Turn(
            role="customer" if m.author_kind == TicketMessage.AuthorKind.CUSTOMER else "agent", text=m.body
        )
        for m in messages
    ]


def retrieval_query_prepare(*, ticket_id: int, keep_seconds: int) -> bool:
    """Embed the search query a draft of this ticket would use now, and keep its vector cached for
    `keep_seconds`: when an agent then asks for a draft, retrieval finds the vector ready. Run by the
    embedding workers when a customer writes. False when there is nothing to prepare."""
    ticket = Ticket.objects.filter(pk=ticket_id).only("pk", "subject").first()
    if ticket is None:
        return False
    public = list(ticket.messages.filter(public=True).order_by("created_at", "id"))
    if not any(m.author_kind == TicketMessage.AuthorKind.CUSTOMER for m in public):
        return False
    text = knowledge.conversation_text(_turns(public), scenario=ticket.subject)
    # The customer's latest question too: the composer weighs passage sentences against it.
    latest = [m for m in public if m.author_kind == TicketMessage.AuthorKind.CUSTOMER][-1]
    question = _question_text(_clip(latest.body.strip(), MAX_MESSAGE_CHARS)[0], ticket.subject)
    knowledge.query_vector_prepare(question, keep_seconds=keep_seconds)
    return knowledge.query_vector_prepare(text, keep_seconds=keep_seconds)


def _passages(
    *,
    ticket: Ticket,
    user: Any,
    messages: Sequence[TicketMessage],
    products: Sequence[_Product],
    language: str,
) -> tuple[tuple[CitedPassage, ...], str, str, str, tuple[float, ...] | None]:
    codes = sorted({p.code for p in products})
    scope = retrieval_scope(staff_roles=roles.user_roles(user), customer=ticket.customer, products=codes)
    return passages_find(scope=scope, messages=messages, subject=ticket.subject, language=language)


def passages_find(
    *, scope: knowledge.RetrievalScope, messages: Sequence[TicketMessage], subject: str, language: str
) -> tuple[tuple[CitedPassage, ...], str, str, str, tuple[float, ...] | None]:
    """The passages a draft of the conversation `messages` (public, oldest first) may cite, searched within
    `scope`: the passages, the search query, how vector search went (and why not, in words), and the query's
    vector. The draft evaluation calls this too, with an evaluation collection's scope."""
    query = knowledge.conversation_query(_turns(messages), scope=scope, scenario=subject)
    # Relevance first, over the documents in every language the customer may read; the reply's language
    # only breaks ties (see SAME_LANGUAGE_TIE).
    found = knowledge.retrieve_with_status(
        query.text,
        scope=scope,
        k=CANDIDATE_PASSAGES,
        max_per_document=PASSAGES_PER_DOCUMENT,
        focus_titles=query.focus_titles,
    )
    asked = stems(f"{subject}\n{messages[-1].body if messages else ''}")
    chunks = _language_preferred(_on_topic(list(found.chunks), asked), language)[:ASSIST_PASSAGES]
    # Sentences written to a model are taken out here, before any backend is shown a passage.
    passages = passages_screen(
        CitedPassage(
            marker=index, chunk=dataclasses.replace(chunk, text=_clip(chunk.text, MAX_PASSAGE_CHARS)[0])
        )
        for index, chunk in enumerate(chunks, start=1)
    )
    return passages, query.text, found.vector_search, found.notice, found.vector


def question_relevance(
    passages: Sequence[CitedPassage], *, question: str, subject: str
) -> tuple[dict[str, float], list[float] | None]:
    """How close in meaning each quotable sentence of the customer-facing `passages` is to the customer's
    question, and the question's vector (None when it could not be embedded)."""
    vector = _question_vector(_question_text(question, subject))
    return _relevance([p for p in passages if not p.internal], vector), vector


def _on_topic(chunks: list[knowledge.RetrievedChunk], asked: set[str]) -> list[knowledge.RetrievedChunk]:
    """`chunks` with those about the opposite of what was asked (a section on downgrading, for a question
    about upgrading) moved behind the others."""
    return sorted(chunks, key=lambda c: contradicts(asked, stems(" ".join(c.heading_path[-1:]))))


def _language_preferred(
    chunks: list[knowledge.RetrievedChunk], language: str
) -> list[knowledge.RetrievedChunk]:
    """`chunks` (best first) with those in `language` moved ahead of others that are no more relevant than
    they are by more than SAME_LANGUAGE_TIE of the score range."""
    if not chunks or not language:
        return chunks
    scores = [c.fused_score for c in chunks]
    tie = SAME_LANGUAGE_TIE * ((max(scores) - min(scores)) or 1.0)

    def same(chunk: knowledge.RetrievedChunk) -> bool:
        return chunk.language.split("-")[0].lower() == language

    return sorted(chunks, key=lambda c: -(c.fused_score + (tie if same(c) else 0.0)))
