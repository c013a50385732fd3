"""Receiving events from ticketing systems: sources and their secrets, signatures, and deliveries applied
exactly once, all or nothing."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from support.core.errors import Conflict, DomainError
from support.core.events import event_origin
from support.customers.models import Customer
from support.customers.services import customer_update
from support.tickets import rights
from support.tickets import services as tickets
from support.tickets.models import Ticket, TicketMessage

from .models import InboundDelivery, IntegrationSource

# A signed request older (or further in the future) than this is refused: a captured request cannot be
# replayed later under a fresh delivery id.
TIMESTAMP_TOLERANCE_SECONDS = 300
SIGNATURE_PREFIX = "sha256="
NOT_APPLIED = "Not applied yet."


# Slugs that name Openbook's own records or its own addresses under /api/v1/integrations/.
RESERVED_SLUGS = frozenset({"openbook", "sources", "deliveries", "subscriptions", "outbound-deliveries"})
MIN_SECRET_LENGTH = 16


def source_create(
    *, name: str, slug: str = "", kind: str = IntegrationSource.Kind.GENERIC, secret: str = ""
) -> tuple[IntegrationSource, str]:
    """A new source and its secret: the one given (a Zendesk webhook's signing secret is made by Zendesk),
    or a new random one. Returned here, shown once by the caller."""
    slug = slugify(slug or name)[:40]
    if not slug:
        raise DomainError("The source needs a name made of letters or digits.", field="name")
    if slug in RESERVED_SLUGS:
        raise DomainError(f"{slug!r} is reserved by Openbook; choose another name.", field="slug")
    if kind not in IntegrationSource.Kind.values:
        raise DomainError(f"Unknown kind {kind!r}.", field="kind")
    if secret and len(secret) < MIN_SECRET_LENGTH:
        raise DomainError(f"A secret needs at least {MIN_SECRET_LENGTH} characters.", field="secret")
    if IntegrationSource.objects.filter(slug=slug).exists():
        raise Conflict(f"An integration source named {slug!r} already exists.", field="slug")
    secret = secret or secrets.token_urlsafe(32)
    try:
        source = IntegrationSource.objects.create(name=name, slug=slug, kind=kind, secret=secret)
    except IntegrityError:
        raise Conflict(f"An integration source named {slug!r} already exists.", field="slug") from None
    return source, secret


def signature(*, secret: str, timestamp: str, body: bytes) -> str:
    """`sha256=<hex HMAC-SHA256(secret, timestamp + "." + body)>`, as senders compute it."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return SIGNATURE_PREFIX + digest


class SignatureError(DomainError):
    status_code = 401
    code = "bad_signature"


def signature_check(*, source: IntegrationSource, timestamp: str, signature_header: str, body: bytes) -> None:
    """Raise SignatureError unless the request was signed with the source's secret in the last 5 minutes."""
    if not timestamp or not signature_header:
        raise SignatureError("Signed requests carry X-Openbook-Timestamp and X-Openbook-Signature headers.")
    if not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureError("X-Openbook-Timestamp must be Unix seconds.")
    if abs(time.time() - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
        raise SignatureError("The request's timestamp is more than 5 minutes away from now; sign it again.")
    expected = signature(secret=source.secret, timestamp=timestamp, body=body)
    # Constant time: how much of a guess matched must not show in how long the answer takes.
    if not hmac.compare_digest(expected.encode(), signature_header.strip().lower().encode()):
        raise SignatureError("The signature does not match this source's secret.")


def source_update(*, source: IntegrationSource, **fields: Any) -> IntegrationSource:
    """Rename a source, switch it off or on, or give it a new secret (from the next request on)."""
    unknown = set(fields) - {"name", "active", "secret"}
    if unknown:
        raise DomainError(f"Cannot change {', '.join(sorted(unknown))} here.")
    if "secret" in fields and len(fields["secret"]) < MIN_SECRET_LENGTH:
        raise DomainError(f"A secret needs at least {MIN_SECRET_LENGTH} characters.", field="secret")
    for name, value in fields.items():
        setattr(source, name, value)
    source.save()
    return source


@dataclass(frozen=True)
class Received:
    delivery: InboundDelivery
    replay: bool


def delivery_receive(*, source: IntegrationSource, delivery_id: str, event: dict[str, Any]) -> Received:
    """Apply a validated event once per delivery id. A replay of a processed delivery changes nothing; a
    delivery that failed (nothing was written) is applied again. Concurrent copies of one delivery wait on
    its row, so exactly one applies it."""
    failure: DomainError | None = None
    with transaction.atomic():
        delivery = _claim(source=source, delivery_id=delivery_id, event_type=event["type"])
        if delivery.status in (InboundDelivery.Status.PROCESSED, InboundDelivery.Status.IGNORED):
            return Received(delivery=delivery, replay=True)
        try:
            # Subscribers hear of the change, except this source's own subscription: it made the change.
            with transaction.atomic(), event_origin(source.slug):
                ticket, customer = _apply(source=source, event=event)
        except DomainError as exc:
            # The event's writes are rolled back; the failure itself is kept, for the sender to retry.
            failure = exc
            delivery.status, delivery.error = InboundDelivery.Status.FAILED, exc.message
            delivery.save(update_fields=["status", "error", "attempts"])
        else:
            delivery.status, delivery.error = InboundDelivery.Status.PROCESSED, ""
            delivery.ticket, delivery.customer = ticket, customer
            delivery.processed_at = timezone.now()
            delivery.save(update_fields=["status", "error", "attempts", "ticket", "customer", "processed_at"])
    if failure is not None:
        raise failure
    return Received(delivery=delivery, replay=False)


def delivery_ignore(*, source: IntegrationSource, delivery_id: str, event_type: str) -> Received:
    """Record a delivery that carries nothing Openbook keeps, once; answered like a processed one."""
    delivery, created = InboundDelivery.objects.get_or_create(
        source=source,
        delivery_id=delivery_id,
        defaults={
            "event_type": event_type[:40],
            "status": InboundDelivery.Status.IGNORED,
            "processed_at": timezone.now(),
        },
    )
    return Received(delivery=delivery, replay=not created)


def _claim(*, source: IntegrationSource, delivery_id: str, event_type: str) -> InboundDelivery:
    """The delivery's row, locked for this transaction: created if new, else counted as one more attempt
    unless it was processed already. A copy of the same delivery in another transaction waits here until
    that transaction ends (the insert waits on its row), then finds what it did."""
    table = InboundDelivery._meta.db_table
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (source_id, delivery_id, event_type, status, error, attempts, "  # noqa: S608
            "received_at) VALUES (%s, %s, %s, %s, %s, 1, %s) "
            "ON CONFLICT (source_id, delivery_id) DO NOTHING RETURNING id",
            [source.pk, delivery_id, event_type, InboundDelivery.Status.FAILED, NOT_APPLIED, now],
        )
        row = cursor.fetchone()
    if row is not None:
        return InboundDelivery(
            pk=row[0],
            source=source,
            delivery_id=delivery_id,
            event_type=event_type,
            status=InboundDelivery.Status.FAILED,
            error=NOT_APPLIED,
            attempts=1,
            received_at=now,
        )
    found = InboundDelivery.objects.select_for_update().get(source=source, delivery_id=delivery_id)
    if found.status not in (InboundDelivery.Status.PROCESSED, InboundDelivery.Status.IGNORED):
        found.attempts += 1
    return found


# A signed event is Openbook's own business with a source it trusts: its lookups reach every record (through
# the rights policy all the same, as `SYSTEM`).


def _customer(*, source: IntegrationSource, data: dict[str, Any]) -> Customer:
    fields = {k: v for k, v in data.items() if k in ("name", "phone", "language") and v is not None}
    if "email" in data:
        customer, _ = tickets.customer_upsert(
            source=source.slug,
            external_id=data["external_id"],
            email=data["email"],
            by=rights.SYSTEM,
            **fields,
        )
        return customer
    existing = rights.customer_match(
        user=rights.SYSTEM, source=source.slug, external_id=data["external_id"], email=""
    )
    if existing is None:
        raise Conflict(
            f"Customer {data['external_id']!r} is new to Openbook: send their e-mail address.",
            field="customer.email",
            code="unknown_customer",
        )
    return customer_update(customer=existing, **fields) if fields else existing


def _messages(data: dict[str, Any]) -> list[tickets.MessageInput]:
    kinds = {"customer": TicketMessage.AuthorKind.CUSTOMER, "agent": TicketMessage.AuthorKind.AGENT}
    return [
        tickets.MessageInput(
            author_kind=kinds.get(m["author"], TicketMessage.AuthorKind.SYSTEM),
            body=m["body"],
            public=m["public"],
            author_name=m.get("author_name", ""),
            created_at=m.get("created_at"),
            external_id=m["external_id"],
        )
        for m in data.get("messages", [])
    ]


def _apply(*, source: IntegrationSource, event: dict[str, Any]) -> tuple[Ticket | None, Customer | None]:
    kind = event["type"]
    if kind == "customer.upserted":
        return None, _customer(source=source, data=event["customer"])
    data = event["ticket"]
    ticket = rights.ticket_match(user=rights.SYSTEM, source=source.slug, external_id=data["external_id"])
    customer = _customer(source=source, data=data["customer"]) if "customer" in data else None
    if ticket is None:
        if kind == "message.added" or customer is None or "subject" not in data:
            # Out of order (an update before the create): nothing is written and the sender may retry.
            raise Conflict(
                f"Ticket {data['external_id']!r} is not known yet: send ticket.created (or a ticket.updated "
                "with its subject and customer) first.",
                code="unknown_ticket",
            )
        ticket, _ = tickets.ticket_create(
            subject=data["subject"],
            customer=customer,
            priority=data.get("priority", Ticket.Priority.NORMAL),
            tags=data.get("tags", ()),
            channel=Ticket.Channel.API,
            messages=_messages(data),
            source=source.slug,
            external_id=data["external_id"],
            lookup=False,
            by=rights.SYSTEM,
        )
        if data.get("status"):
            ticket = tickets.ticket_change_status(ticket=ticket, status=data["status"])
        return ticket, customer
    changes = {name: data[name] for name in ("subject", "priority", "tags") if name in data}
    if changes:
        ticket = tickets.ticket_update(ticket=ticket, **changes)
    for message in _messages(data):
        tickets.message_add(ticket=ticket, message=message)
    if data.get("status"):
        # A customer's message may have reopened it; the change says the same when already there.
        ticket = tickets.ticket_change_status(ticket=ticket, status=data["status"])
    return ticket, customer
