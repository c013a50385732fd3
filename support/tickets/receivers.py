"""What the tickets app does when something happens elsewhere: an erased customer's messages are erased."""

from __future__ import annotations

from support.core import events

from . import services


def customer_erased(event: events.CustomerErased) -> None:
    services.messages_erase(customer_id=event.customer_id)
