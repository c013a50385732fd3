"""Things that happened, told to whoever listens: the integrations' outbound subscriptions among them.

Any package may publish (knowledge and models_ft too: this is the shared kernel); listeners connect to
`domain_event`. A publisher calls `event_publish` inside the transaction of the change it reports, so a
listener that records the event (an outbox) commits or rolls back with the change itself.

`event_origin` marks the events published while a change that came from an integration source is applied,
so a subscription of that same source is not told about its own change.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Final

from django.dispatch import Signal

SUGGESTION_READY: Final = "suggestion.ready"
REPLY_SENT: Final = "reply.sent"
TICKET_UPDATED: Final = "ticket.updated"
DOCUMENT_PUBLISHED: Final = "document.published"
ADAPTER_PROMOTED: Final = "adapter.promoted"
EVENT_TYPES: Final = (SUGGESTION_READY, REPLY_SENT, TICKET_UPDATED, DOCUMENT_PUBLISHED, ADAPTER_PROMOTED)

domain_event = Signal()
"""Sent with `event_type` (one of EVENT_TYPES), `data` (a function returning the event's JSON-serialisable
dict, called only by a listener that needs it) and `origin` (the slug of the integration source the change
came from, or "")."""

EventData = dict[str, Any] | Callable[[], dict[str, Any]]

_origin: contextvars.ContextVar[str] = contextvars.ContextVar("openbook_event_origin", default="")


@contextmanager
def event_origin(source: str) -> Iterator[None]:
    """Within this block, published events say they came from integration source `source`."""
    token = _origin.set(source)
    try:
        yield
    finally:
        _origin.reset(token)


def event_publish(event_type: str, data: EventData) -> None:
    """Tell the listeners that `event_type` happened. `data` may be a function: most events have nobody
    subscribed, and then nothing is read to describe them."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    build = data if callable(data) else (lambda: data)
    domain_event.send(sender=event_type, event_type=event_type, data=build, origin=_origin.get())
