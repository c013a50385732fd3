"""How each kind of source proves who it is, and how its payloads become Openbook's generic events.

Every adapter takes the raw request (headers, body bytes) and answers with the delivery id and the generic
event (see events.py), or with no event for something Openbook does not keep (an agent's profile, an
organization change): that delivery is recorded as ignored and answered 200, so the sender does not retry.

- generic: `X-Openbook-*` headers, HMAC-SHA256 over `timestamp.body` (services.signature_check).
- zendesk: Zendesk's own signature (`X-Zendesk-Webhook-Signature` = base64 HMAC-SHA256 of timestamp + body,
  with the webhook's signing secret as the source's secret). Its event-subscription payloads
  (`"type": "zen:event-type:ticket.created"`, `detail`, `event`) are translated; a trigger webhook whose
  body an administrator wrote in the generic format passes through.
- freshdesk: Freshdesk's automation webhooks cannot sign, so the source's secret is sent as a header the
  rule sets (`X-Openbook-Token: <secret>`, or HTTP basic auth with the secret as password). Payloads are
  the rule's "simple" JSON (`{"freshdesk_webhook": {"ticket_id": …, "ticket_subject": …}}`) or a flat
  object with the same keys; the generic format passes through too.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from bs4 import BeautifulSoup

from support.core.errors import DomainError

from .events import EVENT_TYPES
from .models import IntegrationSource
from .services import TIMESTAMP_TOLERANCE_SECONDS, SignatureError, signature_check


@dataclass(frozen=True)
class Inbound:
    delivery_id: str
    event: dict[str, Any] | None  # None: nothing Openbook keeps
    event_type: str  # the sender's own name for it, for the delivery log


class Adapter(Protocol):
    def authenticate(self, *, source: IntegrationSource, headers: Mapping[str, str], body: bytes) -> None: ...

    def translate(self, *, headers: Mapping[str, str], body: bytes, payload: Any) -> Inbound: ...


def _header(headers: Mapping[str, str], name: str) -> str:
    return (headers.get(name) or "").strip()


def _body_id(body: bytes) -> str:
    """A delivery id for senders that send none: the same bytes are the same delivery."""
    return "sha256:" + hashlib.sha256(body).hexdigest()


def _generic(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("type") in EVENT_TYPES


DELIVERY_ID_NEEDED = "X-Openbook-Delivery must carry the delivery's id (at most 200 characters)."


def _delivery_header(headers: Mapping[str, str]) -> str:
    delivery_id = _header(headers, "X-Openbook-Delivery")
    if len(delivery_id) > 200:
        raise DomainError(DELIVERY_ID_NEEDED)
    return delivery_id


class GenericAdapter:
    def authenticate(self, *, source: IntegrationSource, headers: Mapping[str, str], body: bytes) -> None:
        signature_check(
            source=source,
            timestamp=_header(headers, "X-Openbook-Timestamp"),
            signature_header=_header(headers, "X-Openbook-Signature"),
            body=body,
        )

    def translate(self, *, headers: Mapping[str, str], body: bytes, payload: Any) -> Inbound:
        delivery_id = _delivery_header(headers)
        if not delivery_id:
            raise DomainError(DELIVERY_ID_NEEDED)
        if not isinstance(payload, dict):
            # Checked here: `null` would otherwise read as "nothing to keep" and be recorded as ignored.
            raise DomainError("An event is a JSON object.", field="non_field_errors")
        return Inbound(delivery_id=delivery_id, event=payload, event_type=str(payload.get("type") or "")[:40])


# --- Zendesk ------------------------------------------------------------------------------------------------

ZENDESK_EVENT_PREFIX = "zen:event-type:"
ZENDESK_STATUS = {
    "new": "new",
    "open": "open",
    "pending": "pending",
    "hold": "on_hold",
    "solved": "solved",
    "closed": "closed",
}
ZENDESK_PRIORITY = {"low": "low", "normal": "normal", "high": "high", "urgent": "urgent"}


def _zendesk_timestamp(value: str) -> float:
    if value.isdigit():
        return float(value)
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise SignatureError("X-Zendesk-Webhook-Signature-Timestamp is not a time.") from None


def _text(value: Any) -> str:
    """A value of the tool's payload as text (ids may come as numbers). Never cut to fit: the event's own
    checks refuse a value longer than its field, naming it."""
    return "" if value is None else str(value)


MAX_DELIVERY_ID = 200


def _delivery_id(value: str, name: str) -> str:
    """A delivery id as sent: one cut to fit could be taken for another delivery and skipped as a replay."""
    if len(value) > MAX_DELIVERY_ID:
        raise DomainError(f"{name} is longer than {MAX_DELIVERY_ID} characters.", field=name)
    return value


class ZendeskAdapter:
    def authenticate(self, *, source: IntegrationSource, headers: Mapping[str, str], body: bytes) -> None:
        if _header(headers, "X-Openbook-Signature"):
            GenericAdapter().authenticate(source=source, headers=headers, body=body)
            return
        given = _header(headers, "X-Zendesk-Webhook-Signature")
        timestamp = _header(headers, "X-Zendesk-Webhook-Signature-Timestamp")
        if not given or not timestamp:
            raise SignatureError(
                "Zendesk webhooks carry X-Zendesk-Webhook-Signature and "
                "X-Zendesk-Webhook-Signature-Timestamp: give this source the webhook's signing secret."
            )
        if abs(time.time() - _zendesk_timestamp(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            raise SignatureError("The request's timestamp is more than 5 minutes away from now.")
        digest = hmac.new(source.secret.encode(), timestamp.encode() + body, hashlib.sha256).digest()
        try:
            decoded = base64.b64decode(given, validate=True)
        except (binascii.Error, ValueError):
            raise SignatureError("X-Zendesk-Webhook-Signature is not base64.") from None
        if not hmac.compare_digest(digest, decoded):
            raise SignatureError("The signature does not match this source's secret.")

    def translate(self, *, headers: Mapping[str, str], body: bytes, payload: Any) -> Inbound:
        invocation = _delivery_id(
            _header(headers, "X-Zendesk-Webhook-Invocation-Id"), "X-Zendesk-Webhook-Invocation-Id"
        )
        if _generic(payload):
            # A trigger webhook whose JSON body follows the generic format.
            delivery_id = _delivery_header(headers) or invocation or _body_id(body)
            return Inbound(delivery_id=delivery_id, event=payload, event_type=payload["type"])
        if not isinstance(payload, dict) or not str(payload.get("type", "")).startswith(ZENDESK_EVENT_PREFIX):
            raise DomainError(
                "Not a Zendesk event: expected a 'type' of zen:event-type:… (or a generic Openbook event).",
                field="type",
            )
        kind = str(payload["type"])[len(ZENDESK_EVENT_PREFIX) :]
        delivery_id = _delivery_id(_text(payload.get("id")), "id") or invocation or _body_id(body)
        detail: dict[str, Any] = payload["detail"] if isinstance(payload.get("detail"), dict) else {}
        event: dict[str, Any] = payload["event"] if isinstance(payload.get("event"), dict) else {}
        translated: dict[str, Any] | None
        if kind.startswith("ticket."):
            translated = self._ticket(kind, detail, event)
        elif kind.startswith("user."):
            translated = self._user(detail)
        else:
            translated = None
        return Inbound(delivery_id=delivery_id, event=translated, event_type=kind[:40])

    @staticmethod
    def _ticket_fields(detail: dict[str, Any]) -> dict[str, Any]:
        fields: dict[str, Any] = {"external_id": _text(detail.get("id"))}
        if detail.get("subject"):
            fields["subject"] = _text(detail["subject"])
        status = ZENDESK_STATUS.get(str(detail.get("status") or "").lower())
        if status:
            fields["status"] = status
        priority = ZENDESK_PRIORITY.get(str(detail.get("priority") or "").lower())
        if priority:
            fields["priority"] = priority
        if isinstance(detail.get("tags"), list):
            fields["tags"] = [_text(t) for t in detail["tags"]]
        return fields

    def _ticket(self, kind: str, detail: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
        ticket = self._ticket_fields(detail)
        if kind == "ticket.created":
            if detail.get("requester_id") is not None:
                ticket["customer"] = {"external_id": _text(detail["requester_id"])}
            if detail.get("description"):
                ticket["messages"] = [
                    {
                        "external_id": f"{ticket['external_id']}:description",
                        "author": "customer",
                        "body": _text(detail["description"]),
                        **({"created_at": detail["created_at"]} if detail.get("created_at") else {}),
                    }
                ]
            return {"type": "ticket.created", "ticket": ticket}
        if kind == "ticket.comment_added" and isinstance(event.get("comment"), dict):
            comment = event["comment"]
            author = comment.get("author") if isinstance(comment.get("author"), dict) else {}
            public = bool(comment.get("is_public", True))
            staff = bool(author.get("is_staff"))
            ticket["messages"] = [
                {
                    "external_id": _text(comment.get("id")),
                    # An end user's comments are public; a private one is an agent's note.
                    "author": "agent" if staff or not public else "customer",
                    "author_name": _text(author.get("name")),
                    "body": _text(comment.get("body")),
                    "public": public,
                }
            ]
            return {"type": "message.added", "ticket": ticket}
        # Every other ticket event carries the ticket as it now is: take its workflow fields from there.
        return {"type": "ticket.updated", "ticket": ticket}

    @staticmethod
    def _user(detail: dict[str, Any]) -> dict[str, Any] | None:
        if str(detail.get("role") or "end-user") != "end-user" or not detail.get("id"):
            return None  # agents and admins are not customers
        customer: dict[str, Any] = {"external_id": _text(detail["id"])}
        if detail.get("email"):
            customer["email"] = _text(detail["email"])
        if detail.get("name"):
            customer["name"] = _text(detail["name"])
        return {"type": "customer.upserted", "customer": customer}


# --- Freshdesk ----------------------------------------------------------------------------------------------

FRESHDESK_STATUS = {
    "2": "open",
    "open": "open",
    "3": "pending",
    "pending": "pending",
    "waiting on customer": "pending",
    "waiting on third party": "on_hold",
    "4": "solved",
    "resolved": "solved",
    "5": "closed",
    "closed": "closed",
}
FRESHDESK_PRIORITY = {
    "1": "low",
    "low": "low",
    "2": "normal",
    "medium": "normal",
    "3": "high",
    "high": "high",
    "4": "urgent",
    "urgent": "urgent",
}
# `{{triggered_event}}` names what fired the rule; these mean an agent wrote the latest public comment.
_AGENT_TRIGGERS = re.compile(r"reply_sent|agent_reply|note_added", re.IGNORECASE)


_BLOCKS = ("p", "div", "li", "tr", "blockquote", "pre", "h1", "h2", "h3", "h4", "h5", "h6")


def _html_text(value: Any) -> str:
    """Freshdesk sends descriptions and comments as HTML: keep the text and its line breaks."""
    text = "" if value is None else str(value)
    if "<" in text:
        soup = BeautifulSoup(text, "html.parser")
        for br in soup.find_all("br"):
            br.replace_with("\n")
        for block in soup.find_all(_BLOCKS):
            block.append("\n")
        text = soup.get_text()
    text = re.sub(r"[ \t]+", " ", text)
    return re.sub(r"\s*\n\s*\n\s*", "\n\n", text).strip()


def _first(fields: dict[str, Any], *names: str) -> Any:
    for name in names:
        value = fields.get(name)
        if value not in (None, ""):
            return value
    return None


class FreshdeskAdapter:
    def authenticate(self, *, source: IntegrationSource, headers: Mapping[str, str], body: bytes) -> None:
        if _header(headers, "X-Openbook-Signature"):
            GenericAdapter().authenticate(source=source, headers=headers, body=body)
            return
        token = _header(headers, "X-Openbook-Token")
        authorization = _header(headers, "Authorization")
        if not token and authorization.lower().startswith("basic "):
            try:
                token = base64.b64decode(authorization[6:], validate=True).decode().partition(":")[2]
            except (binascii.Error, ValueError):
                raise SignatureError("The Authorization header is not valid basic auth.") from None
        if not token:
            raise SignatureError(
                "Freshdesk webhooks must send the source's secret: add the header X-Openbook-Token to the "
                "rule's webhook, or basic auth with the secret as password."
            )
        if not hmac.compare_digest(token.encode(), source.secret.encode()):
            raise SignatureError("The token does not match this source's secret.")

    def translate(self, *, headers: Mapping[str, str], body: bytes, payload: Any) -> Inbound:
        delivery_id = _delivery_header(headers) or _body_id(body)
        if _generic(payload):
            return Inbound(delivery_id=delivery_id, event=payload, event_type=payload["type"])
        fields = payload.get("freshdesk_webhook", payload) if isinstance(payload, dict) else None
        if not isinstance(fields, dict) or _first(fields, "ticket_id") is None:
            raise DomainError(
                "Not a Freshdesk webhook: expected freshdesk_webhook.ticket_id (or a generic event).",
                field="freshdesk_webhook.ticket_id",
            )
        ticket_id = _text(fields["ticket_id"])
        ticket: dict[str, Any] = {"external_id": ticket_id}
        if _first(fields, "ticket_subject"):
            ticket["subject"] = _text(fields["ticket_subject"])
        status = FRESHDESK_STATUS.get(str(_first(fields, "ticket_status") or "").strip().lower())
        if status:
            ticket["status"] = status
        priority = FRESHDESK_PRIORITY.get(str(_first(fields, "ticket_priority") or "").strip().lower())
        if priority:
            ticket["priority"] = priority
        tags = fields.get("ticket_tags")
        if isinstance(tags, str):
            tags = [t.strip() for t in tags.split(",")]
        if isinstance(tags, list):
            ticket["tags"] = [_text(t) for t in tags if str(t).strip()]
        email = _first(fields, "ticket_requester_email", "ticket_contact_email")
        requester = _first(fields, "ticket_requester_id", "ticket_contact_id") or email
        if requester is not None:
            ticket["customer"] = {"external_id": _text(requester)}
            if email:
                ticket["customer"]["email"] = _text(email)
            name = _first(fields, "ticket_requester_name", "ticket_contact_name")
            if name:
                ticket["customer"]["name"] = _text(name)
        messages = []
        description = _html_text(_first(fields, "ticket_description_text", "ticket_description"))
        if description:
            # The description is the ticket's first message: the same id every time, so it is stored once.
            messages.append(
                {"external_id": f"{ticket_id}:description", "author": "customer", "body": description}
            )
        comment = _html_text(_first(fields, "ticket_latest_public_comment"))
        if comment and comment != description:
            by_agent = bool(_AGENT_TRIGGERS.search(str(fields.get("triggered_event") or "")))
            digest = hashlib.sha256(comment.encode()).hexdigest()[:16]
            messages.append(
                {
                    "external_id": f"{ticket_id}:comment:{digest}",
                    "author": "agent" if by_agent else "customer",
                    "body": comment,
                }
            )
        if messages:
            ticket["messages"] = messages
        # Freshdesk does not say whether the ticket is new to Openbook: an update that carries the subject and
        # the requester creates it when it is (see services._apply).
        return Inbound(
            delivery_id=delivery_id, event={"type": "ticket.updated", "ticket": ticket}, event_type="ticket"
        )


ADAPTERS: dict[str, Adapter] = {
    IntegrationSource.Kind.GENERIC: GenericAdapter(),
    IntegrationSource.Kind.ZENDESK: ZendeskAdapter(),
    IntegrationSource.Kind.FRESHDESK: FreshdeskAdapter(),
}
