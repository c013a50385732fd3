"""A draft's life shows in the metrics: retrieval latency, drafts finished, and how the sent reply
differs from the draft (acceptance and edit rates)."""

from __future__ import annotations

import pytest

from assist import services
from support.core import metrics
from tests import factories

pytestmark = pytest.mark.django_db


def _sample(name: str, **labels: str) -> float:
    for line in metrics.exposition(include_scrape=False).decode().splitlines():
        if line.startswith(name) and all(f'{k}="{v}"' in line for k, v in labels.items()):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_a_drafted_and_edited_reply_is_counted(team, agent, agent_api, django_capture_on_commit_callbacks):
    factories.indexed_document(
        title="Refunds for software",
        text="# Refunds\n\nMonthly subscriptions are refundable in full within 14 days of the charge.",
    )
    ticket = factories.ticket(team=team, subject="Refund request")
    factories.message(ticket, body="Can I get a refund for my monthly subscription?")
    before = {
        "ready": _sample("openbook_drafts_total", status="ready"),
        "edited": _sample("openbook_drafts_sent_total", outcome="edited"),
        "ratio": _sample("openbook_draft_edit_ratio_count"),
        "retrievals": sum(
            _sample("openbook_retrieval_duration_seconds_count", vector_search=s)
            for s in ("used", "off", "unavailable")
        ),
        "first_token": _sample("openbook_draft_duration_seconds_count", stage="first_token"),
    }
    suggestion = services.suggestion_request(ticket=ticket, user=agent)
    services.suggestion_generate(suggestion_id=suggestion.pk)
    suggestion.refresh_from_db()
    assert suggestion.status == "ready"
    edited = suggestion.text.replace("Best regards", "Kind regards", 1) + " Thanks again."
    with django_capture_on_commit_callbacks(execute=True):
        response = agent_api.post(
            f"/api/v1/suggestions/{suggestion.pk}/send", {"text": edited}, format="json"
        )
    assert response.json()["outcome"] == "edited"
    assert _sample("openbook_drafts_total", status="ready") == before["ready"] + 1
    assert _sample("openbook_draft_duration_seconds_count", stage="first_token") == before["first_token"] + 1
    assert _sample("openbook_drafts_sent_total", outcome="edited") == before["edited"] + 1
    assert _sample("openbook_draft_edit_ratio_count") == before["ratio"] + 1
    retrievals = sum(
        _sample("openbook_retrieval_duration_seconds_count", vector_search=s)
        for s in ("used", "off", "unavailable")
    )
    assert retrievals > before["retrievals"]
