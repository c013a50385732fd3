"""The kernel's publish/subscribe: typed payloads, delivered inside the publisher's transaction or once it
commits."""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass
from typing import Any

import pytest
from django.db import transaction

from support.core import events

pytestmark = pytest.mark.django_db


@dataclass(frozen=True)
class Rang:
    times: int


RANG = events.Event("test_rang", Rang)


@pytest.fixture(autouse=True)
def _no_subscribers(monkeypatch: Any) -> None:
    monkeypatch.setattr(events, "_subscriptions", {})


def test_a_handler_hears_the_payload_at_once_inside_the_transaction():
    heard: list[Rang] = []
    events.subscribe(RANG, heard.append)
    with transaction.atomic():
        events.publish(RANG, Rang(times=1))
        assert heard == [Rang(times=1)]


def test_an_after_commit_handler_hears_it_once_the_transaction_commits(django_capture_on_commit_callbacks):
    heard: list[Rang] = []
    events.subscribe(RANG, heard.append, after_commit=True)
    with django_capture_on_commit_callbacks(execute=True):
        with transaction.atomic():
            events.publish(RANG, Rang(times=2))
        assert heard == []
    assert heard == [Rang(times=2)]


def test_an_after_commit_handler_hears_nothing_when_the_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    heard: list[Rang] = []
    events.subscribe(RANG, heard.append, after_commit=True)
    with django_capture_on_commit_callbacks(execute=True), suppress(RuntimeError), transaction.atomic():
        events.publish(RANG, Rang(times=3))
        raise RuntimeError
    assert heard == []


def test_handlers_hear_in_the_order_they_subscribed_and_once_each():
    heard: list[str] = []

    def first(_: Rang) -> None:
        heard.append("first")

    def second(_: Rang) -> None:
        heard.append("second")

    events.subscribe(RANG, first)
    events.subscribe(RANG, second)
    events.subscribe(RANG, first)
    events.publish(RANG, Rang(times=4))
    assert heard == ["first", "second"]


def test_a_payload_of_another_type_is_refused():
    with pytest.raises(TypeError, match="test_rang carries Rang, not dict"):
        events.publish(RANG, {"times": 5})  # type: ignore[arg-type]
