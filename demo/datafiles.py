"""Reading the demo company's data files (demo/data/): YAML records checked against the fields they fill."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"

# libyaml's loader when PyYAML was built with it: the scenario files are a few thousand lines.
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class DataFileError(ValueError):
    """A data file the demo cannot load; the message names the file and the record."""


def read_yaml(path: Path) -> dict[str, Any]:
    """The file's top-level mapping; unreadable YAML or any other top level raises DataFileError."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader)  # noqa: S506 (a safe loader)
    except yaml.YAMLError as error:
        raise DataFileError(f"{path.name}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise DataFileError(f"{path.name}: the top level is not a mapping")
    return data


def entries(data: dict[str, Any], section: str, *, where: str) -> list[Any]:
    """The list under `section`; a missing section or anything but a list raises DataFileError."""
    value = data.get(section)
    if not isinstance(value, list):
        raise DataFileError(f"{where}: `{section}` is not a list")
    return value


def fields(entry: Any, names: tuple[str, ...], *, where: str) -> dict[str, Any]:
    """The entry's values for exactly these names, lists made tuples (the demo's values are immutable);
    a missing or unknown key raises DataFileError."""
    if not isinstance(entry, dict):
        raise DataFileError(f"{where}: not a mapping")
    missing = [name for name in names if name not in entry]
    unknown = [key for key in entry if key not in names]
    if missing or unknown:
        problems = [f"lacks {', '.join(missing)}"] if missing else []
        problems += [f"has unknown {', '.join(map(str, unknown))}"] if unknown else []
        raise DataFileError(f"{where}: {'; '.join(problems)}")
    return {name: _frozen(entry[name]) for name in names}


def _frozen(value: Any) -> Any:
    if isinstance(value, list):
        return tuple(_frozen(item) for item in value)
    return value
