"""The agent's text checked at send as the draft was: a flagged claim takes an explicit confirmation, recorded
with the reply; the live check the console calls as the agent types; drafts that cite a policy that has a
newer version since are stale; a normal extractive draft of the demo passes clean."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from assist import grounding, services
from assist.models import Suggestion
from demo.documents import demo_documents
from demo.scenarios import SCENARIOS
from knowledge import indexing as knowledge_indexing
from knowledge import services as knowledge_services
from support.core import events, roles
from support.tickets.models import TicketMessage
from tests import factories
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

REFUNDS = (
    "# Refunds\n\nMonthly subscriptions are refundable **in full within 14 days** of the charge. "
    "Annual plans are refunded pro rata for the unused months."
)
CREDIT = "We will also add a free month of credit."


def _document() -> Any:
    return factories.indexed_document(title="Refunds for software", text=REFUNDS)


def _drafted(team: Any, user: Any, *, body: str = "") -> Suggestion:
    ticket = factories.ticket(team=team, subject="Refund request")
    factories.message(
        ticket, body=body or "Can I get a refund for my monthly subscription? I was charged 3 days ago."
    )
    suggestion = services.suggestion_request(ticket=ticket, user=user)
    services.suggestion_generate(suggestion_id=suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.status == "ready"
    return suggestion


def _send(client: Any, suggestion: Suggestion, text: str, **more: Any) -> Any:
    return client.post(f"/api/v1/suggestions/{suggestion.pk}/send", {"text": text, **more}, format="json")


def _cited_sentence(suggestion: Suggestion) -> str:
    return next(s for s in grounding.sentences(suggestion.text) if "[1]" in s)


def test_the_draft_sent_as_it_is_needs_no_confirmation(team, agent, agent_api):
    _document()
    suggestion = _drafted(team, agent)
    assert "[1]" in suggestion.text
    assert [f for f in suggestion.flags if f["kind"] in services.SEND_CHECKED_FLAGS] == []

    response = _send(agent_api, suggestion, suggestion.text)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["outcome"], body["sent_flags"], body["flags_confirmed"]) == ("accepted", [], False)


def test_an_uncited_claim_the_agent_added_is_409_open_flags_and_nothing_is_sent(team, agent, agent_api):
    _document()
    suggestion = _drafted(team, agent)

    response = _send(agent_api, suggestion, f"{suggestion.text}\n\n{CREDIT}")

    assert response.status_code == 409
    body = response.json()
    assert body["code"] == "open_flags"
    assert body["detail"].startswith("1 sentence needs a check before sending.")
    [flag] = body["flags"]
    assert (flag["kind"], flag["text"], flag["marker"]) == ("uncited_claim", CREDIT, None)
    assert "without a citation" in flag["reason"]
    assert not TicketMessage.objects.filter(ticket=suggestion.ticket, author_kind="agent").exists()
    suggestion.refresh_from_db()
    assert (suggestion.sent_at, suggestion.sent_flags, suggestion.flags_confirmed) == (None, [], False)


def test_a_cited_sentence_the_agent_negated_is_contradicted(team, agent, agent_api):
    _document()
    suggestion = _drafted(team, agent)
    cited = _cited_sentence(suggestion)
    negated = cited.replace("are refundable", "are not refundable")
    assert negated != cited

    response = _send(agent_api, suggestion, suggestion.text.replace(cited, negated))

    assert response.status_code == 409
    [flag] = response.json()["flags"]
    assert (flag["kind"], flag["text"], flag["marker"]) == ("contradicted", negated, 1)
    assert "the opposite of [1] Refunds for software" in flag["reason"]


def test_a_marker_the_agent_kept_resolves_against_the_drafts_passages(team, agent, agent_api):
    _document()
    suggestion = _drafted(team, agent)
    own_words = "Hi, your monthly subscription is refundable in full within 14 days of the charge [1]."
    assert _send(agent_api, suggestion, own_words).status_code == 200
    other = _drafted(team, agent)
    wrong = "Hi, your monthly subscription is refundable in full within 30 days of the charge [1]."
    [flag] = _send(agent_api, other, wrong).json()["flags"]
    assert (flag["kind"], flag["marker"]) == ("contradicted", 1)


def test_with_confirmation_the_reply_is_sent_and_its_flags_recorded_and_announced(
    team, agent, agent_api, monkeypatch
):
    _document()
    suggestion = _drafted(team, agent)
    heard: list[events.WebhookEvent] = []
    monkeypatch.setattr(events, "_subscriptions", {k: list(v) for k, v in events._subscriptions.items()})
    events.subscribe(events.WEBHOOK_EVENT, heard.append)

    response = _send(agent_api, suggestion, f"{suggestion.text}\n\n{CREDIT}", confirm_flags=True)

    assert response.status_code == 200, response.content
    body = response.json()
    assert [(f["kind"], f["text"]) for f in body["sent_flags"]] == [("uncited_claim", CREDIT)]
    assert body["flags_confirmed"] is True
    suggestion.refresh_from_db()
    assert suggestion.flags_confirmed is True
    assert suggestion.sent_flags == body["sent_flags"]
    reply = TicketMessage.objects.get(ticket=suggestion.ticket, author_kind="agent")
    assert reply.body.endswith(CREDIT)
    [sent] = [e.data() for e in heard if e.event_type == events.REPLY_SENT]
    assert sent["suggestion"]["flags"] == body["sent_flags"]
    assert sent["suggestion"]["flags_confirmed"] is True


def test_a_claim_a_similar_tickets_reply_backs_needs_no_confirmation(team, agent, agent_api):
    _document()
    suggestion = _drafted(team, agent)
    Suggestion.objects.filter(pk=suggestion.pk).update(
        precedents=[
            {
                "ticket_id": 12,
                "subject": "Refund and goodwill",
                "similarity": 0.91,
                "reply": "Refunded, and as a goodwill gesture we added a free month of credit.",
                "used": False,
            }
        ]
    )

    response = _send(agent_api, suggestion, f"{suggestion.text}\n\n{CREDIT}")

    assert response.status_code == 200, response.content
    assert response.json()["sent_flags"] == []


def test_a_claim_the_customers_record_backs_needs_no_confirmation(team, agent, agent_api):
    _document()
    customer = factories.customer()
    earlier = factories.ticket(team=team, customer_=customer, subject="Refund request for the annual plan")
    earlier_day = (timezone.now() - timedelta(days=40)).replace(hour=9)
    type(earlier).objects.filter(pk=earlier.pk).update(created_at=earlier_day, status="solved")
    ticket = factories.ticket(team=team, customer_=customer, subject="Refund request")
    factories.message(ticket, body="Can I get a refund for my monthly subscription?")
    suggestion = services.suggestion_request(ticket=ticket, user=agent)
    services.suggestion_generate(suggestion_id=suggestion.pk)
    suggestion.refresh_from_db()
    claim = f"Your refund request for the annual plan from {earlier_day:%Y-%m-%d} was solved."
    assert grounding.claim_kinds(claim)

    response = _send(agent_api, suggestion, f"{suggestion.text}\n\n{claim}")

    assert response.status_code == 200, response.content
    stripped = Suggestion.objects.get(pk=_drafted(team, agent).pk)  # no earlier ticket on its record
    assert _send(agent_api, stripped, f"{stripped.text}\n\n{claim}").status_code == 409


def test_a_reply_a_tool_already_sent_is_recorded_with_its_flags(team, agent):
    _document()
    suggestion = _drafted(team, agent)
    key = key_client(roles.ASSIST, user=agent)

    response = _send(key, suggestion, f"{suggestion.text}\n\n{CREDIT}", external_id="ZM-77")

    assert response.status_code == 200, response.content
    body = response.json()
    assert [f["kind"] for f in body["sent_flags"]] == ["uncited_claim"]
    assert body["flags_confirmed"] is False


def test_a_draft_inserted_without_its_markdown_marks_is_sent_as_drafted(team, agent, agent_api):
    _document()
    suggestion = _drafted(team, agent)
    # A draft in Markdown, as a model writes one (whatever the extractive composer does with a passage's).
    markdown = (
        "Hi,\n\nMonthly subscriptions are refundable **in full within 14 days** of the charge [1].\n\n"
        "* Sign in as the account owner.\n* Open [Billing](https://app.example/billing).\n\n"
        "Kind regards,\nAlex"
    )
    Suggestion.objects.filter(pk=suggestion.pk).update(text=markdown)
    plain = grounding.markdown_plain(markdown)
    assert "**" not in plain
    assert "- Open Billing (https://app.example/billing)." in plain

    response = _send(agent_api, suggestion, plain)

    assert response.status_code == 200, response.content
    assert (response.json()["outcome"], response.json()["edit_distance"]) == ("accepted", 0)


def test_bad_confirmations_are_rejected(team, agent, agent_api):
    suggestion = _drafted(team, agent)
    for bad in ("yes", 1, None):
        response = _send(agent_api, suggestion, "Hi, done.", confirm_flags=bad)
        assert response.status_code == 400, bad
        assert "confirm_flags" in response.json()["errors"]


# The live check.


def _check(client: Any, suggestion_id: int, body: Any) -> Any:
    return client.post(
        f"/api/v1/suggestions/{suggestion_id}/check", json.dumps(body), content_type="application/json"
    )


def test_the_check_gives_the_flags_sending_would_need_confirmed_and_stores_nothing(team, agent, agent_api):
    _document()
    suggestion = _drafted(team, agent)

    clean = _check(agent_api, suggestion.pk, {"text": suggestion.text})
    flagged = _check(agent_api, suggestion.pk, {"text": f"{suggestion.text}\n\n{CREDIT}"})

    assert (clean.status_code, clean.json()) == (200, {"flags": []})
    assert flagged.status_code == 200
    [flag] = flagged.json()["flags"]
    assert (flag["kind"], flag["text"]) == ("uncited_claim", CREDIT)
    assert flag["reason"]
    assert _check(agent_api, suggestion.pk, {"text": ""}).json() == {"flags": []}
    suggestion.refresh_from_db()
    assert (suggestion.sent_at, suggestion.sent_flags) == (None, [])


def test_the_check_refuses_bad_input_and_unknown_or_hidden_drafts(team, agent, agent_api):
    suggestion = _drafted(team, agent)
    assert _check(agent_api, suggestion.pk, {"text": 5}).status_code == 400
    assert _check(agent_api, suggestion.pk, {}).status_code == 400
    assert _check(agent_api, suggestion.pk, ["text"]).status_code == 400
    too_long = _check(agent_api, suggestion.pk, {"text": "x" * (services.MAX_REPLY_CHARS + 1)})
    assert too_long.status_code == 400
    assert "text" in too_long.json()["errors"]
    assert _check(agent_api, 999_999, {"text": "Hi"}).status_code == 404
    elsewhere = factories.team()
    other_team = _drafted(elsewhere, factories.user(role=roles.AGENT, teams=(elsewhere,)))
    assert _check(agent_api, other_team.pk, {"text": "Hi"}).status_code == 404
    pending = services.suggestion_request(ticket=suggestion.ticket, user=agent)
    response = _check(agent_api, pending.pk, {"text": "Hi"})
    assert (response.status_code, response.json()["code"]) == (409, "not_ready")


def test_the_check_has_the_rights_of_send(team, agent, api):
    suggestion = _drafted(team, agent)
    assert _check(api, suggestion.pk, {"text": "Hi"}).status_code in (401, 403)
    no_assist = key_client(roles.TICKETS_READ, user=agent)
    assert _check(no_assist, suggestion.pk, {"text": "Hi"}).status_code == 403
    assert _check(key_client(roles.ASSIST, user=agent), suggestion.pk, {"text": "Hi"}).status_code == 200


# Stale drafts.


def test_a_draft_citing_a_document_with_a_newer_version_is_stale_and_says_why(team, agent, agent_api):
    document = _document()
    suggestion = _drafted(team, agent)
    url = f"/api/v1/suggestions/{suggestion.pk}"
    assert (agent_api.get(url).json()["stale"], agent_api.get(url).json()["stale_reason"]) == (False, "")

    version = knowledge_services.version_create(
        document=document, text=REFUNDS.replace("14 days", "30 days"), embed_async=False
    )
    queued = agent_api.get(url).json()
    assert queued["stale"] is False  # the new version does not serve yet
    knowledge_indexing.version_embed(version_id=version.pk)

    read = agent_api.get(url).json()
    listed = agent_api.get(f"/api/v1/tickets/{suggestion.ticket_id}/suggestions").json()["results"][0]
    for body in (read, listed):
        assert body["stale"] is True
        assert body["stale_reason"] == "Policy updated since this draft: Refunds for software."
    factories.message(suggestion.ticket, body="Also, my invoice address is wrong.")
    both = agent_api.get(url).json()["stale_reason"]
    assert both.startswith("The customer wrote after this draft was made")
    assert both.endswith("Policy updated since this draft: Refunds for software.")


# The demo.

DEMO_CASES = (
    ("refund-monthly", ("refund-policy-software", "account-cancellation-retention-and-reactivation")),
    ("plan-upgrade", ("plan-changes-upgrade-downgrade", "billing-invoices-and-vat")),
    ("shipping-delay-tracking", ("hardware-shipping", "hardware-returns-and-warranty")),
    ("mobile-login-loop", ("mobile-app-login-problems", "password-reset")),
    ("password-reset-link-expired", ("password-reset", "two-factor-authentication-reset")),
)
PLACEHOLDERS = {
    "first_name": "Dana",
    "product": "Books",
    "plan": "Growth",
    "order_ref": "QF-104233",
    "invoice_ref": "INV-2026-0042",
    "amount": "49.00 EUR",
    "date": "3 March",
}


def test_normal_extractive_drafts_of_the_demo_pass_clean(team, agent):
    documents = {d.slug: d for d in demo_documents()}
    for slug in {slug for _, slugs in DEMO_CASES for slug in slugs}:
        factories.indexed_document(title=documents[slug].title, text=documents[slug].body)
    scenarios = {scenario.key: scenario for scenario in SCENARIOS}
    drafted = 0
    for key, _ in DEMO_CASES:
        for opening in scenarios[key].openings[:2]:
            ticket = factories.ticket(team=team, subject=scenarios[key].subjects[0].format(**PLACEHOLDERS))
            factories.message(ticket, body=opening.format(**PLACEHOLDERS))
            suggestion = services.suggestion_request(ticket=ticket, user=agent)
            services.suggestion_generate(suggestion_id=suggestion.pk)
            suggestion.refresh_from_db()
            claims = [f for f in suggestion.flags if f["kind"] in services.SEND_CHECKED_FLAGS]
            assert claims == [], (key, suggestion.text)
            drafted += "[" in suggestion.text
    assert drafted >= 6  # most of them answer from the library
