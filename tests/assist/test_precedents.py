"""Precedents: solved tickets close to the one being answered, within the agent's rights."""

from __future__ import annotations

import pytest

from assist import precedents
from support.tickets.services import ticket_change_status
from tests import factories

pytestmark = pytest.mark.django_db


def _solved(team, subject, question, answer):
    ticket = factories.ticket(team=team, subject=subject)
    factories.message(ticket, body=question)
    factories.message(ticket, author_kind="agent", body=answer)
    ticket_change_status(ticket=ticket, status="solved")
    return ticket


def test_the_closest_solved_ticket_comes_first(team, agent_api):
    refund = _solved(
        team,
        "Refund for annual plan",
        "I cancelled my annual subscription, can I get my money back?",
        "We refunded the unused months of your annual plan.",
    )
    _solved(team, "Password reset", "I cannot log in, the reset e-mail never arrives.", "We resent the link.")
    hidden = _solved(
        factories.team(),
        "Refund of my yearly subscription",
        "Please refund my yearly plan, I cancelled it.",
        "Refunded.",
    )
    assert precedents.precedents_embed() == 3
    assert precedents.precedents_embed() == 0  # nothing new to embed
    current = factories.ticket(team=team, subject="Money back?")
    factories.message(current, body="I want a refund for the rest of my annual subscription.")
    body = agent_api.get(f"/api/v1/tickets/{current.pk}/precedents").json()
    ids = [row["id"] for row in body["results"]]
    assert ids[0] == refund.pk
    assert hidden.pk not in ids
    assert current.pk not in ids
    assert body["results"][0]["reply"] == "We refunded the unused months of your annual plan."


def test_precedents_reject_bad_input(team, agent_api):
    current = factories.ticket(team=team)
    factories.message(current)
    assert agent_api.get("/api/v1/tickets/999999/precedents").status_code == 404
    assert agent_api.get(f"/api/v1/tickets/{current.pk}/precedents?limit=0").status_code == 400
    assert agent_api.get(f"/api/v1/tickets/{current.pk}/precedents?limit=lots").status_code == 400


def test_vectors_of_another_embedding_model_are_made_again(team):
    from assist.models import TicketVector

    solved = _solved(team, "Refund", "Refund my plan please.", "Refunded.")
    assert precedents.precedents_embed() == 1
    TicketVector.objects.filter(ticket=solved).update(model="an-older-model")
    assert precedents.precedents_embed() == 1
    assert TicketVector.objects.get(ticket=solved).model != "an-older-model"


def test_vectors_of_another_size_are_not_compared_and_do_not_fail(team, agent):
    """The column holds any model's vectors: right after a switch to a model of another size, a query vector
    of the old one finds no precedent rather than failing the comparison."""
    from assist.models import TicketVector

    solved = _solved(team, "Refund", "Refund my plan please.", "Refunded.")
    assert precedents.precedents_embed() == 1
    current = factories.ticket(team=team)
    near = precedents.precedent_replies(ticket_id=current.pk, user=agent, vector=[1.0] + [0.0] * 383)
    assert [reply.ticket_id for reply in near] == [solved.pk]
    assert precedents.precedent_replies(ticket_id=current.pk, user=agent, vector=[1.0] + [0.0] * 47) == []
    TicketVector.objects.filter(ticket=solved).update(embedding=[1.0] + [0.0] * 47)
    assert precedents.precedent_replies(ticket_id=current.pk, user=agent, vector=[1.0] + [0.0] * 383) == []
