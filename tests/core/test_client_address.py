"""The client's address: REMOTE_ADDR unless TRUSTED_PROXY_COUNT proxies stand in front, and then the address
the outermost trusted proxy saw, never one the client wrote into X-Forwarded-For itself."""

from __future__ import annotations

import json

import pytest
from django.test import RequestFactory

from support.core.middleware import client_address
from tests.core.test_observability import json_log  # noqa: F401 - the fixture

PEER = "10.0.0.7"


def _address(xff: str | None, proxies: int, peer: str = PEER) -> str:
    extra = {"REMOTE_ADDR": peer}
    if xff is not None:
        extra["HTTP_X_FORWARDED_FOR"] = xff
    return client_address(RequestFactory().get("/", **extra).META, trusted_proxies=proxies)


@pytest.mark.parametrize(
    ("xff", "proxies", "expected"),
    [
        # No proxy trusted: whatever the client wrote is ignored.
        (None, 0, PEER),
        ("203.0.113.9", 0, PEER),
        ("203.0.113.9, 198.51.100.1", 0, PEER),
        # One proxy: the address it appended, whatever the client put before it.
        ("203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6, 203.0.113.9", 1, "203.0.113.9"),
        ("6.6.6.6,203.0.113.9", 1, "203.0.113.9"),
        # Two proxies: the second from the right (the first proxy's view of the client).
        ("6.6.6.6, 203.0.113.9, 10.1.1.1", 2, "203.0.113.9"),
        ("2001:db8::1, 10.1.1.1", 2, "2001:db8::1"),
        # Fewer entries than proxies: the request did not come through all of them.
        ("203.0.113.9", 2, PEER),
        (None, 1, PEER),
        ("", 1, PEER),
        # Not an address: never a key a client can vary at will.
        ("not-an-address", 1, PEER),
        ("203.0.113.9, unknown", 1, PEER),
    ],
)
def test_the_client_address_is_taken_from_the_trusted_proxies_only(xff, proxies, expected):
    assert _address(xff, proxies) == expected


@pytest.mark.django_db
def test_every_request_sees_the_resolved_address_and_the_access_log_records_it(
    json_log,  # noqa: F811
    agent_api,
    settings,
):
    settings.TRUSTED_PROXY_COUNT = 1
    agent_api.get("/api/v1/me", REMOTE_ADDR=PEER, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    settings.TRUSTED_PROXY_COUNT = 0
    agent_api.get("/api/v1/me", REMOTE_ADDR=PEER, HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    entries = [json.loads(line) for line in json_log.getvalue().splitlines()]
    assert [entry["client"] for entry in entries] == ["203.0.113.9", PEER]
