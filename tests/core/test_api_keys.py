from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone
from rest_framework.test import APIClient

from support.core import roles
from support.core.models import ApiKey
from support.core.services import api_key_create
from tests import factories

pytestmark = pytest.mark.django_db


def test_admin_creates_a_key_over_the_api_and_sees_the_secret_once(admin_api):
    response = admin_api.post(
        "/api/v1/api-keys", {"name": "zendesk", "scopes": ["tickets:read"]}, format="json"
    )
    assert response.status_code == 201
    raw = response.json()["key"]
    assert raw.startswith("ob_")
    key = ApiKey.objects.get(pk=response.json()["id"])
    assert raw not in (key.digest, key.prefix)
    assert "key" not in admin_api.get(f"/api/v1/api-keys/{key.pk}").json()
    assert all("key" not in k for k in admin_api.get("/api/v1/api-keys").json()["results"])


def test_key_authenticates_records_last_use_and_stops_working_when_revoked(admin_api, api):
    created = admin_api.post(
        "/api/v1/api-keys", {"name": "t", "scopes": ["tickets:read"]}, format="json"
    ).json()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {created['key']}")
    assert api.get("/api/v1/tickets").status_code == 200
    assert ApiKey.objects.get(pk=created["id"]).last_used_at is not None
    revoked = admin_api.delete(f"/api/v1/api-keys/{created['id']}")
    assert revoked.json()["is_active"] is False
    assert api.get("/api/v1/tickets").status_code == 401


def test_expired_key_is_refused(api):
    key, raw = api_key_create(name="old", scopes=[roles.TICKETS_READ])
    ApiKey.objects.filter(pk=key.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/tickets").status_code == 401


def test_unknown_scope_and_past_expiry_are_field_errors(admin_api):
    bad = admin_api.post(
        "/api/v1/api-keys",
        {"name": "x", "scopes": ["root"], "expires_at": "2001-01-01T00:00:00Z"},
        format="json",
    )
    assert bad.status_code == 400
    assert bad.json()["errors"] == {"scopes[0]": ['"root" is not a valid choice.']}
    past = admin_api.post(
        "/api/v1/api-keys",
        {"name": "x", "scopes": ["tickets:read"], "expires_at": "2001-01-01T00:00:00Z"},
        format="json",
    )
    assert past.json()["errors"] == {"expires_at": ["The expiry must be in the future."]}


def test_scopes_of_a_key_are_its_own_not_its_users(api):
    admin = factories.user(role=roles.ADMINISTRATOR)
    _, raw = api_key_create(name="narrow", scopes=[roles.TICKETS_READ], user=admin)
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert api.get("/api/v1/tickets").status_code == 200
    assert api.get("/api/v1/api-keys").status_code == 403


def test_nobody_grants_a_scope_they_lack():
    agent = factories.user(role=roles.AGENT)
    with pytest.raises(Exception, match="cannot grant"):
        api_key_create(name="x", scopes=[roles.ADMIN], created_by=agent)


def test_create_api_key_command_prints_the_key_once():
    out = StringIO()
    call_command("create_api_key", "crm", "--scopes", "tickets:read,tickets:write", stdout=out)
    lines = out.getvalue().strip().splitlines()
    assert lines[0].startswith("Created API key 'crm'")
    assert lines[-1].startswith("ob_")
    key = ApiKey.objects.get(name="crm")
    assert key.scopes == ["tickets:read", "tickets:write"]
    assert key.user.username == "integration"


def test_create_api_key_command_rejects_bad_scopes_with_a_message():
    with pytest.raises(CommandError, match="Unknown scope"):
        call_command("create_api_key", "crm", "--scopes", "everything")
    assert not ApiKey.objects.exists()


def test_me_reports_roles_scopes_and_teams(agent_api, team):
    me = agent_api.get("/api/v1/me").json()
    assert me["roles"] == ["agent"]
    assert me["scopes"] == ["assist", "knowledge:read", "tickets:read", "tickets:write"]
    assert me["teams"] == [{"id": team.pk, "name": team.name, "slug": team.slug}]


def test_a_key_mints_keys_only_with_scopes_it_holds_itself():
    # Acting as an administrator, whose role holds every scope: the key's own scopes still bound it.
    admin = factories.user(role=roles.ADMINISTRATOR)
    _, raw = api_key_create(name="keys", scopes=[roles.ADMIN, roles.TICKETS_READ], user=admin)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    beyond = client.post(
        "/api/v1/api-keys", {"name": "wide", "scopes": ["tickets:read", "tickets:write"]}, format="json"
    )
    assert beyond.status_code == 400
    assert beyond.json()["errors"] == {
        "scopes": ["You cannot grant scope(s) you do not hold: tickets:write."]
    }
    within = client.post("/api/v1/api-keys", {"name": "narrow", "scopes": ["tickets:read"]}, format="json")
    assert within.status_code == 201
    assert ApiKey.objects.filter(name="wide").count() == 0


def test_a_session_user_mints_keys_with_the_scopes_of_their_roles(admin_api):
    every = admin_api.post("/api/v1/api-keys", {"name": "all", "scopes": list(roles.SCOPES)}, format="json")
    assert every.status_code == 201


def test_a_key_acting_as_an_agent_mints_keys_only_for_that_agent():
    agent = factories.user(role=roles.AGENT)
    _, raw = api_key_create(name="keys", scopes=[roles.ADMIN, roles.TICKETS_READ], user=agent)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    as_integration = client.post("/api/v1/api-keys", {"name": "x", "scopes": ["tickets:read"]}, format="json")
    assert as_integration.status_code == 400
    assert list(as_integration.json()["errors"]) == ["user"]
    as_themselves = client.post(
        "/api/v1/api-keys", {"name": "x", "scopes": ["tickets:read"], "user": agent.username}, format="json"
    )
    assert as_themselves.status_code == 201
    assert as_themselves.json()["user"] == agent.username


def test_a_key_of_the_integration_account_mints_keys_for_that_account():
    _, raw = api_key_create(name="keys", scopes=[roles.ADMIN, roles.TICKETS_READ])
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    made = client.post("/api/v1/api-keys", {"name": "x", "scopes": ["tickets:read"]}, format="json")
    assert made.status_code == 201
    assert made.json()["user"] == "integration"
