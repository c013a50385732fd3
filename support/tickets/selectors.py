"""Reads filtered by the caller's rights in SQL: tickets and teams, and the customers and organizations an
agent reaches through their teams' tickets."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from support.customers.models import Customer, Organization

from . import rights
from .models import Team, Ticket, TicketMessage, TicketRead


def ticket_scope_for_user(*, user: Any) -> QuerySet[Ticket]:
    """The tickets the user may see, and nothing else (no joins, no counts): for rights checks and for reads
    that need only ticket columns. The rule is `rights.tickets_visible`."""
    return rights.tickets_visible(user=user)


def ticket_visible_sql(*, user: Any, alias: str = "t") -> tuple[str, list[Any]]:
    """`ticket_scope_for_user` as an SQL condition on the ticket row `alias`, with its parameters, for the
    hot paths that read tickets with plain statements (a draft reads its ticket and the customer's other
    tickets on every run)."""
    return rights.tickets_visible_sql(user=user, alias=alias)


def ticket_list_for_user(*, user: Any) -> QuerySet[Ticket]:
    """The tickets the user may see (`ticket_scope_for_user`), newest first, with what a ticket list shows:
    customer, team and assignee, products, message count, time of the last message, and when the user last
    read it and the customer last wrote (a ticket is unread when the second is later)."""
    return (
        ticket_scope_for_user(user=user)
        .select_related("customer", "customer__organization", "customer__plan", "team", "assignee")
        .prefetch_related("products")
        .annotate(
            message_count=Count("messages", distinct=True),
            last_message_at=Max("messages__created_at"),
            last_customer_message_at=Max(
                "messages__created_at", filter=Q(messages__author_kind=TicketMessage.AuthorKind.CUSTOMER)
            ),
            read_at=Subquery(
                TicketRead.objects.filter(ticket=OuterRef("pk"), user_id=user.pk).values("read_at")[:1]
            ),
        )
        .order_by("-created_at", "-id")
    )


def ticket_messages(*, ticket: Ticket, include_internal: bool = True) -> QuerySet[TicketMessage]:
    messages = ticket.messages.select_related("author_user", "ticket__customer")
    return messages if include_internal else messages.filter(public=True)


def unread(ticket: Ticket) -> bool:
    """Whether the customer wrote since the user (of `ticket_list_for_user`) last read the ticket."""
    last = getattr(ticket, "last_customer_message_at", None)
    seen = getattr(ticket, "read_at", None)
    return last is not None and (seen is None or last > seen)


def team_list_for_user(*, user: Any) -> QuerySet[Team]:
    """The teams whose tickets the user sees (every team for administrators and integrations)."""
    return rights.teams_visible(user=user)


def customer_list_for_user(*, user: Any) -> QuerySet[Customer]:
    """The customers the user may see (the rule is `rights.customers_visible`: everyone for administrators
    and integrations, those with a ticket in their teams for agents), with what a customer list shows."""
    return (
        rights.customers_visible(user=user)
        .select_related("organization", "plan")
        .prefetch_related("products")
    )


def organization_list_for_user(*, user: Any) -> QuerySet[Organization]:
    """The organizations the user may see (`rights.organizations_visible`)."""
    return rights.organizations_visible(user=user).select_related("plan")
