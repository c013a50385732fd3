"""Who the company serves: organizations, customers, products, plans, subscriptions and incidents."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from support.core.models import ExternallyKeyed, TimeStampedModel, unique_external_id


class Product(TimeStampedModel):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    is_hardware = models.BooleanField(default=False)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Plan(TimeStampedModel):
    """A plan tier. `rank` orders tiers (higher is more)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    rank = models.PositiveSmallIntegerField(default=0)
    max_users = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means unlimited.")
    first_response_hours = models.PositiveSmallIntegerField(default=24)
    monthly_price_eur = models.DecimalField(max_digits=8, decimal_places=2, default=0)

    class Meta:
        ordering = ["rank"]

    def __str__(self) -> str:
        return self.name


class Organization(TimeStampedModel, ExternallyKeyed):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    domain = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2.")
    plan = models.ForeignKey(
        Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="organizations"
    )

    class Meta:
        ordering = ["name"]
        constraints = [unique_external_id("organization_source_external_id_unique")]

    def __str__(self) -> str:
        return self.name


class Customer(TimeStampedModel, ExternallyKeyed):
    class AccountStatus(models.TextChoices):
        ACTIVE = "active", "Active"
        SUSPENDED = "suspended", "Suspended"
        CANCELLED = "cancelled", "Cancelled"

    name = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=40, blank=True)
    language = models.CharField(max_length=12, default="en", help_text="BCP 47 language tag.")
    organization = models.ForeignKey(
        Organization, on_delete=models.SET_NULL, null=True, blank=True, related_name="customers"
    )
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, null=True, blank=True, related_name="customers")
    products = models.ManyToManyField(Product, blank=True, related_name="customers")
    account_status = models.CharField(
        max_length=16, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    training_consent = models.BooleanField(
        default=False, help_text="The customer agreed that their conversations may train our models."
    )

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="customer_email_unique_ci"),
            unique_external_id("customer_source_external_id_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Subscription(TimeStampedModel):
    """A customer's plan over time; the newest active one is the current plan."""

    class Status(models.TextChoices):
        TRIAL = "trial", "Trial"
        ACTIVE = "active", "Active"
        PAST_DUE = "past_due", "Past due"
        SUSPENDED = "suspended", "Suspended"
        CANCELLED = "cancelled", "Cancelled"

    class Interval(models.TextChoices):
        MONTHLY = "monthly", "Monthly"
        ANNUAL = "annual", "Annual"

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="subscriptions")
    plan = models.ForeignKey(Plan, on_delete=models.PROTECT, related_name="subscriptions")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.ACTIVE)
    interval = models.CharField(max_length=10, choices=Interval.choices, default=Interval.MONTHLY)
    seats = models.PositiveIntegerField(default=1)
    started_at = models.DateTimeField(default=timezone.now)
    renews_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"{self.customer_id}: {self.plan_id} ({self.status})"


class Incident(TimeStampedModel, ExternallyKeyed):
    class Status(models.TextChoices):
        INVESTIGATING = "investigating", "Investigating"
        IDENTIFIED = "identified", "Identified"
        MONITORING = "monitoring", "Monitoring"
        RESOLVED = "resolved", "Resolved"

    ACTIVE_STATUSES = (Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING)

    title = models.CharField(max_length=200)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.INVESTIGATING)
    products = models.ManyToManyField(Product, related_name="incidents")
    started_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)
    customer_summary = models.TextField(help_text="What customers are told: plain words, no internal detail.")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            unique_external_id("incident_source_external_id_unique"),
            models.CheckConstraint(
                condition=models.Q(resolved_at__isnull=True)
                | models.Q(resolved_at__gte=models.F("started_at")),
                name="incident_resolved_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES


class IncidentUpdate(models.Model):
    """One entry of an incident's status timeline."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="updates")
    status = models.CharField(max_length=16, choices=Incident.Status.choices)
    message = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.status}: {self.message[:60]}"
