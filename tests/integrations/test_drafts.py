"""Drafts for integrations: a ticketing tool asks for a draft by its own ticket id with an API key, and
reports what its agent finally sent, which is recorded once however the two reports meet."""

from __future__ import annotations

import json

import pytest

from assist import services as console
from assist.models import Suggestion
from support.customers.models import Customer
from support.integrations.services import source_create
from support.tickets.models import Ticket, TicketMessage
from tests import factories
from tests.conftest import key_client
from tests.integrations.test_inbound import CREATED, _send

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced():
    """A ticket that came in from the 'zendesk' source, and an integration key that may draft."""
    factories.team(is_default=True)
    _, secret = source_create(name="Zendesk", slug="zendesk")
    factories.indexed_document(
        title="Refund policy",
        text="# Refunds\n\nAnnual plans can be refunded in full within 30 days of purchase.",
    )
    assert _send(CREATED, secret, delivery="created").status_code == 200
    Customer.objects.filter(external_id="U-77").update(training_consent=True)
    return secret


def test_a_tool_asks_for_a_draft_by_its_ticket_id_and_reports_the_reply_it_sent(synced):
    key = key_client("assist", "tickets:read")
    asked = key.post("/api/v1/integrations/zendesk/tickets/ZD-1042/drafts")
    assert asked.status_code == 202, asked.content
    draft = asked.json()
    assert draft["status"] == "pending"
    console.suggestion_generate(suggestion_id=draft["id"])
    ready = key.get(f"/api/v1/suggestions/{draft['id']}").json()
    assert ready["status"] == "ready"
    assert ready["citations"]

    sent = key.post(
        f"/api/v1/suggestions/{draft['id']}/send",
        {"text": ready["text"] + " Kind regards.", "external_id": "ZM-9"},
        format="json",
    )
    assert sent.status_code == 200, sent.content
    assert sent.json()["outcome"] == "edited"
    assert sent.json()["example_id"] is not None

    # The tool's own event for the same reply arrives later: it is the same message, not a second one.
    echo = {
        "type": "message.added",
        "ticket": {
            "external_id": "ZD-1042",
            "messages": [{"external_id": "ZM-9", "author": "agent", "body": "x"}],
        },
    }
    assert _send(echo, synced, delivery="echo").status_code == 200
    replies = TicketMessage.objects.filter(author_kind="agent")
    assert replies.count() == 1
    assert Suggestion.objects.get(pk=draft["id"]).sent_message_id == replies.get().pk


def test_a_reply_the_tool_reported_first_by_event_is_linked_not_duplicated(synced):
    ticket_id = _send(CREATED, synced, delivery="created").json()["ticket"]
    suggestion = console.suggestion_request(
        ticket=Ticket.objects.get(pk=ticket_id), user=factories.user(role="integration")
    )
    console.suggestion_generate(suggestion_id=suggestion.pk)
    event = {
        "type": "message.added",
        "ticket": {
            "external_id": "ZD-1042",
            "messages": [{"external_id": "ZM-3", "author": "agent", "body": "Refunds take 30 days."}],
        },
    }
    assert _send(event, synced, delivery="first").status_code == 200
    key = key_client("assist")
    sent = key.post(
        f"/api/v1/suggestions/{suggestion.pk}/send",
        {"text": "Refunds take 30 days.", "external_id": "ZM-3"},
        format="json",
    )
    assert sent.status_code == 200
    assert TicketMessage.objects.filter(author_kind="agent").count() == 1


def test_drafts_by_external_id_need_the_assist_scope_and_a_known_ticket(synced):
    assert (
        key_client("tickets:read").post("/api/v1/integrations/zendesk/tickets/ZD-1042/drafts").status_code
        == 403
    )
    key = key_client("assist")
    assert key.post("/api/v1/integrations/zendesk/tickets/NOPE/drafts").status_code == 404
    assert key.post("/api/v1/integrations/freshdesk/tickets/ZD-1042/drafts").status_code == 404
    assert key.post("/api/v1/integrations/zendesk/tickets/ZD-1042/drafts?wait=99").status_code == 400
    assert key.post("/api/v1/integrations/zendesk/tickets/ZD-1042/drafts?wait=soon").status_code == 400


def test_an_agent_of_another_team_cannot_draft_the_ticket_by_external_id(synced, agent_api):
    # agent_api's agent is on a team of their own; the synced ticket went to the default team.
    assert agent_api.post("/api/v1/integrations/zendesk/tickets/ZD-1042/drafts").status_code == 404


def test_a_send_report_with_a_bad_external_id_is_400(synced):
    key = key_client("assist")
    draft = key.post("/api/v1/integrations/zendesk/tickets/ZD-1042/drafts").json()
    console.suggestion_generate(suggestion_id=draft["id"])
    too_long = key.post(
        f"/api/v1/suggestions/{draft['id']}/send", {"text": "Hi", "external_id": "x" * 201}, format="json"
    )
    assert too_long.status_code == 400
    wrong_type = key.post(
        f"/api/v1/suggestions/{draft['id']}/send",
        json.dumps({"text": "Hi", "external_id": ["a"]}),
        content_type="application/json",
    )
    assert wrong_type.status_code == 400
    assert not TicketMessage.objects.filter(author_kind="agent").exists()
