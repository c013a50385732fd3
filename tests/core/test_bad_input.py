"""Every endpoint answers bad input with a clear 4xx in the one error shape, never a 500, keeping its data."""

from __future__ import annotations

import json

import pytest
from django.test import override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from support.core import roles
from support.customers.models import Customer
from support.tickets.models import Ticket
from tests import factories

pytestmark = pytest.mark.django_db

LISTS = [
    "/api/v1/tickets",
    "/api/v1/customers",
    "/api/v1/organizations",
    "/api/v1/products",
    "/api/v1/incidents",
    "/api/v1/api-keys",
    "/api/v1/knowledge/documents",
    "/api/v1/knowledge/search",
]
WRITABLE_LISTS = LISTS
DETAILS = [
    "/api/v1/tickets/{}",
    "/api/v1/customers/{}",
    "/api/v1/organizations/{}",
    "/api/v1/products/{}",
    "/api/v1/incidents/{}",
    "/api/v1/api-keys/{}",
    "/api/v1/knowledge/documents/{}",
]
NESTED_POSTS = [
    "/api/v1/tickets/{}/messages",
    "/api/v1/incidents/{}/updates",
    "/api/v1/knowledge/documents/{}/versions",
]
ALL_GETS = [*LISTS, "/api/v1/teams", "/api/v1/plans", "/api/v1/me", "/api/v1/health"]


@pytest.fixture
def world(admin_user):
    team = factories.team()
    team.members.add(admin_user)
    customer = factories.customer(organization=factories.organization())
    ticket = factories.ticket(team=team, customer_=customer)
    incident_product = factories.product()
    from support.customers.services import incident_create

    incident = incident_create(title="Outage", customer_summary="Down", products=[incident_product])
    from knowledge.services import document_create

    document = document_create(title="Refunds", text="# Refunds\n\nWithin 14 days.", embed_async=False)
    return {"ticket": ticket, "customer": customer, "incident": incident, "team": team, "document": document}


def _ids(world):
    return {
        "/api/v1/tickets/{}": world["ticket"].pk,
        "/api/v1/customers/{}": world["customer"].pk,
        "/api/v1/organizations/{}": world["customer"].organization_id,
        "/api/v1/products/{}": world["incident"].products.first().pk,
        "/api/v1/incidents/{}": world["incident"].pk,
        "/api/v1/tickets/{}/messages": world["ticket"].pk,
        "/api/v1/incidents/{}/updates": world["incident"].pk,
        "/api/v1/knowledge/documents/{}": world["document"].pk,
        "/api/v1/knowledge/documents/{}/versions": world["document"].pk,
    }


def _assert_error_shape(response, status):
    assert response.status_code == status, (response.status_code, response.content[:300])
    body = response.json()
    assert isinstance(body["detail"], str)
    assert body["detail"]
    assert isinstance(body["code"], str)
    return body


@pytest.mark.parametrize("path", ALL_GETS)
def test_unauthenticated_get_is_401(api, path):
    body = _assert_error_shape(api.get(path), 401)
    assert body["code"] == "not_authenticated"


@pytest.mark.parametrize("path", WRITABLE_LISTS)
def test_unauthenticated_post_is_401_and_writes_nothing(api, path):
    before = Ticket.objects.count(), Customer.objects.count()
    _assert_error_shape(api.post(path, {"subject": "x"}, format="json"), 401)
    assert (Ticket.objects.count(), Customer.objects.count()) == before


def test_invalid_bearer_key_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer ob_not-a-real-key")
    body = _assert_error_shape(api.get("/api/v1/tickets"), 401)
    assert body["detail"] == "Invalid, expired or revoked API key."


def test_malformed_authorization_header_is_401(api):
    api.credentials(HTTP_AUTHORIZATION="Bearer two parts")
    _assert_error_shape(api.get("/api/v1/tickets"), 401)


@pytest.mark.parametrize("path", WRITABLE_LISTS + NESTED_POSTS)
def test_malformed_json_is_400(admin_api, world, path):
    url = path.format(_ids(world).get(path, 0))
    response = admin_api.post(url, data='{"subject": "unterminated', content_type="application/json")
    body = _assert_error_shape(response, 400)
    assert body["code"] == "parse_error"
    assert body["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("path", WRITABLE_LISTS + NESTED_POSTS)
@pytest.mark.parametrize("payload", [[], "text", 42, None, {"unexpected": {"deep": [1, 2]}}])
def test_wrong_types_are_400_with_field_errors(admin_api, world, path, payload):
    url = path.format(_ids(world).get(path, 0))
    before = Ticket.objects.count()
    response = admin_api.post(url, data=json.dumps(payload), content_type="application/json")
    body = _assert_error_shape(response, 400)
    assert body["errors"]
    assert Ticket.objects.count() == before


@pytest.mark.parametrize("path", DETAILS)
@pytest.mark.parametrize("pk", [999999, 10**30])
def test_unknown_ids_are_404(admin_api, path, pk):
    body = _assert_error_shape(admin_api.get(path.format(pk)), 404)
    assert body["code"] == "not_found"


@pytest.mark.parametrize("path", ["/api/v1/tickets/abc", "/api/v1/nope", "/api/v1/tickets/1/nope"])
def test_unknown_routes_under_api_answer_json_404(admin_api, path):
    _assert_error_shape(admin_api.get(path), 404)


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("customer", 999999),
        ("customer", 10**30),
        ("customer", "abc"),
        ("team", 999999),
        ("assignee", 424242),
        ("products", ["no-such-product"]),
        ("priority", "whenever"),
        ("channel", "pigeon"),
        ("tags", "notalist"),
        ("subject", ""),
        ("subject", "x" * 301),
        ("subject", None),
        ("messages", [{"author_kind": "robot"}]),
        ("messages", [{"author_kind": "customer", "body": "hi", "public": False}]),
    ],
)
def test_ticket_create_reports_the_bad_field(admin_api, world, field, value):
    body = {"subject": "Help", "customer": world["customer"].pk, field: value}
    before = Ticket.objects.count()
    response = admin_api.post("/api/v1/tickets", body, format="json")
    result = _assert_error_shape(response, 400)
    assert any(
        key == field or key.startswith(f"{field}[") or key.startswith(f"{field}.") for key in result["errors"]
    ), result
    assert Ticket.objects.count() == before


def test_nul_bytes_in_body_are_refused(admin_api, world):
    response = admin_api.post(
        "/api/v1/tickets", {"subject": "a\x00b", "customer": world["customer"].pk}, format="json"
    )
    body = _assert_error_shape(response, 400)
    assert "subject" in body["errors"]


@pytest.mark.parametrize("path", ALL_GETS)
def test_nul_bytes_in_query_are_refused(admin_api, path):
    _assert_error_shape(admin_api.get(path + "?search=a%00b"), 400)


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page=999999",
        "page_size=-1",
        "page_size=abc",
        "status=bogus",
        "priority=9",
        "customer=abc",
        f"customer={10**30}",
        "team=1.5",
        f"team={10**30}",
        "assignee=abc",
        "assignee=-1",
        "created_after=yesterday",
        "ordering=-password",
        "ordering=nonexistent",
        "search=" + "x" * 5000,
        "tag=%F0%9F%92%A5",
        "organization=NaN",
    ],
)
def test_junk_query_parameters_never_500(admin_api, world, query):
    response = admin_api.get("/api/v1/tickets?" + query)
    assert response.status_code in (200, 400, 404), (query, response.status_code)
    if response.status_code != 200:
        _assert_error_shape(response, response.status_code)


@pytest.mark.parametrize("size", ["0", "-1", "abc", "null", "1.5"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_refused(admin_api, size):
    body = _assert_error_shape(admin_api.get(f"/api/v1/tickets?page_size={size}"), 400)
    assert body["errors"] == {"page_size": ["Must be a whole number from 1 up."]}


def test_a_page_size_over_the_most_gets_the_most(admin_api, world, monkeypatch):
    from support.core.pagination import PageNumberPagination

    monkeypatch.setattr(PageNumberPagination, "max_page_size", 2)
    for _ in range(3):
        factories.ticket(team=world["team"], customer_=world["customer"])
    response = admin_api.get("/api/v1/tickets?page_size=500")
    assert response.status_code == 200
    assert (response.json()["count"], len(response.json()["results"])) == (4, 2)


def test_an_empty_page_or_page_size_is_the_default(admin_api, world):
    response = admin_api.get("/api/v1/tickets?page=&page_size=")
    assert response.status_code == 200
    assert response.json()["count"] == 1


@pytest.mark.parametrize("value", ["null", "yes", "2"])
def test_a_boolean_filter_that_is_not_true_or_false_is_refused(admin_api, value):
    body = _assert_error_shape(admin_api.get(f"/api/v1/customers?training_consent={value}"), 400)
    assert body["errors"] == {"training_consent": ["Use true or false."]}


def test_a_boolean_filter_filters(admin_api, world):
    factories.customer(training_consent=True)
    consenting = admin_api.get("/api/v1/customers?training_consent=true").json()["results"]
    assert [c["training_consent"] for c in consenting] == [True]
    assert len(admin_api.get("/api/v1/customers?training_consent=").json()["results"]) == 2


@pytest.mark.parametrize("value", [{}, {"cloud": 1}, "cloud"])
def test_a_to_many_relation_takes_a_list_only_and_keeps_what_is_stored(admin_api, world, value):
    product = factories.product(code="cloud")
    world["customer"].products.set([product])
    response = admin_api.patch(
        f"/api/v1/customers/{world['customer'].pk}", {"products": value}, format="json"
    )
    body = _assert_error_shape(response, 400)
    assert list(body["errors"]) == ["products"]
    assert list(world["customer"].products.all()) == [product]


def test_a_csrf_failure_answers_in_the_error_shape():
    from rest_framework.test import APIClient

    client = APIClient(enforce_csrf_checks=True)
    body = _assert_error_shape(
        client.post("/api/v1/auth/session", {"username": "a", "password": "b"}, format="json"), 403
    )
    assert body["code"] == "csrf_failed"


@override_settings(MAX_REQUEST_BYTES=2048)
@pytest.mark.parametrize("path", WRITABLE_LISTS)
def test_oversize_body_is_413(admin_api, path):
    big = json.dumps({"subject": "x" * 4096})
    body = _assert_error_shape(admin_api.post(path, data=big, content_type="application/json"), 413)
    assert body["code"] == "too_large"


@pytest.mark.parametrize("path", ["/api/v1/products", "/api/v1/incidents", "/api/v1/api-keys"])
def test_agents_cannot_write_admin_resources(agent_api, path):
    body = _assert_error_shape(agent_api.post(path, {}, format="json"), 403)
    assert body["code"] == "permission_denied"


def test_key_without_write_scope_cannot_write(world):
    from tests.conftest import key_client

    client = key_client(roles.TICKETS_READ)
    response = client.post(
        "/api/v1/tickets", {"subject": "x", "customer": world["customer"].pk}, format="json"
    )
    body = _assert_error_shape(response, 403)
    assert body["detail"] == "This endpoint needs the 'tickets:write' scope."


def test_duplicate_customer_email_is_409_and_keeps_the_first(admin_api, world):
    email = world["customer"].email.upper()
    response = admin_api.post("/api/v1/customers", {"name": "Copy", "email": email}, format="json")
    body = _assert_error_shape(response, 409)
    assert body["errors"] == {"email": ["A customer with this e-mail address already exists."]}
    world["customer"].refresh_from_db()
    assert world["customer"].name != "Copy"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = [
    "subject",
    "customer",
    "priority",
    "status",
    "name",
    "email",
    "code",
    "slug",
    "body",
    "author_kind",
    "products",
    "tags",
    "team",
    "assignee",
    "scopes",
    "title",
    "customer_summary",
    "messages",
    "plan",
]


@pytest.mark.parametrize("path", WRITABLE_LISTS + NESTED_POSTS + DETAILS)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(payload=st.dictionaries(st.sampled_from(FIELDS), json_values, max_size=6))
def test_fuzzed_bodies_never_500(admin_api, world, path, payload):
    url = path.format(_ids(world).get(path, world["ticket"].pk))
    method = admin_api.patch if path in DETAILS else admin_api.post
    response = method(url, data=json.dumps(payload), content_type="application/json")
    assert response.status_code < 500, (url, payload, response.content[:300])
