"""Zendesk and Freshdesk webhooks as they send them: authenticated their way, translated into tickets,
messages and customers, each delivery applied once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from support.customers.models import Customer
from support.integrations.models import InboundDelivery, IntegrationSource
from support.integrations.services import signature, source_create
from support.tickets.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db

ZENDESK_SECRET = "dGhpcyBpcyBhIHplbmRlc2sgc2lnbmluZyBzZWNyZXQ="
FRESHDESK_SECRET = "freshdesk-rule-token-0123456789"


@pytest.fixture(autouse=True)
def _sources() -> None:
    factories.team(is_default=True)
    source_create(name="Zendesk", slug="zendesk", kind="zendesk", secret=ZENDESK_SECRET)
    source_create(name="Freshdesk", slug="freshdesk", kind="freshdesk", secret=FRESHDESK_SECRET)


def _zendesk(
    payload: Any, *, secret: str = ZENDESK_SECRET, at: datetime | None = None, **headers: str
) -> Any:
    body = json.dumps(payload).encode()
    timestamp = (at or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    digest = hmac.new(secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
    signed = {
        "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE": base64.b64encode(digest).decode(),
        "HTTP_X_ZENDESK_WEBHOOK_SIGNATURE_TIMESTAMP": timestamp,
        "HTTP_X_ZENDESK_WEBHOOK_INVOCATION_ID": "inv-1",
    }
    return APIClient().post(
        "/api/v1/integrations/zendesk/events", body, content_type="application/json", **{**signed, **headers}
    )


def _event(kind: str, detail: dict[str, Any], event: dict[str, Any] | None = None, id_: str = "") -> dict:
    return {
        "type": f"zen:event-type:{kind}",
        "account_id": 12514403,
        "id": id_ or f"evt-{kind}-{detail.get('id')}",
        "time": "2026-12-03T10:00:00Z",
        "zendesk_event_version": "2022-11-06",
        "subject": f"zen:ticket:{detail.get('id')}",
        "detail": detail,
        "event": event or {},
    }


USER = {"id": "9001", "email": "ines@example.com", "name": "Ines Moreau", "role": "end-user"}
TICKET = {
    "id": "35436",
    "subject": "Card reader will not pair",
    "description": "My Q1 reader does not show up in Bluetooth settings.",
    "status": "NEW",
    "priority": "HIGH",
    "requester_id": "9001",
    "tags": ["hardware", "q1"],
    "created_at": "2026-12-03T09:59:00Z",
}


def test_a_zendesk_user_then_ticket_become_a_customer_and_a_ticket_with_its_first_message():
    assert _zendesk(_event("user.created", USER)).json()["status"] == "processed"
    response = _zendesk(_event("ticket.created", TICKET))
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(pk=response.json()["ticket"])
    assert (
        ticket.source,
        ticket.external_id,
        ticket.subject,
        ticket.priority,
        ticket.status,
        ticket.tags,
    ) == (
        "zendesk",
        "35436",
        "Card reader will not pair",
        "high",
        "new",
        ["hardware", "q1"],
    )
    assert (ticket.customer.email, ticket.customer.name, ticket.customer.external_id) == (
        "ines@example.com",
        "Ines Moreau",
        "9001",
    )
    (message,) = ticket.messages.all()
    assert (message.author_kind, message.body) == ("customer", TICKET["description"])


def test_a_zendesk_ticket_before_its_requester_is_retriable_and_applies_once_the_user_arrives():
    early = _zendesk(_event("ticket.created", TICKET))
    assert early.status_code == 409
    assert early.json()["code"] == "unknown_customer"
    assert Ticket.objects.count() == 0
    _zendesk(_event("user.created", USER))
    again = _zendesk(_event("ticket.created", TICKET))  # Zendesk retries the same event id
    assert again.status_code == 200
    delivery = InboundDelivery.objects.get(delivery_id="evt-ticket.created-35436")
    assert (delivery.status, delivery.attempts) == ("processed", 2)


def test_zendesk_comments_are_told_apart_by_author_and_visibility():
    _zendesk(_event("user.created", USER))
    _zendesk(_event("ticket.created", TICKET))

    def comment(id_: str, body: str, *, staff: bool, public: bool) -> dict:
        author = {"id": "1" if staff else "9001", "is_staff": staff, "name": "Sam" if staff else "Ines"}
        return _event(
            "ticket.comment_added",
            {**TICKET, "status": "OPEN"},
            {"comment": {"id": id_, "body": body, "author": author, "is_public": public}},
            id_=f"evt-{id_}",
        )

    assert _zendesk(comment("c1", "Still not pairing.", staff=False, public=True)).status_code == 200
    assert _zendesk(comment("c2", "Try holding the button.", staff=True, public=True)).status_code == 200
    assert _zendesk(comment("c3", "Probably firmware.", staff=True, public=False)).status_code == 200
    replay = _zendesk(comment("c3", "Probably firmware.", staff=True, public=False))
    assert replay.json()["replay"] is True
    ticket = Ticket.objects.get(external_id="35436")
    rows = list(ticket.messages.order_by("id").values_list("author_kind", "public", "body"))
    assert rows[1:] == [
        ("customer", True, "Still not pairing."),
        ("agent", True, "Try holding the button."),
        ("agent", False, "Probably firmware."),
    ]


def test_zendesk_field_changes_take_the_tickets_current_state():
    _zendesk(_event("user.created", USER))
    _zendesk(_event("ticket.created", TICKET))
    changed = {**TICKET, "status": "HOLD", "priority": "URGENT", "tags": ["hardware"]}
    response = _zendesk(_event("ticket.status_changed", changed, {"current": "HOLD", "previous": "NEW"}))
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(external_id="35436")
    assert (ticket.status, ticket.priority, ticket.tags) == ("on_hold", "urgent", ["hardware"])


def test_zendesk_events_openbook_does_not_keep_are_ignored_once():
    agent = _zendesk(_event("user.created", {**USER, "id": "1", "role": "agent"}))
    assert (agent.status_code, agent.json()["status"], agent.json()["replay"]) == (200, "ignored", False)
    org = _zendesk(_event("organization.created", {"id": "77", "name": "Harlow"}))
    assert org.json()["status"] == "ignored"
    assert _zendesk(_event("organization.created", {"id": "77", "name": "Harlow"})).json()["replay"] is True
    assert Customer.objects.count() == 0
    assert InboundDelivery.objects.filter(status="ignored").count() == 2


def test_a_zendesk_trigger_may_send_the_generic_format():
    generic = {
        "type": "ticket.created",
        "ticket": {
            "external_id": "500",
            "subject": "Invoice copy",
            "customer": {"external_id": "9002", "email": "li@example.com"},
            "messages": [{"external_id": "500-1", "author": "customer", "body": "Please resend my invoice."}],
        },
    }
    response = _zendesk(generic)
    assert response.status_code == 200, response.content
    assert response.json()["delivery"] == "inv-1"  # Zendesk's invocation id names it


@pytest.mark.parametrize(
    ("send", "message"),
    [
        (lambda: _zendesk(_event("user.created", USER), secret="another-secret-entirely"), "does not match"),
        (
            lambda: _zendesk(_event("user.created", USER), at=datetime.now(UTC) - timedelta(minutes=6)),
            "5 minutes",
        ),
        (lambda: _zendesk(_event("user.created", USER), HTTP_X_ZENDESK_WEBHOOK_SIGNATURE="%%%"), "base64"),
        (
            lambda: APIClient().post("/api/v1/integrations/zendesk/events", {"type": "x"}, format="json"),
            "X-Zendesk-Webhook-Signature",
        ),
    ],
)
def test_badly_signed_zendesk_requests_are_refused(send, message):
    response = send()
    assert response.status_code == 401
    assert message in response.json()["detail"]
    assert InboundDelivery.objects.count() == 0


def test_a_zendesk_payload_that_is_no_event_is_a_400():
    response = _zendesk({"ticket": {"id": 1}})
    assert response.status_code == 400
    assert "zen:event-type" in response.json()["detail"]


# --- Freshdesk --------------------------------------------------------------------------------

FRESH = {
    "freshdesk_webhook": {
        "ticket_id": 812,
        "ticket_subject": "Payslips not arriving",
        "ticket_description": "<div>Our staff did not get payslips <b>this month</b>.</div>",
        "ticket_status": "Open",
        "ticket_priority": "Medium",
        "ticket_tags": "payroll, email",
        "ticket_requester_email": "oskar@example.com",
        "ticket_requester_name": "Oskar Lind",
        "ticket_requester_id": 4401,
        "triggered_event": "{ticket_action:created}",
    }
}


def _freshdesk(payload: Any, **headers: str) -> Any:
    headers.setdefault("HTTP_X_OPENBOOK_TOKEN", FRESHDESK_SECRET)
    return APIClient().post(
        "/api/v1/integrations/freshdesk/events",
        json.dumps(payload).encode(),
        content_type="application/json",
        **headers,
    )


def test_a_freshdesk_rule_creates_the_ticket_then_updates_it():
    response = _freshdesk(FRESH)
    assert response.status_code == 200, response.content
    ticket = Ticket.objects.get(pk=response.json()["ticket"])
    assert (ticket.source, ticket.external_id, ticket.status, ticket.priority, ticket.tags) == (
        "freshdesk",
        "812",
        "open",
        "normal",
        ["payroll", "email"],
    )
    assert (ticket.customer.email, ticket.customer.external_id) == ("oskar@example.com", "4401")
    assert list(ticket.messages.values_list("body", flat=True)) == [
        "Our staff did not get payslips this month."
    ]
    assert _freshdesk(FRESH).json()["replay"] is True  # the same bytes are the same delivery

    reply = {
        "freshdesk_webhook": {
            **FRESH["freshdesk_webhook"],
            "ticket_latest_public_comment": "We resent them from the Payroll page.",
            "triggered_event": "{reply_sent:sent}",
            "ticket_status": "Resolved",
        }
    }
    assert _freshdesk(reply).status_code == 200
    ticket.refresh_from_db()
    assert ticket.status == "solved"
    rows = list(ticket.messages.order_by("id").values_list("author_kind", "body"))
    assert rows[1:] == [("agent", "We resent them from the Payroll page.")]


def test_freshdesk_basic_auth_with_the_secret_as_password_is_accepted():
    basic = base64.b64encode(f"openbook:{FRESHDESK_SECRET}".encode()).decode()
    response = _freshdesk(FRESH, HTTP_X_OPENBOOK_TOKEN="", HTTP_AUTHORIZATION=f"Basic {basic}")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    "headers",
    [{"HTTP_X_OPENBOOK_TOKEN": "wrong-token-0123456789"}, {"HTTP_X_OPENBOOK_TOKEN": ""}],
)
def test_freshdesk_requests_without_the_secret_are_refused(headers):
    assert _freshdesk(FRESH, **headers).status_code == 401
    assert Ticket.objects.count() == 0


def test_a_freshdesk_payload_without_a_ticket_id_is_a_400():
    response = _freshdesk({"freshdesk_webhook": {"ticket_subject": "x"}})
    assert response.status_code == 400
    assert "freshdesk_webhook.ticket_id" in response.json()["errors"]


def test_a_generic_source_still_needs_its_signature():
    _, secret = source_create(name="Desk", slug="desk")
    body = json.dumps(
        {"type": "customer.upserted", "customer": {"external_id": "1", "email": "a@example.com"}}
    )
    timestamp = str(int(datetime.now(UTC).timestamp()))
    ok = APIClient().post(
        "/api/v1/integrations/desk/events",
        body,
        content_type="application/json",
        HTTP_X_OPENBOOK_DELIVERY="d-1",
        HTTP_X_OPENBOOK_TIMESTAMP=timestamp,
        HTTP_X_OPENBOOK_SIGNATURE=signature(secret=secret, timestamp=timestamp, body=body.encode()),
    )
    assert ok.status_code == 200
    token = APIClient().post(
        "/api/v1/integrations/desk/events",
        body,
        content_type="application/json",
        HTTP_X_OPENBOOK_TOKEN=secret,
    )
    assert token.status_code == 401  # a token is Freshdesk's way, not a generic source's


def test_the_command_registers_a_zendesk_source_with_zendesks_secret():
    out = StringIO()
    call_command(
        "create_integration_source", "Zendesk EU", "--kind", "zendesk", "--secret", "z" * 40, stdout=out
    )
    source = IntegrationSource.objects.get(slug="zendesk-eu")
    assert (source.kind, source.secret) == ("zendesk", "z" * 40)
    assert "Zendesk webhooks" in out.getvalue()


def test_an_administrator_rotates_a_sources_secret(admin_api):
    source = IntegrationSource.objects.get(slug="freshdesk")
    response = admin_api.patch(
        f"/api/v1/integrations/sources/{source.pk}", {"secret": "a-new-token-9876543210"}, format="json"
    )
    assert response.status_code == 200
    assert _freshdesk(FRESH).status_code == 401
    assert _freshdesk(FRESH, HTTP_X_OPENBOOK_TOKEN="a-new-token-9876543210").status_code == 200
    short = admin_api.patch(f"/api/v1/integrations/sources/{source.pk}", {"secret": "short"}, format="json")
    assert short.status_code == 400
