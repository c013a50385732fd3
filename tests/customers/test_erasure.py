"""Erasing a customer, and withdrawing their consent to training: what they wrote and what quoted them goes;
tickets stay whole."""

from __future__ import annotations

import pytest

from assist.models import Suggestion
from models_ft import api as models_api
from models_ft.contracts import PromptMessage
from models_ft.datasets import DatasetConfig, snapshot_build, snapshot_path
from models_ft.models import TrainingExample
from support.customers.models import Customer
from tests import factories

pytestmark = pytest.mark.django_db


def _record(customer, text="A reply long enough to be kept in a dataset."):
    return models_api.example_record(
        messages=[PromptMessage("user", f"Name: {customer.name}")],
        draft=text,
        sent=text,
        outcome="accepted",
        ticket_id=1,
        customer_id=customer.pk,
    )


@pytest.fixture
def dana(team):
    customer = factories.customer(name="Dana Whitfield", phone="+44 7700 900123", training_consent=True)
    ticket = factories.ticket(team=team, customer_=customer, subject="Refund")
    factories.message(ticket, body="My card 4111 1111 1111 1111 was charged twice.")
    factories.message(ticket, author_kind="agent", body="We refunded it.")
    Suggestion.objects.create(
        ticket=ticket, prompt_messages=[{"role": "user", "content": "Dana Whitfield asks"}], text="Hi Dana"
    )
    return customer


def test_an_administrator_erases_a_customer(admin_api, dana, settings, tmp_path):
    settings.DATASET_STORE = tmp_path
    bystander = factories.customer(training_consent=True)
    kept = _record(bystander)
    for number in range(2):
        _record(dana, f"Reply number {number} to Dana, long enough to be kept.")
    snapshot, _ = snapshot_build(config=DatasetConfig(eval_fraction=0.2, min_reply_chars=5, max_age_days=30))

    response = admin_api.post(f"/api/v1/customers/{dana.pk}/erase")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["name"] == f"Erased customer {dana.pk}"
    assert (body["phone"], body["training_consent"]) == ("", False)
    dana.refresh_from_db()
    assert "Dana" not in dana.name
    assert "whitfield" not in dana.email
    ticket = dana.tickets.get()
    assert list(ticket.messages.values_list("author_kind", "body")) == [
        ("customer", "[erased]"),
        ("agent", "We refunded it."),
    ]
    suggestion = Suggestion.objects.get(ticket=ticket)
    assert (suggestion.prompt_messages, suggestion.text) == ([], "[erased]")
    assert list(TrainingExample.objects.values_list("pk", flat=True)) == [kept]
    snapshot.refresh_from_db()
    assert snapshot.withdrawn_at is not None
    assert not snapshot_path(snapshot).exists()


def test_erasure_is_for_administrators_only(agent_api, admin_api, dana):
    assert agent_api.post(f"/api/v1/customers/{dana.pk}/erase").status_code == 403
    assert admin_api.post("/api/v1/customers/999999/erase").status_code == 404
    assert Customer.objects.get(pk=dana.pk).name == "Dana Whitfield"


def test_withdrawing_consent_deletes_the_customers_examples(admin_api, dana):
    _record(dana)
    response = admin_api.patch(f"/api/v1/customers/{dana.pk}", {"training_consent": False}, format="json")
    assert response.status_code == 200
    assert not TrainingExample.objects.filter(customer_id=dana.pk).exists()
    # Agreeing again keeps nothing from before; new replies count from now.
    admin_api.patch(f"/api/v1/customers/{dana.pk}", {"training_consent": True}, format="json")
    assert not TrainingExample.objects.exists()
