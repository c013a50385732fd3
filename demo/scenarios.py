"""Ticket scenarios for the Quillfeather demo company, read from demo/data/scenarios/*.yaml: the raw material
`seed_demo` combines into conversations.

Text may use only the `str.format` placeholders in PLACEHOLDERS. Greetings and sign-offs are added by the
seed; steps are numbered by it.
"""

from __future__ import annotations

import dataclasses
import string
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .datafiles import DATA_DIR, DataFileError, entries, fields, read_yaml

SCENARIOS_DIR = DATA_DIR / "scenarios"
PLACEHOLDERS = frozenset({"first_name", "product", "plan", "order_ref", "invoice_ref", "amount", "date"})


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


_FIELDS = tuple(field.name for field in dataclasses.fields(Scenario))


def _texts(value: Any, *, where: str) -> tuple[str, ...]:
    if not isinstance(value, tuple) or not value or not all(isinstance(t, str) and t for t in value):
        raise DataFileError(f"{where}: not a list of texts")
    for text in value:
        try:
            names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
        except ValueError as error:
            raise DataFileError(f"{where}: {error}: {text!r}") from None
        if names - PLACEHOLDERS:
            raise DataFileError(f"{where}: unknown placeholder {sorted(names - PLACEHOLDERS)[0]!r}: {text!r}")
    return value


def _scenario(entry: Any, *, where: str) -> Scenario:
    values = fields(entry, _FIELDS, where=where)
    if not isinstance(values["key"], str) or not isinstance(values["priority"], str):
        raise DataFileError(f"{where}: key and priority are single words")
    for name in _FIELDS:
        if name == "steps":
            if not isinstance(values[name], tuple) or not values[name]:
                raise DataFileError(f"{where}: steps: not a list of step lists")
            for number, steps in enumerate(values[name], start=1):
                _texts(steps, where=f"{where}: steps[{number}]")
        elif name not in ("key", "priority"):
            _texts(values[name], where=f"{where}: {name}")
    return Scenario(**values)


def load_scenarios(directory: Path) -> tuple[Scenario, ...]:
    """Every scenario of the directory's YAML files, files in name order and each file's in its own: the seed
    draws from this sequence, so its order is part of the demo. A malformed file raises DataFileError."""
    scenarios: list[Scenario] = []
    for path in sorted(directory.glob("*.yaml")):
        for index, entry in enumerate(entries(read_yaml(path), "scenarios", where=path.name)):
            key = entry.get("key") if isinstance(entry, dict) else None
            scenarios.append(_scenario(entry, where=f"{path.name}: scenario {key or index}"))
    keys = [scenario.key for scenario in scenarios]
    if duplicates := sorted({key for key in keys if keys.count(key) > 1}):
        raise DataFileError(f"{directory.name}: scenario keys used twice: {', '.join(duplicates)}")
    if not scenarios:
        raise DataFileError(f"{directory}: no scenarios")
    return tuple(scenarios)


SCENARIOS = load_scenarios(SCENARIOS_DIR)
