"""Training examples: recording what was drafted and sent, leaving one out of future datasets, forgetting a
customer's, and which replies already are examples. Other apps call these through `models_ft.api`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import get_args

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from .contracts import PromptMessage, Role
from .models import TrainingExample

_ROLES = frozenset(get_args(Role))


def training_example_create(
    *,
    messages: Sequence[PromptMessage],
    draft: str,
    sent: str,
    outcome: str,
    ticket_id: int,
    customer_id: int,
    suggestion_id: int | None = None,
    message_id: int | None = None,
    person: dict[str, str] | None = None,
    sent_at: datetime | None = None,
    backfilled: bool = False,
) -> TrainingExample:
    """Store one training example. With a `suggestion_id` or `message_id` that already has an example, that
    example is returned unchanged: a send recorded twice (a retried task), or a reply both recorded and
    backfilled, must not weigh twice in training.

    Raises ValueError for an outcome other than accepted/edited/rewritten/backfilled, an empty prompt, an
    unknown role or an empty sent reply."""
    if outcome not in TrainingExample.Outcome.values:
        raise ValueError(f"outcome {outcome!r} is not one of {', '.join(TrainingExample.Outcome.values)}.")
    if not messages:
        raise ValueError("messages is empty: an example needs the prompt the draft was generated from.")
    for message in messages:
        if message.role not in _ROLES:
            raise ValueError(f"message role {message.role!r} is not one of {', '.join(sorted(_ROLES))}.")
    if not sent.strip():
        raise ValueError("sent is empty: an example needs the reply the agent sent.")

    existing = _existing(suggestion_id, message_id)
    if existing is not None:
        return existing
    row = TrainingExample(
        messages=[{"role": m.role, "content": m.content} for m in messages],
        draft=draft,
        sent=sent,
        outcome=outcome,
        ticket_id=ticket_id,
        customer_id=customer_id,
        suggestion_id=suggestion_id,
        message_id=message_id,
        person={key: str(value) for key, value in (person or {}).items() if value},
        backfilled=backfilled,
        sent_at=sent_at or timezone.now(),
    )
    try:
        # A savepoint, so losing the race to a concurrent record of the same reply leaves the caller's
        # transaction usable.
        with transaction.atomic():
            row.save()
    except IntegrityError:
        found = _existing(suggestion_id, message_id)
        if found is None:
            raise
        return found
    return row


def _existing(suggestion_id: int | None, message_id: int | None) -> TrainingExample | None:
    if suggestion_id is None and message_id is None:
        return None
    same = Q(pk__in=[])
    if suggestion_id is not None:
        same |= Q(suggestion_id=suggestion_id)
    if message_id is not None:
        same |= Q(message_id=message_id)
    return TrainingExample.objects.filter(same).order_by("id").first()


def examples_forget(*, customer_id: int) -> int:
    """Delete every example of a customer (erased, or no longer consenting), and the files of every dataset
    snapshot holding one of them (the snapshot row stays, marked withdrawn, for the record of what adapters
    were trained on). Returns how many examples there were."""
    from .datasets import snapshots_withdraw

    ids = set(TrainingExample.objects.filter(customer_id=customer_id).values_list("id", flat=True))
    if not ids:
        return 0
    TrainingExample.objects.filter(id__in=ids).delete()
    snapshots_withdraw(example_ids=ids)
    return len(ids)


def examples_recorded(*, message_ids: Sequence[int]) -> set[int]:
    """Which of these replies already are examples."""
    found = TrainingExample.objects.filter(message_id__in=list(message_ids)).values_list(
        "message_id", flat=True
    )
    return {message_id for message_id in found if message_id is not None}


def example_reject(*, example: TrainingExample, rejected: bool = True, reason: str = "") -> TrainingExample:
    """Leave `example` out of every future dataset snapshot, saying why (`rejected=False` takes it back and
    clears the reason). Snapshots built before keep it."""
    example.rejected = rejected
    example.rejected_reason = reason if rejected else ""
    example.save(update_fields=["rejected", "rejected_reason"])
    return example
