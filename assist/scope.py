"""Whose rights a knowledge search runs with, on the console side: the caller's staff roles and, when the
search is on behalf of a customer, that customer's plan and organization.

Hit testing and draft context assembly both build their `RetrievalScope` here, so a passage an agent sees
in hit testing "as customer X" is exactly one a draft for X may cite.
"""

from __future__ import annotations

from collections.abc import Iterable

from knowledge.api import RetrievalScope
from support.customers.models import Customer


def retrieval_scope(
    *,
    staff_roles: frozenset[str],
    customer: Customer | None = None,
    products: Iterable[str] = (),
    language: str | None = None,
) -> RetrievalScope:
    """The scope of a search by staff holding `staff_roles`, on behalf of `customer` when given: restricted
    documents are then narrowed to the customer's plan and organization. `products` (codes) and `language`
    narrow the documents further; empty means no narrowing."""
    if customer is None:
        return RetrievalScope(staff_roles=staff_roles, products=tuple(products), language=language or None)
    return RetrievalScope(
        staff_roles=staff_roles,
        for_customer=True,
        customer_plan=customer.plan.code if customer.plan else None,
        customer_organization=customer.organization.slug if customer.organization else None,
        products=tuple(products),
        language=language or None,
    )
