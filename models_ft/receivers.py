"""What the training side does when something happens elsewhere: the training examples of a customer who
was erased, or who withdrew their consent, are deleted now (with the files of every dataset snapshot that
held one), not at the next snapshot."""

from __future__ import annotations

from support.core import events

from .examples import examples_forget


def customer_erased(event: events.CustomerErased) -> None:
    examples_forget(customer_id=event.customer_id)


def customer_consent_withdrawn(event: events.CustomerConsentWithdrawn) -> None:
    examples_forget(customer_id=event.customer_id)
