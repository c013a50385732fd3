"""Who may see and change which tickets, customers, organizations and teams: the one rule, applied in SQL.

- **Everything**: administrators, integrations (API keys acting as the integration account), and Openbook
  itself (`SYSTEM`: signed inbound events, code that acts for no user).
- **Their teams**: agents see the tickets of the teams they are members of, the customers with a ticket
  there, and those customers' organizations. They file and move tickets only into their own teams.
- **Nothing**: everyone else (knowledge admins, users without a role), whatever teams they are in.

What was made with someone's rights (a draft, which quotes the documents its requester may read) is shown
only to those whose roles cover the maker's (`made_within_rights`), besides seeing the ticket.

Selectors build on the querysets here; create-or-update paths find existing records only through the
`*_match` functions, which answer a record outside the caller's reach with `InUse` (409 with a fixed
message): it is neither changed nor described, as if it were invisible, except that its key is taken.
"""

from __future__ import annotations

import enum
from typing import Any, Final

from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef, Q, QuerySet

from support.core import roles
from support.core.errors import DomainError, InUse
from support.customers.models import Customer, Organization

from .models import Team, Ticket


class _System:
    """Openbook acting by itself, not for a user: signed inbound events, fixtures."""

    def __repr__(self) -> str:
        return "SYSTEM"


SYSTEM: Final = _System()


class Reach(enum.Enum):
    ALL = "all"
    TEAMS = "teams"
    NONE = "none"


def reach(user: Any) -> Reach:
    """How far the user's rights go (see the module's docstring)."""
    if user is SYSTEM:
        return Reach.ALL
    user_roles = roles.user_roles(user)
    if user_roles & {roles.ADMINISTRATOR, roles.INTEGRATION}:
        return Reach.ALL
    return Reach.TEAMS if roles.AGENT in user_roles else Reach.NONE


# --- what the caller may see -------------------------------------------------------------------------------


def teams_visible(*, user: Any) -> QuerySet[Team]:
    """The teams whose tickets the user sees: every team, their own teams (agents), or none. These are also
    the teams they may file tickets into and move tickets to."""
    rule = reach(user)
    if rule is Reach.ALL:
        return Team.objects.all()
    if rule is Reach.TEAMS:
        return Team.objects.filter(
            pk__in=Team.members.through.objects.filter(user_id=user.pk).values("team_id")
        )
    return Team.objects.none()


def tickets_visible(*, user: Any) -> QuerySet[Ticket]:
    """The tickets the user may see, as a plain queryset (no joins)."""
    rule = reach(user)
    if rule is Reach.ALL:
        return Ticket.objects.all()
    if rule is Reach.TEAMS:
        return Ticket.objects.filter(team__in=Team.objects.filter(members=user))
    return Ticket.objects.none()


def tickets_visible_sql(*, user: Any, alias: str = "t") -> tuple[str, list[Any]]:
    """`tickets_visible` as an SQL condition on the ticket row `alias`, with its parameters, for the hot
    paths that read tickets with plain statements."""
    rule = reach(user)
    if rule is Reach.ALL:
        return "TRUE", []
    if rule is Reach.TEAMS:
        members = Team.members.through._meta.db_table
        condition = f"{alias}.team_id IN (SELECT team_id FROM {members} WHERE user_id = %s)"  # noqa: S608
        return condition, [user.pk]
    return "FALSE", []


def customers_visible(*, user: Any) -> QuerySet[Customer]:
    """The customers the user may see: all, those with a ticket the user sees, or none."""
    rule = reach(user)
    if rule is Reach.ALL:
        return Customer.objects.all()
    if rule is Reach.TEAMS:
        return Customer.objects.filter(Exists(tickets_visible(user=user).filter(customer=OuterRef("pk"))))
    return Customer.objects.none()


def organizations_visible(*, user: Any) -> QuerySet[Organization]:
    """The organizations the user may see: all, or those of the customers they see."""
    if reach(user) is Reach.ALL:
        return Organization.objects.all()
    return Organization.objects.filter(
        Exists(customers_visible(user=user).filter(organization=OuterRef("pk")))
    )


def made_within_rights(*, user: Any, field: str) -> Q:
    """A filter on rows made with the rights of the user in `field` (a draft quotes the documents its
    requester may read): those whose maker holds no role the caller lacks, so that they show the caller
    nothing beyond the caller's own rights. Administrators (and `SYSTEM`) may read every such row."""
    if user is SYSTEM or roles.is_administrator(user):
        return Q()
    lacking = sorted(set(roles.ROLES) - roles.user_roles(user))
    memberships = get_user_model().groups.through  # type: ignore[attr-defined]
    holds_more = memberships.objects.filter(user_id=OuterRef(f"{field}_id"), group__name__in=lacking)
    # A superuser is an administrator without being in the group.
    return Q(**{f"{field}__isnull": False, f"{field}__is_superuser": False}) & ~Q(Exists(holds_more))


# --- what the caller may refer to ---------------------------------------------------------------------------


def customers_fileable(*, user: Any) -> QuerySet[Customer]:
    """The customers the user may file a ticket for: those they see, and new ones (no ticket yet), whom
    nobody sees until a ticket is filed for them."""
    if reach(user) is Reach.ALL:
        return Customer.objects.all()
    has_tickets = Ticket.objects.filter(customer=OuterRef("pk"))
    return Customer.objects.filter(
        Q(Exists(tickets_visible(user=user).filter(customer=OuterRef("pk")))) | ~Exists(has_tickets)
    )


def organizations_assignable(*, user: Any) -> QuerySet[Organization]:
    """The organizations the user may put a customer in: those they see, and new ones (no customer yet)."""
    if reach(user) is Reach.ALL:
        return Organization.objects.all()
    has_customers = Customer.objects.filter(organization=OuterRef("pk"))
    return Organization.objects.filter(
        Q(Exists(customers_visible(user=user).filter(organization=OuterRef("pk")))) | ~Exists(has_customers)
    )


def team_check(*, user: Any, team: Team) -> None:
    """Refuse a team the user may not file tickets into or move tickets to, as if it did not exist."""
    if reach(user) is not Reach.ALL and not teams_visible(user=user).filter(pk=team.pk).exists():
        raise DomainError(f'Invalid pk "{team.pk}" - object does not exist.', field="team")


def customer_check(*, user: Any, customer: Customer) -> None:
    """Refuse a customer the user may not file a ticket for (`customers_fileable`), as if they did not
    exist."""
    if reach(user) is not Reach.ALL and not customers_fileable(user=user).filter(pk=customer.pk).exists():
        raise DomainError(f'Invalid pk "{customer.pk}" - object does not exist.', field="customer")


def team_for_new_ticket(*, user: Any, routed: Team) -> Team:
    """The team of a ticket the user files without naming one, given the team routing picked (`routed`):
    that team when the user may see its tickets, else the first of the user's own teams by name. Someone
    in no team is asked to name one, which they cannot: they file no tickets."""
    rule = reach(user)
    if rule is Reach.ALL:
        return routed
    own = teams_visible(user=user).order_by("name", "id")
    if own.filter(pk=routed.pk).exists():
        return routed
    first = own.first()
    if first is None:
        raise DomainError(
            "You are in no team, so you cannot file tickets; ask to be added to one.", field="team"
        )
    return first


# --- create-or-update lookups -------------------------------------------------------------------------------


def _match(found: QuerySet[Any], visible: QuerySet[Any], user: Any) -> Any:
    """The first row of `found`, checked against `visible` in the same statement: `InUse` when the caller
    may not see it."""
    if reach(user) is Reach.ALL:
        return found.first()
    row = found.annotate(caller_sees=Exists(visible.filter(pk=OuterRef("pk")))).first()
    if row is not None and not row.caller_sees:
        raise InUse()
    return row


def ticket_match(*, user: Any, source: str, external_id: str) -> Ticket | None:
    """The ticket with `source` + `external_id` for a create-or-update by `user`: None when there is none,
    `InUse` when there is one they may not see."""
    if not external_id:
        return None
    found = Ticket.objects.filter(source=source, external_id=external_id)
    return _match(found, tickets_visible(user=user), user)


def customer_match(*, user: Any, source: str, external_id: str, email: str) -> Customer | None:
    """The customer a create-or-update by `user` means: the one with `source` + `external_id`, else the
    one with the e-mail address (in any case). None when there is none; `InUse` when the one found is not
    one they may see."""
    visible = customers_visible(user=user)
    if external_id:
        customer = _match(Customer.objects.filter(source=source, external_id=external_id), visible, user)
        if customer is not None:
            return customer
    if email.strip():
        return _match(Customer.objects.filter(email__iexact=email.strip()), visible, user)
    return None
