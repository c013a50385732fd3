"""A ticketing tool's value longer than its field is refused (400, naming the field), never cut to fit and
stored as something the tool did not send; a delivery id cut to fit could even be taken for another
delivery's replay."""

from __future__ import annotations

import pytest

from support.integrations.models import InboundDelivery
from support.tickets.models import Ticket
from tests.integrations.test_adapters import TICKET, USER, _event, _sources, _zendesk  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("detail", "field"),
    [
        ({"subject": "Card reader " + "x" * 300}, "ticket.subject"),
        ({"tags": [f"tag-{i}" for i in range(51)]}, "ticket.tags"),
        ({"tags": ["t" * 51]}, "ticket.tags[0]"),
        ({"description": "d" * 100_001}, "ticket.messages[0].body"),
    ],
)
def test_an_over_long_zendesk_value_is_refused_with_its_field(detail, field):
    assert _zendesk(_event("user.created", USER)).status_code == 200
    response = _zendesk(_event("ticket.created", {**TICKET, **detail}))
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Ticket.objects.exists()


def test_an_over_long_delivery_id_is_refused_not_cut():
    response = _zendesk(_event("user.created", USER, id_="e" * 201))
    assert response.status_code == 400
    assert response.json()["errors"] == {"id": ["id is longer than 200 characters."]}
    response = _zendesk(_event("user.created", USER), HTTP_X_ZENDESK_WEBHOOK_INVOCATION_ID="i" * 201)
    assert response.status_code == 400
    assert not InboundDelivery.objects.exists()
