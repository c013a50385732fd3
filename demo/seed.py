"""Load the Quillfeather demo company, deterministically and idempotently.

Every row has a stable key (product code, plan code, organization slug, customer e-mail, ticket
`source="demo"` + external id), so running the seed again creates nothing twice. The content comes from a
seeded random generator, so two databases seeded on the same day are identical; timestamps are relative to
the day of seeding, so the demo always has fresh tickets and SLA deadlines ahead.
"""

from __future__ import annotations

import random
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone

from assist.receivers import query_prepare_queue
from support.core import roles
from support.core.services import roles_ensure
from support.customers.models import (
    Customer,
    Incident,
    IncidentUpdate,
    Organization,
    Plan,
    Product,
    Subscription,
)
from support.tickets.models import Team, Ticket, TicketMessage
from support.tickets.services import sla_due

from . import company
from .documents import demo_documents
from .scenarios import SCENARIOS, Scenario

SOURCE = "demo"
SEED = 20_261_121
CUSTOMER_COUNT = 220
TICKET_COUNT = 640
HISTORY_DAYS = 365

Progress = Callable[[int], None]


@dataclass(frozen=True)
class SeedReport:
    products: int
    organizations: int
    customers: int
    incidents: int
    tickets_created: int
    tickets_total: int
    messages_total: int
    documents: int = 0


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower().replace("'", "")


def demo_anchor() -> datetime:
    """The start of the current hour: the 'now' the demo history is laid out from (nothing lies after it)."""
    return timezone.now().replace(minute=0, second=0, microsecond=0)


def _catalogue() -> tuple[dict[str, Product], dict[str, Plan]]:
    products = {}
    for code, name, hardware, description in company.PRODUCTS:
        products[code], _ = Product.objects.update_or_create(
            code=code, defaults={"name": name, "is_hardware": hardware, "description": description}
        )
    plans = {}
    for code, name, rank, max_users, hours, price in company.PLANS:
        plans[code], _ = Plan.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "rank": rank,
                "max_users": max_users,
                "first_response_hours": hours,
                "monthly_price_eur": Decimal(price),
            },
        )
    return products, plans


def _staff(products: dict[str, Product]) -> tuple[dict[str, Team], dict[str, Any]]:
    roles_ensure()
    teams = {}
    for slug, name, product_codes, is_default in company.TEAMS:
        teams[slug], _ = Team.objects.update_or_create(
            slug=slug, defaults={"name": name, "is_default": is_default}
        )
        teams[slug].products.set([products[c] for c in product_codes])
    user_model = get_user_model()
    users: dict[str, Any] = {}
    for username, first, last, role, team_slugs in company.STAFF:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@quillfeather.example"},
        )
        if created:
            user.set_password(settings.DEMO_PASSWORD)
        user.is_staff = role in (roles.ADMINISTRATOR, roles.KNOWLEDGE_ADMIN)
        user.is_superuser = role == roles.ADMINISTRATOR
        user.save()
        user.groups.add(Group.objects.get(name=role))
        for slug in team_slugs:
            teams[slug].members.add(user)
        users[username] = user
    return teams, users


def _organizations(plans: dict[str, Plan]) -> list[Organization]:
    organizations = []
    for slug, name, domain, country, plan in company.ORGANIZATIONS:
        organization, _ = Organization.objects.update_or_create(
            slug=slug,
            defaults={
                "name": name,
                "domain": domain,
                "country": country,
                "plan": plans[plan],
                "source": SOURCE,
                "external_id": slug,
            },
        )
        organizations.append(organization)
    return organizations


_LANGUAGE_BY_COUNTRY = {"DE": "de", "CH": "de", "FR": "fr", "ES": "es", "NL": "nl"}
_PHONE_PREFIX = {
    "GB": "+44 20 7946 ",
    "IE": "+353 1 555 ",
    "DE": "+49 30 5557 ",
    "CH": "+41 44 555 ",
    "NL": "+31 20 555 ",
    "ES": "+34 91 555 ",
    "FR": "+33 1 5555 ",
}


def _customers(
    rng: random.Random,
    anchor: datetime,
    organizations: list[Organization],
    plans: dict[str, Plan],
    products: dict[str, Product],
) -> list[Customer]:
    software = [c for c, *_ in company.PRODUCTS if c not in ("reader", "terminal")]
    existing = {c.email: c for c in Customer.objects.filter(email__endswith=".example")}
    customers: list[Customer] = []
    new_rows: list[tuple[Customer, list[Product], Subscription]] = []
    for index in range(CUSTOMER_COUNT):
        first = company.FIRST_NAMES[index % len(company.FIRST_NAMES)]
        last = company.LAST_NAMES[(index * 7 + index // len(company.FIRST_NAMES)) % len(company.LAST_NAMES)]
        organization = organizations[index % len(organizations)] if index % 10 < 7 else None
        if organization is not None:
            domain, country, plan = organization.domain, organization.country, organization.plan
        else:
            domain, country = "mail.example", rng.choice(["GB", "IE", "DE", "NL", "FR"])
            plan = plans["growth" if rng.random() < 0.3 else "starter"]
        email = f"{_ascii(first)}.{_ascii(last)}{index}@{domain}"
        owned = rng.sample(software, rng.randint(1, 3))
        if rng.random() < 0.45:
            owned.append(rng.choice(["reader", "terminal"]))
        if rng.random() < 0.25:
            owned.append("payroll")
        status_roll = rng.random()
        account_status = (
            "suspended" if status_roll < 0.04 else "cancelled" if status_roll < 0.07 else "active"
        )
        joined = anchor - timedelta(days=rng.randint(HISTORY_DAYS + 30, HISTORY_DAYS * 4))
        consent = rng.random() < 0.8
        language = _LANGUAGE_BY_COUNTRY.get(country, "en") if rng.random() < 0.5 else "en"
        phone = _PHONE_PREFIX.get(country, "+44 20 7946 ") + f"{index:04d}"[-4:]
        # Draw every random value before the existence check, so a re-run consumes the same stream.
        interval = "annual" if rng.random() < 0.35 else "monthly"
        seats = rng.randint(1, (plan.max_users if plan else None) or 60)
        renews_in, cancelled_ago = rng.randint(1, 30), rng.randint(5, 60)
        if email in existing:
            customers.append(existing[email])
            continue
        customer = Customer(
            name=f"{first} {last}",
            email=email,
            phone=phone,
            language=language,
            organization=organization,
            plan=plan,
            account_status=account_status,
            training_consent=consent,
            source=SOURCE,
            external_id=f"demo-customer-{index:04d}",
            created_at=joined,
        )
        subscription = Subscription(
            plan=plan,
            status={"active": "active", "suspended": "suspended", "cancelled": "cancelled"}[account_status],
            interval=interval,
            seats=seats,
            started_at=joined,
            renews_at=anchor + timedelta(days=renews_in) if account_status == "active" else None,
            cancelled_at=anchor - timedelta(days=cancelled_ago) if account_status == "cancelled" else None,
        )
        new_rows.append((customer, [products[c] for c in dict.fromkeys(owned)], subscription))
        customers.append(customer)
    Customer.objects.bulk_create([row[0] for row in new_rows])
    through = Customer.products.through
    through.objects.bulk_create(
        [through(customer_id=c.pk, product_id=p.pk) for c, owned, _ in new_rows for p in owned]
    )
    subscriptions = []
    for customer, _, subscription in new_rows:
        subscription.customer = customer
        subscriptions.append(subscription)
    Subscription.objects.bulk_create(subscriptions)
    return customers


def _incidents(anchor: datetime, products: dict[str, Product]) -> list[Incident]:
    incidents = []
    for key, title, codes, status, started_days, resolved_days, summary in company.INCIDENTS:
        started = anchor - timedelta(days=started_days, hours=3)
        resolved = anchor - timedelta(days=resolved_days, hours=1) if resolved_days is not None else None
        incident, created = Incident.objects.get_or_create(
            source=SOURCE,
            external_id=key,
            defaults={
                "title": title,
                "status": status,
                "started_at": started,
                "resolved_at": resolved,
                "customer_summary": summary,
            },
        )
        if created:
            incident.products.set([products[c] for c in codes])
            timeline = [
                ("investigating", started, "We are investigating reports of this problem."),
                ("identified", started + timedelta(hours=2), "We found the cause and are working on a fix."),
            ]
            if resolved is not None:
                timeline.append(("resolved", resolved, summary))
            IncidentUpdate.objects.bulk_create(
                [IncidentUpdate(incident=incident, status=s, message=m, created_at=t) for s, t, m in timeline]
            )
        incidents.append(incident)
    return incidents


def _status_for_age(rng: random.Random, age_days: float) -> str:
    roll = rng.random()
    if age_days > 14:
        return "closed" if roll < 0.6 else "solved"
    if age_days > 3:
        for status, cumulative in (("solved", 0.5), ("pending", 0.7), ("open", 0.85), ("on_hold", 0.9)):
            if roll < cumulative:
                return status
        return "closed"
    for status, cumulative in (("new", 0.35), ("open", 0.7), ("pending", 0.9)):
        if roll < cumulative:
            return status
    return "on_hold"


_SIGN_OFFS = ("Kind regards", "Best wishes", "Warm regards")


def _agent_reply(rng: random.Random, scenario: Scenario, values: dict[str, str], agent_name: str) -> str:
    steps = rng.choice(scenario.steps)
    numbered = "\n".join(f"{n}. {step.format(**values)}" for n, step in enumerate(steps, start=1))
    return (
        f"Hi {values['first_name']},\n\n"
        f"{rng.choice(scenario.acknowledgements).format(**values)}\n\n"
        f"{numbered}\n\n"
        f"{rng.choice(scenario.closing).format(**values)}\n\n"
        f"{rng.choice(_SIGN_OFFS)},\n{agent_name}\nQuillfeather Support"
    )


def _second_reply(rng: random.Random, scenario: Scenario, values: dict[str, str], agent_name: str) -> str:
    return (
        f"Hi {values['first_name']},\n\n"
        f"{rng.choice(scenario.second_replies).format(**values)}\n\n"
        f"{rng.choice(_SIGN_OFFS)},\n{agent_name}\nQuillfeather Support"
    )


def _team_for(scenario: Scenario, teams: dict[str, Team], products: dict[str, Product]) -> Team:
    if set(scenario.tags) & company.BILLING_TAGS:
        return teams["billing"]
    for slug, _, codes, _ in company.TEAMS:
        if scenario.products[0] in codes:
            return teams[slug]
    return teams["technical"]


def _tickets(
    rng: random.Random,
    anchor: datetime,
    customers: list[Customer],
    teams: dict[str, Team],
    users: dict[str, Any],
    products: dict[str, Product],
    progress: Progress | None,
) -> int:
    existing = set(Ticket.objects.filter(source=SOURCE).values_list("external_id", flat=True))
    agents_by_team: dict[int, list[Any]] = {
        team.pk: [u for u in users.values() if team.members.filter(pk=u.pk).exists()]  # type: ignore[attr-defined]
        for team in teams.values()
    }
    channels = ["email"] * 6 + ["chat"] * 3 + ["web"] * 2 + ["phone"]
    created = 0
    batch: list[tuple[Ticket, list[TicketMessage], list[Product]]] = []
    for index in range(TICKET_COUNT):
        # Draw every random value whether or not the ticket exists, so one missing ticket re-creates
        # exactly as it was.
        scenario = SCENARIOS[rng.randrange(len(SCENARIOS))]
        customer = customers[rng.randrange(len(customers))]
        age_days = HISTORY_DAYS * (rng.random() ** 1.6)
        opened = anchor - timedelta(days=age_days, minutes=rng.randint(0, 600))
        status = _status_for_age(rng, age_days)
        team = _team_for(scenario, teams, products)
        agent = rng.choice(agents_by_team[team.pk])
        agent_name = f"{agent.first_name} {agent.last_name}"  # type: ignore[attr-defined]
        product = products[scenario.products[0]]
        values = {
            "first_name": customer.name.split(" ")[0],
            "product": product.name,
            "plan": customer.plan.name if customer.plan else "Starter",
            "order_ref": f"QF-{10_000 + rng.randrange(90_000)}",
            "invoice_ref": f"INV-{opened.year}-{rng.randrange(1, 9999):04d}",
            "amount": f"{rng.choice([19, 59, 79, 118, 249, 499, 708])}.00 EUR",
            "date": f"{opened.day} {opened.strftime('%B')}",
        }
        subject = rng.choice(scenario.subjects).format(**values)
        opening = rng.choice(scenario.openings).format(**values)
        first_reply = _agent_reply(rng, scenario, values, agent_name)
        note = rng.choice(scenario.internal_notes).format(**values)
        followup = rng.choice(scenario.followups).format(**values)
        second = _second_reply(rng, scenario, values, agent_name)
        resolution = rng.choice(scenario.resolutions)
        reply_after = timedelta(minutes=rng.randint(12, 60 * 20))
        has_note, has_followup = rng.random() < 0.3, rng.random() < 0.6
        channel = rng.choice(channels)
        external_id = f"demo-{index + 1:04d}"
        if external_id in existing:
            if progress:
                progress(1)
            continue

        t = opened
        messages = [
            TicketMessage(author_kind="customer", author_name=customer.name, body=opening, created_at=t)
        ]
        first_responded = None
        if status != "new":
            t += reply_after
            first_responded = t
            messages.append(
                TicketMessage(author_kind="agent", author_user=agent, body=first_reply, created_at=t)
            )
            if has_note:
                messages.append(
                    TicketMessage(
                        author_kind="agent",
                        author_user=agent,
                        body=note,
                        public=False,
                        created_at=t + timedelta(minutes=2),
                    )
                )
            if has_followup or status == "open":
                t += timedelta(hours=rng.randint(1, 30))
                messages.append(
                    TicketMessage(
                        author_kind="customer", author_name=customer.name, body=followup, created_at=t
                    )
                )
                if status != "open":
                    t += timedelta(minutes=rng.randint(15, 60 * 8))
                    messages.append(
                        TicketMessage(author_kind="agent", author_user=agent, body=second, created_at=t)
                    )
        # A young ticket's conversation may run past the anchor: move it back so nothing is in the future.
        overflow = max(timedelta(0), messages[-1].created_at - anchor)
        if overflow:
            overflow += timedelta(minutes=5)
            for message in messages:
                message.created_at -= overflow
            opened -= overflow
            t -= overflow
            first_responded = first_responded - overflow if first_responded else None
        solved = status in ("solved", "closed")
        ticket = Ticket(
            subject=subject[:300],
            status=status,
            priority=scenario.priority,
            channel=channel,
            customer=customer,
            team=team,
            assignee=None if status == "new" else agent,
            tags=list(scenario.tags),
            sla_due_at=sla_due(customer=customer, priority=scenario.priority, opened_at=opened),
            first_responded_at=first_responded,
            solved_at=t if solved else None,
            resolution=resolution if solved else "",
            source=SOURCE,
            external_id=external_id,
            created_at=opened,
        )
        for ordinal, message in enumerate(messages):
            message.external_id = f"{external_id}-m{ordinal}"
        batch.append((ticket, messages, [products[c] for c in scenario.products]))
        if len(batch) >= 100:
            created += _flush(batch)
            if progress:
                progress(len(batch))
            batch = []
    created += _flush(batch)
    if progress and batch:
        progress(len(batch))
    return created


def _flush(batch: list[tuple[Ticket, list[TicketMessage], list[Product]]]) -> int:
    if not batch:
        return 0
    with transaction.atomic():
        Ticket.objects.bulk_create([t for t, _, _ in batch])
        messages = []
        for ticket, ticket_messages, _ in batch:
            for message in ticket_messages:
                message.ticket = ticket
                messages.append(message)
        TicketMessage.objects.bulk_create(messages)
        through = Ticket.products.through
        through.objects.bulk_create(
            [through(ticket_id=t.pk, product_id=p.pk) for t, _, owned in batch for p in owned]
        )
        # bulk_create skips auto_now; keep updated_at at the last activity, not the seeding moment.
        for ticket, ticket_messages, _ in batch:
            Ticket.objects.filter(pk=ticket.pk).update(updated_at=ticket_messages[-1].created_at)
        # bulk_create sends no signals either: the open tickets' draft queries are queued here, as the
        # customers' messages would have had them queued.
        open_ids = [t.pk for t, _, _ in batch if t.status not in (Ticket.Status.SOLVED, Ticket.Status.CLOSED)]
        transaction.on_commit(lambda: query_prepare_queue(open_ids))
    return len(batch)


def _documents() -> int:
    """The policy library, through the knowledge base's own door; embedding is queued for the workers."""
    from knowledge import api as knowledge

    count = 0
    for doc in demo_documents():
        result = knowledge.document_upsert(
            title=doc.title,
            text=doc.body,
            external_id=doc.slug,
            source=SOURCE,
            metadata={
                "kind": doc.kind,
                "status": "published",
                "audience": doc.audience,
                "language": doc.language,
                "products": list(doc.products),
                "plans": list(doc.plans),
                "organizations": list(doc.organizations),
                "roles": list(doc.roles),
                "valid_from": doc.valid_from,
                "valid_until": doc.valid_until,
                "slug": doc.slug,
            },
        )
        if not result.ok:
            raise RuntimeError(f"demo document {doc.slug}: {result.error}")
        count += 1
    return count


def demo_seed(*, progress: Progress | None = None, anchor: datetime | None = None) -> SeedReport:
    """Load (or complete) the demo company. Safe to run any number of times."""
    rng = random.Random(SEED)
    anchor = anchor or demo_anchor()
    with transaction.atomic():
        products, plans = _catalogue()
        teams, users = _staff(products)
        organizations = _organizations(plans)
        customers = _customers(rng, anchor, organizations, plans, products)
        incidents = _incidents(anchor, products)
    created = _tickets(rng, anchor, customers, teams, users, products, progress)
    documents = _documents()
    return SeedReport(
        products=len(products),
        organizations=len(organizations),
        customers=len(customers),
        incidents=len(incidents),
        tickets_created=created,
        tickets_total=Ticket.objects.filter(source=SOURCE).count(),
        messages_total=TicketMessage.objects.filter(ticket__source=SOURCE).count(),
        documents=documents,
    )
