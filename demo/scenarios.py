"""Ticket scenarios for the Quillfeather demo company: the raw material `seed_demo` combines into conversations.

Text may use only these `str.format` placeholders: {first_name}, {product}, {plan}, {order_ref},
{invoice_ref}, {amount}, {date}. Greetings and sign-offs are added by the seed; steps are numbered by it.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass


@dataclass(frozen=True)
class Scenario:
    """One kind of support request and how the house style answers it."""

    key: str
    products: tuple[str, ...]
    tags: tuple[str, ...]
    priority: str
    subjects: tuple[str, ...]
    openings: tuple[str, ...]
    acknowledgements: tuple[str, ...]
    steps: tuple[tuple[str, ...], ...]
    closing: tuple[str, ...]
    followups: tuple[str, ...]
    second_replies: tuple[str, ...]
    internal_notes: tuple[str, ...]
    resolutions: tuple[str, ...]


@functools.cache
def _all() -> tuple[Scenario, ...]:
    from .scenarios_account import SCENARIOS as account
    from .scenarios_hardware import SCENARIOS as hardware
    from .scenarios_software import SCENARIOS as software

    return (*account, *hardware, *software)


def __getattr__(name: str) -> tuple[Scenario, ...]:
    # SCENARIOS is assembled on first use: the scenario modules import `Scenario` from here, so loading them
    # while this module initialises would be circular.
    if name == "SCENARIOS":
        return _all()
    raise AttributeError(name)
