from datetime import timedelta

import pytest
from django.utils import timezone

from support.core.errors import Conflict, DomainError
from support.tickets.models import TRANSITIONS, Ticket
from support.tickets.rights import SYSTEM
from support.tickets.services import (
    MessageInput,
    team_for_products,
    ticket_change_status,
    ticket_create,
    ticket_update,
)
from tests import factories

pytestmark = pytest.mark.django_db

ALL = [s.value for s in Ticket.Status]


@pytest.mark.parametrize(("start", "target"), [(a, b) for a in ALL for b in ALL if a != b])
def test_status_change_follows_the_transition_table(start, target):
    ticket = factories.ticket()
    Ticket.objects.filter(pk=ticket.pk).update(status=start)
    ticket.refresh_from_db()
    if target in TRANSITIONS[start]:
        assert ticket_change_status(ticket=ticket, status=target).status == target
    else:
        with pytest.raises(Conflict, match=f"cannot go from {start} to {target}"):
            ticket_change_status(ticket=ticket, status=target)
        ticket.refresh_from_db()
        assert ticket.status == start


def test_solving_stamps_solved_at_and_reopening_clears_it():
    ticket = factories.ticket(status="open")
    solved = ticket_change_status(ticket=ticket, status="solved")
    assert solved.solved_at is not None
    reopened = ticket_change_status(ticket=solved, status="open")
    assert reopened.solved_at is None


def test_creating_twice_with_the_same_external_id_updates_instead_of_duplicating():
    customer, team = factories.customer(), factories.team()
    first, created = ticket_create(
        subject="Printer jam",
        customer=customer,
        team=team,
        source="zendesk",
        external_id="Z-1",
        messages=[MessageInput("customer", "Jammed", external_id="m1")],
        by=SYSTEM,
    )
    second, created_again = ticket_create(
        subject="Printer jam (updated)",
        customer=customer,
        team=team,
        source="zendesk",
        external_id="Z-1",
        priority="high",
        messages=[
            MessageInput("customer", "Jammed", external_id="m1"),
            MessageInput("customer", "Still jammed", external_id="m2"),
        ],
        by=SYSTEM,
    )
    assert (created, created_again) == (True, False)
    assert first.pk == second.pk
    assert Ticket.objects.filter(source="zendesk", external_id="Z-1").count() == 1
    second.refresh_from_db()
    assert (second.subject, second.priority) == ("Printer jam (updated)", "high")
    assert list(second.messages.values_list("body", flat=True)) == ["Jammed", "Still jammed"]


def test_same_external_id_from_another_source_is_another_ticket():
    customer, team = factories.customer(), factories.team()
    a, _ = ticket_create(
        subject="A", customer=customer, team=team, source="zendesk", external_id="7", by=SYSTEM
    )
    b, _ = ticket_create(
        subject="B", customer=customer, team=team, source="freshdesk", external_id="7", by=SYSTEM
    )
    assert a.pk != b.pk


def test_customer_reply_reopens_a_pending_ticket():
    ticket = factories.ticket(status="pending")
    factories.message(ticket, body="Any news?")
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_closed_ticket_refuses_new_messages():
    ticket = factories.ticket(status="closed")
    with pytest.raises(Conflict, match="closed"):
        factories.message(ticket)
    assert ticket.messages.count() == 0


def test_customer_message_cannot_be_internal():
    ticket = factories.ticket()
    with pytest.raises(DomainError, match="always public"):
        factories.message(ticket, public=False)


def test_first_public_agent_reply_stops_the_sla_clock_and_internal_notes_do_not():
    ticket = factories.ticket()
    factories.message(ticket, author_kind="agent", body="Looking into it", public=False)
    ticket.refresh_from_db()
    assert ticket.first_responded_at is None
    reply = factories.message(ticket, author_kind="agent", body="Hi, here is how")
    ticket.refresh_from_db()
    assert ticket.first_responded_at == reply.created_at


def test_sla_due_follows_the_plan_and_halves_for_urgent():
    customer = factories.customer(plan=factories.plan("enterprise"))
    opened = timezone.now()
    normal = factories.ticket(customer_=customer, created_at=opened)
    urgent = factories.ticket(customer_=customer, created_at=opened, priority="urgent")
    assert normal.sla_due_at == opened + timedelta(hours=1)
    assert urgent.sla_due_at == opened + timedelta(minutes=30)


def test_tickets_route_to_the_team_owning_the_product_else_the_default():
    hardware = factories.team(name="Hardware")
    default = factories.team(name="General", is_default=True)
    reader = factories.product(code="reader")
    hardware.products.add(reader)
    assert team_for_products(products=[reader]) == hardware
    assert team_for_products(products=[factories.product()]) == default


def test_assignee_must_belong_to_the_ticket_team():
    team, other = factories.team(), factories.team()
    outsider = factories.user(teams=(other,))
    ticket = factories.ticket(team=team)
    with pytest.raises(DomainError, match="not a member"):
        ticket_update(ticket=ticket, assignee=outsider)


def test_moving_a_ticket_to_another_team_unassigns_a_non_member():
    team, other = factories.team(), factories.team()
    member = factories.user(teams=(team,))
    ticket = factories.ticket(team=team, assignee=member)
    moved = ticket_update(ticket=ticket, team=other)
    assert (moved.team, moved.assignee) == (other, None)


def test_message_with_known_external_id_is_not_added_twice():
    ticket = factories.ticket()
    one = factories.message(ticket, external_id="e-1")
    two = factories.message(ticket, external_id="e-1", body="different text, same delivery")
    assert one.pk == two.pk
    assert ticket.messages.count() == 1


def test_tags_are_normalised():
    ticket = factories.ticket(tags=[" Billing", "billing", "Refund "])
    assert ticket.tags == ["billing", "refund"]
