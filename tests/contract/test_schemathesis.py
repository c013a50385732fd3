"""The API keeps its published contract: schemathesis generates requests for every operation of the OpenAPI
schema drf-spectacular makes, sends them to the Django app in-process (WSGI, the whole middleware stack, the
real test database and Redis), and checks every answer: no 5xx, a documented status code, content type, body
and headers, schema-violating input refused, authentication enforced (schemathesis' default checks, less
`positive_data_acceptance`: see `_schema`).

Every operation runs three times: as an administrator's API key (every scope, with schemathesis' coverage
phase: each field's boundaries, wrong types, missing values), as a key holding only `tickets:read` (the
403s), and without credentials (the 401s). `pytest tests/contract` runs only this.

How the run keeps its footing:
- Rows exist: a module-wide set of customers, tickets, drafts, documents, training runs, sources... made
  once; each operation's test runs in a savepoint of it, so what one operation's requests change (an erased
  customer, a revoked key) is gone for the next. Path ids, `{source}`, `{number}` and the references in
  bodies (`customer`, `products`...) name those rows most of the time, so requests get past the 404.
- Every request authenticates with a key made for it, so a DELETE of some key, or a key's expiry, never
  locks the run out.
- The signed webhook gets a valid signature (over the exact bytes sent) unless the case varies its headers.
- Two waits are cut short, because no worker generates drafts here (their tasks are queued on commit, and
  the test never commits): `?wait=` is 0 when valid, and a pending draft's event stream ends after a second.
"""

from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import DatabaseError, close_old_connections, transaction
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.renderers import OpenApiJsonRenderer
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.core import NotSet
from schemathesis.core.parameters import ParameterLocation
from schemathesis.generation.meta import TestPhase

from assist import services as console
from assist.models import Suggestion
from assist.views import streams as stream_views
from knowledge import services as knowledge_services
from models_ft import api as models_api
from models_ft.contracts import PromptMessage
from models_ft.models import Adapter, AdapterEvent, DatasetSnapshot, EvaluationMatrix, TrainingRun
from support.core import roles
from support.core.services import api_key_create
from support.customers import services as customers
from support.integrations import outbound
from support.integrations import services as integrations
from support.integrations.models import OutboundDelivery
from support.tickets.services import ticket_update
from support.wsgi import application
from tests import factories

pytestmark = pytest.mark.django_db

EVENTS_PATH = "/api/v1/integrations/{source}/events"
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
SOURCE_SLUG = "desk"
EXTERNAL_ID = "DESK-1"


@dataclass
class World:
    """Rows for the fuzzer to find: each path parameter draws from the ids that exist most of the time."""

    admin: Any
    source_secret: str
    ids: dict[str, list[int]] = field(default_factory=dict)
    refs: dict[str, list[Any]] = field(default_factory=dict)


def _world() -> World:
    admin = factories.user(role=roles.ADMINISTRATOR, username="contract-admin")
    team = factories.team(is_default=True)
    team.members.add(admin)
    agent = factories.user(role=roles.AGENT, teams=(team,))
    for code in ("starter", "growth", "enterprise"):
        factories.plan(code)
    products = [factories.product(code="cloud"), factories.product(code="router", is_hardware=True)]
    organizations = [factories.organization(plan=factories.plan("enterprise")), factories.organization()]
    people = [
        factories.customer(organization=organizations[0], training_consent=True, language="en"),
        factories.customer(organization=organizations[1], plan=factories.plan("starter")),
        factories.customer(),
    ]
    for person in people:
        person.products.set(products[:1])

    factories.indexed_document(
        title="Refunds",
        text="# Refunds\n\nMonthly plans are refundable within 14 days of the charge.",
        meta={"products": ["cloud"]},
    )
    factories.indexed_document(title="Router resets", text="# Resets\n\nHold the button for ten seconds.")
    draft = knowledge_services.document_create(
        title="Shipping", text="# Shipping\n\nParcels leave within a day.", embed_async=False
    )
    knowledge_services.version_create(
        document=draft, text="# Shipping\n\nParcels leave within two days.", embed_async=False
    )

    tickets = []
    for index, person in enumerate(people):
        ticket = factories.ticket(team=team, customer_=person, subject=f"Refund question {index}")
        factories.message(ticket, body="Can I get a refund for my monthly plan? I was charged yesterday.")
        factories.message(ticket, author_kind="agent", body="Let me check.", author_user=agent)
        tickets.append(ticket)
    ticket_update(ticket=tickets[1], status="solved")
    ticket_update(ticket=tickets[2], status="closed")

    ready = console.suggestion_request(ticket=tickets[0], user=admin)
    console.suggestion_generate(suggestion_id=ready.pk)
    failed = Suggestion.objects.create(ticket=tickets[0], status="failed", error="No model answered.")
    pending = console.suggestion_request(ticket=tickets[0], user=admin)

    incidents = [
        customers.incident_create(title="Outage", customer_summary="Cloud is down.", products=products[:1]),
        customers.incident_create(title="Router bug", customer_summary="Resets fail.", products=products[1:]),
    ]
    customers.incident_status_change(incident=incidents[1], status="resolved", message="Fixed.")

    example = models_api.example_record(
        messages=[PromptMessage("user", "Can I get a refund?")],
        draft="You can, within 14 days.",
        sent="You can, within 14 days of the charge.",
        outcome="edited",
        ticket_id=tickets[0].pk,
        customer_id=people[0].pk,
    )
    snapshot = DatasetSnapshot.objects.create(
        content_hash="c" * 64,
        folder="contract",
        train_count=1,
        eval_count=1,
        preference_count=0,
        stats={"examples": 2},
    )
    run = TrainingRun.objects.create(
        snapshot=snapshot, base_model="/models/base", status="succeeded", active=None, losses=[[1, 2.5]]
    )
    adapters = [
        Adapter.objects.create(
            name=f"style-{status}", base_model="/models/base", snapshot=snapshot, folder=status, status=status
        )
        for status in ("active", "candidate")
    ]
    matrix = EvaluationMatrix.objects.create(
        snapshot=snapshot,
        candidate=adapters[1],
        rows=[{"model": "candidate", "retrieval": True, "scores": {"chrf": 0.4}}],
        perplexity={"base": 10.0},
    )
    AdapterEvent.objects.create(action="kept", adapter=adapters[1], reason="Not better.", by="schedule")

    source, secret = integrations.source_create(name="Contract desk", slug=SOURCE_SLUG)
    other_source, _ = integrations.source_create(name="Zendesk", slug="zendesk", kind="zendesk")
    subscription, _ = outbound.subscription_create(
        name="Desk hooks", url="https://hooks.example.com/openbook", events=["ticket.updated"]
    )
    sent = OutboundDelivery.objects.create(
        subscription=subscription,
        event_id="5f0c6d0e-4a9e-4c55-a2b5-1f1d3f0b7d11",
        event_type="ticket.updated",
        payload={"type": "ticket.updated"},
        next_attempt_at=timezone.now(),
        status="dead",
        attempts=3,
    )
    synced = factories.ticket(team=team, customer_=people[0], source=SOURCE_SLUG, external_id=EXTERNAL_ID)
    factories.message(synced, body="Where is my parcel?")
    keys = [api_key_create(name=f"key {i}", scopes=[roles.TICKETS_READ])[0] for i in range(3)]

    refs = {
        "customers": [p.pk for p in people],
        "organizations": [o.pk for o in organizations],
        "teams": [team.pk],
        "users": [admin.pk, agent.pk],
        "snapshots": [snapshot.pk],
        "plan-codes": ["starter", "growth", "enterprise"],
        "product-codes": [p.code for p in products],
        "organization-slugs": [o.slug for o in organizations],
        "usernames": [admin.username],
    }
    return World(
        admin=admin,
        refs=refs,
        source_secret=secret,
        ids={
            "api-keys": [k.pk for k in keys],
            "customers": [p.pk for p in people],
            "organizations": [o.pk for o in organizations],
            "products": [p.pk for p in products],
            "incidents": [i.pk for i in incidents],
            "tickets": [t.pk for t in tickets],
            "documents": list(knowledge_services.Document.objects.values_list("pk", flat=True)),
            "suggestions": [ready.pk, failed.pk, pending.pk],
            "examples": [example],
            "runs": [run.pk],
            "adapters": [a.pk for a in adapters],
            "evaluations": [matrix.pk],
            "sources": [source.pk, other_source.pk],
            "subscriptions": [subscription.pk],
            "outbound-deliveries": [sent.pk],
        },
    )


# Which kind of row each path's `{id}` names.
ID_KINDS = {
    "/api/v1/api-keys/": "api-keys",
    "/api/v1/customers/": "customers",
    "/api/v1/organizations/": "organizations",
    "/api/v1/products/": "products",
    "/api/v1/incidents/": "incidents",
    "/api/v1/tickets/": "tickets",
    "/api/v1/knowledge/documents/": "documents",
    "/api/v1/suggestions/": "suggestions",
    "/api/v1/training/examples/": "examples",
    "/api/v1/training/runs/": "runs",
    "/api/v1/training/adapters/": "adapters",
    "/api/v1/training/evaluations/": "evaluations",
    "/api/v1/integrations/sources/": "sources",
    "/api/v1/integrations/subscriptions/": "subscriptions",
    "/api/v1/integrations/outbound-deliveries/": "outbound-deliveries",
}

# The rows of the running test, for the path parameter hook (the schema is built when tests are collected).
_current: dict[str, World] = {}


@dataclass
class Caller:
    name: str
    scopes: tuple[str, ...]
    max_examples: int
    # The coverage phase tries each field's boundaries and wrong types: worth it once, as the administrator;
    # the other callers are refused before any field is read.
    coverage: bool

    def headers(self, world: World) -> dict[str, str]:
        """A fresh key for every request: whatever the fuzzer revokes, the next request still gets in."""
        if not self.scopes:
            return {}
        _, raw = api_key_create(name=f"contract {self.name}", scopes=self.scopes, user=world.admin)
        return {"Authorization": f"Bearer {raw}"}


ADMINISTRATOR = Caller("administrator", roles.SCOPES, max_examples=25, coverage=True)
TICKETS_READER = Caller("tickets-reader", (roles.TICKETS_READ,), max_examples=6, coverage=False)
ANONYMOUS = Caller("anonymous", (), max_examples=3, coverage=False)


@functools.cache
def _openapi() -> str:
    generated = SchemaGenerator().get_schema(request=None, public=True)
    return OpenApiJsonRenderer().render(generated, renderer_context={}).decode()


def _existing_ids(context: Any, path_parameters: dict[str, Any]) -> Any:
    """Most of the time an `{id}` names a row that exists, so requests reach past the 404."""
    path = context.operation.path
    kind = next((k for prefix, k in ID_KINDS.items() if path.startswith(prefix)), None)
    value = (path_parameters or {}).get("id")
    world = _current.get("world")
    # Only a valid id is replaced (by another valid one): a deliberately invalid one stays as generated.
    if (
        kind is None
        or world is None
        or not isinstance(value, int)
        or isinstance(value, bool)
        or not 1 <= value < 2**31
    ):
        return st.just(path_parameters)
    ids = world.ids[kind]
    return st.sampled_from([*ids, value]).map(lambda pk: {**path_parameters, "id": pk})


def _schema(caller: Caller) -> Any:
    raw = json.loads(_openapi())
    config = schemathesis.Config.from_dict(
        {
            "suppress-health-check": ["too_slow", "filter_too_much", "data_too_large"],
            "generation": {
                "max-examples": caller.max_examples,
                "deterministic": True,
                "database": "none",
                "with-security-parameters": False,
            },
            "phases": {"coverage": {"enabled": caller.coverage}},
            "checks": {
                # Schema-valid is not the same as acceptable: an id that names no row, a status change the
                # workflow forbids, a dataset too small to snapshot. The schema cannot say these, so their
                # 400/409 are answers, not faults. (The opposite check, that schema-violating input is
                # refused, stays on.)
                "positive_data_acceptance": {"enabled": False},
            },
            "operations": [
                {
                    # Unhealthy (no worker consumed a ping in the last minute, as in most test runs) is a
                    # documented 503 with the health report, not a server error.
                    "include-path": "/api/v1/health",
                    "checks": {"not_a_server_error": {"expected-statuses": ["2xx", "4xx", "503"]}},
                }
            ],
            "dictionaries": {
                "numbers": {"values": [1, 2, 3]},
                "sources": {"values": [SOURCE_SLUG, "zendesk"]},
                "external-ids": {"values": [EXTERNAL_ID]},
                "waits": {"values": [0]},
            },
            "parameters": {
                "path.number": {"dictionary": "numbers", "probability": 0.9},
                "path.source": {"dictionary": "sources", "probability": 0.9},
                "path.external_id": {"dictionary": "external-ids", "probability": 0.8},
                # See _no_waiting.
                "query.wait": {"dictionary": "waits", "probability": 1.0},
            },
        }
    )
    loaded = schemathesis.openapi.from_dict(raw, config=config)
    loaded.app = application
    loaded.hook("flatmap_path_parameters")(_existing_ids)
    loaded.hook("map_body")(lambda context, body: _existing_references(body))
    return loaded


@pytest.fixture(scope="module")
def world(django_db_setup: Any, django_db_blocker: Any) -> Iterator[World]:
    """Made once for the module, in a transaction rolled back at its end; each test (one operation) runs in
    a savepoint inside it, so every operation starts from these same rows."""
    with django_db_blocker.unblock(), transaction.atomic():
        _current["world"] = made = _world()
        yield made
        _current.pop("world", None)
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _in_process_requests(monkeypatch: Any) -> Iterator[None]:
    """Requests share the test's connection and transaction, as Django's test client arranges: the handler
    must not close the connection at the end of each request."""
    # A stream of a pending draft (never generated here) would wait for it two minutes.
    monkeypatch.setattr(stream_views, "STREAM_SECONDS", 1)
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def _wire_body(body: Any) -> bytes:
    """The JSON body as sent, so that what is signed is exactly what arrives."""
    if isinstance(body, NotSet):
        return b""
    if isinstance(body, bytes):
        return body
    return json.dumps(body, default=str).encode()


def _signed(case: Any, world: World) -> bytes:
    """The inbound webhook authenticates by signature: sign the generated body with the generic source's
    secret when the case carries valid headers (deliberately invalid or missing ones are sent as
    generated). Returns the body as it is sent."""
    body = _wire_body(case.body)
    if case.meta is None:
        valid = False
    elif case.meta.phase.name == TestPhase.COVERAGE:
        # Coverage cases vary one thing at a time; the headers of the others are placeholders.
        valid = case.meta.phase.data.parameter_location != ParameterLocation.HEADER
    else:
        headers = case.meta.components.get(ParameterLocation.HEADER)
        valid = headers is not None and not headers.mode.is_negative
    if valid and case.headers and "X-Openbook-Signature" in case.headers:
        timestamp = str(int(time.time()))
        case.headers["X-Openbook-Timestamp"] = timestamp
        case.headers["X-Openbook-Signature"] = integrations.signature(
            secret=world.source_secret, timestamp=timestamp, body=body
        )
    return body


# Body fields that name other rows, and the kind of row: integers by id, strings by code, slug or username.
REFERENCES = {
    "customer": "customers",
    "organization": "organizations",
    "team": "teams",
    "assignee": "users",
    "snapshot": "snapshots",
    "plan": "plan-codes",
    "plans": "plan-codes",
    "products": "product-codes",
    "organizations": "organization-slugs",
    "owner": "usernames",
    "user": "usernames",
}


def _existing(value: Any, choices: list[Any]) -> Any:
    """A reference that exists, for four values in five; the fifth stays as generated (an unknown one).
    Only a value of the right kind is replaced, and by one of the same kind, so a deliberately invalid
    value stays invalid and a valid one stays valid."""
    # (Ids are below 2**31; a larger one is a deliberate out-of-range value.)
    in_range = isinstance(value, int) and not isinstance(value, bool) and 1 <= value < 2**31
    if in_range and isinstance(choices[0], int):
        return value if value % 5 == 0 else choices[value % len(choices)]
    if isinstance(value, str) and SLUG.fullmatch(value) and isinstance(choices[0], str):
        return value if len(value) % 5 == 4 else choices[len(value) % len(choices)]
    return value


def _existing_references(body: Any) -> Any:
    world = _current.get("world")
    if world is None or not isinstance(body, dict):
        return body
    found = dict(body)
    for name, kind in REFERENCES.items():
        if name in found:
            value, choices = found[name], world.refs[kind]
            if isinstance(value, list):
                found[name] = [_existing(v, choices) for v in value]
            else:
                found[name] = _existing(value, choices)
    return found


def _no_waiting(case: Any) -> None:
    """A draft asked for here is never generated, so a `wait` within its range (whatever else the case
    gets wrong) would be waited out: it becomes 0, as valid as before."""
    wait = (case.query or {}).get("wait")
    try:
        seconds = float(str(wait))
    except ValueError:
        return
    if 0 < seconds <= 60:
        case.query["wait"] = "0" if isinstance(wait, str) else 0


def _with_existing_rows(case: Any, world: World) -> None:
    """The coverage phase makes its cases without the hooks: point its valid ones at rows that exist too."""
    if case.meta is None or case.meta.phase.name != TestPhase.COVERAGE:
        return
    components = case.meta.components
    if ParameterLocation.PATH in components and not components[ParameterLocation.PATH].mode.is_negative:
        path = case.operation.path
        kind = next((k for prefix, k in ID_KINDS.items() if path.startswith(prefix)), None)
        fixed: dict[str, Any] = {"number": 1, "source": SOURCE_SLUG, "external_id": EXTERNAL_ID}
        if kind is not None:
            fixed["id"] = world.ids[kind][0]
        for name, value in fixed.items():
            if name in case.path_parameters:
                case.path_parameters[name] = value
    if ParameterLocation.BODY in components and isinstance(case.body, dict):
        case.body = _existing_references(case.body)


def _call(case: Any, caller: Caller, world: World) -> None:
    _with_existing_rows(case, world)
    _no_waiting(case)
    headers = caller.headers(world)
    kwargs: dict[str, Any] = {}
    if case.operation.path == EVENTS_PATH:
        kwargs["data"] = _signed(case, world)
    # Each request commits or not on its own in production. Here they share the test's transaction, so one
    # that ended in a database error (answered 4xx) must not leave that transaction aborted for the next.
    savepoint = transaction.savepoint()
    try:
        case.call_and_validate(headers=headers, **kwargs)
    finally:
        try:
            transaction.savepoint_commit(savepoint)
        except DatabaseError:
            transaction.savepoint_rollback(savepoint)


# The generated requests of one operation share its rows (pytest-django's transaction for the test), and
# change them as a client's would.
FIXTURES_ARE_SHARED = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
as_administrator = _schema(ADMINISTRATOR)
as_tickets_reader = _schema(TICKETS_READER)
anonymously = _schema(ANONYMOUS)


@as_administrator.parametrize()
@FIXTURES_ARE_SHARED
def test_as_administrator(case: Any, world: World) -> None:
    _call(case, ADMINISTRATOR, world)


@as_tickets_reader.parametrize()
@FIXTURES_ARE_SHARED
def test_as_tickets_reader(case: Any, world: World) -> None:
    _call(case, TICKETS_READER, world)


@anonymously.parametrize()
@FIXTURES_ARE_SHARED
def test_anonymously(case: Any, world: World) -> None:
    _call(case, ANONYMOUS, world)
