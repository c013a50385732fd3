"""Drafts through a real `inference` worker: ask and wait, and ask then read."""

from __future__ import annotations

import time

import pytest

from tests import factories

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_integration_asks_and_waits_for_a_finished_draft(celery_worker, team, agent_api):
    factories.indexed_document(
        title="Refunds for software",
        text="# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge.",
    )
    ticket = factories.ticket(team=team)
    factories.message(ticket, body="Can I get a refund for my monthly subscription?")
    response = agent_api.post(f"/api/v1/tickets/{ticket.pk}/suggestions?wait=30")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ready"
    assert body["citations"][0]["marker"] == 1


def test_a_draft_asked_for_without_waiting_is_finished_by_the_worker(celery_worker, team, agent_api):
    ticket = factories.ticket(team=team)
    factories.message(ticket, body="Where can I download my invoices?")
    created = agent_api.post(f"/api/v1/tickets/{ticket.pk}/suggestions")
    assert created.status_code == 202
    url = f"/api/v1/suggestions/{created.json()['id']}"
    deadline = time.monotonic() + 30
    while agent_api.get(url).json()["status"] in ("pending", "running") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert agent_api.get(url).json()["status"] == "ready"
    stream = agent_api.get(f"{url}/stream", HTTP_ACCEPT="text/event-stream")
    assert stream.status_code == 200
    assert b"event: done" in b"".join(stream.streaming_content)


def test_a_reader_that_connects_at_once_gets_the_tokens_then_the_draft(celery_worker, team, agent_api):
    factories.indexed_document(
        title="Invoices",
        text="# Downloads\n\nInvoices can be downloaded as PDF from the Billing page at any time.",
    )
    ticket = factories.ticket(team=team)
    factories.message(ticket, body="Where can I download my invoices?")
    created = agent_api.post(f"/api/v1/tickets/{ticket.pk}/suggestions")
    stream = agent_api.get(f"/api/v1/suggestions/{created.json()['id']}/stream")
    body = b"".join(stream.streaming_content).decode()
    blocks = [block for block in body.split("\n\n") if block and not block.startswith(":")]
    names = [
        line.split(": ", 1)[1] for block in blocks for line in block.splitlines() if line.startswith("event")
    ]
    assert names[0] == "token"
    assert names[-1] == "done"
    assert all(block.startswith("id: ") for block in blocks)


def test_a_customer_message_gets_its_draft_query_embedded_by_the_workers(celery_worker, team):
    from django.conf import settings

    from knowledge import api as knowledge_api
    from knowledge import indexing, query_embedding

    ticket = factories.ticket(team=team, subject="Invoice copy")
    factories.message(ticket, body=f"Please send me a copy of invoice {time.time_ns()}.")
    turns = [knowledge_api.Turn(role="customer", text=m.body) for m in ticket.messages.all()]
    text = knowledge_api.conversation_text(turns, scenario=ticket.subject)
    key = query_embedding.cache_key(model=indexing.active_model(), text=text)
    deadline = time.monotonic() + 60
    while not query_embedding._redis().exists(key) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert query_embedding._redis().ttl(key) > settings.QUERY_EMBEDDING_CACHE_SECONDS


def test_the_stream_reaches_an_http_client_through_a_real_server(celery_worker, live_server, team, agent):
    import httpx

    from support.core.services import api_key_create

    factories.indexed_document(
        title="Invoices",
        text="# Downloads\n\nInvoices can be downloaded as PDF from the Billing page at any time.",
    )
    ticket = factories.ticket(team=team)
    factories.message(ticket, body="Where can I download my invoices?")
    _, key = api_key_create(name="sse", scopes=("assist",), user=agent)
    headers = {"Authorization": f"Bearer {key}"}
    with httpx.Client(base_url=live_server.url, headers=headers, timeout=30) as http:
        created = http.post(f"/api/v1/tickets/{ticket.pk}/suggestions")
        assert created.status_code == 202
        names, ids = [], []
        with http.stream("GET", f"/api/v1/suggestions/{created.json()['id']}/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            assert response.headers["cache-control"] == "no-store"
            for line in response.iter_lines():
                if line.startswith("id: "):
                    ids.append(line[4:])
                if line.startswith("event: "):
                    names.append(line[7:])
                if line.startswith("data: ") and names and names[-1] in ("done", "error"):
                    break
    assert names[-1] == "done"
    # A fast draft may be finished before the reader comes: then its row answers with one `done`.
    assert names == ["done"] or (names[0] == "token" and len(ids) == len(names))
