"""Signed inbound events: signatures and timestamps checked, each delivery applied exactly once and whole,
out-of-order events refused without writing, bad input answered with a clear 4xx."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from typing import Any

import httpx
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from rest_framework.test import APIClient

from support.customers.models import Customer
from support.integrations.models import InboundDelivery, IntegrationSource
from support.integrations.services import signature, source_create
from support.tickets.models import Ticket, TicketMessage
from tests import factories

pytestmark = pytest.mark.django_db

CREATED = {
    "type": "ticket.created",
    "ticket": {
        "external_id": "ZD-1042",
        "subject": "Refund for my annual plan",
        "priority": "high",
        "customer": {"external_id": "U-77", "email": "dana@example.com", "name": "Dana Whitfield"},
        "messages": [
            {
                "external_id": "M-1",
                "author": "customer",
                "body": "Can I get a refund?",
                "created_at": "2026-01-31T12:00:00Z",
            }
        ],
    },
}


@pytest.fixture
def source() -> tuple[IntegrationSource, str]:
    factories.team(is_default=True)
    return source_create(name="Zendesk production", slug="zendesk")


def _headers(secret: str, body: bytes, delivery: str = "d-1", at: int | None = None) -> dict[str, str]:
    timestamp = str(at if at is not None else int(time.time()))
    return {
        "HTTP_X_OPENBOOK_DELIVERY": delivery,
        "HTTP_X_OPENBOOK_TIMESTAMP": timestamp,
        "HTTP_X_OPENBOOK_SIGNATURE": signature(secret=secret, timestamp=timestamp, body=body),
    }


def _send(event: Any, secret: str, delivery: str = "d-1", slug: str = "zendesk", **kwargs: Any) -> Any:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {**_headers(secret, body, delivery), **kwargs}
    return APIClient().post(
        f"/api/v1/integrations/{slug}/events", body, content_type="application/json", **headers
    )


def test_a_signed_ticket_created_makes_the_ticket_its_customer_and_messages(source):
    _, secret = source
    response = _send(CREATED, secret)
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["replay"]) == ("processed", False)
    ticket = Ticket.objects.get(pk=body["ticket"])
    assert (ticket.source, ticket.external_id, ticket.subject, ticket.priority) == (
        "zendesk",
        "ZD-1042",
        "Refund for my annual plan",
        "high",
    )
    assert (ticket.customer.source, ticket.customer.external_id, ticket.customer.email) == (
        "zendesk",
        "U-77",
        "dana@example.com",
    )
    assert list(ticket.messages.values_list("external_id", "author_kind")) == [("M-1", "customer")]


def test_a_replay_answers_200_and_changes_nothing(source):
    _, secret = source
    first = _send(CREATED, secret, delivery="same")
    again = _send({**CREATED, "ticket": {**CREATED["ticket"], "subject": "Changed"}}, secret, delivery="same")
    assert again.status_code == 200
    assert again.json()["replay"] is True
    assert again.json()["ticket"] == first.json()["ticket"]
    assert Ticket.objects.get().subject == "Refund for my annual plan"
    assert InboundDelivery.objects.get().attempts == 1


def test_updates_and_new_messages_apply_to_the_same_ticket_and_repeat_messages_are_skipped(source):
    _, secret = source
    _send(CREATED, secret, delivery="1")
    update = {
        "type": "ticket.updated",
        "ticket": {"external_id": "ZD-1042", "priority": "urgent", "status": "open", "tags": ["Refund"]},
    }
    assert _send(update, secret, delivery="2").status_code == 200
    added = {
        "type": "message.added",
        "ticket": {
            "external_id": "ZD-1042",
            "messages": [
                CREATED["ticket"]["messages"][0],
                {
                    "external_id": "M-2",
                    "author": "agent",
                    "author_name": "Sam",
                    "body": "Looking.",
                    "public": False,
                },
            ],
        },
    }
    assert _send(added, secret, delivery="3").status_code == 200
    ticket = Ticket.objects.get()
    assert (ticket.priority, ticket.status, ticket.tags) == ("urgent", "open", ["refund"])
    assert list(ticket.messages.values_list("external_id", "public")) == [("M-1", True), ("M-2", False)]


def test_an_update_before_the_create_is_a_recorded_409_that_writes_nothing_and_can_be_retried(source):
    _, secret = source
    early = {
        "type": "message.added",
        "ticket": {"external_id": "ZD-1042", "messages": CREATED["ticket"]["messages"]},
    }
    refused = _send(early, secret, delivery="early")
    assert refused.status_code == 409
    assert "not known yet" in refused.json()["detail"]
    assert not Ticket.objects.exists()
    assert not TicketMessage.objects.exists()
    recorded = InboundDelivery.objects.get(delivery_id="early")
    assert (recorded.status, recorded.attempts) == ("failed", 1)
    _send(CREATED, secret, delivery="create")
    retried = _send(early, secret, delivery="early")
    assert retried.status_code == 200
    assert retried.json()["replay"] is False
    assert InboundDelivery.objects.get(delivery_id="early").attempts == 2


def test_a_failing_event_leaves_nothing_half_written(source):
    _, secret = source
    _send({**CREATED, "ticket": {**CREATED["ticket"], "status": "open"}}, secret, delivery="1")
    # Its new message and subject would be written before the status change fails (open cannot go to closed).
    update = {
        "type": "ticket.updated",
        "ticket": {
            "external_id": "ZD-1042",
            "subject": "Renamed",
            "status": "closed",
            "messages": [{"external_id": "M-2", "author": "customer", "body": "Any news?"}],
        },
    }
    response = _send(update, secret, delivery="2")
    assert response.status_code == 409
    assert "cannot go from open to closed" in response.json()["detail"]
    ticket = Ticket.objects.get()
    assert (ticket.subject, ticket.status) == ("Refund for my annual plan", "open")
    assert list(ticket.messages.values_list("external_id", flat=True)) == ["M-1"]
    assert InboundDelivery.objects.get(delivery_id="2").status == "failed"


@pytest.mark.parametrize(
    ("change", "status", "message"),
    [
        ({"HTTP_X_OPENBOOK_SIGNATURE": "sha256=" + "0" * 64}, 401, "does not match"),
        ({"HTTP_X_OPENBOOK_SIGNATURE": ""}, 401, "carry"),
        ({"HTTP_X_OPENBOOK_TIMESTAMP": "yesterday"}, 401, "Unix seconds"),
        ({"HTTP_X_OPENBOOK_DELIVERY": ""}, 400, "X-Openbook-Delivery"),
    ],
)
def test_bad_signatures_and_headers_are_refused(source, change, status, message):
    _, secret = source
    response = _send(CREATED, secret, **change)
    assert response.status_code == status
    assert message in response.json()["detail"]
    assert not Ticket.objects.exists()


def test_a_stale_or_future_timestamp_is_refused_even_when_signed(source):
    _, secret = source
    body = json.dumps(CREATED).encode()
    for at in (int(time.time()) - 310, int(time.time()) + 310):
        response = APIClient().post(
            "/api/v1/integrations/zendesk/events",
            body,
            content_type="application/json",
            **_headers(secret, body, "late", at=at),
        )
        assert response.status_code == 401
        assert "5 minutes" in response.json()["detail"]


def test_another_sources_secret_does_not_sign_for_this_one(source):
    _, other_secret = source_create(name="Freshdesk")
    assert _send(CREATED, other_secret).status_code == 401


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (b"{not json", None),
        (json.dumps([1, 2]).encode(), None),
        (b"null", None),
        (json.dumps({"type": "ticket.exploded"}).encode(), "type"),
        (json.dumps({"type": "ticket.created", "ticket": {"external_id": "X"}}).encode(), "ticket.subject"),
        (json.dumps({"type": "message.added", "ticket": {"external_id": "X"}}).encode(), "ticket.messages"),
        (json.dumps({"type": "customer.upserted"}).encode(), "customer"),
        (json.dumps({**CREATED, "ticket": {**CREATED["ticket"], "priority": 5}}).encode(), "ticket.priority"),
    ],
)
def test_malformed_events_are_400_and_write_nothing(source, body, field):
    _, secret = source
    response = _send(body, secret)
    assert response.status_code == 400, response.content
    if field:
        assert field in response.json()["errors"]
    assert not Ticket.objects.exists()
    assert not InboundDelivery.objects.exists()


def test_an_unknown_or_disabled_source_is_404(source):
    _, secret = source
    assert _send(CREATED, secret, slug="nobody").status_code == 404
    IntegrationSource.objects.filter(slug="zendesk").update(active=False)
    assert _send(CREATED, secret).status_code == 404


def test_customer_upserted_creates_then_updates_by_external_id(source):
    _, secret = source
    event = {
        "type": "customer.upserted",
        "customer": {"external_id": "U-9", "email": "kim@example.com", "name": "Kim"},
    }
    assert _send(event, secret, delivery="a").status_code == 200
    renamed = {"type": "customer.upserted", "customer": {"external_id": "U-9", "name": "Kim Lee"}}
    assert _send(renamed, secret, delivery="b").status_code == 200
    customer = Customer.objects.get(source="zendesk", external_id="U-9")
    assert (customer.name, customer.email) == ("Kim Lee", "kim@example.com")
    unknown = {"type": "customer.upserted", "customer": {"external_id": "U-10", "name": "No e-mail"}}
    assert _send(unknown, secret, delivery="c").status_code == 409


def test_sources_are_created_by_administrators_with_their_secret_shown_once(admin_api, agent_api):
    factories.team(is_default=True)
    created = admin_api.post("/api/v1/integrations/sources", {"name": "Help Scout"}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert (body["slug"], body["events_url"]) == ("help-scout", "/api/v1/integrations/help-scout/events")
    assert len(body["secret"]) >= 40
    listed = admin_api.get("/api/v1/integrations/sources").json()["results"]
    assert "secret" not in listed[0]
    assert (
        admin_api.post("/api/v1/integrations/sources", {"name": "Help Scout"}, format="json").status_code
        == 409
    )
    assert agent_api.get("/api/v1/integrations/sources").status_code == 403
    assert APIClient().get("/api/v1/integrations/sources").status_code == 401


def test_deliveries_are_listed_by_source_and_status_and_the_schema_says_so(source, admin_api):
    _, secret = source
    _, other = source_create(name="Desk", slug="desk")
    assert _send(CREATED, secret, delivery="d-1").status_code == 200
    early = {
        "type": "message.added",
        "ticket": {"external_id": "X", "messages": CREATED["ticket"]["messages"]},
    }
    assert _send(early, other, delivery="d-2", slug="desk").status_code == 409
    listed = admin_api.get("/api/v1/integrations/deliveries?source=desk").json()["results"]
    assert [(d["source"], d["delivery_id"], d["status"]) for d in listed] == [("desk", "d-2", "failed")]
    failed = admin_api.get("/api/v1/integrations/deliveries?source=zendesk&status=failed").json()
    assert failed["count"] == 0
    # Typed clients (the web console's) build their query from the schema: `source` must be in it.
    schema = admin_api.get("/api/schema/?format=json").json()
    parameters = schema["paths"]["/api/v1/integrations/deliveries"]["get"]["parameters"]
    assert {"source", "status", "event_type"} <= {p["name"] for p in parameters}


def test_the_command_prints_the_secret_once_and_refuses_a_taken_name():
    out = StringIO()
    call_command("create_integration_source", "Zendesk EU", stdout=out)
    text = out.getvalue()
    source = IntegrationSource.objects.get(slug="zendesk-eu")
    assert f"Secret:  {source.secret}" in text
    with pytest.raises(CommandError, match="already exists"):
        call_command("create_integration_source", "Zendesk EU", stdout=StringIO())


@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_copies_of_one_delivery_make_exactly_one_change(live_server):
    factories.team(is_default=True)
    _, secret = source_create(name="Zendesk", slug="zendesk")
    body = json.dumps(CREATED).encode()
    timestamp = str(int(time.time()))
    headers = {
        "Content-Type": "application/json",
        "X-Openbook-Delivery": "burst",
        "X-Openbook-Timestamp": timestamp,
        "X-Openbook-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }
    url = f"{live_server.url}/api/v1/integrations/zendesk/events"
    with httpx.Client(timeout=60) as http, ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: http.post(url, content=body, headers=headers), range(50)))
    assert [a.status_code for a in answers] == [200] * 50
    assert sum(not a.json()["replay"] for a in answers) == 1
    assert Ticket.objects.count() == 1
    assert TicketMessage.objects.count() == 1
    assert Customer.objects.filter(external_id="U-77").count() == 1
    assert InboundDelivery.objects.get().attempts == 1
