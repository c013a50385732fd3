"""Things that happened, told to whoever listens: a tiny, typed publish/subscribe between the apps.

An event is a name and the frozen dataclass it carries (`Event`). The service that made a change publishes
it (`publish`) inside the transaction of that change; each app subscribes its handlers in its
`AppConfig.ready` (`subscribe`). A handler runs at once, inside the publisher's transaction (what it writes
commits or rolls back with the change), unless it subscribed with `after_commit`: then it runs once that
transaction commits, and never when it rolls back.

The events are defined here, in the kernel, so that any app may listen (knowledge and models_ft too)
without importing the app that publishes.

Among them, `WEBHOOK_EVENT` carries the events that outbound webhook subscriptions may ask for
(`EVENT_TYPES`); publishers use `event_publish`, and `event_origin` marks the events published while a
change that came from an integration source is applied, so a subscription of that same source is not told
about its own change.
"""

from __future__ import annotations

import contextvars
import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Final, Generic, TypeVar

from django.db import transaction

P = TypeVar("P")


@dataclass(frozen=True)
class Event(Generic[P]):
    """A kind of event: its name and the frozen dataclass its publishers send."""

    name: str
    payload: type[P]


@dataclass(frozen=True)
class _Subscription:
    handler: Callable[[Any], None]
    after_commit: bool


_subscriptions: dict[str, list[_Subscription]] = {}


def subscribe(event: Event[P], handler: Callable[[P], None], *, after_commit: bool = False) -> None:
    """Call `handler` with the payload of every `event` published from now on: inside the publisher's
    transaction, or once it commits when `after_commit` is true. Subscribing a handler again changes
    nothing."""
    subscriptions = _subscriptions.setdefault(event.name, [])
    if any(s.handler is handler for s in subscriptions):
        return
    subscriptions.append(_Subscription(handler=handler, after_commit=after_commit))


def publish(event: Event[P], payload: P) -> None:
    """Tell `event`'s subscribers, in the order they subscribed, that it happened."""
    if not isinstance(payload, event.payload):
        raise TypeError(f"{event.name} carries {event.payload.__name__}, not {type(payload).__name__}.")
    for subscription in list(_subscriptions.get(event.name, ())):
        if subscription.after_commit:
            transaction.on_commit(functools.partial(subscription.handler, payload))
        else:
            subscription.handler(payload)


# --- the events --------------------------------------------------------------------------------------------

ERASED_TEXT: Final = "[erased]"
"""What erased text is replaced with."""


@dataclass(frozen=True)
class CustomerErased:
    """A customer's record was erased: every app holding text the customer wrote, or text quoting them,
    erases it (replaced by `ERASED_TEXT`) in the same transaction."""

    customer_id: int


@dataclass(frozen=True)
class CustomerConsentWithdrawn:
    """A customer no longer lets their conversations train models: their training examples go now."""

    customer_id: int


@dataclass(frozen=True)
class TicketMessageCreated:
    """A message was added to a ticket (through the tickets services; bulk loads that insert rows directly
    do not publish it)."""

    ticket_id: int
    message_id: int
    author_kind: str
    public: bool


EventData = dict[str, Any] | Callable[[], dict[str, Any]]


@dataclass(frozen=True)
class WebhookEvent:
    """An event outbound webhook subscriptions may ask for. `data` builds its JSON-serialisable dict, and is
    called only by a subscriber that needs it; `origin` is the slug of the integration source the change
    came from, or ""."""

    event_type: str
    data: Callable[[], dict[str, Any]]
    origin: str = ""


CUSTOMER_ERASED: Final = Event("customer_erased", CustomerErased)
CUSTOMER_CONSENT_WITHDRAWN: Final = Event("customer_consent_withdrawn", CustomerConsentWithdrawn)
TICKET_MESSAGE_CREATED: Final = Event("ticket_message_created", TicketMessageCreated)
WEBHOOK_EVENT: Final = Event("webhook_event", WebhookEvent)


# --- webhook events ----------------------------------------------------------------------------------------

SUGGESTION_READY: Final = "suggestion.ready"
REPLY_SENT: Final = "reply.sent"
TICKET_UPDATED: Final = "ticket.updated"
DOCUMENT_PUBLISHED: Final = "document.published"
ADAPTER_PROMOTED: Final = "adapter.promoted"
EVENT_TYPES: Final = (SUGGESTION_READY, REPLY_SENT, TICKET_UPDATED, DOCUMENT_PUBLISHED, ADAPTER_PROMOTED)

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
    """Tell the webhook subscribers that `event_type` (one of EVENT_TYPES) happened. `data` may be a
    function: most events have nobody subscribed, and then nothing is read to describe them."""
    if event_type not in EVENT_TYPES:
        raise ValueError(f"Unknown event type {event_type!r}.")
    build = data if callable(data) else (lambda: data)
    publish(WEBHOOK_EVENT, WebhookEvent(event_type=event_type, data=build, origin=_origin.get()))
