"""Read settings from the environment, failing loudly with the variable's name on a bad value.

Every knob Openbook has goes through one of these helpers, and every call registers the variable in
`KNOWN`, which the README table and `deploy/env.example` are checked against.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import TypeVar
from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

T = TypeVar("T")

KNOWN: dict[str, str] = {}
"""Every environment variable read through these helpers, with its help text."""

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _raw(name: str, help_text: str) -> str | None:
    KNOWN[name] = help_text
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return None
    return value.strip()


def _fail(name: str, value: str, expected: str) -> ImproperlyConfigured:
    return ImproperlyConfigured(f"Environment variable {name}={value!r} is invalid: expected {expected}.")


def env_str(name: str, default: str | None = None, *, help: str = "") -> str | None:
    value = _raw(name, help)
    return default if value is None else value


def env_required(name: str, *, help: str = "") -> str:
    value = _raw(name, help)
    if value is None:
        raise ImproperlyConfigured(f"Environment variable {name} must be set. {help}".strip())
    return value


def env_bool(name: str, default: bool, *, help: str = "") -> bool:
    value = _raw(name, help)
    if value is None:
        return default
    lowered = value.lower()
    if lowered in _TRUE:
        return True
    if lowered in _FALSE:
        return False
    raise _fail(name, value, "one of true/false, yes/no, on/off, 1/0")


def _number(
    name: str,
    default: T,
    cast: Callable[[str], T],
    kind: str,
    help_text: str,
    minimum: float | None,
    maximum: float | None,
) -> T:
    value = _raw(name, help_text)
    if value is None:
        return default
    try:
        number = cast(value)
    except ValueError:
        raise _fail(name, value, kind) from None
    if minimum is not None and number < minimum:  # type: ignore[operator]
        raise _fail(name, value, f"{kind} >= {minimum}")
    if maximum is not None and number > maximum:  # type: ignore[operator]
        raise _fail(name, value, f"{kind} <= {maximum}")
    return number


def env_int(
    name: str, default: int, *, minimum: int | None = None, maximum: int | None = None, help: str = ""
) -> int:
    return _number(name, default, int, "an integer", help, minimum, maximum)


def env_float(
    name: str, default: float, *, minimum: float | None = None, maximum: float | None = None, help: str = ""
) -> float:
    return _number(name, default, float, "a number", help, minimum, maximum)


def env_list(name: str, default: Sequence[str] = (), *, help: str = "") -> list[str]:
    value = _raw(name, help)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


def env_choice(name: str, default: str, choices: Sequence[str], *, help: str = "") -> str:
    value = _raw(name, help)
    if value is None:
        return default
    if value not in choices:
        raise _fail(name, value, "one of " + ", ".join(choices))
    return value


def env_url(name: str, schemes: Sequence[str], *, help: str = "") -> str | None:
    """A URL whose scheme must be one of `schemes`; None when unset."""
    value = _raw(name, help)
    if value is None:
        return None
    parts = urlsplit(value)
    if parts.scheme not in schemes:
        raise _fail(name, value, "a URL starting with " + " or ".join(f"{s}://" for s in schemes))
    return value
