"""Outbound subscriptions: events recorded with the change that caused them, signed deliveries sent by a
real worker, retried with backoff, dead-lettered, redelivered; the API that manages them."""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import transaction

from assist.models import Suggestion
from assist.services import suggestion_generate, suggestion_request, suggestion_send
from knowledge import services as knowledge
from models_ft.registry import adapter_promote, adapter_rollback
from support.core.errors import DomainError
from support.integrations import outbound
from support.integrations.models import OutboundAttempt, OutboundDelivery, WebhookSubscription
from support.integrations.services import signature, source_create
from support.tickets.models import Ticket
from support.tickets.services import ticket_change_status, ticket_update
from tests import factories
from tests.models_ft.test_dashboard_api import _adapter, _snapshot
from tests.receiver import Receiver, receiving

from .test_inbound import CREATED, _send


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as state:
        yield state


def _subscribe(url: str = "https://hooks.example.com/openbook", **fields: Any) -> WebhookSubscription:
    fields.setdefault("events", ["ticket.updated"])
    subscription, _ = outbound.subscription_create(name=fields.pop("name", "Desk"), url=url, **fields)
    return subscription


def _delivered(delivery: OutboundDelivery, timeout: float = 20) -> OutboundDelivery:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        delivery.refresh_from_db()
        if delivery.status in ("delivered", "dead"):
            return delivery
        time.sleep(0.05)
    return delivery


# --- recording (no worker: deliveries are written, not sent) -----------------------------------------------


@pytest.mark.django_db
def test_a_ticket_change_is_recorded_for_each_subscription_that_wants_it(team):
    wants = _subscribe(events=["ticket.updated", "reply.sent"])
    _subscribe(name="Other", events=["reply.sent"])
    _subscribe(name="Off", active=False)
    ticket = factories.ticket(team=team, priority="normal", external_id="T-9", source="desk")
    ticket_update(ticket=ticket, priority="high", tags=["vip"])
    delivery = OutboundDelivery.objects.get()
    assert (delivery.subscription, delivery.event_type, delivery.status) == (
        wants,
        "ticket.updated",
        "pending",
    )
    payload = delivery.payload
    assert payload["type"] == "ticket.updated"
    assert payload["id"] == str(delivery.event_id)
    assert payload["data"]["changes"] == ["priority", "tags"]
    assert payload["data"]["ticket"] | {"updated_at": None} == {
        "id": ticket.pk,
        "source": "desk",
        "external_id": "T-9",
        "subject": ticket.subject,
        "status": "new",
        "priority": "high",
        "tags": ["vip"],
        "team": team.slug,
        "assignee": None,
        "customer": {"id": ticket.customer_id},
        "updated_at": None,
    }


@pytest.mark.django_db
def test_a_status_change_made_through_an_update_is_one_event_naming_both_fields(team):
    _subscribe()
    ticket = factories.ticket(team=team)
    ticket_update(ticket=ticket, status="pending", subject="Refund, please")
    assert [d.payload["data"]["changes"] for d in OutboundDelivery.objects.all()] == [["status", "subject"]]
    ticket_change_status(ticket=ticket, status="pending")  # no change, no event
    assert OutboundDelivery.objects.count() == 1


@pytest.mark.django_db
def test_a_change_rolled_back_leaves_no_event(team):
    _subscribe()
    ticket = factories.ticket(team=team)

    def change_then_fail() -> None:
        with transaction.atomic():
            ticket_change_status(ticket=ticket, status="pending")
            raise RuntimeError("the change fails after the event was recorded")

    with pytest.raises(RuntimeError):
        change_then_fail()
    assert OutboundDelivery.objects.count() == 0
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


@pytest.mark.django_db
def test_a_change_sent_by_a_source_is_not_echoed_to_that_sources_subscription(api):
    factories.team(is_default=True)
    source, secret = source_create(name="Zendesk", slug="zendesk")
    own = _subscribe(name="Zendesk sync", source=source)
    other = _subscribe(name="Data warehouse")
    assert _send(CREATED, secret).status_code == 200
    updated = {"type": "ticket.updated", "ticket": {"external_id": "ZD-1042", "status": "pending"}}
    assert _send(updated, secret, delivery="d-2").status_code == 200
    assert [d.subscription for d in OutboundDelivery.objects.all()] == [other]
    ticket = Ticket.objects.get(external_id="ZD-1042")
    ticket_change_status(ticket=ticket, status="open")  # an agent's change in Openbook reaches both
    assert sorted(d.subscription.name for d in OutboundDelivery.objects.all()) == sorted(
        [own.name, other.name, other.name]
    )


@pytest.mark.django_db
def test_every_event_type_is_recorded_with_its_data(team, agent, settings, tmp_path):
    _subscribe(events=list(outbound.EVENT_TYPES))
    document = knowledge.document_create(
        title="Refunds", text="# Refunds\n\nWithin 14 days.", embed_async=False
    )
    knowledge.document_set_status(document=document, status="published")
    knowledge.version_create(document=document, text="# Refunds\n\nWithin 30 days.", embed_async=False)
    ticket = factories.ticket(team=team)
    factories.message(ticket, body="Can I get a refund?")
    suggestion = suggestion_request(ticket=ticket, user=agent)
    suggestion_generate(suggestion_id=suggestion.pk)
    suggestion_send(suggestion=Suggestion.objects.get(pk=suggestion.pk), user=agent, text="Yes, you can.")

    settings.ADAPTER_STORE = str(tmp_path)
    adapter = _adapter(_snapshot(), "style-r1")
    (tmp_path / "style-r1").mkdir()
    (tmp_path / "style-r1" / "adapter_config.json").write_text("{}")
    adapter_promote(adapter=adapter, by="ana")
    adapter_rollback(by="ana")

    by_type: dict[str, list[dict[str, Any]]] = {}
    for delivery in OutboundDelivery.objects.order_by("id"):
        by_type.setdefault(delivery.event_type, []).append(delivery.payload["data"])
    published = by_type["document.published"]
    assert [(d["reason"], d["version"]["number"]) for d in published] == [
        ("published", 1),
        ("new_version", 2),
    ]
    assert published[0]["document"]["title"] == "Refunds"
    ready = by_type["suggestion.ready"][0]
    assert ready["ticket"]["id"] == ticket.pk
    assert ready["suggestion"]["id"] == suggestion.pk
    assert ready["suggestion"]["text"]
    sent = by_type["reply.sent"]
    assert len(sent) == 1  # the draft's reply is announced once, with what became of the draft
    assert sent[0]["message"]["body"] == "Yes, you can."
    assert sent[0]["suggestion"]["id"] == suggestion.pk
    assert sent[0]["suggestion"]["outcome"] in ("edited", "rewritten")
    promoted = by_type["adapter.promoted"]
    assert [(p["action"], p["adapter"] and p["adapter"]["name"]) for p in promoted] == [
        ("promoted", "style-r1"),
        ("rolled_back", None),
    ]
    assert promoted[1]["previous"]["name"] == "style-r1"


@pytest.mark.django_db
def test_an_agents_reply_through_the_api_is_announced(agent_api, team):
    _subscribe(events=["reply.sent"])
    ticket = factories.ticket(team=team)
    response = agent_api.post(
        f"/api/v1/tickets/{ticket.pk}/messages", {"body": "On it.", "public": True}, format="json"
    )
    assert response.status_code == 201, response.content
    agent_api.post(f"/api/v1/tickets/{ticket.pk}/messages", {"body": "note", "public": False}, format="json")
    assert [d.payload["data"]["message"]["body"] for d in OutboundDelivery.objects.all()] == ["On it."]


def test_backoff_doubles_and_is_capped(settings):
    settings.OUTBOUND_RETRY_SECONDS, settings.OUTBOUND_RETRY_MAX_SECONDS = 10, 60
    delays = [outbound.retry_delay(n) for n in (1, 2, 3, 4, 5)]
    for delay, expected in zip(delays, (10, 20, 40, 60, 60), strict=True):
        assert expected * 0.9 <= delay <= expected * 1.1


# --- the API ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_an_administrator_subscribes_and_sees_the_secret_once(admin_api):
    response = admin_api.post(
        "/api/v1/integrations/subscriptions",
        {
            "name": "Desk",
            "url": "https://desk.example.com/hook",
            "events": ["reply.sent", "suggestion.ready"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert len(body["secret"]) >= 32
    assert body["events"] == ["suggestion.ready", "reply.sent"]  # in the catalogue's order
    shown = admin_api.get(f"/api/v1/integrations/subscriptions/{body['id']}").json()
    assert "secret" not in shown
    assert all(
        "secret" not in s for s in admin_api.get("/api/v1/integrations/subscriptions").json()["results"]
    )
    patched = admin_api.patch(
        f"/api/v1/integrations/subscriptions/{body['id']}", {"active": False}, format="json"
    )
    assert (patched.status_code, patched.json()["active"]) == (200, False)
    assert admin_api.delete(f"/api/v1/integrations/subscriptions/{body['id']}").status_code == 204
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"name": "x", "url": "https://a.example.com", "events": ["ticket.deleted"]}, "events[0]"),
        ({"name": "x", "url": "https://a.example.com", "events": []}, "events"),
        ({"name": "x", "url": "ftp://a.example.com/x", "events": ["reply.sent"]}, "url"),
        (
            {"name": "x", "url": "https://a.example.com", "events": ["reply.sent"], "secret": "short"},
            "secret",
        ),
        ({"name": "x", "url": "https://a.example.com", "events": "reply.sent"}, "events"),
        ({"url": "https://a.example.com", "events": ["reply.sent"]}, "name"),
    ],
)
def test_bad_subscriptions_are_field_errors(admin_api, body, field):
    response = admin_api.post("/api/v1/integrations/subscriptions", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert WebhookSubscription.objects.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/admin",
        "http://localhost/x",
        "http://10.1.2.3/x",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x",
        "https://user:pw@hooks.example.com/x",
    ],
)
def test_addresses_inside_the_network_are_refused_in_production(admin_api, settings, url):
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    response = admin_api.post(
        "/api/v1/integrations/subscriptions",
        {"name": "x", "url": url, "events": ["reply.sent"]},
        format="json",
    )
    assert response.status_code == 400
    assert "url" in response.json()["errors"]


@pytest.mark.django_db
def test_only_administrators_manage_subscriptions(agent_api):
    assert agent_api.get("/api/v1/integrations/subscriptions").status_code == 403
    assert agent_api.get("/api/v1/integrations/outbound-deliveries").status_code == 403
    assert agent_api.post("/api/v1/integrations/outbound-deliveries/1/redeliver").status_code == 403


@pytest.mark.django_db
def test_redelivering_an_unknown_delivery_is_a_404(admin_api):
    assert admin_api.post("/api/v1/integrations/outbound-deliveries/999999/redeliver").status_code == 404


# --- sending, through a real worker ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_change_reaches_the_subscriber_signed_within_moments(celery_worker, receiver, team, admin_api):
    subscription, secret = outbound.subscription_create(
        name="Desk", url=receiver.url, events=["ticket.updated"]
    )
    ticket = factories.ticket(team=team)
    changed_at = time.time()
    ticket_change_status(ticket=ticket, status="pending")
    (request,) = receiver.wait_for(1)
    assert request["at"] - changed_at < 2.0
    headers, body = request["headers"], request["body"]
    assert headers["X-Openbook-Event"] == "ticket.updated"
    assert headers["X-Openbook-Signature"] == signature(
        secret=secret, timestamp=headers["X-Openbook-Timestamp"], body=body
    )
    payload = json.loads(body)
    assert (payload["type"], payload["data"]["ticket"]["status"]) == ("ticket.updated", "pending")
    delivery = _delivered(OutboundDelivery.objects.get(subscription=subscription))
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)
    assert headers["X-Openbook-Delivery"] == str(delivery.delivery_id)
    listed = admin_api.get(f"/api/v1/integrations/outbound-deliveries?subscription={subscription.pk}").json()
    assert [(d["status"], d["last_status_code"]) for d in listed["results"]] == [("delivered", 200)]
    detail = admin_api.get(f"/api/v1/integrations/outbound-deliveries/{delivery.pk}").json()
    assert [(a["number"], a["status_code"], a["response_body"]) for a in detail["attempt_log"]] == [
        (1, 200, "thanks")
    ]


@pytest.mark.django_db(transaction=True)
def test_a_failing_receiver_gets_retries_with_backoff_then_the_delivery_is_dead(
    celery_worker, receiver, team
):
    receiver.codes = [503]
    outbound.subscription_create(name="Down", url=receiver.url, events=["ticket.updated"])
    ticket_change_status(ticket=factories.ticket(team=team), status="pending")
    delivery = _delivered(OutboundDelivery.objects.get())
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("dead", 3, 503)
    requests = receiver.wait_for(3)
    assert len(requests) == 3  # OUTBOUND_MAX_ATTEMPTS in the test settings
    assert len({r["headers"]["X-Openbook-Delivery"] for r in requests}) == 1  # one delivery, three tries
    gaps = [b["at"] - a["at"] for a, b in itertools.pairwise(requests)]
    assert gaps[0] >= 0.3 * 0.9  # OUTBOUND_RETRY_SECONDS
    assert gaps[1] >= 0.6 * 0.9  # doubled
    attempts = list(OutboundAttempt.objects.filter(delivery=delivery).values_list("number", "status_code"))
    assert attempts == [(1, 503), (2, 503), (3, 503)]


@pytest.mark.django_db(transaction=True)
def test_an_administrator_redelivers_a_dead_delivery(celery_worker, receiver, team, admin_api):
    receiver.codes = [500, 500, 500, 204]
    outbound.subscription_create(name="Flaky", url=receiver.url, events=["ticket.updated"])
    ticket_change_status(ticket=factories.ticket(team=team), status="pending")
    delivery = _delivered(OutboundDelivery.objects.get())
    assert delivery.status == "dead"
    response = admin_api.post(f"/api/v1/integrations/outbound-deliveries/{delivery.pk}/redeliver")
    assert response.status_code == 202
    delivery = _delivered(delivery)
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 204)
    assert OutboundAttempt.objects.filter(delivery=delivery).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_receiver_that_recovers_gets_the_event_on_a_retry(celery_worker, receiver, team):
    receiver.codes = [502, 200]
    outbound.subscription_create(name="Blip", url=receiver.url, events=["ticket.updated"])
    ticket_change_status(ticket=factories.ticket(team=team), status="pending")
    delivery = _delivered(OutboundDelivery.objects.get())
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


@pytest.mark.django_db(transaction=True)
def test_a_delivery_lost_by_the_broker_is_sent_by_the_sweep(celery_worker, receiver, team):
    subscription = _subscribe(url=receiver.url)
    delivery = OutboundDelivery.objects.create(  # as if its task never reached a worker
        subscription=subscription,
        event_id="5f0c6d0e-4a9e-4c55-a2b5-1f1d3f0b7d11",
        event_type="ticket.updated",
        payload={"type": "ticket.updated"},
        next_attempt_at="2026-01-01T00:00:00Z",
        status="retrying",
        attempts=1,
    )
    assert outbound.deliveries_sweep() == 1
    delivery = _delivered(delivery)
    assert (delivery.status, delivery.attempts) == ("delivered", 2)
    assert outbound.deliveries_sweep() == 0
    assert (
        outbound.delivery_attempt(delivery_id=delivery.pk) is None
    )  # nothing due: a duplicate task is a no-op
    assert len(receiver.wait_for(1)) == 1


@pytest.mark.django_db
def test_a_subscription_refused_at_send_time_fails_the_attempt(settings):
    subscription = _subscribe(url="http://127.0.0.1:9/x")
    settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES = False
    delivery = OutboundDelivery.objects.create(
        subscription=subscription,
        event_id="5f0c6d0e-4a9e-4c55-a2b5-1f1d3f0b7d12",
        event_type="ticket.updated",
        payload={},
        next_attempt_at="2026-01-01T00:00:00Z",
    )
    attempted = outbound.delivery_attempt(delivery_id=delivery.pk)
    assert attempted.status == "retrying"
    assert "loopback" in attempted.last_error
    with pytest.raises(DomainError):
        outbound.url_check("http://127.0.0.1:9/x")


@pytest.mark.django_db
def test_attempts_and_receipts_are_counted_for_the_metrics(receiver):
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    factories.team(is_default=True)
    _, secret = source_create(name="Metrics desk", slug="metrics-desk")
    before = value("openbook_inbound_deliveries_total", kind="generic", status="processed")
    refused = value("openbook_inbound_deliveries_total", kind="generic", status="refused")
    assert _send(CREATED, secret, slug="metrics-desk").status_code == 200
    assert _send(CREATED, "not-the-secret", delivery="d-9", slug="metrics-desk").status_code == 401
    assert value("openbook_inbound_deliveries_total", kind="generic", status="processed") == before + 1
    assert value("openbook_inbound_deliveries_total", kind="generic", status="refused") == refused + 1
    subscription = _subscribe(url=receiver.url)
    delivery = OutboundDelivery.objects.create(
        subscription=subscription,
        event_id="5f0c6d0e-4a9e-4c55-a2b5-1f1d3f0b7d13",
        event_type="ticket.updated",
        payload={},
        next_attempt_at="2026-01-01T00:00:00Z",
    )
    sent = value("openbook_outbound_attempts_total", event_type="ticket.updated", result="delivered")
    outbound.delivery_attempt(delivery_id=delivery.pk)
    assert (
        value("openbook_outbound_attempts_total", event_type="ticket.updated", result="delivered") == sent + 1
    )
