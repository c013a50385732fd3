"""Knowledge search for hit testing: the passages a query finds with the caller's rights (or one staff role
of theirs), optionally on behalf of a customer, whose plan and organization then apply as they do to a
draft for that customer (`scope.retrieval_scope`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from knowledge import api
from support.core import roles
from support.core.errors import DomainError
from support.tickets.selectors import customer_list_for_user

from .scope import retrieval_scope


def knowledge_search(
    *,
    user: Any,
    query: str,
    k: int,
    role: str | None = None,
    customer_id: int | None = None,
    products: Sequence[str] = (),
    language: str | None = None,
    max_per_document: int | None = None,
) -> api.Retrieval:
    """The ranked passages for `query` that `user` may read, or that staff holding only `role` may read (a
    role `user` holds, unless they are an administrator: 403 otherwise), as customer `customer_id` when
    given (one `user` may see: 400 otherwise). Ranked by keywords alone when the query cannot be embedded
    in time."""
    staff_roles = roles.user_roles(user)
    if role:
        if role not in staff_roles and roles.ADMINISTRATOR not in staff_roles:
            raise DomainError("You can only search with a role you hold.", field="role", status_code=403)
        staff_roles = frozenset({role})
    customer = None
    if customer_id:
        customer = customer_list_for_user(user=user).filter(pk=customer_id).first()
        if customer is None:
            raise DomainError("Unknown customer.", field="customer", status_code=400)
    scope = retrieval_scope(staff_roles=staff_roles, customer=customer, products=products, language=language)
    return api.retrieve_with_status(query, scope=scope, k=k, max_per_document=max_per_document)
