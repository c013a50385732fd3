"""What the console does when something happens elsewhere."""

from __future__ import annotations

from typing import Any

import pytest

from assist import receivers
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_customers_message_queues_its_tickets_search_query_once_committed(
    monkeypatch: Any, django_capture_on_commit_callbacks: Any
):
    queued: list[list[int]] = []
    monkeypatch.setattr(receivers, "query_prepare_queue", queued.append)
    ticket = factories.ticket()
    with django_capture_on_commit_callbacks(execute=True):
        factories.message(ticket, author_kind="customer", body="My invoice is wrong.")
        factories.message(ticket, author_kind="agent", body="Looking into it.")
        factories.message(ticket, author_kind="agent", body="Checked billing.", public=False)
        assert queued == []
    assert queued == [[ticket.pk]]
