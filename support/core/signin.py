"""Limits on password guessing, shared by every way to sign in (the console's session endpoint, the Django
admin's login page, and any other caller of `authenticate`).

Two counts, in the cache (Redis), each in a window that opens with the first attempt it counts (not at a
clock boundary, which would let a guesser spend two windows' worth in two seconds around it), with atomic
increments, so that guesses sent at once cannot all read the same count:

- attempts per client address (`SIGN_IN_ATTEMPTS_PER_MINUTE`), counted by the sign-in views before they
  check anything: one address guessing many passwords;
- failed sign-ins per username (`SIGN_IN_FAILURES_PER_USERNAME_PER_HOUR`), counted from Django's
  `user_login_failed` signal whichever path failed: many addresses guessing one account's password. While a
  username is over its limit, even the right password is refused, so a guess never learns it was right; a
  username that exists is counted exactly like one that does not.

The client address is `REMOTE_ADDR`, which `ClientAddressMiddleware` has set from the trusted proxies.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest

ADDRESS_WINDOW_SECONDS = 60
USERNAME_WINDOW_SECONDS = 3600


@dataclass(frozen=True)
class Refusal:
    """Why a sign-in attempt is refused, and how many seconds until it may be tried again (Retry-After)."""

    message: str
    wait: int


def _slot(kind: str, ident: str, window: int) -> tuple[str, int]:
    """The cache key of `ident`'s count in its window, and the seconds left in that window (the whole
    window when none is open)."""
    # Usernames are whatever a client typed: hashed, a key stays short and free of odd characters.
    digest = hashlib.sha256(ident.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    key = f"sign-in:{kind}:{digest}"
    opened = cache.get(f"{key}:opened")
    left = window if opened is None else window - int(time.time() - float(opened))
    return key, max(1, min(window, left))


def _increment(key: str, window: int) -> int:
    """One more in `key`'s window, opening the window (its count and when it opened, expiring together)
    if none is open. Redis keeps a key's expiry when it is incremented."""
    cache.add(f"{key}:opened", time.time(), timeout=window)
    cache.add(key, 0, timeout=window)
    try:
        return int(cache.incr(key))
    except ValueError:  # the window closed between add and incr: this attempt opens the next one
        cache.set(f"{key}:opened", time.time(), timeout=window)
        cache.set(key, 1, timeout=window)
        return 1


def _username_key(username: str) -> str:
    # One account to a guesser however its letters are cased (usernames are compared exactly elsewhere).
    return username.strip().casefold()


def _username_refusal(username: str) -> Refusal | None:
    key, wait = _slot("username", _username_key(username), USERNAME_WINDOW_SECONDS)
    if int(cache.get(key) or 0) >= settings.SIGN_IN_FAILURES_PER_USERNAME_PER_HOUR:
        return Refusal("Too many failed sign-ins for this username.", wait)
    return None


def _address_refusal(request: HttpRequest, *, count: bool) -> Refusal | None:
    key, wait = _slot("address", str(request.META.get("REMOTE_ADDR", "")), ADDRESS_WINDOW_SECONDS)
    attempts = _increment(key, ADDRESS_WINDOW_SECONDS) if count else int(cache.get(key) or 0)
    if attempts > settings.SIGN_IN_ATTEMPTS_PER_MINUTE:
        return Refusal("Too many sign-in attempts from this address.", wait)
    return None


def sign_in_attempt(request: HttpRequest, username: str) -> Refusal | None:
    """Count one sign-in attempt from the request's client address; a Refusal (to answer 429 with
    Retry-After) when that address or `username` is over its limit, else None: go on and authenticate."""
    return _address_refusal(request, count=True) or _username_refusal(username)


def sign_in_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **_: Any
) -> None:
    """`user_login_failed` receiver: one more failure for the username tried."""
    username = credentials.get("username")
    if isinstance(username, str):
        key, _wait = _slot("username", _username_key(username), USERNAME_WINDOW_SECONDS)
        _increment(key, USERNAME_WINDOW_SECONDS)


class SignInLimitBackend(ModelBackend):
    """Django's ModelBackend that first refuses a username over its failure limit, or an address over its
    attempt limit, whoever calls `authenticate`: a sign-in path that forgot to call `sign_in_attempt` still
    cannot be used to go on guessing."""

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        **kwargs: Any,
    ) -> Any:
        if username is not None and _username_refusal(username) is not None:
            raise PermissionDenied
        if request is not None and _address_refusal(request, count=False) is not None:
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
