"""Reads of tickets, filtered by the caller's rights in SQL."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Q, QuerySet

from support.core import roles

from .models import Team, Ticket, TicketMessage


def ticket_list_for_user(*, user: Any) -> QuerySet[Ticket]:
    """Administrators and integrations see every ticket; agents their teams' tickets; others none."""
    queryset = (
        Ticket.objects.select_related(
            "customer", "customer__organization", "customer__plan", "team", "assignee"
        )
        .prefetch_related("products")
        .annotate(
            message_count=Count("messages", distinct=True),
            last_message_at=Max("messages__created_at"),
        )
        .order_by("-created_at", "-id")
    )
    user_roles = roles.user_roles(user)
    if user_roles & {roles.ADMINISTRATOR, roles.INTEGRATION}:
        return queryset
    if roles.AGENT in user_roles:
        return queryset.filter(team__in=Team.objects.filter(members=user))
    return queryset.none()


def ticket_messages(*, ticket: Ticket, include_internal: bool = True) -> QuerySet[TicketMessage]:
    messages = ticket.messages.select_related("author_user")
    return messages if include_internal else messages.filter(public=True)


def team_list_for_user(*, user: Any) -> QuerySet[Team]:
    if roles.user_roles(user) & {roles.ADMINISTRATOR, roles.INTEGRATION}:
        return Team.objects.all()
    return Team.objects.filter(Q(members=user)).distinct()
