"""An administrator connects a ticketing tool in the integrations pages: creates its source and keeps the
secret shown once, sees the event the tool then sends; subscribes a receiver on this machine to ticket
changes, sees the delivery of a change go from on its way to delivered, and opens its attempts and body."""

from __future__ import annotations

import json
import re
import socket
import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from support.integrations import outbound
from support.integrations.models import IntegrationSource, OutboundDelivery, WebhookSubscription
from support.integrations.services import signature
from support.tickets.services import ticket_change_status
from tests import factories
from tests.e2e.conftest import screenshot, sign_in
from tests.integrations.test_inbound import CREATED, _send
from tests.receiver import Receiver, receiving

pytestmark = pytest.mark.django_db(transaction=True)

# The receiver holds its answer until the test lets it go, so that the page is seen following a delivery on
# its way however slowly it loads: an attempt held past the test settings' OUTBOUND_TIMEOUT_SECONDS (3 s)
# is retried, and the delivery stays open through the three attempts (about 10 s) until it is let go.
HOLD_SECONDS = 15


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving(hold_seconds=HOLD_SECONDS) as state:
        yield state


def test_an_administrator_connects_a_tool_and_follows_what_goes_in_and_out(
    page, celery_worker, receiver, team
):
    factories.team(is_default=True)
    admin = factories.user(role="administrator")
    ticket = factories.ticket(team=team, subject="Card reader will not pair")

    sign_in(page, admin.username)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Integrations").click()
    expect(page.get_by_role("heading", name="Sources")).to_be_visible()
    expect(page.get_by_text("No source yet")).to_be_visible()

    # A source for the tool: its secret is shown once, with the address to paste into the tool.
    page.get_by_role("button", name="New source").click()
    form = page.get_by_role("form", name="New source")
    form.get_by_label("Name").fill("My desk")
    form.get_by_label("Slug (optional)").fill("mydesk")
    screenshot(page, "integrations-new-source")
    form.get_by_role("button", name="Create source").click()
    shown = page.get_by_role("region", name="My desk is ready: its signing secret")
    expect(shown).to_contain_text("Store this secret now: it is not shown again.")
    secret = shown.get_by_label("Signing secret").inner_text()
    assert IntegrationSource.objects.get(slug="mydesk").secret == secret
    expect(shown).to_contain_text(f"{page.url.split('/integrations')[0]}/api/v1/integrations/mydesk/events")
    expect(page.get_by_role("rowheader", name="My desk")).to_be_visible()
    screenshot(page, "integrations-source-created")
    shown.get_by_role("button", name="I have stored it").click()
    expect(shown).to_have_count(0)

    # The tool sends an event signed with it; the administrator finds it among the events received.
    assert _send(CREATED, secret, delivery="zd-1042-created", slug="mydesk").status_code == 200
    source_row = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="My desk"))
    source_row.get_by_role("link", name="Events").click()
    expect(page.get_by_role("combobox", name="Source", exact=True)).to_have_value("mydesk")
    received = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="zd-1042-created"))
    expect(received).to_contain_text("processed")
    expect(received.get_by_role("link", name=re.compile(r"^Ticket \d+$"))).to_be_visible()
    screenshot(page, "integrations-events-received")

    # A subscription of a receiver on this machine to ticket changes.
    page.get_by_role("navigation", name="Integrations").get_by_role("link", name="Subscriptions").click()
    page.get_by_role("button", name="New subscription").click()
    form = page.get_by_role("form", name="New subscription")
    form.get_by_label("Name").fill("Helpdesk sync")
    form.get_by_label("Address (URL)").fill(receiver.url)
    form.get_by_role("checkbox", name=re.compile(r"ticket\.updated")).check()
    screenshot(page, "integrations-new-subscription")
    form.get_by_role("button", name="Create subscription").click()
    shown = page.get_by_role("region", name="Helpdesk sync is subscribed: its signing secret")
    expect(shown).to_contain_text("Store this secret now")
    secret = shown.get_by_label("Signing secret").inner_text()
    subscription = WebhookSubscription.objects.get()
    assert (subscription.secret, subscription.events) == (secret, ["ticket.updated"])
    screenshot(page, "integrations-subscription-created")
    shown.get_by_role("button", name="I have stored it").click()

    # Another subscription's address answers nothing (a port nobody listens on).
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{unused.getsockname()[1]}/gone"
    outbound.subscription_create(name="Old CRM", url=closed, events=["ticket.updated"])

    # A colleague changes the ticket: the delivery is on its way while the receiver holds its answer...
    ticket_change_status(ticket=ticket, status="pending")
    page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="Helpdesk sync")).get_by_role(
        "link", name="Deliveries"
    ).click()
    expect(page.get_by_role("combobox", name="Subscription", exact=True)).to_have_value(str(subscription.pk))
    delivery = page.get_by_role("row").filter(has=page.get_by_role("rowheader", name="ticket.updated"))
    expect(delivery).to_contain_text(re.compile(r"pending|sending|retrying"))
    expect(page.get_by_text(re.compile("Live: updated every"))).to_be_visible()
    started = time.monotonic()
    receiver.release.set()
    # ...and the page, polling, shows it delivered once the receiver has answered.
    expect(delivery.get_by_text("delivered", exact=True)).to_be_visible(timeout=10_000)
    assert time.monotonic() - started < 10
    expect(page.get_by_text(re.compile("Live: updated every"))).to_have_count(0)
    sent = OutboundDelivery.objects.get(subscription=subscription)
    assert (sent.status, sent.last_status_code) == ("delivered", 200)

    # Its attempts, and the body that was signed and sent.
    delivery.get_by_role("button", name="Details").click()
    detail = page.get_by_role("article")
    attempts = detail.get_by_role("table", name="Every attempt, oldest first.")
    last = attempts.get_by_role("row").last  # the one answered; any before it timed out while held
    expect(last).to_contain_text(str(sent.attempts))
    expect(last).to_contain_text("200")
    expect(last).to_contain_text("thanks")
    payload = detail.get_by_role("region", name="Payload")
    expect(payload).to_contain_text('"type": "ticket.updated"')
    expect(payload).to_contain_text('"status": "pending"')
    request = receiver.received[-1]
    headers, body = request["headers"], request["body"]
    assert headers["X-Openbook-Signature"] == signature(
        secret=secret, timestamp=headers["X-Openbook-Timestamp"], body=body
    )
    assert json.loads(body)["data"]["ticket"]["id"] == ticket.pk
    screenshot(page, "integrations-delivery")

    # Every subscription's deliveries: the other one's were retried, then given up.
    page.get_by_role("combobox", name="Subscription", exact=True).select_option("")
    dead = page.get_by_role("row").filter(has=page.get_by_role("cell", name="Old CRM"))
    expect(dead.get_by_text("dead", exact=True)).to_be_visible()
    expect(dead).to_contain_text("Could not connect")
    screenshot(page, "integrations-events-sent", full_page=True)
