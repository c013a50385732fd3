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
