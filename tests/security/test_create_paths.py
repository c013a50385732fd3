"""Create-or-update paths never reach records outside the caller's rights.

Every lookup by a key the caller typed (`source` + `external_id`, an e-mail address) goes through the one
rights policy: a match the caller may not see is answered 409 with a fixed, detail-free message, and the
record it matched is neither changed nor described."""

import pytest

from support.core import roles
from support.customers.models import Customer
from support.tickets.models import Ticket
from tests import factories
from tests.conftest import key_client

pytestmark = pytest.mark.django_db

IN_USE = {"detail": "This external id or e-mail address is already in use.", "code": "conflict"}
AGENT_SCOPES = (roles.TICKETS_READ, roles.TICKETS_WRITE, roles.ASSIST, roles.KNOWLEDGE_READ)


@pytest.fixture
def world():
    """An agent in Billing, with a key acting as them; a Hardware ticket of a customer they cannot see."""
    billing, hardware = factories.team(name="Billing"), factories.team(name="Hardware")
    agent = factories.user(role=roles.AGENT, teams=(billing,))
    org = factories.organization(name="Hidden Org")
    hidden_customer = factories.customer(
        name="Hidden Hilda",
        email="hilda@hidden.test",
        phone="+1 555 0100",
        organization=org,
        source="zendesk",
        external_id="C-77",
    )
    product = factories.product()
    hidden = factories.ticket(
        team=hardware,
        customer_=hidden_customer,
        subject="Reader broken",
        source="zendesk",
        external_id="T-9",
        tags=["vip"],
        products=[product],
    )
    factories.message(hidden, body="It beeps.")
    return {
        "billing": billing,
        "hardware": hardware,
        "agent": agent,
        "client": key_client(*AGENT_SCOPES, user=agent),
        "hidden": hidden,
        "hidden_customer": hidden_customer,
        "org": org,
    }


def _ticket_state(ticket):
    ticket.refresh_from_db()
    return (
        ticket.subject,
        ticket.team_id,
        ticket.tags,
        sorted(ticket.products.values_list("pk", flat=True)),
        list(ticket.messages.values_list("body", flat=True)),
    )


def _customer_state(customer):
    customer.refresh_from_db()
    return (
        customer.name,
        customer.email,
        customer.phone,
        customer.plan_id,
        customer.source,
        customer.external_id,
    )


def test_an_agent_posting_the_external_id_of_another_teams_ticket_gets_409_and_changes_nothing(world):
    before = _ticket_state(world["hidden"])
    response = world["client"].post(
        "/api/v1/tickets",
        {
            "subject": "Overwritten",
            "customer": factories.customer().pk,
            "source": "zendesk",
            "external_id": "T-9",
            "messages": [{"author_kind": "customer", "body": "Injected"}],
        },
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == IN_USE
    assert _ticket_state(world["hidden"]) == before
    assert "Hilda" not in response.content.decode()


def test_an_agent_posting_a_customer_with_another_teams_email_gets_409_and_changes_nothing(world):
    before = _customer_state(world["hidden_customer"])
    response = world["client"].post(
        "/api/v1/customers",
        {"name": "Renamed", "email": "HILDA@hidden.test", "external_id": "mine-1"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == IN_USE
    assert _customer_state(world["hidden_customer"]) == before


def test_an_agent_posting_a_customer_with_another_teams_external_id_gets_409_and_changes_nothing(world):
    before = _customer_state(world["hidden_customer"])
    response = world["client"].post(
        "/api/v1/customers",
        {"name": "Renamed", "email": "someone@else.test", "source": "zendesk", "external_id": "C-77"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == IN_USE
    assert _customer_state(world["hidden_customer"]) == before


def test_an_agent_creating_a_customer_with_a_hidden_customers_email_gets_the_same_409(world):
    response = world["client"].post(
        "/api/v1/customers", {"name": "Copy", "email": "hilda@hidden.test"}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == IN_USE
    assert Customer.objects.filter(email__iexact="hilda@hidden.test").count() == 1


def test_an_agent_still_upserts_tickets_and_customers_they_can_see(world):
    mine = factories.ticket(
        team=world["billing"],
        customer_=factories.customer(email="vera@mine.test", external_id="C-1"),
        source="zendesk",
        external_id="T-1",
    )
    ticket = world["client"].post(
        "/api/v1/tickets",
        {"subject": "Renamed", "customer": mine.customer_id, "source": "zendesk", "external_id": "T-1"},
        format="json",
    )
    assert (ticket.status_code, ticket.json()["id"], ticket.json()["subject"]) == (200, mine.pk, "Renamed")
    customer = world["client"].post(
        "/api/v1/customers",
        {"name": "Vera V", "email": "VERA@mine.test", "external_id": "C-1"},
        format="json",
    )
    assert (customer.status_code, customer.json()["id"], customer.json()["name"]) == (
        200,
        mine.customer_id,
        "Vera V",
    )


def test_integrations_and_administrators_still_upsert_every_record(world):
    for client in (
        key_client(*AGENT_SCOPES),
        key_client(roles.TICKETS_READ, roles.TICKETS_WRITE, user=factories.user(role=roles.ADMINISTRATOR)),
    ):
        ticket = client.post(
            "/api/v1/tickets",
            {
                "subject": "Reader broken",
                "customer": world["hidden_customer"].pk,
                "source": "zendesk",
                "external_id": "T-9",
            },
            format="json",
        )
        assert (ticket.status_code, ticket.json()["id"]) == (200, world["hidden"].pk)
        customer = client.post(
            "/api/v1/customers",
            {"name": "Hilda H", "email": "hilda@hidden.test", "source": "zendesk", "external_id": "C-77"},
            format="json",
        )
        assert (customer.status_code, customer.json()["id"]) == (200, world["hidden_customer"].pk)


def test_an_agent_cannot_file_a_ticket_into_a_team_they_are_not_in(world):
    response = world["client"].post(
        "/api/v1/tickets",
        {"subject": "Hi", "customer": factories.customer().pk, "team": world["hardware"].pk},
        format="json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "team": [f'Invalid pk "{world["hardware"].pk}" - object does not exist.']
    }
    assert not Ticket.objects.filter(subject="Hi").exists()


def test_an_agent_cannot_file_a_ticket_for_a_customer_with_tickets_they_cannot_see(world):
    response = world["client"].post(
        "/api/v1/tickets", {"subject": "Hi", "customer": world["hidden_customer"].pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["customer"]
    assert "Hilda" not in response.content.decode()


def test_an_agents_new_ticket_goes_to_the_routed_team_only_when_they_are_in_it(world):
    product = factories.product()
    world["hardware"].products.add(product)
    body = {"subject": "Reader", "customer": factories.customer().pk, "products": [product.code]}
    routed_elsewhere = world["client"].post("/api/v1/tickets", body, format="json")
    assert routed_elsewhere.status_code == 201
    assert routed_elsewhere.json()["team"]["id"] == world["billing"].pk
    world["hardware"].members.add(world["agent"])
    body["customer"] = factories.customer().pk
    routed_here = world["client"].post("/api/v1/tickets", body, format="json")
    assert routed_here.json()["team"]["id"] == world["hardware"].pk


def test_an_agent_in_no_team_is_asked_for_a_team_instead_of_filing_a_ticket_they_could_not_see():
    loner = factories.user(role=roles.AGENT)
    customer = factories.customer(name="Quiet Quentin")
    response = key_client(*AGENT_SCOPES, user=loner).post(
        "/api/v1/tickets", {"subject": "Hi", "customer": customer.pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["team"]
    assert "Quentin" not in response.content.decode()
    assert not Ticket.objects.filter(customer=customer).exists()


def test_a_key_acting_as_someone_without_ticket_rights_cannot_file_tickets():
    knowledge_admin = factories.user(role=roles.KNOWLEDGE_ADMIN, teams=())
    customer = factories.customer(name="Quiet Quentin")
    response = key_client(roles.TICKETS_READ, roles.TICKETS_WRITE, user=knowledge_admin).post(
        "/api/v1/tickets", {"subject": "Hi", "customer": customer.pk}, format="json"
    )
    assert response.status_code == 400
    assert "Quentin" not in response.content.decode()
    assert not Ticket.objects.filter(customer=customer).exists()


def test_an_agent_cannot_move_a_ticket_to_a_team_they_are_not_in(world):
    mine = factories.ticket(team=world["billing"])
    response = world["client"].patch(
        f"/api/v1/tickets/{mine.pk}", {"team": world["hardware"].pk}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["team"]
    mine.refresh_from_db()
    assert mine.team_id == world["billing"].pk


def test_an_agent_cannot_attach_a_customer_to_an_organization_they_cannot_see(world):
    mine = factories.ticket(team=world["billing"]).customer
    for response in (
        world["client"].patch(
            f"/api/v1/customers/{mine.pk}", {"organization": world["org"].pk}, format="json"
        ),
        world["client"].post(
            "/api/v1/customers",
            {"name": "N", "email": "n@new.test", "organization": world["org"].pk},
            format="json",
        ),
    ):
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["organization"]
        assert "Hidden Org" not in response.content.decode()
    mine.refresh_from_db()
    assert mine.organization_id is None
    new_org = factories.organization(name="Fresh Org")
    attached = world["client"].patch(
        f"/api/v1/customers/{mine.pk}", {"organization": new_org.pk}, format="json"
    )
    assert attached.status_code == 200
    assert attached.json()["organization"]["name"] == "Fresh Org"


def test_the_drafts_endpoint_of_a_tool_answers_404_for_a_ticket_the_key_cannot_see(world):
    response = world["client"].post("/api/v1/integrations/zendesk/tickets/T-9/drafts")
    assert response.status_code == 404
    assert not world["hidden"].suggestions.exists()


def test_a_knowledge_writer_key_cannot_update_a_document_it_cannot_read_by_its_external_id():
    from knowledge.models import Document

    hidden = factories.indexed_document(
        title="Escalation matrix",
        text="Internal escalation steps for knowledge admins.",
        meta={"audience": "internal", "roles": ["knowledge_admin"]},
        source="wiki",
        external_id="W-1",
    )
    agent = factories.user(role=roles.AGENT)
    client = key_client(roles.KNOWLEDGE_READ, roles.KNOWLEDGE_WRITE, user=agent)
    response = client.post(
        "/api/v1/knowledge/documents",
        {"title": "Overwritten", "text": "New text.", "source": "wiki", "external_id": "W-1"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json() == IN_USE
    hidden.refresh_from_db()
    assert (hidden.title, hidden.versions.count()) == ("Escalation matrix", 1)
    assert Document.objects.filter(external_id="W-1").count() == 1


def test_a_draft_that_used_documents_for_the_agents_is_not_shown_to_an_integration():
    from assist import services as console

    team = factories.team()
    agent = factories.user(role=roles.AGENT, teams=(team,))
    factories.indexed_document(
        title="Goodwill refunds (agents only)",
        text="# Goodwill refunds\n\nAgents may refund an annual plan in full once per customer, as goodwill.",
        meta={"audience": "internal", "roles": ["agent"]},
    )
    ticket = factories.ticket(team=team, subject="Refund")
    factories.message(ticket, body="Can I get a refund for my annual plan?")
    draft = console.suggestion_request(ticket=ticket, user=agent)
    console.suggestion_generate(suggestion_id=draft.pk)
    draft.refresh_from_db()
    # The internal passage informs the agent's note (never the reply): the draft holds it all the same.
    assert draft.passages[0]["title"] == "Goodwill refunds (agents only)"
    assert "Goodwill refunds (agents only)" in draft.agent_note

    teammate = key_client(*AGENT_SCOPES, user=factories.user(role=roles.AGENT, teams=(team,)))
    assert teammate.get(f"/api/v1/suggestions/{draft.pk}").status_code == 200
    integration = key_client(*AGENT_SCOPES)
    for path in (f"/api/v1/suggestions/{draft.pk}", f"/api/v1/suggestions/{draft.pk}/stream"):
        response = integration.get(path)
        assert response.status_code == 404
    listed = integration.get(f"/api/v1/tickets/{ticket.pk}/suggestions").json()["results"]
    assert listed == []
