"""Reads of customers and organizations, filtered by the caller's rights in SQL."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from .models import Customer, Organization


def customer_list_for_user(*, user: Any) -> QuerySet[Customer]:
    """The customers the user may see (the rule is `support.tickets.rights.customers_visible`: everyone
    for administrators and integrations, those with a ticket in their teams for agents), with what a
    customer list shows."""
    from support.tickets import rights

    return (
        rights.customers_visible(user=user)
        .select_related("organization", "plan")
        .prefetch_related("products")
    )


def organization_list_for_user(*, user: Any) -> QuerySet[Organization]:
    """The organizations the user may see (`support.tickets.rights.organizations_visible`)."""
    from support.tickets import rights

    return rights.organizations_visible(user=user).select_related("plan")
