"""What the integrations app does when something happens elsewhere: an event that outbound subscriptions may
ask for is recorded for each of them (`support.core.events.WEBHOOK_EVENT`)."""

from __future__ import annotations

from support.core import events

from . import outbound


def webhook_event_record(event: events.WebhookEvent) -> None:
    outbound.event_record(event_type=event.event_type, data=event.data, origin=event.origin)
