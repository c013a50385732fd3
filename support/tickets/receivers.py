"""What the tickets app does when something happens elsewhere: an erased customer's messages are erased."""

from __future__ import annotations

from typing import Any

from support.customers.signals import ERASED_TEXT, customer_erased

from .models import TicketMessage


def _customer_erased(*, customer_id: int, **_: Any) -> None:
    TicketMessage.objects.filter(
        ticket__customer_id=customer_id, author_kind=TicketMessage.AuthorKind.CUSTOMER
    ).update(body=ERASED_TEXT, author_name="")


def connect() -> None:
    customer_erased.connect(_customer_erased, dispatch_uid="tickets.customer_erased")
