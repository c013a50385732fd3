"""Whole model rows read and written with plain statements (support.core.db), checked against the ORM."""

import pytest
from django.db import connection
from django.utils import timezone

from assist.models import Suggestion
from support.core.db import fields_update, model_columns, model_from_row
from tests import factories

pytestmark = pytest.mark.django_db


def test_a_row_read_plainly_equals_the_orm_instance_and_a_plain_update_is_what_save_writes():
    ticket = factories.ticket()
    factories.message(ticket, author_kind="customer", body="Where is my refund?")
    stored = Suggestion.objects.create(
        ticket=ticket, citations=[{"marker": 1, "quote": "ünïcode ‘quotes’"}], timings={"total": 1.5}
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {model_columns(Suggestion, 's')} FROM console_suggestion s WHERE s.id = %s",  # noqa: S608
            [stored.pk],
        )
        read = model_from_row(Suggestion, cursor.fetchone())
    orm = Suggestion.objects.get(pk=stored.pk)
    fields = [f.attname for f in Suggestion._meta.concrete_fields]
    assert {f: getattr(read, f) for f in fields} == {f: getattr(orm, f) for f in fields}
    assert read.citations[0]["quote"] == "ünïcode ‘quotes’"
    assert not read._state.adding

    read.text, read.flags, read.finished_at = "Done [1].", [{"kind": "link"}], timezone.now()
    read.timings = {"total": 2.0, "nested": {"a": [1, None]}}
    fields_update(read, ["text", "flags", "finished_at", "timings"])
    again = Suggestion.objects.get(pk=stored.pk)
    assert (again.text, again.flags, again.finished_at, again.timings) == (
        read.text,
        read.flags,
        read.finished_at,
        read.timings,
    )
    assert again.citations == stored.citations  # untouched
