"""The demo company, seeded at a fixed moment, hashes to the same fingerprint as it always has.

Moving the demo's content between files (Python, YAML, Markdown) must not change one row of it. Each table
is reduced to its rows by natural key (codes, slugs, e-mails, external ids, never a database id), and each
table's rows to one hash, so a difference names the table it is in. When the demo content is changed on
purpose, print `_fingerprint()` and commit the new hashes with the change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection

from demo.seed import SOURCE, demo_seed
from knowledge.models import Document
from support.customers.models import (
    Customer,
    Incident,
    IncidentUpdate,
    Organization,
    Plan,
    Product,
    Subscription,
)
from support.tickets.models import Team, Ticket, TicketMessage
from tests.demo.tables import DEMO_TABLES

# A fixed 'now': ticket texts quote dates and invoice years, so the seed's content depends on the anchor.
ANCHOR = datetime(2026, 3, 2, 10, tzinfo=UTC)

EXPECTED = {
    "products": "5c993188c9f60aaadde5b4a40b49884bd9bbc8ca6dc3a14ec38d245aecac973b",
    "plans": "765a54b563ba05b24853b6775fb732a7b4c97860dfa6d35f841a89632d3caa10",
    "organizations": "1549b2dc0d5eab8eebc800f14e623c0c2a0cb674f968734fb112cf14bf951edc",
    "teams": "23f64b573da9651d4de5f3a8be7aa88bc15389921bb1c96b27f3266d02fa9649",
    "staff": "c9d0113a2bb4cd6c77f3afccef3f9b37da9b29512ff53bf412acd62fc3434a7a",
    "customers": "21ee70d76c2fc6027b2529489b5bc9e3baead67722f60c8248011ce39f25f699",
    "subscriptions": "2d9a3eb421c857f2f242f0a635bafd4362c8c66acb01db03de28c0073f3ce547",
    "incidents": "34dd7c3717223ec2be0d2b7d8d326c77307d62ec94daf785aae67b0757a21ca0",
    "tickets": "e926087c58e4118d474434d5ab1c31441a6648a8c0a8e21d5d2f94f8373ed966",
    "messages": "54285a5eb39d60fa7fd31f7ae69db00b06867720057ec59946117c5bd7c5488c",
    "documents": "4f46686dc2c74858eff6ef3eef4faa40604be08f181e5638ebf3b8b6978f503a",
}


@pytest.fixture(scope="module")
def seeded_at_anchor(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(DEMO_TABLES) + " CASCADE")
        demo_seed(anchor=ANCHOR)
        yield
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(DEMO_TABLES) + " CASCADE")


def _hash(rows: Iterable[Iterable[Any]]) -> str:
    h = hashlib.sha256()
    for row in rows:
        h.update(("\x1f".join(repr(value) for value in row) + "\x1e").encode())
    return h.hexdigest()


def _codes(manager: Any, field: str = "code") -> list[str]:
    return sorted(manager.values_list(field, flat=True))


def _fingerprint() -> dict[str, str]:
    user_model = get_user_model()
    staff = user_model.objects.filter(email__endswith="@quillfeather.example").order_by("username")
    customers = Customer.objects.filter(source=SOURCE).order_by("external_id")
    tickets = Ticket.objects.filter(source=SOURCE).order_by("external_id")
    return {
        "products": _hash(
            Product.objects.order_by("code").values_list("code", "name", "description", "is_hardware")
        ),
        "plans": _hash(
            Plan.objects.order_by("code").values_list(
                "code", "name", "rank", "max_users", "first_response_hours", "monthly_price_eur"
            )
        ),
        "organizations": _hash(
            Organization.objects.filter(source=SOURCE)
            .order_by("slug")
            .values_list("slug", "external_id", "name", "domain", "country", "plan__code")
        ),
        "teams": _hash(
            (t.slug, t.name, t.is_default, _codes(t.products), _codes(t.members, "username"))
            for t in Team.objects.order_by("slug")
        ),
        "staff": _hash(
            (
                u.username,
                u.first_name,
                u.last_name,
                u.email,
                u.is_staff,
                u.is_superuser,
                _codes(u.groups, "name"),
            )
            for u in staff
        ),
        "customers": _hash(
            (
                *values,
                _codes(Customer.objects.get(external_id=values[0]).products),
            )
            for values in customers.values_list(
                "external_id",
                "name",
                "email",
                "phone",
                "language",
                "organization__slug",
                "plan__code",
                "account_status",
                "training_consent",
                "created_at",
            )
        ),
        "subscriptions": _hash(
            Subscription.objects.filter(customer__source=SOURCE)
            .order_by("customer__external_id", "started_at")
            .values_list(
                "customer__external_id",
                "plan__code",
                "status",
                "interval",
                "seats",
                "started_at",
                "renews_at",
                "cancelled_at",
            )
        ),
        "incidents": _hash(
            (
                i.external_id,
                i.title,
                i.status,
                i.started_at,
                i.resolved_at,
                i.customer_summary,
                _codes(i.products),
                list(
                    IncidentUpdate.objects.filter(incident=i)
                    .order_by("created_at", "status")
                    .values_list("status", "message", "created_at")
                ),
            )
            for i in Incident.objects.filter(source=SOURCE).order_by("external_id")
        ),
        "tickets": _hash(
            (*values, _codes(Ticket.objects.get(source=SOURCE, external_id=values[0]).products))
            for values in tickets.values_list(
                "external_id",
                "subject",
                "status",
                "priority",
                "channel",
                "customer__external_id",
                "team__slug",
                "assignee__username",
                "tags",
                "sla_due_at",
                "first_responded_at",
                "solved_at",
                "resolution",
                "created_at",
                "updated_at",
            )
        ),
        "messages": _hash(
            TicketMessage.objects.filter(ticket__source=SOURCE)
            .order_by("external_id")
            .values_list(
                "external_id",
                "ticket__external_id",
                "author_kind",
                "author_user__username",
                "author_name",
                "body",
                "public",
                "created_at",
            )
        ),
        "documents": _hash(
            (
                d.external_id,
                d.slug,
                d.title,
                d.kind,
                d.status,
                d.language,
                d.audience,
                d.audience_roles,
                d.valid_from,
                d.valid_until,
                _codes(d.products),
                _codes(d.audience_plans),
                _codes(d.audience_organizations, "slug"),
                d.versions.order_by("-number").values_list("title", "text").first(),
            )
            for d in Document.objects.filter(source=SOURCE).order_by("external_id")
        ),
    }


@pytest.mark.django_db
def test_the_seeded_demo_company_matches_its_fingerprint(seeded_at_anchor):
    assert _fingerprint() == EXPECTED
