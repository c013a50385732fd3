"""An agent signs in, opens a ticket from the queue, drafts a reply, watches it stream, checks a citation
(its passage, then the document version it opens), edits the draft, sends it, and sees it in the
conversation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from assist.models import Suggestion
from support.tickets.models import TicketMessage
from tests import factories
from tests.e2e.conftest import screenshot, sign_in

pytestmark = pytest.mark.django_db(transaction=True)

POLICY = (
    "# Refunds\n\n"
    "## Annual plans\n\n"
    "Annual plans can be refunded in full within 30 days of purchase. "
    "After 30 days we refund the unused months on request.\n"
)

# Records every text the streaming draft shows, so the test can tell a stream from a text that arrived whole.
WATCH_STREAM = """() => {
  window.__drafts = [];
  new MutationObserver(() => {
    const node = document.querySelector('[data-testid="streaming-draft"]');
    if (node) window.__drafts.push(node.textContent);
  }).observe(document.body, { subtree: true, childList: true, characterData: true });
}"""


def test_an_agent_drafts_checks_edits_and_sends_a_reply(page, celery_worker, team):
    agent = factories.user(teams=(team,), first_name="Alex", last_name="Agent")
    document = factories.indexed_document(title="Refund policy", text=POLICY)
    customer = factories.customer(name="Dana Whitfield")
    ticket = factories.ticket(team=team, customer_=customer, subject="Refund for my annual plan")
    factories.message(ticket, body="I bought the annual plan two weeks ago. Can I get a refund?")

    sign_in(page, agent.username)
    expect(page.get_by_role("heading", name="Tickets")).to_be_visible()
    row = page.get_by_role("link", name="Refund for my annual plan")
    expect(row).to_be_visible()
    expect(page.get_by_role("img", name="Unread")).to_be_visible()
    screenshot(page, "agent-queue")
    row.click()

    expect(page.get_by_role("heading", name="Refund for my annual plan")).to_be_visible()
    expect(page.get_by_text("Dana Whitfield").first).to_be_visible()
    page.evaluate(WATCH_STREAM)
    page.get_by_role("button", name=re.compile("Draft reply")).click()

    marker = page.get_by_role("button", name=re.compile(r"^Citation \d+: Refund policy")).first
    expect(marker).to_be_visible()
    seen = [text for text in page.evaluate("window.__drafts") if text]
    assert len(set(seen)) >= 3, f"the draft did not stream: {seen}"
    assert len(seen[0]) < len(seen[-1])
    draft = Suggestion.objects.get(ticket=ticket)
    assert draft.status == "ready"
    assert draft.citations
    assert draft.citations[0]["document_id"] == document.pk
    screenshot(page, "agent-draft")

    page.locator(".citation").first.hover()
    card = page.get_by_role("tooltip")
    expect(card).to_contain_text("Annual plans can be refunded in full within 30 days of purchase")
    screenshot(page, "agent-citation")
    card.get_by_role("link", name=re.compile("Open document version 1")).click()
    expect(page).to_have_url(re.compile(rf"/knowledge/{document.pk}/versions/1$"))
    expect(page.get_by_text("After 30 days we refund the unused months on request.").first).to_be_visible()
    page.go_back()

    page.get_by_role("button", name=re.compile("Insert into reply")).click()
    box = page.get_by_role("textbox", name="Reply to the customer")
    expect(box).to_have_value(draft.text)
    box.press("End")
    box.press("Control+End")
    box.type("\nWe are glad to help.")
    page.get_by_role("button", name=re.compile("Send reply")).click()

    conversation = page.get_by_role("list", name="Conversation")
    expect(conversation).to_contain_text("We are glad to help.")
    expect(box).to_have_value("")
    screenshot(page, "agent-sent")
    sent = Suggestion.objects.get(pk=draft.pk)
    assert sent.sent_at is not None
    assert sent.outcome == "edited"
    reply = TicketMessage.objects.filter(ticket=ticket, author_kind="agent").get()
    assert reply.public
    assert reply.body.endswith("We are glad to help.")
    assert "[1]" not in reply.body, "citation markers are for the agent, not the customer"
    assert "[1]" in sent.sent_text
    assert reply.author_user == agent
