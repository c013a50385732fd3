"""The fixed parts of the demo company, read from demo/data/company.yaml: products, plans, organizations,
teams, staff, incidents and the names its customers are given."""

from __future__ import annotations

from typing import Any, NamedTuple, TypeVar

from .datafiles import DATA_DIR, DataFileError, entries, fields, read_yaml

COMPANY_FILE = DATA_DIR / "company.yaml"


class DemoProduct(NamedTuple):
    code: str
    name: str
    is_hardware: bool
    description: str


class DemoPlan(NamedTuple):
    code: str
    name: str
    rank: int
    max_users: int | None
    first_response_hours: int
    monthly_price_eur: str


class DemoOrganization(NamedTuple):
    slug: str
    name: str
    domain: str
    country: str
    plan: str


class DemoTeam(NamedTuple):
    slug: str
    name: str
    products: tuple[str, ...]
    is_default: bool


class DemoStaffMember(NamedTuple):
    username: str
    first_name: str
    last_name: str
    role: str
    teams: tuple[str, ...]


class DemoIncident(NamedTuple):
    key: str
    title: str
    products: tuple[str, ...]
    status: str
    started_days_ago: int
    resolved_days_ago: int | None
    summary: str


_Record = TypeVar("_Record", bound=tuple[Any, ...])


def _records(data: dict[str, Any], section: str, record: type[_Record]) -> tuple[_Record, ...]:
    where = COMPANY_FILE.name
    return tuple(
        record(**fields(entry, record._fields, where=f"{where}: {section}[{index}]"))  # type: ignore[attr-defined]
        for index, entry in enumerate(entries(data, section, where=where))
    )


def _names(data: dict[str, Any], section: str) -> tuple[str, ...]:
    names = entries(data, section, where=COMPANY_FILE.name)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise DataFileError(f"{COMPANY_FILE.name}: `{section}` is not a list of names")
    return tuple(names)


_DATA = read_yaml(COMPANY_FILE)

PRODUCTS = _records(_DATA, "products", DemoProduct)
PLANS = _records(_DATA, "plans", DemoPlan)
ORGANIZATIONS = _records(_DATA, "organizations", DemoOrganization)
TEAMS = _records(_DATA, "teams", DemoTeam)
# Tags that send a ticket to the billing team whatever its product.
BILLING_TAGS = frozenset(_names(_DATA, "billing_tags"))
STAFF = _records(_DATA, "staff", DemoStaffMember)
INCIDENTS = _records(_DATA, "incidents", DemoIncident)
FIRST_NAMES = _names(_DATA, "first_names")
LAST_NAMES = _names(_DATA, "last_names")
