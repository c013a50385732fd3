"""Roles and scopes: who may do what.

A role is a Django group. An API scope names a capability; each role grants a fixed set of scopes, and an API
key carries its own subset. Every API view declares the scope it needs for reading and for writing, so a
browser session and an integration key are checked by the same rule.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Final

AGENT: Final = "agent"
KNOWLEDGE_ADMIN: Final = "knowledge_admin"
INTEGRATION: Final = "integration"
ADMINISTRATOR: Final = "administrator"
ROLES: Final = (AGENT, KNOWLEDGE_ADMIN, INTEGRATION, ADMINISTRATOR)

TICKETS_READ: Final = "tickets:read"
TICKETS_WRITE: Final = "tickets:write"
ASSIST: Final = "assist"
KNOWLEDGE_READ: Final = "knowledge:read"
KNOWLEDGE_WRITE: Final = "knowledge:write"
ADMIN: Final = "admin"
SCOPES: Final = (TICKETS_READ, TICKETS_WRITE, ASSIST, KNOWLEDGE_READ, KNOWLEDGE_WRITE, ADMIN)

ROLE_SCOPES: Final[dict[str, frozenset[str]]] = {
    AGENT: frozenset({TICKETS_READ, TICKETS_WRITE, ASSIST, KNOWLEDGE_READ}),
    KNOWLEDGE_ADMIN: frozenset({KNOWLEDGE_READ, KNOWLEDGE_WRITE}),
    # An integration's reach is what its API keys carry; the role itself grants the ticketing scopes.
    INTEGRATION: frozenset({TICKETS_READ, TICKETS_WRITE, ASSIST, KNOWLEDGE_READ}),
    ADMINISTRATOR: frozenset(SCOPES),
}

# Django model permissions each role's group holds (app_label.codename), for the admin site and reports.
ROLE_PERMISSIONS: Final[dict[str, tuple[str, ...]]] = {
    AGENT: (
        "tickets.view_ticket",
        "tickets.change_ticket",
        "tickets.add_ticket",
        "tickets.view_ticketmessage",
        "tickets.add_ticketmessage",
        "customers.view_customer",
        "customers.view_organization",
        "customers.view_product",
        "customers.view_incident",
    ),
    KNOWLEDGE_ADMIN: ("customers.view_product",),
    INTEGRATION: (
        "tickets.view_ticket",
        "tickets.change_ticket",
        "tickets.add_ticket",
        "tickets.view_ticketmessage",
        "tickets.add_ticketmessage",
        "customers.view_customer",
        "customers.add_customer",
        "customers.change_customer",
        "customers.view_organization",
        "customers.view_product",
        "customers.view_incident",
    ),
    ADMINISTRATOR: ("*",),
}


def user_roles(user: object) -> frozenset[str]:
    """The roles of a user; superusers are administrators."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_openbook_roles", None)
    if cached is not None:
        return cached
    names = list(user.groups.values_list("name", flat=True))  # type: ignore[attr-defined]
    return _roles_remember(user, names)


def _roles_remember(user: object, group_names: Iterable[str]) -> frozenset[str]:
    names = set(group_names)
    if getattr(user, "is_superuser", False):
        names.add(ADMINISTRATOR)
    roles = frozenset(names & set(ROLES))
    user._openbook_roles = roles  # type: ignore[attr-defined]
    return roles


def user_with_roles(user_id: int) -> Any:
    """The user with their roles already known (`user_roles` then asks nothing), read in one statement; None
    when there is no such user. For workers acting for a user outside a request."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from .db import model_columns, model_from_row

    model = get_user_model()
    groups = model.groups.through  # type: ignore[attr-defined]
    group_table = groups._meta.get_field("group").related_model._meta.db_table
    sql = (
        f"SELECT {model_columns(model, 'u')}, ARRAY(SELECT g.name FROM {group_table} g "  # noqa: S608
        f"JOIN {groups._meta.db_table} ug ON ug.group_id = g.id WHERE ug.user_id = u.id) "
        f"FROM {model._meta.db_table} u WHERE u.id = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [user_id])
        row = cursor.fetchone()
    if row is None:
        return None
    user = model_from_row(model, row)
    _roles_remember(user, row[-1])
    return user


def user_scopes(user: object) -> frozenset[str]:
    scopes: set[str] = set()
    for role in user_roles(user):
        scopes |= ROLE_SCOPES[role]
    return frozenset(scopes)


def is_administrator(user: object) -> bool:
    return ADMINISTRATOR in user_roles(user)


def first_administrator() -> Any:
    """The first active administrator (by id), or None: whose rights jobs that act for nobody in particular
    (backfills of imported history) use."""
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    administrators = get_user_model().objects.filter(
        Q(is_superuser=True) | Q(groups__name=ADMINISTRATOR), is_active=True
    )
    return administrators.order_by("id").first()
