import pytest
from django.db import connection

from support.tickets.selectors import ticket_scope_for_user, ticket_visible_sql
from tests import factories

pytestmark = pytest.mark.django_db


def _visible_by_sql(user):
    condition, params = ticket_visible_sql(user=user)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT t.id FROM tickets_ticket t WHERE {condition}", params)  # noqa: S608
        return {row[0] for row in cursor.fetchall()}


def test_the_sql_rights_condition_sees_what_the_queryset_sees():
    red, blue, grey = factories.team(), factories.team(), factories.team()
    for team in (red, red, blue, grey, None):
        factories.ticket(team=team)
    users = [
        factories.user(role="administrator"),
        factories.user(role="integration"),
        factories.user(role="agent", teams=(red,)),
        factories.user(role="agent", teams=(red, blue)),
        factories.user(role="agent"),
        factories.user(role="knowledge_admin", teams=(red,)),
        factories.user(role=None, teams=(blue,)),
    ]
    seen = []
    for user in users:
        expected = set(ticket_scope_for_user(user=user).values_list("pk", flat=True))
        assert _visible_by_sql(user) == expected
        seen.append(len(expected))
    # The cases differ: every ticket, some, none.
    assert seen[0] == seen[1] > seen[3] > seen[2] > seen[4] == seen[5] == seen[6] == 0
