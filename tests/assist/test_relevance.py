"""Where the retriever's relevance pairs come from: a sent draft's citations (kept: relevant; removed: not),
a resolved ticket's reply (the passage it relied on), the search playground's marks, and an imported file;
only customers who agreed to training contribute, and their pairs go when they are erased or withdraw."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from assist import relevance, services
from knowledge.models import RelevancePair
from support.core import roles
from support.customers.services import customer_erase, customer_update
from support.tickets.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db

REFUNDS = (
    "# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge. "
    "Annual plans are refunded pro rata for the unused months."
)
SHIPPING = (
    "# Shipping\n\nOrders ship within two working days. Tracking links are e-mailed when the parcel leaves."
)


def _drafted(team: Any, user: Any, customer: Any) -> Any:
    ticket = factories.ticket(team=team, subject="Refund request", customer_=customer)
    factories.message(
        ticket, body="Can I get a refund for my monthly subscription? I was charged 3 days ago."
    )
    suggestion = services.suggestion_request(ticket=ticket, user=user)
    services.suggestion_generate(suggestion_id=suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.status == "ready"
    assert "[1]" in suggestion.text
    return suggestion


def test_a_kept_citation_is_a_relevant_pair_and_a_removed_one_is_not(team, agent, agent_api):
    factories.indexed_document(title="Refunds for software", text=REFUNDS)
    customer = factories.customer(training_consent=True, name="Dana Example", email="dana@example.com")
    kept = _drafted(team, agent, customer)
    response = agent_api.post(f"/api/v1/suggestions/{kept.pk}/send", {"text": kept.text}, format="json")
    assert response.status_code == 200, response.content

    pair = RelevancePair.objects.get()
    assert (pair.source, pair.relevant, pair.customer_ref) == ("citation_kept", True, customer.pk)
    assert "refundable in full within 14 days" in pair.passage
    assert pair.query == relevance._redacted(kept.retrieval_query, customer)

    removed = _drafted(team, agent, customer)
    text = "Hello, yes: you can get your money back within 14 days. Best, Alex"
    response = agent_api.post(
        f"/api/v1/suggestions/{removed.pk}/send", {"text": text, "confirm_flags": True}, format="json"
    )
    assert response.status_code == 200, response.content
    assert RelevancePair.objects.filter(source="citation_removed", relevant=False).count() == 1


def test_customers_without_consent_teach_nothing_and_withdrawal_or_erasure_takes_the_pairs(team, agent):
    factories.indexed_document(title="Refunds for software", text=REFUNDS)
    private = factories.customer(training_consent=False)
    suggestion = _drafted(team, agent, private)
    services.suggestion_send(suggestion=suggestion, user=agent, text=suggestion.text)
    assert RelevancePair.objects.count() == 0

    willing = factories.customer(training_consent=True)
    other = factories.customer(training_consent=True)
    for customer in (willing, other):
        suggestion = _drafted(team, agent, customer)
        services.suggestion_send(suggestion=suggestion, user=agent, text=suggestion.text)
    assert RelevancePair.objects.count() == 2

    customer_update(customer=willing, training_consent=False)
    assert list(RelevancePair.objects.values_list("customer_ref", flat=True)) == [other.pk]
    customer_erase(customer=other)
    assert RelevancePair.objects.count() == 0


def test_a_resolved_tickets_reply_marks_the_passage_it_relied_on(team, agent):
    factories.indexed_document(title="Refunds for software", text=REFUNDS)
    factories.indexed_document(title="Shipping times", text=SHIPPING)
    customer = factories.customer(training_consent=True)
    ticket = factories.ticket(team=team, subject="Money back?", customer_=customer)
    factories.message(ticket, body="I paid for the monthly plan four days ago, can I have my money back?")
    factories.message(
        ticket,
        body="Hi! Monthly subscriptions are refundable in full within 14 days of the charge, so yes: "
        "I have refunded it in full.",
        author_kind="agent",
        author_user=agent,
    )
    Ticket.objects.filter(pk=ticket.pk).update(status="solved")

    result = relevance.relevance_backfill()
    assert (result.tickets, result.relevant) == (1, 1), result
    pair = RelevancePair.objects.get(relevant=True)
    assert pair.source == "resolved_reply"
    assert pair.passage.startswith("Refunds for software")
    assert "money back" in pair.query
    # Running it again adds nothing.
    relevance.relevance_backfill()
    assert RelevancePair.objects.filter(relevant=True).count() == 1


def test_playground_marks_are_pairs_for_knowledge_admins(knowledge_admin, agent_api):
    document = factories.indexed_document(title="Refunds for software", text=REFUNDS)
    chunk_id = document.chunks.get().pk
    client = _client(knowledge_admin)
    body = {
        "query": "refund after 3 days, mail me at dana@example.com",
        "chunk_id": chunk_id,
        "relevant": True,
    }

    response = client.post("/api/v1/knowledge/search/judgments", body, format="json")
    assert response.status_code == 201, response.content
    assert response.json() == {"recorded": True}
    assert client.post("/api/v1/knowledge/search/judgments", body, format="json").json() == {
        "recorded": False
    }
    pair = RelevancePair.objects.get()
    assert (pair.source, pair.relevant, pair.created_by) == ("judgment", True, knowledge_admin.username)
    assert "dana@example.com" not in pair.query

    unknown = client.post("/api/v1/knowledge/search/judgments", {**body, "chunk_id": 10**9}, format="json")
    assert unknown.status_code == 400
    wrong = client.post("/api/v1/knowledge/search/judgments", {**body, "relevant": "maybe"}, format="json")
    assert wrong.status_code == 400
    assert agent_api.post("/api/v1/knowledge/search/judgments", body, format="json").status_code == 403


def _client(user: Any) -> Any:
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    return client


def test_import_relevance_reads_the_datasets_format(tmp_path: Path, capsys: Any):
    refunds = factories.indexed_document(title="Refunds for software", text=REFUNDS, external_id="refunds-1")
    shipping = factories.indexed_document(title="Shipping times", text=SHIPPING)
    path = tmp_path / "pairs.jsonl"
    rows = [
        {"id": "a", "query": "Money back for my monthly plan?", "gold_doc_ids": ["refunds-1"]},
        {
            "id": "b",
            "dialogue": [{"role": "user", "text": "When will my parcel leave?"}],
            "gold_doc_ids": [str(shipping.pk)],
        },
        {"id": "c", "query": "Something else", "gold_doc_ids": ["no-such-doc"]},
        {"id": "d", "query": "No gold", "gold_doc_ids": []},
    ]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n")

    call_command("import_relevance", str(path), "--json", "--no-progress")
    result = json.loads(capsys.readouterr().out)
    assert result == {
        "rows": 4,
        "recorded": 2,
        "already": 0,
        "unknown_documents": ["no-such-doc"],
        "without_gold": 1,
    }
    assert set(RelevancePair.objects.values_list("document_id", flat=True)) == {refunds.pk, shipping.pk}
    call_command("import_relevance", str(path), "--json", "--no-progress")
    assert json.loads(capsys.readouterr().out)["already"] == 2


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "is empty"),
        (b'{"query": "x", "gold_doc_ids": ["1"]}\n{not json\n', "pairs.jsonl:2: not valid JSON"),
        (b'["a list"]\n', "expected a JSON object"),
        (b'{"query": 5, "gold_doc_ids": ["1"]}\n', "needs a query"),
        (b'{"query": "x", "gold_doc_ids": "1"}\n', "gold_doc_ids must be a list"),
        (b'{"query": "\xff\xfe"}\n', "not UTF-8"),
        (b"[" * 100000 + b"]" * 100000 + b"\n", "pairs.jsonl:1"),
    ],
)
def test_import_relevance_refuses_a_bad_file_and_stores_nothing(tmp_path: Path, content: bytes, message: str):
    factories.indexed_document(title="Refunds for software", text=REFUNDS)
    path = tmp_path / "pairs.jsonl"
    path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_relevance", str(path), "--no-progress")
    assert RelevancePair.objects.count() == 0
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_relevance", str(tmp_path / "missing.jsonl"))


def test_roles_module_finds_the_first_administrator(admin_user):
    assert roles.first_administrator() == admin_user
