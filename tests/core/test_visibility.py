"""Who sees what: isolation between teams and roles, enforced in SQL."""

import pytest

from support.core import roles
from support.tickets.selectors import customer_list_for_user, organization_list_for_user, ticket_list_for_user
from tests import factories
from tests.conftest import key_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_teams():
    billing, hardware = factories.team(name="Billing"), factories.team(name="Hardware")
    org_a, org_b = factories.organization(), factories.organization()
    alice = factories.customer(organization=org_a)
    bob = factories.customer(organization=org_b)
    mine = factories.ticket(team=billing, customer_=alice, subject="Refund please")
    theirs = factories.ticket(team=hardware, customer_=bob, subject="Reader broken")
    agent = factories.user(role=roles.AGENT, teams=(billing,))
    return {"agent": agent, "mine": mine, "theirs": theirs, "alice": alice, "bob": bob, "org_a": org_a}


def test_agent_sees_only_the_tickets_of_their_teams(two_teams):
    visible = set(ticket_list_for_user(user=two_teams["agent"]))
    assert visible == {two_teams["mine"]}


def test_agent_sees_only_customers_and_organizations_with_tickets_in_their_teams(two_teams):
    assert list(customer_list_for_user(user=two_teams["agent"])) == [two_teams["alice"]]
    assert list(organization_list_for_user(user=two_teams["agent"])) == [two_teams["org_a"]]


def test_administrator_sees_everything(two_teams):
    admin = factories.user(role=roles.ADMINISTRATOR)
    assert set(ticket_list_for_user(user=admin)) == {two_teams["mine"], two_teams["theirs"]}
    assert set(customer_list_for_user(user=admin)) == {two_teams["alice"], two_teams["bob"]}


def test_superuser_counts_as_administrator(two_teams):
    root = factories.user(role=None, is_superuser=True)
    assert ticket_list_for_user(user=root).count() == 2


def test_knowledge_admin_and_user_without_role_see_no_tickets_or_customers(two_teams):
    for user in (factories.user(role=roles.KNOWLEDGE_ADMIN), factories.user(role=None)):
        assert ticket_list_for_user(user=user).count() == 0
        assert customer_list_for_user(user=user).count() == 0


def test_agent_gets_404_for_another_teams_ticket_over_the_api(two_teams, api):
    api.force_authenticate(two_teams["agent"])
    assert api.get(f"/api/v1/tickets/{two_teams['theirs'].pk}").status_code == 404
    assert api.get(f"/api/v1/tickets/{two_teams['theirs'].pk}/messages").status_code == 404
    assert (
        api.patch(f"/api/v1/tickets/{two_teams['theirs'].pk}", {"priority": "low"}, format="json").status_code
        == 404
    )
    assert api.get(f"/api/v1/customers/{two_teams['bob'].pk}").status_code == 404
    listed = api.get("/api/v1/tickets").json()
    assert [t["id"] for t in listed["results"]] == [two_teams["mine"].pk]


def test_api_key_acting_as_an_agent_is_bounded_by_that_agents_teams(two_teams):
    client = key_client(roles.TICKETS_READ, user=two_teams["agent"])
    listed = client.get("/api/v1/tickets").json()
    assert [t["id"] for t in listed["results"]] == [two_teams["mine"].pk]


def test_integration_key_sees_all_tickets(two_teams):
    client = key_client(roles.TICKETS_READ)
    assert client.get("/api/v1/tickets").json()["count"] == 2


def test_knowledge_admin_is_refused_ticket_endpoints(two_teams, api):
    api.force_authenticate(factories.user(role=roles.KNOWLEDGE_ADMIN))
    response = api.get("/api/v1/tickets")
    assert response.status_code == 403
    assert response.json()["detail"] == "This endpoint needs the 'tickets:read' scope."


def test_a_user_read_with_their_roles_has_the_roles_user_roles_would_read():
    from django.contrib.auth import get_user_model

    agent = factories.user(role=roles.AGENT)
    agent.groups.add(*factories.user(role=roles.KNOWLEDGE_ADMIN).groups.all())
    superuser = factories.user(role=None, is_superuser=True)
    nobody = factories.user(role=None)
    for user in (agent, superuser, nobody):
        fresh = get_user_model().objects.get(pk=user.pk)
        read = roles.user_with_roles(user.pk)
        assert read.pk == user.pk
        assert read._openbook_roles == roles.user_roles(fresh)
    assert roles.user_roles(roles.user_with_roles(agent.pk)) == {roles.AGENT, roles.KNOWLEDGE_ADMIN}
    assert roles.user_with_roles(10**9) is None
