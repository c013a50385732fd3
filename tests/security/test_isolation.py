"""Isolation between teams, customers and roles, as a property.

A Hypothesis state machine builds random worlds on the real stack (Postgres with pgvector, Redis, the
embedding model in-process): teams, agents in some of them, customers, tickets and messages, policy documents
with random audiences (public, plans, organizations, internal for some roles), drafts. Its rules create and
upsert tickets and customers (by external id and by e-mail), move tickets between teams, grant and revoke
team memberships, publish and archive documents, ask for drafts, and read every endpoint as every kind of
caller (agents' API keys, an integration's key, an administrator's key).

What may be seen is computed here by a small, separate oracle in plain Python from the world's facts (who is
in which team, which team has which ticket, the documents' audiences), never by the product's selectors. The
properties:

- no answer of any endpoint holds an object the caller may not see: lists hold exactly the visible ids,
  details of hidden objects are 404, and no hidden object's unique marker (a ticket's subject, a message, a
  customer's name or phone, an organization's name, a document's title or text) appears anywhere in a body;
- no write changes an object that was hidden from its caller (the hidden rows are compared before and
  after), and a create-or-update that matches one is the fixed 409; every other answer is the one the
  rules give (the team an agent's new ticket goes to, 400 for a team or customer beyond their rights).

Every read and write a step makes is checked as it happens; after every step that changed something, the
lists (tickets, customers, organizations, documents) of the next caller in turn whose lists it may have
changed are read and checked too (all of them after every step would take several times as long).

Size: ISOLATION_EXAMPLES x ISOLATION_STEPS (default 100 x 20, what `make test` runs; a soak runs 500 x 50).
Every run writes var/reports/isolation.json: {"examples", "steps", "failures", "seconds"}. Examples are
derandomized (the same run every time, so a failure repeats) unless ISOLATION_RANDOM=1.
"""

from __future__ import annotations

import inspect
import json
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection, transaction
from django.db.models import Exists, OuterRef
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
    run_state_machine_as_test,
)
from rest_framework.test import APIClient

from assist import precedents
from assist import services as console
from assist.models import Suggestion
from knowledge.models import Document
from support.core import roles
from support.core.services import api_key_create
from support.customers.models import Customer, Organization
from support.tickets.models import Team, Ticket, TicketMessage
from support.tickets.services import MessageInput
from tests import factories

pytestmark = pytest.mark.django_db

EXAMPLES = int(os.environ.get("ISOLATION_EXAMPLES", "100"))
STEPS = int(os.environ.get("ISOLATION_STEPS", "20"))
RANDOM = os.environ.get("ISOLATION_RANDOM") == "1"
REPORT = Path(django_settings.DATA_DIR) / "reports" / "isolation.json"

IN_USE = {"detail": "This external id or e-mail address is already in use.", "code": "conflict"}
AGENTS = ("a0", "a1", "a2")
CALLERS = (*AGENTS, "integration", "admin")
# Which lists of whom the checks after each step read: the agents' record lists (tickets, customers,
# organizations) and everyone's but the administrator's document list (the integration sees every record).
LIST_CHECKS = (*((a, "records") for a in AGENTS), *((c, "documents") for c in (*AGENTS, "integration")))
TEAMS = 3
PLANS = ("starter", "growth", "enterprise")
EXTERNAL_IDS = ("T-1", "T-2", "T-3", "T-4")
CUSTOMER_IDS = ("C-1", "C-2", "C-3")
EMAILS = tuple(f"person{i}@iso.test" for i in range(4))
STAFF_ROLES = (roles.AGENT, roles.KNOWLEDGE_ADMIN, roles.INTEGRATION)
# What the read rule asks: a record's detail or one of its sub-lists, a draft or its stream, a search.
READS = (
    ("tickets", ""),
    ("tickets", "messages"),
    ("tickets", "suggestions"),
    ("tickets", "precedents"),
    ("suggestions", ""),
    ("suggestions", "stream"),
    ("customers", ""),
    ("organizations", ""),
    ("knowledge/documents", ""),
    ("search", ""),
    ("search", "as-customer"),
)
QUERIES = ("refund for my annual plan", "card reader keeps beeping", "cancel my subscription")
DOCUMENTS = (
    (
        "Refunds",
        "Annual plans are refunded pro rata for the unused months. Refunds reach the card in 5 days.",
    ),
    ("Card readers", "A card reader that beeps three times needs a firmware update from the settings page."),
    ("Cancelling", "A subscription can be cancelled at any time; it runs until the end of the period paid."),
    ("Refund exceptions", "Hardware refunds need the device back within 30 days, in its box."),
    ("Enterprise refunds", "Enterprise contracts are refunded by the account manager, never automatically."),
)


def marker(kind: str, n: int) -> str:
    """A token that appears in one object only, and in no other text (fixed width, closed by 'zq')."""
    return f"{kind}{n:04d}zq"


# --- the world the examples share (made once per test run, inside the test's transaction) -------------------


@dataclass
class World:
    teams: list[Team]
    products: list[Any]
    users: dict[str, Any]
    clients: dict[str, APIClient]  # each with the caller's API key
    readers: dict[str, APIClient]  # signed in as the caller's user (no key to look up): the lists' checks
    organizations: list[Organization]
    documents: list[Any]
    doc_markers: dict[int, tuple[str, str]]


def _world() -> World:
    teams = [
        factories.team(name=f"Team {i}", slug=f"iso-team-{i}", is_default=(i == 0)) for i in range(TEAMS)
    ]
    # Product 1 routes to team 1, product 2 to team 2; product 0 to nobody (the default team, 0).
    products = [factories.product(code=f"iso-prod-{i}") for i in range(TEAMS)]
    for i in (1, 2):
        teams[i].products.add(products[i])
    for code in PLANS:
        factories.plan(code)
    users = {name: factories.user(role=roles.AGENT, username=f"iso-{name}") for name in AGENTS}
    users["admin"] = factories.user(role=roles.ADMINISTRATOR, username="iso-admin")
    scopes = {
        **{
            name: (roles.TICKETS_READ, roles.TICKETS_WRITE, roles.ASSIST, roles.KNOWLEDGE_READ)
            for name in AGENTS
        },
        "integration": (roles.TICKETS_READ, roles.TICKETS_WRITE, roles.ASSIST, roles.KNOWLEDGE_READ),
        "admin": tuple(roles.SCOPES),
    }
    clients = {}
    for name in CALLERS:
        key, raw = api_key_create(name=f"iso-{name}", scopes=scopes[name], user=users.get(name))
        users.setdefault(name, key.user)
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        clients[name] = client
    readers = {}
    for name in CALLERS:
        reader = APIClient()
        reader.force_authenticate(users[name])
        readers[name] = reader
    organizations = [
        factories.organization(
            name=f"Org {marker('org', i)}", slug=f"iso-org-{i}", domain=f"{marker('dom', i)}.test"
        )
        for i in range(3)
    ]
    documents, doc_markers = [], {}
    for i, (title, text) in enumerate(DOCUMENTS):
        title_marker, text_marker = marker("dti", i), marker("dtx", i)
        document = factories.indexed_document(
            title=f"{title} {title_marker}", text=f"# {title}\n\n{text} Reference {text_marker}."
        )
        documents.append(document)
        doc_markers[document.pk] = (title_marker, text_marker)
    return World(teams, products, users, clients, readers, organizations, documents, doc_markers)


# --- the oracle: plain Python over the facts ---------------------------------------------------------------


@dataclass
class Doc:
    status: str
    audience: str
    plans: frozenset[str] = frozenset()
    organizations: frozenset[int] = frozenset()
    roles: frozenset[str] = frozenset()


@dataclass
class Draft:
    ticket: int
    requester: str
    documents: frozenset[int]  # what its requester could see for that customer when it was made


@dataclass
class Facts:
    """What the oracle knows: read back from the database after each write (the facts are not in question;
    who may see them is)."""

    members: dict[str, set[int]] = field(default_factory=lambda: {a: set() for a in AGENTS})
    tickets: dict[int, tuple[int, int, str, str]] = field(default_factory=dict)  # team, customer, source, ext
    solved: set[int] = field(default_factory=set)
    customers: dict[int, tuple[int | None, str | None, str, str, str]] = field(default_factory=dict)
    docs: dict[int, Doc] = field(default_factory=dict)
    drafts: dict[int, Draft] = field(default_factory=dict)
    has_customer_message: set[int] = field(default_factory=set)
    # Markers of each object, to look for in answers.
    ticket_markers: dict[int, set[str]] = field(default_factory=dict)
    customer_markers: dict[int, set[str]] = field(default_factory=dict)


class Oracle:
    def __init__(self, world: World, facts: Facts) -> None:
        self.world, self.facts = world, facts
        self.team_ids = [t.pk for t in world.teams]
        self.org_markers = {
            o.pk: {marker("org", i), marker("dom", i)} for i, o in enumerate(world.organizations)
        }

    @staticmethod
    def sees_everything(caller: str) -> bool:
        return caller in ("integration", "admin")

    @staticmethod
    def staff_roles(caller: str) -> frozenset[str]:
        if caller == "admin":
            return frozenset({roles.ADMINISTRATOR})
        if caller == "integration":
            return frozenset({roles.INTEGRATION})
        return frozenset({roles.AGENT})

    def teams(self, caller: str) -> set[int]:
        if self.sees_everything(caller):
            return set(self.team_ids)
        return {self.team_ids[i] for i in self.facts.members[caller]}

    def tickets(self, caller: str) -> set[int]:
        teams = self.teams(caller)
        return {pk for pk, (team, *_) in self.facts.tickets.items() if team in teams}

    def customers(self, caller: str) -> set[int]:
        if self.sees_everything(caller):
            return set(self.facts.customers)
        return {self.facts.tickets[pk][1] for pk in self.tickets(caller)}

    def organizations(self, caller: str) -> set[int]:
        if self.sees_everything(caller):
            return set(self.org_markers)
        return {self.facts.customers[c][0] for c in self.customers(caller)} - {None}  # type: ignore[return-value]

    def fileable(self, caller: str, customer: int) -> bool:
        with_tickets = {c for _, c, _, _ in self.facts.tickets.values()}
        return customer in self.customers(caller) or customer not in with_tickets

    def assignable(self, caller: str, organization: int) -> bool:
        with_customers = {org for org, *_ in self.facts.customers.values()}
        return organization in self.organizations(caller) or organization not in with_customers

    def audience_allows(self, roles_: frozenset[str], doc: Doc, customer: int | None) -> bool:
        if doc.audience == "public":
            return True
        if doc.audience == "internal":
            return roles.ADMINISTRATOR in roles_ or bool(doc.roles & roles_)
        if customer is None:
            return True  # staff without a customer see restricted documents
        organization, plan, *_ = self.facts.customers[customer]
        if doc.audience == "plans":
            return plan in doc.plans
        return organization in doc.organizations

    def documents(self, caller: str, customer: int | None = None) -> set[int]:
        """The documents the caller may read (as `customer`, when given)."""
        staff = self.staff_roles(caller)
        if roles.ADMINISTRATOR in staff and customer is None:
            return set(self.facts.docs)
        return {
            pk
            for pk, doc in self.facts.docs.items()
            if doc.status == "published" and self.audience_allows(staff, doc, customer)
        }

    def drafts(self, caller: str) -> set[int]:
        """Drafts of tickets the caller sees, asked for by someone with no role the caller lacks (a draft
        quotes what its requester may read); administrators read them all."""
        tickets, own = self.tickets(caller), self.staff_roles(caller)
        return {
            pk
            for pk, draft in self.facts.drafts.items()
            if draft.ticket in tickets
            and (roles.ADMINISTRATOR in own or self.staff_roles(draft.requester) <= own)
        }

    def draft_documents(self, caller: str, draft: int) -> set[int]:
        """The documents a draft may show the caller: what its requester could use for that customer when
        it was made, and that the caller's own rights cover."""
        staff = self.staff_roles(caller)
        own = {pk for pk, doc in self.facts.docs.items() if self.audience_allows(staff, doc, None)}
        return set(self.facts.drafts[draft].documents) & own

    def hidden_markers(self, caller: str, *, documents: set[int] | None = None) -> set[str]:
        """Markers of everything the caller may not see; `documents` overrides the readable documents."""
        found: set[str] = set()
        visible_tickets = self.tickets(caller)
        for pk, markers in self.facts.ticket_markers.items():
            if pk not in visible_tickets:
                found |= markers
        visible_customers = self.customers(caller)
        for pk, markers in self.facts.customer_markers.items():
            if pk not in visible_customers:
                found |= markers
        visible_orgs = self.organizations(caller)
        for pk, markers in self.org_markers.items():
            if pk not in visible_orgs:
                found |= markers
        readable = self.documents(caller) if documents is None else documents
        for pk, markers in self.world.doc_markers.items():
            if pk not in readable:
                found |= set(markers)
        return found


# --- the machine --------------------------------------------------------------------------------------------

RUN = {"examples": 0, "steps": 0}
callers = st.sampled_from(CALLERS)
agents = st.sampled_from(AGENTS)
team_indexes = st.integers(0, TEAMS - 1)


def _body(response: Any) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


def _table(model: Any) -> str:
    return str(model._meta.db_table)


def _related(through: Any, key: str, columns: str, order: str = "id") -> str:
    table = _table(through)
    return (
        f"coalesce((SELECT json_agg(json_build_array({columns}) ORDER BY r.{order})::text FROM {table} r "  # noqa: S608
        f"WHERE r.{key} = x.id), '')"
    )


def _rows_sql(kind: str, model: Any, related: list[str]) -> str:
    whole = " || ".join(["row_to_json(x)::text", *related])
    return f"SELECT '{kind}', x.id, {whole} FROM {_table(model)} x WHERE x.id = ANY(%s)"  # noqa: S608


# Every column of the rows, and what hangs off them: a ticket's products, messages and drafts; a customer's
# products; a document's audiences and versions. One statement, so a write costs two reads of it.
SNAPSHOT_SQL = " UNION ALL ".join(
    _rows_sql(kind, model, related)
    for kind, model, related in (
        (
            "ticket",
            Ticket,
            [
                _related(Ticket.products.through, "ticket_id", "r.product_id"),
                _related(TicketMessage, "ticket_id", "r.id, r.body, r.public, r.author_kind"),
                _related(Suggestion, "ticket_id", "r.id, r.status, r.text, r.citations"),
            ],
        ),
        ("customer", Customer, [_related(Customer.products.through, "customer_id", "r.product_id")]),
        ("organization", Organization, []),
        (
            "document",
            Document,
            [
                _related(Document.audience_plans.through, "document_id", "r.plan_id"),
                _related(Document.audience_organizations.through, "document_id", "r.organization_id"),
                _related(Document.versions.rel.related_model, "document_id", "r.id, r.text"),
            ],
        ),
    )
)


def _snapshot(
    *, tickets: set[int], customers: set[int], organizations: set[int], documents: set[int]
) -> dict[Any, str]:
    """Each of these rows, whole, keyed by (kind, id)."""
    with connection.cursor() as cursor:
        cursor.execute(
            SNAPSHOT_SQL, [sorted(tickets), sorted(customers), sorted(organizations), sorted(documents)]
        )
        return {(kind, pk): text for kind, pk, text in cursor.fetchall()}


class Isolation(RuleBasedStateMachine):
    world: World

    def __init__(self) -> None:
        super().__init__()
        RUN["examples"] += 1
        self.savepoint = transaction.savepoint()
        self.facts = Facts()
        self.oracle = Oracle(self.world, self.facts)
        self.counter = 0
        self.set_up = False
        # One more after every step that may have changed records (tickets, customers, organizations, team
        # memberships) or documents; and the version each list was last checked at, for each caller.
        self.versions = {"records": 0, "documents": 0}
        self.checked = dict.fromkeys(LIST_CHECKS, -1)
        self.turn = 0

    def teardown(self) -> None:
        transaction.savepoint_rollback(self.savepoint)

    # --- helpers -------------------------------------------------------------------------------------------

    def next_marker(self, kind: str) -> str:
        self.counter += 1
        return marker(kind, self.counter)

    def client(self, caller: str) -> APIClient:
        return self.world.clients[caller]

    def refresh(self) -> None:
        """Read the facts back: tickets' teams and customers, customers' organizations and plans."""
        self.versions["records"] += 1
        facts = self.facts
        asked = TicketMessage.objects.filter(ticket=OuterRef("pk"), author_kind="customer")
        rows = Ticket.objects.annotate(asked=Exists(asked)).values_list(
            "id", "team_id", "customer_id", "source", "external_id", "status", "asked"
        )
        facts.tickets, facts.solved, facts.has_customer_message = {}, set(), set()
        for pk, team, customer, source, ext, status, has_asked in rows:
            facts.tickets[pk] = (team, customer, source, ext)
            if status in ("solved", "closed"):
                facts.solved.add(pk)
            if has_asked:
                facts.has_customer_message.add(pk)
        facts.customers = {
            pk: (org, plan, email.lower(), source, ext)
            for pk, org, plan, email, source, ext in Customer.objects.values_list(
                "id", "organization_id", "plan__code", "email", "source", "external_id"
            )
        }
        members = Team.members.through.objects.filter(team__in=self.world.teams).values_list(
            "user_id", "team_id"
        )
        by_user = {self.world.users[a].pk: a for a in AGENTS}
        facts.members = {a: set() for a in AGENTS}
        team_index = {pk: i for i, pk in enumerate(self.oracle.team_ids)}
        for user_id, team_id in members:
            if user_id in by_user:
                facts.members[by_user[user_id]].add(team_index[team_id])

    def assert_no_leak(
        self, caller: str, response: Any, *, documents: set[int] | None = None, text: str | None = None
    ) -> str:
        body = _body(response) if text is None else text
        leaked = sorted(m for m in self.oracle.hidden_markers(caller, documents=documents) if m in body)
        assert not leaked, f"{caller} was shown {leaked}: {response.status_code} {body[:800]}"
        return body

    def hidden_snapshot(self, caller: str) -> dict[Any, str]:
        """The rows hidden from `caller` now, as they are."""
        return _snapshot(
            tickets=set(self.facts.tickets) - self.oracle.tickets(caller),
            customers=set(self.facts.customers) - self.oracle.customers(caller),
            organizations={o.pk for o in self.world.organizations} - self.oracle.organizations(caller),
            documents=set(self.facts.docs) - self.oracle.documents(caller),
        )

    def write(self, caller: str, send: Any, *, exempt: frozenset[str] = frozenset()) -> Any:
        """Send a write as `caller`; whatever it answers, what was hidden from them stays as it was, and the
        answer shows nothing hidden from them after it but what it created and what it named that the rules
        let anyone name (`exempt`: a new organization, one without customers)."""
        before = self.hidden_snapshot(caller)
        known = (set(self.facts.tickets), set(self.facts.customers))
        response = send(self.client(caller))
        assert response.status_code < 500, _body(response)[:800]
        self.refresh()
        kinds: dict[str, set[int]] = {
            "tickets": set(),
            "customers": set(),
            "organizations": set(),
            "documents": set(),
        }
        for kind, pk in before:
            kinds[f"{kind}s"].add(pk)
        after = _snapshot(**kinds)
        assert after == before, f"{caller}'s write changed a row hidden from them"
        created_tickets = set(self.facts.tickets) - known[0]
        created_customers = set(self.facts.customers) - known[1]
        hidden = self.oracle.hidden_markers(caller) - exempt
        for pk in created_tickets:
            hidden -= self.facts.ticket_markers.get(pk, set())
        for pk in created_customers:
            hidden -= self.facts.customer_markers.get(pk, set())
        body = _body(response)
        leaked = sorted(m for m in hidden if m in body)
        assert not leaked, f"{caller} was shown {leaked}: {response.status_code} {body[:800]}"
        return response

    # --- the world of one example ---------------------------------------------------------------------------

    @initialize(
        members=st.fixed_dictionaries({a: st.sets(team_indexes) for a in AGENTS}),
        audiences=st.lists(
            st.tuples(
                st.sampled_from(("public", "plans", "organizations", "internal")),
                st.frozensets(st.sampled_from(PLANS), min_size=1),
                st.frozensets(st.integers(0, 2), min_size=1),
                st.frozensets(st.sampled_from(STAFF_ROLES), min_size=1),
                st.sampled_from(("published", "published", "draft", "archived")),
            ),
            min_size=len(DOCUMENTS),
            max_size=len(DOCUMENTS),
        ),
        customers=st.lists(
            st.tuples(st.none() | st.integers(0, 2), st.sampled_from(PLANS)), min_size=2, max_size=4
        ),
        tickets=st.lists(st.tuples(st.integers(0, 3), team_indexes, st.booleans()), min_size=2, max_size=5),
    )
    def setup(
        self,
        members: dict[str, set[int]],
        audiences: list[Any],
        customers: list[tuple[int | None, str]],
        tickets: list[tuple[int, int, bool]],
    ) -> None:
        """Team memberships, the documents' audiences and states, and a few customers with tickets (each
        with a customer's message), as Openbook itself would file them."""
        from knowledge import services as knowledge

        for agent, teams in members.items():
            for i in teams:
                self.world.teams[i].members.add(self.world.users[agent])
        orgs = self.world.organizations
        for document, (audience, plans, org_indexes, staff, status) in zip(
            self.world.documents, audiences, strict=True
        ):
            doc = Doc(status=status, audience=audience)
            changes: dict[str, Any] = {"audience": audience}
            if audience == "plans":
                doc.plans = plans
                changes["audience_plans"] = list(factories.plan(p) for p in plans)
            elif audience == "organizations":
                doc.organizations = frozenset(orgs[i].pk for i in org_indexes)
                changes["audience_organizations"] = [orgs[i] for i in org_indexes]
            elif audience == "internal":
                doc.roles = staff
                changes["audience_roles"] = sorted(staff)
            knowledge.document_update(document=document, **changes)
            knowledge.document_set_status(document=document, status=status)
            self.facts.docs[document.pk] = doc
        made = []
        for i, (org, plan) in enumerate(customers):
            name, phone = self.next_marker("cus"), self.next_marker("tel")
            customer = factories.customer(
                name=f"Customer {name}",
                email=EMAILS[i],
                phone=phone,
                plan=factories.plan(plan),
                organization=orgs[org] if org is not None else None,
            )
            self.facts.customer_markers[customer.pk] = {name, phone}
            made.append(customer)
        for i, (customer, team, external) in enumerate(tickets):
            subject, message = self.next_marker("tkt"), self.next_marker("msg")
            ticket = factories.ticket(
                team=self.world.teams[team],
                customer_=made[customer % len(made)],
                subject=f"Help {subject}",
                messages=[MessageInput("customer", f"Can I get a refund for my annual plan? {message}")],
                **(
                    {"source": "zendesk", "external_id": EXTERNAL_IDS[i % len(EXTERNAL_IDS)]}
                    if external
                    else {}
                ),
            )
            self.facts.ticket_markers.setdefault(ticket.pk, set()).update({subject, message})
        self.refresh()
        self.versions["documents"] += 1

    # --- writes ---------------------------------------------------------------------------------------------

    @rule(
        caller=callers,
        email=st.sampled_from(EMAILS),
        external_id=st.sampled_from(("", *CUSTOMER_IDS)),
        organization=st.none() | st.integers(0, 2),
        plan=st.sampled_from(PLANS),
    )
    def upsert_customer(
        self, caller: str, email: str, external_id: str, organization: int | None, plan: str
    ) -> None:
        name, phone = self.next_marker("cus"), self.next_marker("tel")
        org = self.world.organizations[organization].pk if organization is not None else None
        body: dict[str, Any] = {"name": f"Customer {name}", "email": email, "phone": phone, "plan": plan}
        if org is not None:
            body["organization"] = org
        if external_id:
            body.update(source="zendesk", external_id=external_id)
        # What the oracle expects.
        by_ext = [
            pk for pk, c in self.facts.customers.items() if external_id and c[3:] == ("zendesk", external_id)
        ]
        by_email = [pk for pk, c in self.facts.customers.items() if c[2] == email]
        match = (by_ext or by_email or [None])[0]
        visible = self.oracle.customers(caller)
        refused = org is not None and not self.oracle.assignable(caller, org)
        # A new organization (without customers) may be named by anyone, who then sees its name.
        named = self.oracle.org_markers[org] if org is not None and not refused else set()
        response = self.write(
            caller, lambda c: c.post("/api/v1/customers", body, format="json"), exempt=frozenset(named)
        )
        if refused:
            assert response.status_code == 400, _body(response)
            assert set(response.json()["errors"]) == {"organization"}
        elif match is None:
            assert response.status_code == 201, _body(response)
            self.facts.customer_markers[response.json()["id"]] = {name, phone}
        elif match not in visible:
            assert (response.status_code, response.json()) == (409, IN_USE)
        elif not external_id:
            assert response.status_code == 409, _body(response)
            assert response.json()["detail"] == "A customer with this e-mail address already exists."
        elif by_email and by_email[0] != match:
            assert response.status_code == 409, _body(response)  # the address is another customer's
        else:
            assert response.status_code == 200, _body(response)
            assert response.json()["id"] == match
            self.facts.customer_markers[match] |= {name, phone}

    @rule(
        caller=callers,
        customer=st.integers(0, 50),
        team=st.none() | team_indexes,
        product=st.integers(0, TEAMS - 1),
        external_id=st.sampled_from(("", *EXTERNAL_IDS)),
    )
    def upsert_ticket(
        self, caller: str, customer: int, team: int | None, product: int, external_id: str
    ) -> None:
        if not self.facts.customers:
            return
        customer_pk = sorted(self.facts.customers)[customer % len(self.facts.customers)]
        subject, message = self.next_marker("tkt"), self.next_marker("msg")
        body: dict[str, Any] = {
            "subject": f"Help {subject}",
            "customer": customer_pk,
            "products": [self.world.products[product].code],
            "messages": [{"author_kind": "customer", "body": f"Can I get a refund? {message}"}],
        }
        team_pk = self.oracle.team_ids[team] if team is not None else None
        if team_pk is not None:
            body["team"] = team_pk
        if external_id:
            body.update(source="zendesk", external_id=external_id)
        errors = set()
        if not self.oracle.fileable(caller, customer_pk):
            errors.add("customer")
        if team_pk is not None and team_pk not in self.oracle.teams(caller):
            errors.add("team")
        match = next(
            (pk for pk, t in self.facts.tickets.items() if external_id and t[2:] == ("zendesk", external_id)),
            None,
        )
        visible = self.oracle.tickets(caller)
        own_teams = sorted(
            self.oracle.teams(caller), key=lambda pk: (f"Team {self.oracle.team_ids.index(pk)}", pk)
        )
        routed = self.oracle.team_ids[product]
        response = self.write(caller, lambda c: c.post("/api/v1/tickets", body, format="json"))
        if errors:
            assert response.status_code == 400, _body(response)
            assert set(response.json()["errors"]) == errors
        elif match is not None and match not in visible:
            assert (response.status_code, response.json()) == (409, IN_USE)
        elif match is not None:
            assert response.status_code == 200, _body(response)
            assert response.json()["id"] == match
            self.facts.ticket_markers[match] |= {subject, message}
        elif team_pk is None and not own_teams:
            assert response.status_code == 400, _body(response)
            assert set(response.json()["errors"]) == {"team"}
        else:
            assert response.status_code == 201, _body(response)
            expected = team_pk or (routed if routed in own_teams else own_teams[0])  # the rule for agents
            assert response.json()["team"]["id"] == expected
            self.facts.ticket_markers[response.json()["id"]] = {subject, message}

    @rule(caller=callers, ticket=st.integers(0, 50), team=team_indexes)
    def move_ticket(self, caller: str, ticket: int, team: int) -> None:
        if not self.facts.tickets:
            return
        pk = sorted(self.facts.tickets)[ticket % len(self.facts.tickets)]
        team_pk = self.oracle.team_ids[team]
        visible = pk in self.oracle.tickets(caller)
        allowed = team_pk in self.oracle.teams(caller)
        response = self.write(
            caller, lambda c: c.patch(f"/api/v1/tickets/{pk}", {"team": team_pk}, format="json")
        )
        if not visible:
            assert response.status_code == 404
        elif not allowed:
            assert response.status_code == 400
        else:
            assert response.status_code == 200, _body(response)
            assert self.facts.tickets[pk][0] == team_pk

    @rule(caller=callers, ticket=st.integers(0, 50))
    def add_message(self, caller: str, ticket: int) -> None:
        if not self.facts.tickets:
            return
        pk = sorted(self.facts.tickets)[ticket % len(self.facts.tickets)]
        text = self.next_marker("msg")
        visible = pk in self.oracle.tickets(caller)
        response = self.write(
            caller,
            lambda c: c.post(
                f"/api/v1/tickets/{pk}/messages",
                {"author_kind": "customer", "body": f"Any news? {text}"},
                format="json",
            ),
        )
        assert response.status_code == (201 if visible else 404), _body(response)
        if visible:
            self.facts.ticket_markers[pk].add(text)

    @rule(agent=agents, team=team_indexes)
    def grant(self, agent: str, team: int) -> None:
        self.world.teams[team].members.add(self.world.users[agent])
        self.refresh()

    @rule(agent=agents, team=team_indexes)
    def revoke(self, agent: str, team: int) -> None:
        self.world.teams[team].members.remove(self.world.users[agent])
        self.refresh()

    @rule(document=st.integers(0, len(DOCUMENTS) - 1), status=st.sampled_from(("published", "archived")))
    def publish_or_archive(self, document: int, status: str) -> None:
        pk = self.world.documents[document].pk
        response = self.client("admin").patch(
            f"/api/v1/knowledge/documents/{pk}", {"status": status}, format="json"
        )
        assert response.status_code == 200, _body(response)
        self.facts.docs[pk].status = status
        self.versions["documents"] += 1

    @rule(ticket=st.integers(0, 50))
    def solve(self, ticket: int) -> None:
        if not self.facts.tickets:
            return
        pk = sorted(self.facts.tickets)[ticket % len(self.facts.tickets)]
        if pk in self.facts.solved:
            return
        response = self.client("admin").patch(f"/api/v1/tickets/{pk}", {"status": "solved"}, format="json")
        assert response.status_code == 200, _body(response)
        precedents.precedents_embed()
        self.refresh()

    @rule(caller=callers, ticket=st.integers(0, 50), by_external_id=st.booleans())
    def draft(self, caller: str, ticket: int, by_external_id: bool) -> None:
        if not self.facts.tickets:
            return
        pk = sorted(self.facts.tickets)[ticket % len(self.facts.tickets)]
        _, customer, source, external_id = self.facts.tickets[pk]
        visible = pk in self.oracle.tickets(caller)
        if by_external_id and external_id:
            url = f"/api/v1/integrations/{source}/tickets/{external_id}/drafts"
        else:
            url = f"/api/v1/tickets/{pk}/suggestions"
        allowed = self.oracle.documents(caller, customer)
        response = self.write(caller, lambda c: c.post(url))
        if not visible:
            assert response.status_code == 404, _body(response)
            return
        if pk not in self.facts.has_customer_message:
            assert response.status_code == 400, _body(response)
            return
        assert response.status_code == 202, _body(response)
        draft = response.json()["id"]
        console.suggestion_generate(suggestion_id=draft)
        self.facts.drafts[draft] = Draft(ticket=pk, requester=caller, documents=frozenset(allowed))
        cited = Suggestion.objects.get(pk=draft)
        used = {p["document_id"] for p in cited.passages} | {c["document_id"] for c in cited.citations}
        assert used <= allowed, (
            f"a draft for {caller} used documents {sorted(used - allowed)} outside their rights"
        )

    # --- reads ----------------------------------------------------------------------------------------------

    @rule(caller=callers, endpoint=st.sampled_from(READS), index=st.integers(0, 50))
    def read(self, caller: str, endpoint: tuple[str, str], index: int) -> None:
        """One answer of one endpoint: 200 with nothing hidden in it, or 404 for what is hidden."""
        kind, path = endpoint
        if kind == "search":
            self.search(caller, index, as_customer=bool(path))
            return
        pool = {
            "tickets": sorted(self.facts.tickets),
            "suggestions": sorted(self.facts.drafts),
            "customers": sorted(self.facts.customers),
            "organizations": [o.pk for o in self.world.organizations],
            "knowledge/documents": [d.pk for d in self.world.documents],
        }[kind]
        if not pool:
            return
        pk = pool[index % len(pool)]
        visible = pk in {
            "tickets": self.oracle.tickets,
            "suggestions": self.oracle.drafts,
            "customers": self.oracle.customers,
            "organizations": self.oracle.organizations,
            "knowledge/documents": self.oracle.documents,
        }[kind](caller)
        response = self.client(caller).get(f"/api/v1/{kind}/{pk}" + (f"/{path}" if path else ""))
        assert response.status_code == (200 if visible else 404), (endpoint, _body(response))
        readable = self.oracle.draft_documents(caller, pk) if kind == "suggestions" and visible else None
        body = self.assert_no_leak(caller, response, documents=readable)
        if path == "suggestions" and visible:
            shown = {d["id"] for d in json.loads(body)["results"]}
            assert shown == {d for d in self.oracle.drafts(caller) if self.facts.drafts[d].ticket == pk}
        if path == "precedents" and visible:
            shown = {p["id"] for p in json.loads(body)["results"]}
            assert shown <= (self.oracle.tickets(caller) & self.facts.solved) - {pk}

    def search(self, caller: str, index: int, *, as_customer: bool) -> None:
        body: dict[str, Any] = {"query": QUERIES[index % len(QUERIES)], "k": 10}
        customer = None
        if as_customer and self.facts.customers:
            customer = sorted(self.facts.customers)[index % len(self.facts.customers)]
            body["customer"] = customer
        response = self.client(caller).post("/api/v1/knowledge/search", body, format="json")
        if customer is not None and customer not in self.oracle.customers(caller):
            assert response.status_code == 400, _body(response)
            self.assert_no_leak(caller, response)
            return
        assert response.status_code == 200, _body(response)
        allowed = self.oracle.documents(caller, customer)
        shown = {r["document_id"] for r in response.json()["results"]}
        assert shown <= allowed, f"search as {caller} showed documents {sorted(shown - allowed)}"
        self.assert_no_leak(caller, response, documents=allowed)

    # --- after every step -----------------------------------------------------------------------------------

    @invariant()
    def lists_hold_exactly_what_the_caller_may_see(self) -> None:
        """After every step that changed something: the lists of the next caller (in turn) that were not
        checked since, hold exactly the objects the oracle lets them see, and no marker of another."""
        if self.set_up:
            RUN["steps"] += 1  # a step (the first check follows the setup, which is not one)
        self.set_up = True
        due = [i for i, check in enumerate(LIST_CHECKS) if self.checked[check] < self.versions[check[1]]]
        if not due:
            return
        index = min(due, key=lambda i: (i - self.turn) % len(LIST_CHECKS))
        self.turn = index + 1
        caller, kind = LIST_CHECKS[index]
        self.checked[LIST_CHECKS[index]] = self.versions[kind]
        lists = {
            "records": (
                ("/api/v1/tickets", self.oracle.tickets(caller)),
                ("/api/v1/customers", self.oracle.customers(caller)),
                ("/api/v1/organizations", self.oracle.organizations(caller)),
            ),
            "documents": (("/api/v1/knowledge/documents", self.oracle.documents(caller)),),
        }
        for path, expected in lists[kind]:
            response = self.world.readers[caller].get(f"{path}?page_size=200")
            assert response.status_code == 200, _body(response)
            shown = {row["id"] for row in response.json()["results"]}
            assert shown == expected, f"{path} as {caller}: shown {sorted(shown)}, may see {sorted(expected)}"
            self.assert_no_leak(caller, response)


# Every example runs all its steps: left alone, Hypothesis also tries some that stop right after the setup.
# (A private argument of Hypothesis, for fuzzers; without it the report still counts the steps that ran.)
FULL_LENGTH = (
    {"_min_steps": STEPS} if "_min_steps" in inspect.signature(run_state_machine_as_test).parameters else {}
)


def test_no_caller_ever_sees_or_changes_what_their_rights_hide() -> None:
    import torch

    # Searches, drafts and precedents embed short queries in this process: one thread does that fastest on
    # cores other processes share (torch's default, a thread per core, waits on them at every layer).
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    Isolation.world = _world()
    RUN.update(examples=0, steps=0)
    started = time.monotonic()
    failures = 0
    try:
        run_state_machine_as_test(
            Isolation,
            settings=settings(
                max_examples=EXAMPLES,
                stateful_step_count=STEPS + 1,  # Hypothesis counts the setup as a step
                deadline=None,
                derandomize=not RANDOM,
                database=None,
                suppress_health_check=[
                    HealthCheck.too_slow,
                    HealthCheck.data_too_large,
                    HealthCheck.filter_too_much,
                ],
            ),
            **FULL_LENGTH,
        )
    except BaseException:
        failures = 1
        raise
    finally:
        torch.set_num_threads(threads)
        REPORT.parent.mkdir(parents=True, exist_ok=True)
        REPORT.write_text(
            json.dumps(
                {
                    "examples": RUN["examples"],
                    "steps": RUN["steps"],
                    "failures": failures,
                    "seconds": round(time.monotonic() - started, 1),
                }
            )
            + "\n"
        )
        print(f"isolation: {RUN['examples']} examples, {RUN['steps']} steps, {failures} failures")  # noqa: T201
