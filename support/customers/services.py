"""Writes of customers, organizations, products and incidents.

Creating a customer for a caller, which first looks for an existing one with the caller's rights, is
`support.tickets.services.customer_create` / `customer_upsert`: the rights policy needs the tickets' teams."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from support.core import events
from support.core.errors import Conflict, DomainError, InUse

from .models import Customer, Incident, IncidentUpdate, Organization, Plan, Product

CUSTOMER_FIELDS = (
    "name",
    "email",
    "phone",
    "language",
    "organization",
    "plan",
    "account_status",
    "training_consent",
)


def _apply(instance: Any, fields: dict[str, Any], allowed: Iterable[str]) -> list[str]:
    changed = []
    for name in allowed:
        if name in fields and getattr(instance, name) != fields[name]:
            setattr(instance, name, fields[name])
            changed.append(name)
    return changed


def customer_insert(
    *, source: str, external_id: str, products: Iterable[Product] | None = None, **fields: Any
) -> Customer:
    """Store a new customer. For the create-or-update paths (`support.tickets.services.customer_create`,
    `customer_upsert`), which look for an existing one with the caller's rights first: a customer who took
    the address or external id since is `InUse`, described to nobody."""
    customer = Customer(source=source, external_id=external_id)
    _apply(customer, fields, CUSTOMER_FIELDS)
    customer.email = customer.email.strip()
    try:
        with transaction.atomic():
            customer.save()
            if products is not None:
                customer.products.set(products)
    except IntegrityError:
        # Taken a moment ago by a request we cannot tell the caller anything about.
        raise InUse() from None
    return customer


def customer_update(
    *, customer: Customer, products: Iterable[Product] | None = None, **fields: Any
) -> Customer:
    if "email" in fields:
        fields["email"] = fields["email"].strip()
        changes_address = fields["email"].lower() != customer.email.lower()
        clash = Customer.objects.filter(email__iexact=fields["email"]).exclude(pk=customer.pk)
        if changes_address and clash.exists():
            raise Conflict("Another customer has this e-mail address.", field="email")
    consented = customer.training_consent
    changed = _apply(customer, fields, CUSTOMER_FIELDS)
    with transaction.atomic():
        if changed:
            customer.save(update_fields=[*changed, "updated_at"])
        if products is not None:
            customer.products.set(products)
        if consented and not customer.training_consent:
            # Consent withdrawn: their replies leave the training data now, not at the next snapshot.
            events.publish(
                events.CUSTOMER_CONSENT_WITHDRAWN, events.CustomerConsentWithdrawn(customer_id=customer.pk)
            )
    return customer


def customer_erase(*, customer: Customer) -> Customer:
    """Erase a customer's personal data. Their record keeps its id (tickets refer to it) but loses name,
    e-mail, phone and external id; then the `customer_erased` event lets the apps holding what they wrote
    erase it too (the tickets their messages, the console the prompts that quoted them, the training data
    their examples, with the files of every dataset snapshot that held one). All in one transaction."""
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        customer.name = f"Erased customer {customer.pk}"
        customer.email = f"erased-{customer.pk}@erased.invalid"
        customer.phone = ""
        customer.external_id = ""
        customer.training_consent = False
        customer.save(
            update_fields=["name", "email", "phone", "external_id", "training_consent", "updated_at"]
        )
        events.publish(events.CUSTOMER_ERASED, events.CustomerErased(customer_id=customer.pk))
    return customer


def organization_create(*, name: str, slug: str, plan: Plan | None = None, **fields: Any) -> Organization:
    if Organization.objects.filter(slug=slug).exists():
        raise Conflict("An organization with this slug already exists.", field="slug")
    return Organization.objects.create(name=name, slug=slug, plan=plan, **fields)


def organization_update(*, organization: Organization, **fields: Any) -> Organization:
    if (
        "slug" in fields
        and Organization.objects.filter(slug=fields["slug"]).exclude(pk=organization.pk).exists()
    ):
        raise Conflict("An organization with this slug already exists.", field="slug")
    changed = _apply(organization, fields, ("name", "slug", "domain", "country", "plan"))
    if changed:
        organization.save(update_fields=[*changed, "updated_at"])
    return organization


def product_create(*, code: str, name: str, **fields: Any) -> Product:
    if Product.objects.filter(code=code).exists():
        raise Conflict("A product with this code already exists.", field="code")
    return Product.objects.create(code=code, name=name, **fields)


def product_update(*, product: Product, **fields: Any) -> Product:
    if "code" in fields and Product.objects.filter(code=fields["code"]).exclude(pk=product.pk).exists():
        raise Conflict("A product with this code already exists.", field="code")
    changed = _apply(product, fields, ("code", "name", "description", "is_hardware"))
    if changed:
        product.save(update_fields=[*changed, "updated_at"])
    return product


@transaction.atomic
def incident_create(
    *,
    title: str,
    customer_summary: str,
    products: Iterable[Product],
    status: str = Incident.Status.INVESTIGATING,
    started_at: datetime | None = None,
    message: str = "",
    source: str = "openbook",
    external_id: str = "",
) -> Incident:
    incident = Incident.objects.create(
        title=title,
        customer_summary=customer_summary,
        status=status,
        started_at=started_at or timezone.now(),
        source=source,
        external_id=external_id,
        resolved_at=(started_at or timezone.now()) if status == Incident.Status.RESOLVED else None,
    )
    incident.products.set(products)
    IncidentUpdate.objects.create(
        incident=incident, status=status, message=message or customer_summary, created_at=incident.started_at
    )
    return incident


@transaction.atomic
def incident_update(
    *, incident: Incident, products: Iterable[Product] | None = None, **fields: Any
) -> Incident:
    changed = _apply(incident, fields, ("title", "customer_summary"))
    if changed:
        incident.save(update_fields=[*changed, "updated_at"])
    if products is not None:
        incident.products.set(products)
    return incident


@transaction.atomic
def incident_status_change(
    *, incident: Incident, status: str, message: str, at: datetime | None = None
) -> IncidentUpdate:
    """Append a timeline entry; resolving stamps `resolved_at`, reopening clears it."""
    if status not in Incident.Status.values:
        raise DomainError(f"Unknown incident status {status!r}.", field="status")
    if not message.strip():
        raise DomainError("Say what changed.", field="message")
    at = at or timezone.now()
    if at < incident.started_at:
        raise DomainError("An update cannot precede the incident's start.", field="created_at")
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    incident.status = status
    incident.resolved_at = at if status == Incident.Status.RESOLVED else None
    incident.save(update_fields=["status", "resolved_at", "updated_at"])
    return IncidentUpdate.objects.create(incident=incident, status=status, message=message, created_at=at)
