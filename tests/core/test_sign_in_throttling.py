"""Password guessing is slowed down on every way to sign in: the console's session endpoint and the Django
admin's login, per client address (whatever X-Forwarded-For says) and per username (a guess at one account
from many addresses)."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from support.core import roles
from tests import factories

pytestmark = pytest.mark.django_db

SESSION = "/api/v1/auth/session"
ADMIN_LOGIN = "/admin/login/"
PASSWORD = "pw-for-tests-only"
WRONG = "not-the-password"


@pytest.fixture
def limits(settings):
    settings.SIGN_IN_ATTEMPTS_PER_MINUTE = 3
    settings.SIGN_IN_FAILURES_PER_USERNAME_PER_HOUR = 4
    settings.TRUSTED_PROXY_COUNT = 0
    return settings


def _address() -> str:
    """An address of its own for each test, so no other test's attempts count."""
    number = uuid.uuid4().int
    return f"198.{number % 250}.{number // 250 % 250}.{number // 62500 % 250}"


def _name() -> str:
    """A username of its own: failures count per username across tests."""
    return f"nobody-{uuid.uuid4().hex[:12]}"


def _console(client: APIClient, username: str, password: str = WRONG, **extra: str):
    return client.post(SESSION, {"username": username, "password": password}, format="json", **extra)


def _admin(client, username: str, password: str = WRONG, **extra: str):
    return client.post(ADMIN_LOGIN, {"username": username, "password": password}, **extra)


def test_console_sign_in_is_limited_per_address_with_retry_after(limits):
    client = APIClient(REMOTE_ADDR=_address())
    answers = [_console(client, _name()).status_code for i in range(4)]
    assert answers == [400, 400, 400, 429]
    refused = _console(client, _name())
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    body = refused.json()
    assert body["code"] == "throttled"
    assert body["detail"].startswith("Too many sign-in attempts from this address.")
    # Reading the session is not an attempt.
    assert client.get(SESSION).status_code == 200


def test_a_forged_x_forwarded_for_does_not_escape_the_limit(limits):
    client = APIClient(REMOTE_ADDR=_address())
    answers = [_console(client, _name(), HTTP_X_FORWARDED_FOR=f"203.0.113.{i}").status_code for i in range(4)]
    assert answers == [400, 400, 400, 429]


def test_behind_a_trusted_proxy_each_client_address_has_its_own_limit(limits):
    limits.TRUSTED_PROXY_COUNT = 1
    proxy = APIClient(REMOTE_ADDR="10.0.0.1")
    first, second = _address(), _address()
    answers = [
        _console(proxy, _name(), HTTP_X_FORWARDED_FOR=f"6.6.6.{i}, {first}").status_code for i in range(4)
    ]
    assert answers == [400, 400, 400, 429]
    assert _console(proxy, _name(), HTTP_X_FORWARDED_FOR=second).status_code == 400


def test_failed_sign_ins_to_one_username_from_many_addresses_lock_it_for_a_while(limits):
    user = factories.user(role=roles.AGENT)
    answers = [_console(APIClient(REMOTE_ADDR=_address()), user.username).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 429]
    # The right password is refused too while the username is locked (a guess must not learn it was right).
    refused = _console(APIClient(REMOTE_ADDR=_address()), user.username, PASSWORD)
    assert refused.status_code == 429
    assert 3600 - 60 < int(refused["Retry-After"]) <= 3600
    assert refused.json()["detail"].startswith("Too many failed sign-ins for this username.")
    # The same letters in another case are the same account to a guesser.
    assert _console(APIClient(REMOTE_ADDR=_address()), user.username.upper()).status_code == 429
    # Another account is not affected, and signing in works.
    other = factories.user(role=roles.AGENT)
    assert _console(APIClient(REMOTE_ADDR=_address()), other.username, PASSWORD).status_code == 200


def test_a_successful_sign_in_is_not_a_failure(limits):
    user = factories.user(role=roles.AGENT)
    for _ in range(6):
        assert _console(APIClient(REMOTE_ADDR=_address()), user.username, PASSWORD).status_code == 200


def test_the_admin_login_is_limited_per_address(limits, client):
    address = _address()
    answers = [_admin(client, _name(), REMOTE_ADDR=address).status_code for i in range(4)]
    assert answers == [200, 200, 200, 429]  # 200: the form again, with its error
    refused = _admin(client, _name(), REMOTE_ADDR=address)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert b"Too many sign-in attempts" in refused.content
    # Showing the form is not an attempt.
    assert client.get(ADMIN_LOGIN, REMOTE_ADDR=address).status_code == 200


def test_the_admin_login_and_the_console_share_the_username_lock(limits, client):
    admin = factories.user(role=roles.ADMINISTRATOR, is_staff=True)
    for _ in range(2):
        assert _admin(client, admin.username, REMOTE_ADDR=_address()).status_code == 200
    for _ in range(2):
        assert _console(APIClient(REMOTE_ADDR=_address()), admin.username).status_code == 400
    refused = _admin(client, admin.username, PASSWORD, REMOTE_ADDR=_address())
    assert refused.status_code == 429
    assert "_auth_user_id" not in client.session


def test_the_admin_login_still_signs_in(limits, client):
    admin = factories.user(role=roles.ADMINISTRATOR, is_staff=True)
    response = _admin(client, admin.username, PASSWORD, REMOTE_ADDR=_address())
    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_a_locked_username_cannot_be_checked_by_any_other_way_to_authenticate(limits):
    from django.contrib.auth import authenticate
    from django.test import RequestFactory

    user = factories.user(role=roles.AGENT)
    for _ in range(4):
        _console(APIClient(REMOTE_ADDR=_address()), user.username)
    request = RequestFactory().post("/elsewhere", REMOTE_ADDR=_address())
    assert authenticate(request, username=user.username, password=PASSWORD) is None


def test_a_username_lockout_lasts_its_window_whatever_the_clock_says(limits, monkeypatch):
    """The window opens with the first failure: failures just before a clock hour's end do not expire
    seconds later (a guesser could otherwise spend two windows' worth around the boundary)."""
    import time as real_time

    from support.core import signin

    user = factories.user(role=roles.AGENT)
    start = (real_time.time() // 3600 + 1) * 3600 - 2  # two seconds before a clock hour ends
    monkeypatch.setattr(signin.time, "time", lambda: start)
    answers = [_console(APIClient(REMOTE_ADDR=_address()), user.username).status_code for _ in range(5)]
    assert answers == [400, 400, 400, 400, 429]
    monkeypatch.setattr(signin.time, "time", lambda: start + 10)
    refused = _console(APIClient(REMOTE_ADDR=_address()), user.username, PASSWORD)
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) == 3600 - 10
