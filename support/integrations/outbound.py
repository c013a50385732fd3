"""Sending Openbook's events to the addresses that subscribed to them.

An event is recorded as one `OutboundDelivery` per matching subscription inside the transaction of the
change it reports (an outbox: no change without its event, no event without its change), and queued for a
worker once that transaction commits. A worker claims a delivery with a conditional UPDATE, signs it the
way inbound events are signed, and POSTs it. A failed attempt is retried with exponential backoff until
OUTBOUND_MAX_ATTEMPTS, then the delivery is dead until an administrator redelivers it. A beat sweep queues
whatever is due and was not queued (a broker outage, a worker killed mid-send).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import random
import secrets
import socket
import time
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerError

from support.core import metrics
from support.core.errors import Conflict, DomainError
from support.core.events import EVENT_TYPES
from support.core.queueing import task_send

from .models import IntegrationSource, OutboundAttempt, OutboundDelivery, WebhookSubscription
from .services import signature

log = logging.getLogger(__name__)

OPEN = (OutboundDelivery.Status.PENDING, OutboundDelivery.Status.SENDING, OutboundDelivery.Status.RETRYING)
RESPONSE_KEEP_CHARS = 1000
USER_AGENT = "Openbook-Webhooks/1"
# A worker that claimed a delivery holds it this much longer than the request may take; after that, it is
# presumed dead and the delivery may be claimed again.
LEASE_GRACE_SECONDS = 30
# Retries due sooner than this are queued with a countdown; later ones are left to the sweep (a broker
# holding a task for an hour redelivers it when its visibility timeout runs out).
COUNTDOWN_MAX_SECONDS = 300


# --- subscriptions ------------------------------------------------------------------------------------------


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def url_check(url: str) -> None:
    """Refuse addresses a subscription may not call: not http(s), or (unless OUTBOUND_ALLOW_PRIVATE_ADDRESSES)
    one that is or resolves to a loopback, private or link-local address — a webhook must not become a way
    to reach the inside of the network Openbook runs in."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("The address must be an http:// or https:// URL with a host.", field="url")
    if parts.username or parts.password:
        raise DomainError("Put no credentials in the address; deliveries are signed.", field="url")
    if settings.OUTBOUND_ALLOW_PRIVATE_ADDRESSES:
        return
    host = parts.hostname
    try:
        addresses = [host] if _is_ip(host) else _resolve(host)
    except OSError:
        raise DomainError(f"The host {host!r} cannot be resolved.", field="url") from None
    if host.lower() == "localhost" or any(not _address_allowed(a) for a in addresses):
        raise DomainError(
            f"The host {host!r} is a loopback, private or link-local address, which subscriptions may not "
            "call (see OUTBOUND_ALLOW_PRIVATE_ADDRESSES).",
            field="url",
        )


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _resolve(host: str) -> list[str]:
    return sorted({str(info[4][0]) for info in socket.getaddrinfo(host, None)})


def _events_check(events: list[str]) -> list[str]:
    unknown = sorted(set(events) - set(EVENT_TYPES))
    if unknown:
        raise DomainError(f"Unknown event type(s): {', '.join(unknown)}.", field="events")
    if not events:
        raise DomainError("Choose at least one event.", field="events")
    return [e for e in EVENT_TYPES if e in events]


def subscription_create(
    *,
    name: str,
    url: str,
    events: list[str],
    secret: str = "",
    source: IntegrationSource | None = None,
    active: bool = True,
    created_by: Any = None,
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (the one given, or a new random one): returned here and
    shown once by the caller."""
    if not name.strip():
        raise DomainError("A subscription needs a name.", field="name")
    url_check(url)
    secret = secret or secrets.token_urlsafe(32)
    if len(secret) < 16:
        raise DomainError("A signing secret needs at least 16 characters.", field="secret")
    subscription = WebhookSubscription.objects.create(
        name=name.strip(),
        url=url,
        secret=secret,
        events=_events_check(events),
        source=source,
        active=active,
        created_by=created_by,
    )
    return subscription, secret


def subscription_update(*, subscription: WebhookSubscription, **fields: Any) -> WebhookSubscription:
    """Change a subscription's name, address, events, secret, source or whether it is active."""
    allowed = {"name", "url", "events", "secret", "source", "active"}
    unknown = set(fields) - allowed
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "url" in fields:
        url_check(fields["url"])
    if "events" in fields:
        fields["events"] = _events_check(fields["events"])
    if "secret" in fields and len(fields["secret"]) < 16:
        raise DomainError("A signing secret needs at least 16 characters.", field="secret")
    if "name" in fields and not fields["name"].strip():
        raise DomainError("A subscription needs a name.", field="name")
    for name, value in fields.items():
        setattr(subscription, name, value)
    subscription.save()
    return subscription


# --- recording events ---------------------------------------------------------------------------------------


def event_record(
    *, event_type: str, data: Callable[[], dict[str, Any]], origin: str = ""
) -> list[OutboundDelivery]:
    """One delivery per active subscription that wants `event_type`, in the caller's transaction, queued
    for sending once it commits. A subscription of the source the change came from is skipped."""
    wanted = WebhookSubscription.objects.filter(active=True, events__contains=[event_type])
    if origin:
        wanted = wanted.exclude(source__slug=origin)
    subscription_ids = list(wanted.values_list("pk", flat=True))
    if not subscription_ids:
        return []
    now = timezone.now()
    event_id = uuid.uuid4()
    payload = {
        "id": str(event_id),
        "type": event_type,
        "occurred_at": now.isoformat().replace("+00:00", "Z"),
        "data": data(),
    }
    created = OutboundDelivery.objects.bulk_create(
        [
            OutboundDelivery(
                subscription_id=subscription_id,
                event_id=event_id,
                event_type=event_type,
                payload=payload,
                next_attempt_at=now,
            )
            for subscription_id in subscription_ids
        ]
    )
    ids = [d.pk for d in created]
    transaction.on_commit(lambda: deliveries_queue(ids))
    return created


# The task that runs `delivery_attempt`, queued by its stable name: the tasks module imports this one, and
# this one never imports it back.
DELIVERY_ATTEMPT_TASK = "integrations.outbound_deliver"


def deliveries_queue(ids: list[int], *, countdown: float = 0) -> None:
    """Hand deliveries to the workers. A broker that is down loses nothing: the sweep finds them due."""
    for delivery_id in ids:
        try:
            task_send(
                DELIVERY_ATTEMPT_TASK,
                args=[delivery_id],
                countdown=countdown or None,
                retry_policy={"max_retries": 1},
            )
        except BrokerError as exc:
            log.warning("could not queue outbound delivery %s (the sweep will): %s", delivery_id, exc)
            return


# --- sending ------------------------------------------------------------------------------------------------


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): the same for every attempt of a delivery."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False, sort_keys=True).encode()


def request_headers(*, delivery: OutboundDelivery, body: bytes, secret: str) -> dict[str, str]:
    timestamp = str(int(time.time()))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Openbook-Event": delivery.event_type,
        "X-Openbook-Delivery": str(delivery.delivery_id),
        "X-Openbook-Timestamp": timestamp,
        "X-Openbook-Signature": signature(secret=secret, timestamp=timestamp, body=body),
    }


def retry_delay(attempts: int) -> float:
    """Seconds before attempt `attempts + 1`: OUTBOUND_RETRY_SECONDS doubled per failed attempt, capped, with
    a tenth of jitter so that many deliveries failing together do not all come back at once."""
    delay = min(settings.OUTBOUND_RETRY_SECONDS * 2 ** (attempts - 1), settings.OUTBOUND_RETRY_MAX_SECONDS)
    return delay * random.uniform(0.9, 1.1)  # noqa: S311 - jitter, not a secret


def _claim(delivery_id: int) -> OutboundDelivery | None:
    """Take a due delivery for this worker (or one whose worker's lease ran out), counting the attempt."""
    now = timezone.now()
    lease = timedelta(seconds=settings.OUTBOUND_TIMEOUT_SECONDS + LEASE_GRACE_SECONDS)
    claimed = OutboundDelivery.objects.filter(
        pk=delivery_id, status__in=OPEN, next_attempt_at__lte=now
    ).update(status=OutboundDelivery.Status.SENDING, attempts=F("attempts") + 1, next_attempt_at=now + lease)
    if not claimed:
        return None
    return OutboundDelivery.objects.select_related("subscription").get(pk=delivery_id)


def _post(*, delivery: OutboundDelivery) -> tuple[int | None, str, str]:
    """POST the delivery once: (status code or None, error, the start of the answer)."""
    subscription = delivery.subscription
    try:
        url_check(subscription.url)
    except DomainError as exc:
        return None, exc.message, ""
    body = body_bytes(delivery.payload)
    headers = request_headers(delivery=delivery, body=body, secret=subscription.secret)
    try:
        # No redirects: the address was checked, where a redirect points was not.
        with httpx.Client(timeout=settings.OUTBOUND_TIMEOUT_SECONDS, follow_redirects=False) as client:
            response = client.post(subscription.url, content=body, headers=headers)
    except httpx.TimeoutException:
        return None, f"No answer within {settings.OUTBOUND_TIMEOUT_SECONDS:g} s.", ""
    except httpx.HTTPError as exc:
        return None, f"Could not connect: {exc}"[:500], ""
    text = response.text[:RESPONSE_KEEP_CHARS]
    if 200 <= response.status_code < 300:
        return response.status_code, "", text
    return response.status_code, f"The receiver answered {response.status_code}.", text


def delivery_attempt(*, delivery_id: int) -> OutboundDelivery | None:
    """Make one attempt at a delivery, if it is due and not taken; record it; schedule the next one or
    dead-letter it. Safe to run twice: only the worker that claims the delivery sends it. None when there
    was nothing to do."""
    delivery = _claim(delivery_id)
    if delivery is None:
        return None
    if not delivery.subscription.active:
        OutboundDelivery.objects.filter(pk=delivery.pk).update(
            status=OutboundDelivery.Status.DEAD, last_error="The subscription was switched off."
        )
        return delivery
    started = time.perf_counter()
    at = timezone.now()
    code, error, answer = _post(delivery=delivery)
    duration_ms = round((time.perf_counter() - started) * 1000, 1)
    number = OutboundAttempt.objects.filter(delivery=delivery).count() + 1
    with transaction.atomic():
        OutboundAttempt.objects.create(
            delivery=delivery,
            number=number,
            at=at,
            status_code=code,
            error=error,
            duration_ms=duration_ms,
            response_body=answer,
        )
        delivery.last_status_code, delivery.last_error = code, error
        if not error:
            delivery.status, delivery.delivered_at = OutboundDelivery.Status.DELIVERED, timezone.now()
        elif delivery.attempts >= settings.OUTBOUND_MAX_ATTEMPTS:
            delivery.status = OutboundDelivery.Status.DEAD
        else:
            delivery.status = OutboundDelivery.Status.RETRYING
            delay = retry_delay(delivery.attempts)
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=delay)
            if delay <= COUNTDOWN_MAX_SECONDS:
                transaction.on_commit(lambda: deliveries_queue([delivery.pk], countdown=delay))
        delivery.save(
            update_fields=["status", "last_status_code", "last_error", "delivered_at", "next_attempt_at"]
        )
    metrics.outbound_attempt_observed(
        event_type=delivery.event_type, result=delivery.status, seconds=duration_ms / 1000
    )
    if error:
        log.info("outbound delivery %s attempt %s failed: %s", delivery.delivery_id, number, error)
    return delivery


def delivery_redeliver(*, delivery: OutboundDelivery) -> OutboundDelivery:
    """Send a delivery again now, with a fresh round of attempts (same delivery id, so a receiver that has
    it already can tell). One being sent at this moment is left to finish."""
    with transaction.atomic():
        delivery = OutboundDelivery.objects.select_for_update().get(pk=delivery.pk)
        if delivery.status == OutboundDelivery.Status.SENDING and delivery.next_attempt_at > timezone.now():
            raise Conflict("This delivery is being sent right now.", code="sending")
        delivery.status = OutboundDelivery.Status.PENDING
        delivery.attempts = 0
        delivery.next_attempt_at = timezone.now()
        delivery.save(update_fields=["status", "attempts", "next_attempt_at"])
        transaction.on_commit(lambda: deliveries_queue([delivery.pk]))
    return delivery


def deliveries_sweep(*, limit: int = 500) -> int:
    """Queue the deliveries that are due — a retry whose task was lost, a worker that died mid-send — a
    bounded batch at a time. Returns how many were queued."""
    now = timezone.now()
    # Fresh ones were queued on commit a moment ago; the sweep only catches what that missed.
    due = OutboundDelivery.objects.filter(status__in=OPEN, next_attempt_at__lte=now).filter(
        ~Q(status=OutboundDelivery.Status.PENDING) | Q(created_at__lt=now - timedelta(seconds=10))
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:limit])
    deliveries_queue(ids)
    return len(ids)
