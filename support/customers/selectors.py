"""Reads of customers and organizations, filtered by the caller's rights in SQL."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, QuerySet

from support.core import roles

from .models import Customer, Organization


def _sees_all_customers(user: Any) -> bool:
    return bool(roles.user_roles(user) & {roles.ADMINISTRATOR, roles.INTEGRATION})


def customer_list_for_user(*, user: Any) -> QuerySet[Customer]:
    """Administrators and integrations see every customer; agents those with a ticket in one of their
    teams; everyone else none."""
    queryset = Customer.objects.select_related("organization", "plan").prefetch_related("products")
    if _sees_all_customers(user):
        return queryset
    if roles.AGENT in roles.user_roles(user):
        from support.tickets.models import Ticket

        visible = Ticket.objects.filter(customer=OuterRef("pk"), team__members=user)
        return queryset.filter(Exists(visible))
    return queryset.none()


def organization_list_for_user(*, user: Any) -> QuerySet[Organization]:
    queryset = Organization.objects.select_related("plan")
    if _sees_all_customers(user):
        return queryset
    visible_customers = customer_list_for_user(user=user).filter(organization=OuterRef("pk"))
    return queryset.filter(Exists(visible_customers))
