"""The demo company: big enough to be real, consistent in style, deterministic and idempotent."""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.db import connection

from demo import company
from demo.documents import demo_documents
from demo.seed import SOURCE, demo_anchor, demo_seed
from support.core import roles
from support.customers.models import Customer, Incident, Organization, Product
from support.tickets.models import Ticket, TicketMessage
from tests.demo.tables import DEMO_TABLES


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    """Seed once for the module (it is the slow part), and leave the database empty for other modules."""
    with django_db_blocker.unblock():
        anchor = demo_anchor()
        report = demo_seed(anchor=anchor)
        yield {"report": report, "anchor": anchor}
        with connection.cursor() as cursor:
            cursor.execute("TRUNCATE " + ", ".join(DEMO_TABLES) + " CASCADE")


def _digest() -> str:
    rows = TicketMessage.objects.filter(ticket__source=SOURCE).order_by(
        "ticket__external_id", "created_at", "id"
    )
    h = hashlib.sha256()
    for external_id, subject, status, body, created in rows.values_list(
        "ticket__external_id", "ticket__subject", "ticket__status", "body", "created_at"
    ):
        h.update(f"{external_id}|{subject}|{status}|{body}|{created.isoformat()}".encode())
    return h.hexdigest()


@pytest.mark.django_db
def test_demo_company_has_the_promised_scale(seeded):
    assert Customer.objects.count() >= 200
    assert set(Customer.objects.values_list("plan__code", flat=True)) == {"starter", "growth", "enterprise"}
    assert Organization.objects.count() >= 8
    assert Product.objects.count() >= 8
    assert Incident.objects.count() >= 3
    assert Incident.objects.filter(status__in=Incident.ACTIVE_STATUSES).count() == 1
    assert Ticket.objects.filter(source=SOURCE).count() >= 600
    assert seeded["report"].messages_total >= 1800


@pytest.mark.django_db
def test_tickets_spread_over_statuses_and_months(seeded):
    statuses = Counter(Ticket.objects.values_list("status", flat=True))
    assert set(statuses) == {"new", "open", "pending", "on_hold", "solved", "closed"}
    assert statuses["closed"] + statuses["solved"] > len(statuses) * 0.5
    months = {(d.year, d.month) for d in Ticket.objects.values_list("created_at", flat=True)}
    assert len(months) >= 10


@pytest.mark.django_db
def test_agent_replies_follow_the_house_style(seeded):
    replies = TicketMessage.objects.filter(
        ticket__source=SOURCE, author_kind="agent", public=True
    ).select_related("ticket__customer")
    assert replies.count() > 600
    for reply in replies:
        first_name = reply.ticket.customer.name.split(" ")[0]
        assert reply.body.startswith(f"Hi {first_name},\n\n"), reply.body[:80]
        assert reply.body.rstrip().endswith("Quillfeather Support")
        assert "{" not in reply.body
        assert "}" not in reply.body
    first_replies = [
        t.messages.filter(author_kind="agent", public=True).first()
        for t in Ticket.objects.filter(source=SOURCE).exclude(status="new")[:100]
    ]
    for reply in first_replies:
        assert re.search(r"^1\. \S", reply.body, re.M), reply.body


@pytest.mark.django_db
def test_every_ticket_starts_with_the_customer_and_new_tickets_await_a_reply(seeded):
    for ticket in Ticket.objects.filter(source=SOURCE).prefetch_related("messages")[:200]:
        messages = list(ticket.messages.all())
        assert messages[0].author_kind == "customer"
        if ticket.status == "new":
            assert [m.author_kind for m in messages] == ["customer"]
            assert ticket.assignee is None


@pytest.mark.django_db
def test_demo_users_have_their_roles_and_the_demo_password(seeded, settings):
    expected = {"agent": roles.AGENT, "knowledge": roles.KNOWLEDGE_ADMIN, "admin": roles.ADMINISTRATOR}
    for username, role in expected.items():
        user = authenticate(username=username, password=settings.DEMO_PASSWORD)
        assert user is not None, username
        assert role in roles.user_roles(user)
    agent = authenticate(username="agent", password=settings.DEMO_PASSWORD)
    assert sorted(agent.teams.values_list("slug", flat=True)) == ["billing", "technical"]


@pytest.mark.django_db
def test_seeding_again_adds_nothing(seeded):
    before = (Customer.objects.count(), Ticket.objects.count(), TicketMessage.objects.count(), _digest())
    report = demo_seed(anchor=seeded["anchor"])
    assert report.tickets_created == 0
    assert (
        Customer.objects.count(),
        Ticket.objects.count(),
        TicketMessage.objects.count(),
        _digest(),
    ) == before


@pytest.mark.django_db
def test_seed_is_deterministic(seeded):
    before = _digest()
    Ticket.objects.filter(source=SOURCE).delete()
    report = demo_seed(anchor=seeded["anchor"])
    assert report.tickets_created == report.tickets_total
    assert _digest() == before


def test_policy_library_has_enough_valid_documents():
    documents = demo_documents()
    assert len(documents) >= 40
    product_codes = {code for code, *_ in company.PRODUCTS}
    plan_codes = {code for code, *_ in company.PLANS}
    org_slugs = {slug for slug, *_ in company.ORGANIZATIONS}
    for doc in documents:
        assert set(doc.products) <= product_codes, (doc.slug, doc.products)
        assert set(doc.plans) <= plan_codes, doc.slug
        assert set(doc.organizations) <= org_slugs, doc.slug
        if doc.audience == "plans":
            assert doc.plans, doc.slug
        if doc.audience == "organizations":
            assert doc.organizations, doc.slug
        assert doc.body.startswith("# "), doc.slug
        assert len(doc.body.split()) >= 150, doc.slug
    kinds = Counter(doc.kind for doc in documents)
    assert {"policy", "faq", "troubleshooting"} <= set(kinds)
    assert {doc.audience for doc in documents} == {"public", "plans", "organizations", "internal"}
    slugs = " ".join(doc.slug for doc in documents)
    for topic in (
        "refund",
        "billing",
        "plan-changes",
        "reactivation",
        "password-reset",
        "two-factor",
        "outages",
        "privacy",
        "escalation",
        "returns",
        "shipping",
    ):
        assert topic in slugs, topic


@pytest.mark.django_db
def test_nothing_in_the_demo_lies_in_the_future(seeded):
    anchor = seeded["anchor"]
    assert not Ticket.objects.filter(created_at__gt=anchor).exists()
    assert not Ticket.objects.filter(first_responded_at__gt=anchor).exists()
    assert not TicketMessage.objects.filter(created_at__gt=anchor).exists()
    assert Ticket.objects.filter(created_at__gt=anchor - timedelta(days=2)).count() >= 5


@pytest.mark.django_db
def test_a_bulk_load_queues_the_open_tickets_draft_queries(monkeypatch, django_capture_on_commit_callbacks):
    # Bulk-created messages send no signals, so the loader queues what a customer's message would.
    from demo import seed
    from tests import factories

    queued: list[list[int]] = []
    monkeypatch.setattr(seed, "query_prepare_queue", queued.append)
    customer, team = factories.customer(), factories.team()
    batch = [
        (
            Ticket(subject=f"Ticket {status}", status=status, customer=customer, team=team),
            [TicketMessage(author_kind="customer", body="Help, please.")],
            [],
        )
        for status in ("open", "solved", "new")
    ]
    with django_capture_on_commit_callbacks(execute=True):
        assert seed._flush(batch) == 3
    assert queued == [[batch[0][0].pk, batch[2][0].pk]]
