"""Context assembly for drafts: budgeted sections, the customer allow-list, history, incidents and passages
retrieved with the customer's and the agent's rights. Real Postgres, the real embedding model."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from assist import context
from assist.context import ticket_context_assemble
from assist.prompts import draft_facts, prompt_messages
from support.core.errors import DomainError
from support.customers.models import Incident, IncidentUpdate, Organization, Subscription
from tests import factories

pytestmark = pytest.mark.django_db

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)


def _section(ctx, name):
    return next(s for s in ctx.sections if s.name == name)


@pytest.fixture
def customer():
    return factories.customer(name="Dana Tester", plan=factories.plan("growth"))


@pytest.fixture
def ticket(team, customer):
    made = factories.ticket(
        team=team, customer_=customer, subject="Refund for my subscription", created_at=T0
    )
    factories.message(made, body="Can I get a refund for my monthly subscription?", created_at=T0)
    return made


def test_context_carries_the_latest_customer_question_and_timings(ticket, agent):
    factories.message(
        ticket, author_kind="agent", body="Which charge do you mean?", created_at=T0 + timedelta(1)
    )
    factories.message(ticket, body="The one from 1 March.", created_at=T0 + timedelta(2))

    ctx = ticket_context_assemble(ticket=ticket, user=agent)

    assert ctx.ticket_id == ticket.pk
    assert ctx.customer_name == "Dana Tester"
    assert ctx.language == "en"
    assert ctx.question == "The one from 1 March."
    assert [s.name for s in ctx.sections] == [
        "conversation",
        "staff_notes",
        "customer",
        "history",
        "incidents",
    ]
    assert ctx.context_ms >= ctx.retrieval_ms > 0


def test_conversation_lists_public_messages_oldest_first_with_author_and_time(ticket, agent):
    factories.message(
        ticket,
        author_kind="agent",
        author_name="Alex Agent",
        body="Which charge?",
        created_at=T0 + timedelta(1),
    )

    section = _section(ticket_context_assemble(ticket=ticket, user=agent), "conversation")

    assert section.text == (
        "Subject: Refund for my subscription\n\n"
        "Customer Dana Tester, 2025-03-03 09:00 UTC:\nCan I get a refund for my monthly subscription?\n\n"
        "Agent Alex Agent, 2025-03-04 09:00 UTC:\nWhich charge?"
    )
    assert section.truncated is False


def test_conversation_over_budget_keeps_the_newest_messages_and_says_how_many_were_left_out(
    team, customer, agent
):
    made = factories.ticket(team=team, customer_=customer, subject="Refund", created_at=T0)
    for i in range(1, 11):
        body = f"Message {i:02d} " + "lorem " * 165
        factories.message(made, body=body, created_at=T0 + timedelta(minutes=i))

    section = _section(ticket_context_assemble(ticket=made, user=agent), "conversation")

    assert len(section.text) <= context.MAX_CONVERSATION_CHARS == section.budget
    assert section.truncated is True
    assert section.text.startswith(
        "Subject: Refund\n\n[… 5 earlier messages left out]\n\nCustomer Dana Tester"
    )
    assert [i for i in range(1, 11) if f"Message {i:02d} " in section.text] == [6, 7, 8, 9, 10]


def test_a_message_longer_than_its_budget_is_cut_and_says_so(team, customer, agent):
    made = factories.ticket(team=team, customer_=customer, subject="Logs", created_at=T0)
    factories.message(made, body="x" * 5000, created_at=T0)

    ctx = ticket_context_assemble(ticket=made, user=agent)

    kept = context.MAX_MESSAGE_CHARS - len(" [… 5000 more characters left out]")
    assert ctx.question == "x" * kept + f" [… {5000 - kept} more characters left out]"
    assert ctx.question in _section(ctx, "conversation").text
    assert _section(ctx, "conversation").truncated is True


def test_staff_notes_are_a_section_of_their_own_and_never_in_the_conversation(ticket, agent):
    factories.message(
        ticket,
        author_kind="agent",
        author_name="Alex Agent",
        body="NOTE-CANARY: customer was refunded once already.",
        public=False,
        created_at=T0 + timedelta(hours=1),
    )

    ctx = ticket_context_assemble(ticket=ticket, user=agent)

    assert _section(ctx, "staff_notes").text == (
        "Agent Alex Agent, 2025-03-03 10:00 UTC:\nNOTE-CANARY: customer was refunded once already."
    )
    assert "NOTE-CANARY" not in _section(ctx, "conversation").text
    assert "NOTE-CANARY" not in ctx.question


def test_no_internal_notes_is_said_in_the_staff_notes_section(ticket, agent):
    section = _section(ticket_context_assemble(ticket=ticket, user=agent), "staff_notes")
    assert (section.text, section.truncated) == ("No internal notes.", False)


def test_customer_section_holds_only_the_allow_listed_fields(team, agent):
    organization = factories.organization(
        name="Acme Ltd", domain="canary-domain.example", country="GB", external_id="ORG-CANARY"
    )
    plan = factories.plan("growthplus", name="Growth Plus", monthly_price_eur=Decimal("987.65"))
    ledger = factories.product(name="Ledger", description="PRODUCT-DESC-CANARY")
    payroll = factories.product(name="Payroll")
    customer = factories.customer(
        name="Dana Tester",
        email="email-canary@canary-mail.example",
        phone="+44 7700 900CANARY",
        language="en-GB",
        organization=organization,
        plan=plan,
        external_id="CUSTOMER-EXT-CANARY",
        training_consent=True,
    )
    customer.products.set([payroll, ledger])
    Subscription.objects.create(customer=customer, plan=plan, seats=4321)
    made = factories.ticket(team=team, customer_=customer, subject="Refund", created_at=T0)
    factories.message(made, body="Can I get a refund?", created_at=T0)

    ctx = ticket_context_assemble(ticket=made, user=agent)

    assert _section(ctx, "customer").text == (
        "Name: Dana Tester\n"
        "Language: en-GB\n"
        "Plan: Growth Plus\n"
        "Organization: Acme Ltd\n"
        "Products: Ledger, Payroll\n"
        "Account status: Active"
    )
    everything = "\n".join(m.content for m in prompt_messages(ctx)) + repr(draft_facts(ctx))
    for canary in ("canary", "CANARY", "987.65", "7700"):
        assert canary not in everything


def test_history_lists_the_customers_other_tickets_newest_first_with_outcome(ticket, team, customer, agent):
    older = factories.ticket(
        team=team, customer_=customer, subject="Invoice copy", created_at=T0 - timedelta(9)
    )
    older.status, older.resolution = "solved", "Sent the invoice again"
    older.save(update_fields=["status", "resolution"])
    newer = factories.ticket(
        team=team, customer_=customer, subject="Login trouble", created_at=T0 - timedelta(2)
    )
    other_customer = factories.ticket(
        team=team, subject="Someone else's ticket", created_at=T0 - timedelta(1)
    )

    section = _section(ticket_context_assemble(ticket=ticket, user=agent), "history")

    assert section.text == (
        f"- #{newer.pk} (2025-03-01) Login trouble — New\n"
        f"- #{older.pk} (2025-02-22) Invoice copy — Solved; outcome: Sent the invoice again"
    )
    assert f"#{ticket.pk} " not in section.text
    assert f"#{other_customer.pk} " not in section.text


def test_history_keeps_to_tickets_the_agent_can_see(ticket, customer, agent):
    factories.ticket(team=factories.team(), customer_=customer, subject="Another team's ticket")

    section = _section(ticket_context_assemble(ticket=ticket, user=agent), "history")

    assert section.text == "No other tickets."


def test_history_shows_at_most_the_newest_few_and_says_how_many_more_there_are(ticket, team, customer, agent):
    for day in range(1, context.MAX_HISTORY_TICKETS + 3):
        factories.ticket(team=team, customer_=customer, subject=f"Old {day}", created_at=T0 - timedelta(day))

    section = _section(ticket_context_assemble(ticket=ticket, user=agent), "history")

    lines = section.text.splitlines()
    assert [line.split(") ")[1] for line in lines[:-1]] == [f"Old {d} — New" for d in range(1, 6)]
    assert lines[-1] == "[… 2 more tickets left out]"
    assert section.truncated is True


def test_incidents_are_the_active_ones_on_the_customers_products(ticket, customer, agent):
    ledger, payroll, other = (
        factories.product(name="Ledger"),
        factories.product(name="Payroll"),
        factories.product(),
    )
    customer.products.set([ledger, payroll])
    active = Incident.objects.create(
        title="Ledger sync delayed", status="identified", started_at=T0, customer_summary="Syncs are slow."
    )
    active.products.set([ledger])
    IncidentUpdate.objects.create(
        incident=active, status="investigating", message="Looking into it.", created_at=T0
    )
    IncidentUpdate.objects.create(
        incident=active,
        status="identified",
        message="A fix is rolling out.",
        created_at=T0 + timedelta(hours=1),
    )
    quiet = Incident.objects.create(
        title="Payroll exports failing", started_at=T0 - timedelta(1), customer_summary="Exports fail."
    )
    quiet.products.set([payroll])
    resolved = Incident.objects.create(
        title="Old outage",
        status="resolved",
        started_at=T0 - timedelta(5),
        resolved_at=T0,
        customer_summary="Over.",
    )
    resolved.products.set([ledger])
    elsewhere = Incident.objects.create(title="Other product down", started_at=T0, customer_summary="Down.")
    elsewhere.products.set([other])

    ctx = ticket_context_assemble(ticket=ticket, user=agent)

    assert ctx.situation == (
        "Ledger sync delayed — Identified since 2025-03-03 09:00 UTC: A fix is rolling out.",
        "Payroll exports failing — Investigating since 2025-03-02 09:00 UTC: Exports fail.",
    )
    assert _section(ctx, "incidents").text == "\n".join(f"- {line}" for line in ctx.situation)


def test_a_ticket_without_a_customer_message_cannot_be_drafted_for(team, customer, agent):
    made = factories.ticket(team=team, customer_=customer)
    factories.message(made, author_kind="agent", body="We noticed a problem with your account.")

    with pytest.raises(DomainError) as raised:
        ticket_context_assemble(ticket=made, user=agent)

    assert raised.value.code == "no_customer_message"
    assert "no message from the customer" in raised.value.message


def test_an_agent_outside_the_tickets_team_cannot_assemble_its_context(ticket):
    outsider = factories.user(role="agent", teams=(factories.team(),))

    with pytest.raises(DomainError) as raised:
        ticket_context_assemble(ticket=ticket, user=outsider)

    assert raised.value.status_code == 404


# --- passages


def _document(slug, title, text, *, audience="public", language="en", **meta):
    return factories.indexed_document(
        title=title, text=text, slug=slug, audience=audience, language=language, meta=meta
    )


@pytest.fixture
def library():
    factories.plan("enterprise")
    factories.organization(slug="harlow", name="Harlow Group")
    refund = "# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge."
    _document("refunds", "Refunds for software", refund)
    _document(
        "enterprise-refunds",
        "Enterprise refund credits",
        "# Credits\n\nEnterprise customers get a refund as credits for a monthly subscription charge.",
        audience="plans",
        plans=["enterprise"],
    )
    _document(
        "harlow-refunds",
        "Harlow Group refund addendum",
        "# Refunds\n\nHarlow Group may refund a monthly subscription within 60 days of the charge.",
        audience="organizations",
        organizations=["harlow"],
    )
    _document(
        "admin-refunds",
        "Refund ledger reconciliation",
        "# Reconciling\n\nKnowledge admins reconcile refunded monthly subscription charges every Friday.",
        audience="internal",
        roles=["knowledge_admin"],
    )
    _document(
        "agent-refunds",
        "Refund approval limits",
        "# Limits\n\nAgents may approve a subscription refund up to 500 EUR; above that a lead approves.",
        audience="internal",
        roles=["agent"],
    )


def test_passages_keep_to_what_the_customer_and_the_agent_may_see(library, ticket, agent):
    ctx = ticket_context_assemble(ticket=ticket, user=agent)

    slugs = {p.chunk.document_slug for p in ctx.passages}
    assert slugs == {"refunds", "agent-refunds"}
    assert [p.marker for p in ctx.passages] == list(range(1, len(ctx.passages) + 1))
    assert ctx.vector_search == "used"
    assert "refund for my monthly subscription" in ctx.retrieval_query


def test_passages_include_documents_restricted_to_the_customers_own_plan_and_organization(
    library, team, agent
):
    customer = factories.customer(
        plan=factories.plan("enterprise"), organization=Organization.objects.get(slug="harlow")
    )
    made = factories.ticket(team=team, customer_=customer, subject="Refund")
    factories.message(made, body="Can I get a refund for my monthly subscription?")

    slugs = {p.chunk.document_slug for p in ticket_context_assemble(ticket=made, user=agent).passages}

    assert slugs == {"refunds", "agent-refunds", "enterprise-refunds", "harlow-refunds"}


def test_an_empty_library_gives_no_passages(ticket, agent):
    ctx = ticket_context_assemble(ticket=ticket, user=agent)
    assert ctx.passages == ()


def test_passages_in_the_customers_language_come_first_then_english_fills_in(library, team, agent):
    _document(
        "refunds-de",
        "Rückerstattungen",
        "# Rückerstattung\n\nMonatsabonnements werden innerhalb von 14 Tagen voll erstattet.",
        language="de",
    )
    customer = factories.customer(language="de")
    made = factories.ticket(team=team, customer_=customer, subject="Rückerstattung")
    factories.message(made, body="Kann ich mein Monatsabonnement erstattet bekommen? Refund please.")

    passages = ticket_context_assemble(ticket=made, user=agent).passages

    assert passages[0].chunk.document_slug == "refunds-de"
    assert {p.chunk.document_slug for p in passages[1:]} == {"refunds", "agent-refunds"}


def _queries_to_assemble(ticket, agent) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    agent = type(agent).objects.get(pk=agent.pk)  # roles not cached yet, as in a fresh request
    with CaptureQueriesContext(connection) as captured:
        ticket_context_assemble(ticket=ticket, user=agent)
    return len(captured)


def test_assembly_queries_do_not_grow_with_messages_history_or_incidents(
    library, ticket, team, customer, agent
):
    product = factories.product()
    customer.products.set([product])
    _queries_to_assemble(ticket, agent)  # the first search counts keyword statistics once,
    _queries_to_assemble(ticket, agent)  # and the next reads the document titles under the new counts
    few = _queries_to_assemble(ticket, agent)
    for i in range(4):
        factories.message(ticket, author_kind="agent", body=f"Note {i}", public=bool(i % 2))
        factories.ticket(team=team, customer_=customer, subject=f"Earlier {i}")
        incident = Incident.objects.create(title=f"Outage {i}", customer_summary="Down.")
        incident.products.set([product])
        IncidentUpdate.objects.create(incident=incident, status="investigating", message="Looking.")

    assert _queries_to_assemble(ticket, agent) == few
