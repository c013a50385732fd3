"""Everything that can happen to a ticket: create (idempotent on source + external id), update, change
status through the allowed transitions, assign, and add messages; and creating (or updating) the customer
a caller files tickets for, which looks for the existing one with the caller's rights."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from support.core import events as core_events
from support.core import roles
from support.core.errors import Conflict, DomainError
from support.customers import services as customers
from support.customers.models import Customer, Product

from . import events, rights
from .models import TRANSITIONS, Team, Ticket, TicketMessage, TicketRead


@dataclass(frozen=True)
class MessageInput:
    author_kind: str
    body: str
    public: bool = True
    author_name: str = ""
    author_user: Any = None
    created_at: datetime | None = None
    external_id: str = ""


def team_for_products(*, products: Sequence[Product]) -> Team:
    """The team that owns the first product that has one, else the default team."""
    for product in products:
        team = Team.objects.filter(products=product).order_by("id").first()
        if team is not None:
            return team
    team = Team.objects.filter(is_default=True).first() or Team.objects.order_by("id").first()
    if team is None:
        team = Team.objects.create(name="Support", slug="support", is_default=True)
    return team


def sla_due(*, customer: Customer, priority: str, opened_at: datetime) -> datetime:
    """First-response deadline: the plan's hours, halved for urgent tickets."""
    plan_code = customer.plan.code if customer.plan else "starter"
    hours: float = settings.SLA_HOURS.get(
        plan_code, customer.plan.first_response_hours if customer.plan else 24
    )
    if priority == Ticket.Priority.URGENT:
        hours = hours / 2
    return opened_at + timedelta(hours=hours)


def _check_assignee(*, assignee: Any, team: Team) -> None:
    if assignee is None:
        return
    if roles.is_administrator(assignee):
        return
    if roles.AGENT not in roles.user_roles(assignee):
        raise DomainError("Only agents can be assigned tickets.", field="assignee")
    if not team.members.filter(pk=assignee.pk).exists():
        raise DomainError(f"{assignee.get_username()} is not a member of team {team.name}.", field="assignee")


def ticket_create(
    *,
    subject: str,
    customer: Customer,
    priority: str = Ticket.Priority.NORMAL,
    channel: str = Ticket.Channel.EMAIL,
    products: Sequence[Product] = (),
    tags: Iterable[str] = (),
    team: Team | None = None,
    assignee: Any = None,
    status: str = Ticket.Status.NEW,
    messages: Sequence[MessageInput] = (),
    source: str = "openbook",
    external_id: str = "",
    created_at: datetime | None = None,
    lookup: bool = True,
    by: Any,
) -> tuple[Ticket, bool]:
    """Create a ticket, or update the one with the same `source` + `external_id`, for `by` (a user, or
    `rights.SYSTEM`).

    Returns the ticket and whether it was created. Messages already present (same external id) are skipped.
    The existing ticket is looked up with `by`'s rights: one they may not see is `InUse`, and stays as it
    was. Without a `team`, the ticket goes where routing sends it if `by` may see that team's tickets, else
    to their first team (`rights.team_for_new_ticket`): whoever files a ticket can see it afterwards.
    `lookup=False` skips looking for that ticket first, for a caller that just did (one created meanwhile
    is still found, when the insert collides with it).
    """
    if team is not None:
        rights.team_check(user=by, team=team)
    if external_id and lookup:
        existing = rights.ticket_match(user=by, source=source, external_id=external_id)
        if existing is not None:
            ticket = ticket_update(
                ticket=existing,
                subject=subject,
                priority=priority,
                tags=list(tags),
                products=products,
                **({"team": team} if team else {}),
                **({"assignee": assignee} if assignee else {}),
            )
            for message in messages:
                message_add(ticket=ticket, message=message)
            return ticket, False
    rights.customer_check(user=by, customer=customer)
    team = team or rights.team_for_new_ticket(user=by, routed=team_for_products(products=products))
    _check_assignee(assignee=assignee, team=team)
    opened_at = created_at or timezone.now()
    try:
        with transaction.atomic():
            ticket = Ticket.objects.create(
                subject=subject,
                customer=customer,
                priority=priority,
                channel=channel,
                team=team,
                assignee=assignee,
                tags=_clean_tags(tags),
                status=status,
                source=source,
                external_id=external_id,
                created_at=opened_at,
                sla_due_at=sla_due(customer=customer, priority=priority, opened_at=opened_at),
                solved_at=opened_at if status in (Ticket.Status.SOLVED, Ticket.Status.CLOSED) else None,
            )
            if products:
                ticket.products.set(products)
            # The ticket is this transaction's own: nothing to lock, and only the messages given to repeat.
            seen: set[str] = set()
            for message in messages:
                _message_check(message)
                if message.external_id and message.external_id in seen:
                    continue
                seen.add(message.external_id)
                _message_insert(ticket=ticket, message=message, reopen=False, announce=True)
    except IntegrityError:
        # Another request created the same external ticket a moment ago: update that one instead.
        if external_id and Ticket.objects.filter(source=source, external_id=external_id).exists():
            return ticket_create(
                subject=subject,
                customer=customer,
                priority=priority,
                channel=channel,
                products=products,
                tags=tags,
                team=team,
                assignee=assignee,
                messages=messages,
                source=source,
                external_id=external_id,
                by=by,
            )
        raise
    return ticket, True


def _clean_tags(tags: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        tag = tag.strip().lower()
        if tag and tag not in seen:
            seen.append(tag)
    return seen


@transaction.atomic
def ticket_update(*, ticket: Ticket, products: Sequence[Product] | None = None, **fields: Any) -> Ticket:
    """Change a ticket's editable fields; `status` goes through `ticket_change_status`."""
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    status = fields.pop("status", None)
    if "tags" in fields:
        fields["tags"] = _clean_tags(fields["tags"])
    team = fields.get("team", ticket.team)
    if "team" in fields or "assignee" in fields:
        assignee = fields.get("assignee", ticket.assignee)
        # Moving a ticket to a team its assignee is not in leaves it unassigned.
        if (
            "team" in fields
            and "assignee" not in fields
            and assignee is not None
            and not team.members.filter(pk=assignee.pk).exists()
            and not roles.is_administrator(assignee)
        ):
            fields["assignee"] = None
            assignee = None
        _check_assignee(assignee=assignee, team=team)
    changed: list[str] = []
    for name in ("subject", "priority", "channel", "team", "assignee", "tags", "resolution"):
        if name in fields and getattr(ticket, name) != fields[name]:
            setattr(ticket, name, fields[name])
            changed.append(name)
    if "priority" in changed and ticket.first_responded_at is None:
        ticket.sla_due_at = sla_due(
            customer=ticket.customer, priority=ticket.priority, opened_at=ticket.created_at
        )
        changed.append("sla_due_at")
    if changed:
        ticket.save(update_fields=[*changed, "updated_at"])
    announced = [name for name in changed if name != "sla_due_at"]
    if products is not None:
        before = set(ticket.products.values_list("pk", flat=True))
        ticket.products.set(products)
        if before != {p.pk for p in products}:
            announced.append("products")
    if status is not None and status != ticket.status:
        ticket = ticket_change_status(ticket=ticket, status=status, announce=False)
        announced.append("status")
    if announced:
        events.ticket_updated(ticket=ticket, changes=announced)
    return ticket


def ticket_change_status(
    *, ticket: Ticket, status: str, at: datetime | None = None, announce: bool = True
) -> Ticket:
    """Move a ticket along an allowed transition (see `TRANSITIONS`); anything else is a 409. Subscribers
    hear of the change unless `announce` is false (the caller tells them itself)."""
    if status not in Ticket.Status.values:
        raise DomainError(f"Unknown status {status!r}.", field="status")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if status == ticket.status:
            return ticket
        if status not in TRANSITIONS[ticket.status]:
            allowed = ", ".join(sorted(TRANSITIONS[ticket.status])) or "none (closed is final)"
            raise Conflict(
                f"A ticket cannot go from {ticket.status} to {status}; allowed: {allowed}.",
                field="status",
                code="invalid_transition",
            )
        ticket.status = status
        update = ["status", "updated_at"]
        if status == Ticket.Status.SOLVED:
            ticket.solved_at = at or timezone.now()
            update.append("solved_at")
        elif status == Ticket.Status.OPEN and ticket.solved_at is not None:
            ticket.solved_at = None
            update.append("solved_at")
        ticket.save(update_fields=update)
        if announce:
            events.ticket_updated(ticket=ticket, changes=["status"])
    return ticket


def _message_check(message: MessageInput) -> None:
    if message.author_kind not in TicketMessage.AuthorKind.values:
        raise DomainError(f"Unknown author kind {message.author_kind!r}.", field="author_kind")
    if not message.body.strip():
        raise DomainError("A message needs a body.", field="body")
    if message.author_kind == TicketMessage.AuthorKind.CUSTOMER and not message.public:
        raise DomainError("Customer messages are always public.", field="public")


def message_add(
    *, ticket: Ticket, message: MessageInput, reopen: bool = True, announce: bool = True
) -> TicketMessage:
    """Add a message. Idempotent on `external_id`. A customer writing to a pending or solved ticket reopens
    it; a closed ticket takes no more messages. An agent's first public reply stops the SLA clock, and
    subscribers hear of every public agent reply (unless `announce` is false: the caller tells them)."""
    _message_check(message)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if message.external_id:
            found = ticket.messages.filter(external_id=message.external_id).first()
            if found is not None:
                return found
        if ticket.status == Ticket.Status.CLOSED and reopen:
            raise Conflict("This ticket is closed; open a new ticket instead.", code="ticket_closed")
        return _message_insert(ticket=ticket, message=message, reopen=reopen, announce=announce)


def _message_insert(*, ticket: Ticket, message: MessageInput, reopen: bool, announce: bool) -> TicketMessage:
    """Store a checked message on a ticket this transaction holds (locked, or created by it)."""
    created = TicketMessage.objects.create(
        ticket=ticket,
        author_kind=message.author_kind,
        body=message.body,
        public=message.public,
        author_name=message.author_name,
        author_user=message.author_user,
        created_at=message.created_at or timezone.now(),
        external_id=message.external_id,
    )
    core_events.publish(
        core_events.TICKET_MESSAGE_CREATED,
        core_events.TicketMessageCreated(
            ticket_id=ticket.pk, message_id=created.pk, author_kind=created.author_kind, public=created.public
        ),
    )
    if (
        message.author_kind == TicketMessage.AuthorKind.AGENT
        and message.public
        and ticket.first_responded_at is None
    ):
        ticket.first_responded_at = created.created_at
        ticket.save(update_fields=["first_responded_at", "updated_at"])
    if (
        reopen
        and message.author_kind == TicketMessage.AuthorKind.CUSTOMER
        and ticket.status in (Ticket.Status.PENDING, Ticket.Status.SOLVED, Ticket.Status.ON_HOLD)
    ):
        ticket_change_status(ticket=ticket, status=Ticket.Status.OPEN)
    if announce and message.author_kind == TicketMessage.AuthorKind.AGENT and message.public:
        events.reply_sent(message=created)
    return created


def ticket_mark_read(*, ticket: Ticket, user: Any, at: datetime | None = None) -> None:
    """Remember that `user` has read `ticket` up to now (the console calls it when the ticket is opened)."""
    TicketRead.objects.update_or_create(user=user, ticket=ticket, defaults={"read_at": at or timezone.now()})


def messages_erase(*, customer_id: int) -> int:
    """Erase what a customer wrote on their tickets (their messages keep their place, with `ERASED_TEXT` as
    body and no author name). Returns how many messages were erased."""
    return TicketMessage.objects.filter(
        ticket__customer_id=customer_id, author_kind=TicketMessage.AuthorKind.CUSTOMER
    ).update(body=core_events.ERASED_TEXT, author_name="")


# --- customers, found with the caller's rights ---------------------------------------------------------


def customer_create(
    *,
    products: Iterable[Product] | None = None,
    source: str = "openbook",
    external_id: str = "",
    by: Any,
    **fields: Any,
) -> Customer:
    """A new customer, for `by` (a user, or `rights.SYSTEM`). An e-mail address (or `source` +
    `external_id`) already taken is a 409; `InUse` when the customer who has it is one `by` may not see."""
    if rights.customer_match(
        user=by, source=source, external_id=external_id, email=str(fields.get("email", ""))
    ):
        raise Conflict("A customer with this e-mail address already exists.", field="email")
    return customers.customer_insert(source=source, external_id=external_id, products=products, **fields)


def customer_upsert(
    *, source: str, external_id: str, email: str, by: Any, **fields: Any
) -> tuple[Customer, bool]:
    """Find a customer by `source`+`external_id` (or else e-mail) and update it, or create one (named after
    the e-mail address when no name is given), for `by` (a user, or `rights.SYSTEM`).

    Returns the customer and whether it was created. The customer is looked up with `by`'s rights: one
    they may not see is `InUse`, and stays as it was.
    """
    existing = rights.customer_match(user=by, source=source, external_id=external_id, email=email)
    if existing is None:
        fields.setdefault("name", email.strip().split("@")[0])
        return customers.customer_insert(source=source, external_id=external_id, email=email, **fields), True
    if external_id and not existing.external_id:
        existing.source, existing.external_id = source, external_id
        existing.save(update_fields=["source", "external_id", "updated_at"])
    return customers.customer_update(customer=existing, email=email, **fields), False
