from datetime import timedelta

import pytest
from django.utils import timezone

from tests import factories

pytestmark = pytest.mark.django_db


def _unread(api, ticket):
    return {t["id"]: t["unread"] for t in api.get("/api/v1/tickets").json()["results"]}[ticket.pk]


def test_a_ticket_is_unread_until_opened_and_again_when_the_customer_writes(agent_api, team):
    ticket = factories.ticket(team=team)
    factories.message(ticket, author_kind="customer", created_at=timezone.now() - timedelta(minutes=5))
    assert _unread(agent_api, ticket) is True
    assert agent_api.post(f"/api/v1/tickets/{ticket.pk}/read").status_code == 204
    assert _unread(agent_api, ticket) is False
    assert agent_api.get(f"/api/v1/tickets/{ticket.pk}").json()["unread"] is False
    factories.message(ticket, author_kind="agent", created_at=timezone.now() + timedelta(seconds=1))
    assert _unread(agent_api, ticket) is False, "our own replies do not make a ticket unread"
    factories.message(ticket, author_kind="customer", created_at=timezone.now() + timedelta(seconds=2))
    assert _unread(agent_api, ticket) is True


def test_read_marks_are_per_user(agent_api, team):
    ticket = factories.ticket(team=team)
    factories.message(ticket, author_kind="customer", created_at=timezone.now() - timedelta(minutes=1))
    colleague = factories.user(teams=(team,))
    agent_api.post(f"/api/v1/tickets/{ticket.pk}/read")
    agent_api.force_authenticate(colleague)
    assert _unread(agent_api, ticket) is True


def test_a_ticket_without_customer_messages_is_not_unread(agent_api, team):
    ticket = factories.ticket(team=team)
    assert _unread(agent_api, ticket) is False


def test_marking_a_ticket_of_another_team_read_is_404(agent_api):
    other = factories.ticket(team=factories.team())
    assert agent_api.post(f"/api/v1/tickets/{other.pk}/read").status_code == 404
    assert agent_api.post("/api/v1/tickets/999999999/read").status_code == 404


def test_teams_list_their_active_members_for_assignment(agent_api, team, agent):
    retired = factories.user(teams=(team,), is_active=False)
    found = {t["id"]: t for t in agent_api.get("/api/v1/teams").json()}[team.pk]
    usernames = [m["username"] for m in found["members"]]
    assert agent.username in usernames
    assert retired.username not in usernames
