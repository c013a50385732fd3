import pytest

from support.core import roles
from support.customers.models import Customer, Incident
from support.customers.services import incident_create
from tests import factories
from tests.conftest import key_client

pytestmark = pytest.mark.django_db


def test_create_customer_returns_it_with_plan_and_products(admin_api):
    factories.plan("enterprise")
    reader = factories.product(code="reader")
    response = admin_api.post(
        "/api/v1/customers",
        {
            "name": "Mia Kowalski",
            "email": "mia@shop.example",
            "plan": "enterprise",
            "products": ["reader"],
            "language": "de",
            "training_consent": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["plan"], body["products"], body["language"], body["training_consent"]) == (
        "enterprise",
        ["reader"],
        "de",
        True,
    )
    assert Customer.objects.get(pk=body["id"]).products.get() == reader


def test_customer_post_with_known_external_id_updates(admin_api):
    payload = {"name": "Ola", "email": "ola@x.example", "source": "zendesk", "external_id": "u-9"}
    first = admin_api.post("/api/v1/customers", payload, format="json")
    second = admin_api.post("/api/v1/customers", {**payload, "name": "Ola Nordmann"}, format="json")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Customer.objects.get().name == "Ola Nordmann"


def test_customer_post_with_an_external_id_and_no_source_is_openbooks_own(admin_api):
    payload = {"name": "Ola", "email": "ola@x.example", "external_id": "u-9"}
    first = admin_api.post("/api/v1/customers", payload, format="json")
    assert first.status_code == 201, first.content
    assert (first.json()["source"], first.json()["external_id"]) == ("openbook", "u-9")
    assert admin_api.post("/api/v1/customers", payload, format="json").status_code == 200


def test_customer_filters_and_search(admin_api):
    enterprise = factories.plan("enterprise")
    big = factories.customer(name="Hana Big", plan=enterprise, language="de")
    factories.customer(name="Sam Small", plan=factories.plan("starter"))
    assert [c["id"] for c in admin_api.get("/api/v1/customers?plan=enterprise").json()["results"]] == [big.pk]
    assert [c["id"] for c in admin_api.get("/api/v1/customers?language=de").json()["results"]] == [big.pk]
    assert [c["id"] for c in admin_api.get("/api/v1/customers?search=hana").json()["results"]] == [big.pk]


def test_patch_customer_validates_language_and_email(admin_api):
    customer = factories.customer()
    bad = admin_api.patch(
        f"/api/v1/customers/{customer.pk}", {"language": "not a tag!", "email": "nope"}, format="json"
    )
    assert bad.status_code == 400
    assert set(bad.json()["errors"]) == {"language", "email"}
    good = admin_api.patch(f"/api/v1/customers/{customer.pk}", {"account_status": "suspended"}, format="json")
    assert good.json()["account_status"] == "suspended"


def test_incident_timeline_and_active_filter(admin_api):
    product = factories.product(code="books")
    active = incident_create(title="Bank feeds late", customer_summary="Delayed", products=[product])
    resolved = incident_create(title="Old outage", customer_summary="Fixed", products=[product])
    admin_api.post(
        f"/api/v1/incidents/{resolved.pk}/updates",
        {"status": "resolved", "message": "All good now."},
        format="json",
    )
    listed = admin_api.get("/api/v1/incidents?active=true").json()["results"]
    assert [i["id"] for i in listed] == [active.pk]
    detail = admin_api.get(f"/api/v1/incidents/{resolved.pk}").json()
    assert [u["status"] for u in detail["updates"]] == ["investigating", "resolved"]
    assert detail["resolved_at"] is not None
    assert Incident.objects.get(pk=resolved.pk).is_active is False


def test_create_incident_requires_products(admin_api):
    response = admin_api.post(
        "/api/v1/incidents", {"title": "x", "customer_summary": "y", "products": []}, format="json"
    )
    assert response.status_code == 400
    assert "products" in response.json()["errors"]


def test_products_are_readable_with_tickets_read_and_writable_only_by_admin(admin_api):
    factories.product(code="pos", name="POS")
    reader = key_client(roles.TICKETS_READ)
    assert [p["code"] for p in reader.get("/api/v1/products").json()["results"]] == ["pos"]
    assert reader.post("/api/v1/products", {"code": "x", "name": "X"}, format="json").status_code == 403
    created = admin_api.post("/api/v1/products", {"code": "new", "name": "New"}, format="json")
    assert created.status_code == 201
    duplicate = admin_api.post("/api/v1/products", {"code": "new", "name": "Again"}, format="json")
    assert duplicate.status_code == 409


def test_organization_create_and_duplicate_slug(admin_api):
    factories.plan("growth")
    ok = admin_api.post(
        "/api/v1/organizations",
        {"name": "Acme", "slug": "acme", "plan": "growth", "country": "DE"},
        format="json",
    )
    assert ok.status_code == 201
    assert ok.json()["plan"] == "growth"
    dup = admin_api.post("/api/v1/organizations", {"name": "Acme 2", "slug": "acme"}, format="json")
    assert dup.status_code == 409
    bad_country = admin_api.post(
        "/api/v1/organizations", {"name": "B", "slug": "b", "country": "Germany"}, format="json"
    )
    assert bad_country.json()["errors"] == {"country": ["Use an ISO 3166-1 alpha-2 code such as DE."]}
