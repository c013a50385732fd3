"""Plain factory functions: each makes one valid row with sensible defaults, overridable by keyword."""

from __future__ import annotations

import itertools
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from support.core.services import roles_ensure
from support.customers.models import Customer, Organization, Plan, Product
from support.tickets.models import Team, Ticket, TicketMessage
from support.tickets.rights import SYSTEM
from support.tickets.services import MessageInput, message_add, ticket_create

_counter = itertools.count(1)


def n() -> int:
    return next(_counter)


def user(*, role: str | None = "agent", teams: tuple[Team, ...] = (), **fields: Any) -> Any:
    roles_ensure()
    i = n()
    made = get_user_model().objects.create_user(
        username=fields.pop("username", f"user{i}"), password="pw-for-tests-only", **fields
    )
    if role:
        made.groups.add(Group.objects.get(name=role))
    for team in teams:
        team.members.add(made)
    return made


def team(**fields: Any) -> Team:
    i = n()
    return Team.objects.create(
        name=fields.pop("name", f"Team {i}"), slug=fields.pop("slug", f"team-{i}"), **fields
    )


def plan(code: str = "growth", **fields: Any) -> Plan:
    defaults = {"starter": (1, 24), "growth": (2, 4), "enterprise": (3, 1)}.get(code, (1, 24))
    made, _ = Plan.objects.get_or_create(
        code=code,
        defaults={"name": code.title(), "rank": defaults[0], "first_response_hours": defaults[1], **fields},
    )
    return made


def product(**fields: Any) -> Product:
    i = n()
    return Product.objects.create(
        code=fields.pop("code", f"prod-{i}"), name=fields.pop("name", f"Product {i}"), **fields
    )


def organization(**fields: Any) -> Organization:
    i = n()
    return Organization.objects.create(
        name=fields.pop("name", f"Org {i}"), slug=fields.pop("slug", f"org-{i}"), **fields
    )


def customer(**fields: Any) -> Customer:
    i = n()
    fields.setdefault("plan", plan("growth"))
    return Customer.objects.create(
        name=fields.pop("name", f"Customer {i}"),
        email=fields.pop("email", f"customer{i}@example.test"),
        **fields,
    )


def ticket(*, team: Team | None = None, customer_: Customer | None = None, **fields: Any) -> Ticket:
    made, _ = ticket_create(
        subject=fields.pop("subject", "Help with my account"),
        customer=customer_ or customer(),
        team=team or globals()["team"](),
        by=SYSTEM,
        **fields,
    )
    return made


def message(ticket_: Ticket, **fields: Any) -> TicketMessage:
    fields.setdefault("author_kind", "customer")
    fields.setdefault("body", "Hello, I need help.")
    return message_add(ticket=ticket_, message=MessageInput(**fields))


def indexed_document(*, title: str, text: str, meta: dict[str, Any] | None = None, **fields: Any) -> Any:
    """A published document, embedded and active (search serves it), with optional audience, products and
    other metadata given as `import_documents` takes it (`{"plans": ["enterprise"]}`)."""
    from knowledge import indexing as knowledge_indexing
    from knowledge import services as knowledge_services
    from knowledge.ingest import metadata_resolve

    fields.setdefault("status", "published")
    document = knowledge_services.document_create(title=title, text=text, embed_async=False, **fields)
    if meta:
        knowledge_services.document_update(document=document, **metadata_resolve(meta))
    knowledge_indexing.version_embed(version_id=document.versions.get().pk)
    return document
