"""Backfilling training examples from replies sent before Openbook: each reply's prompt is the one the
console would have assembled just before it was posted."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from assist.context import NO_CUSTOMER_MESSAGE
from assist.learning import examples_backfill
from knowledge import api as knowledge
from models_ft.models import TrainingExample
from support.customers.models import Incident, IncidentUpdate
from support.tickets.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _at(days: float):
    return NOW - timedelta(days=days)


def _say(ticket, kind, body, days, **fields):
    return factories.message(ticket, author_kind=kind, body=body, created_at=_at(days), **fields)


def _ticket(team, customer, subject, created_days):
    ticket = factories.ticket(team=team, customer_=customer, subject=subject)
    Ticket.objects.filter(pk=ticket.pk).update(created_at=_at(created_days))
    return ticket


@pytest.fixture
def history(team, agent):
    factories.indexed_document(
        title="Refunds for subscriptions",
        text="# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge.",
    )
    product = factories.product()
    dana = factories.customer(name="Dana Whitfield", training_consent=True)
    dana.products.add(product)
    earlier = _ticket(team, dana, "Password reset", created_days=40)
    refund = _ticket(team, dana, "Refund request", created_days=30)
    first_question = _say(refund, "customer", "Can I get a refund? I was charged yesterday.", 30)
    first_reply = _say(
        refund, "agent", "Yes: monthly plans are refundable within 14 days.", 29.9, author_user=agent
    )
    second_question = _say(refund, "customer", "Thanks! And will it reach my card by Friday?", 29)
    second_reply = _say(refund, "agent", "Refunds take up to 5 business days.", 28.9, author_user=agent)
    _ticket(team, dana, "A later question", created_days=10)
    # An outage during the first reply, resolved since; and one that started after both replies.
    outage = Incident.objects.create(
        title="Card payments failing",
        status=Incident.Status.RESOLVED,
        started_at=_at(31),
        resolved_at=_at(20),
        customer_summary="Some card payments fail.",
    )
    outage.products.add(product)
    IncidentUpdate.objects.create(
        incident=outage, status="identified", message="Fix on the way.", created_at=_at(30.5)
    )
    IncidentUpdate.objects.create(
        incident=outage, status="resolved", message="All fixed.", created_at=_at(20)
    )
    later = Incident.objects.create(
        title="Login slowness", status="investigating", started_at=_at(5), customer_summary="Slow logins."
    )
    later.products.add(product)

    private = factories.customer(training_consent=False)
    quiet = _ticket(team, private, "Refund request", created_days=30)
    _say(quiet, "customer", "Refund please.", 30)
    _say(quiet, "agent", "Done.", 29, author_user=agent)
    still_open = _ticket(team, dana, "Open question", created_days=3)
    _say(still_open, "customer", "Is this open?", 3)
    _say(still_open, "agent", "Yes, still looking.", 2.9, author_user=agent)
    agent_first = _ticket(team, dana, "Outreach", created_days=25)
    outreach = _say(
        agent_first, "agent", "We noticed a failed payment on your account.", 25, author_user=agent
    )
    # Solved after the conversation (a customer's message reopens a solved ticket).
    Ticket.objects.exclude(pk=still_open.pk).update(status="solved")
    Ticket.objects.filter(pk=still_open.pk).update(status="open")
    return {
        "earlier": earlier,
        "questions": (first_question, second_question),
        "replies": (first_reply, second_reply),
        "outreach": outreach,
    }


def test_each_reply_gets_the_prompt_of_its_own_moment(history):
    result = examples_backfill()
    assert (result.replies, result.created, result.already) == (3, 2, 0)
    assert result.skipped == [{"message_id": history["outreach"].pk, "reason": NO_CUSTOMER_MESSAGE}]
    first, second = (TrainingExample.objects.get(message_id=r.pk) for r in history["replies"])
    prompt = first.messages[-1]["content"]
    assert "Can I get a refund?" in prompt
    assert "reach my card by Friday" not in prompt
    assert "monthly plans are refundable within 14 days" not in prompt  # the reply itself
    assert "Password reset" in prompt
    assert "A later question" not in prompt
    assert "Card payments failing" in prompt
    assert "Fix on the way." in prompt
    assert "Login slowness" not in prompt
    assert "Identified" in prompt  # the status of that moment
    assert "Refunds for subscriptions" in prompt  # retrieved over today's library, with its marker
    assert (first.sent, first.outcome, first.backfilled, first.draft) == (
        "Yes: monthly plans are refundable within 14 days.",
        "backfilled",
        True,
        "",
    )
    assert first.sent_at == history["replies"][0].created_at
    assert first.person["name"] == "Dana Whitfield"
    later_prompt = second.messages[-1]["content"]
    assert "reach my card by Friday" in later_prompt
    assert "monthly plans are refundable" in later_prompt

    again = examples_backfill()
    assert (again.created, again.already) == (0, 2)
    assert TrainingExample.objects.count() == 2


def test_the_command_reports_and_filters_by_date(history, capsys):
    since = history["replies"][1].created_at.date().isoformat()
    call_command("backfill_examples", "--since", since, "--json", "--no-progress")
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    # The second reply, and the agent-first one (skipped: nothing to answer).
    assert (result["replies"], result["created"], len(result["skipped"])) == (2, 1, 1)
    call_command("backfill_examples", "--no-progress")
    out = capsys.readouterr().out
    assert "3 replies: 1 new examples, 1 already examples, 1 skipped." in out
    with pytest.raises(CommandError, match="is not a date"):
        call_command("backfill_examples", "--since", "last tuesday", "--no-progress")
    with pytest.raises(CommandError, match="No active user"):
        call_command("backfill_examples", "--as", "nobody", "--no-progress")


def test_indexing_pending_counts_versions_waiting_for_embedding():
    assert knowledge.indexing_pending() == 0
    from knowledge import services

    services.document_create(title="Waiting", text="# Waiting\n\nNot embedded yet.", embed_async=False)
    assert knowledge.indexing_pending() == 1
