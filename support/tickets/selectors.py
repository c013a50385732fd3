"""Reads of tickets, filtered by the caller's rights in SQL."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, OuterRef, Q, QuerySet, Subquery

from support.core import roles

from .models import Team, Ticket, TicketMessage, TicketRead


def _ticket_rule(user: Any) -> str:
    """Which tickets the user may see: "all" (administrators and integrations), "teams" (agents: their teams'
    tickets) or "none"."""
    user_roles = roles.user_roles(user)
    if user_roles & {roles.ADMINISTRATOR, roles.INTEGRATION}:
        return "all"
    return "teams" if roles.AGENT in user_roles else "none"


def ticket_scope_for_user(*, user: Any) -> QuerySet[Ticket]:
    """The tickets the user may see, and nothing else (no joins, no counts): for rights checks and for reads
    that need only ticket columns. Administrators and integrations see every ticket; agents their teams'
    tickets; others none."""
    rule = _ticket_rule(user)
    if rule == "all":
        return Ticket.objects.all()
    if rule == "teams":
        return Ticket.objects.filter(team__in=Team.objects.filter(members=user))
    return Ticket.objects.none()


def ticket_visible_sql(*, user: Any, alias: str = "t") -> tuple[str, list[Any]]:
    """`ticket_scope_for_user` as an SQL condition on the ticket row `alias`, with its parameters, for the
    hot paths that read tickets with plain statements (a draft reads its ticket and the customer's other
    tickets on every run)."""
    rule = _ticket_rule(user)
    if rule == "all":
        return "TRUE", []
    if rule == "teams":
        members = Team.members.through._meta.db_table
        condition = f"{alias}.team_id IN (SELECT team_id FROM {members} WHERE user_id = %s)"  # noqa: S608
        return condition, [user.pk]
    return "FALSE", []


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
    if roles.user_roles(user) & {roles.ADMINISTRATOR, roles.INTEGRATION}:
        return Team.objects.all()
    return Team.objects.filter(Q(members=user)).distinct()
